"""Two Rasa instances behind nginx, sharing PostgreSQL and Redis."""

from __future__ import annotations

import json
import os
import shutil
import signal
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterator, List

import psycopg2
import pytest

from bot.clinic.care_team import with_care_team
from bot.deploy.chat import send
from bot.deploy.cluster import Cluster, nginx_config
from bot.settings import care_team
from bot.engine.knowledge import Answer, load_knowledge
from bot.deploy.serve import free_port
from bot.engine.replies import Reply

KB = load_knowledge()


def shown(answer: Answer) -> str:
    """An article answer as sent: the care team's card follows one that names a doctor."""
    return with_care_team(Reply(answer.full_text, answer_id=answer.answer_id), None, care_team()).text
TOPICS = ["what_is", "how_found", "serious", "causes", "osteoarthritis", "injury", "symptoms",
          "treatment", "duration", "sources"]


def test_nginx_config_routes_socketio_sticky_and_rest_round_robin(tmp_path: Path) -> None:
    config = nginx_config(8000, [5001, 5002], tmp_path)
    assert config.count("server 127.0.0.1:5001") == 2 and "ip_hash;" in config
    assert "location /socket.io/" in config and "proxy_pass http://rasa_sticky;" in config
    assert "listen 127.0.0.1:8000;" in config


@pytest.fixture(scope="module")
def cluster(trained_model: Path, tmp_path_factory: pytest.TempPathFactory,
            temporary_database) -> Iterator[Cluster]:
    if not shutil.which("nginx") and not Path("/usr/sbin/nginx").exists():
        pytest.fail("nginx is missing: `make test` installs it (apt-get install nginx-light)")
    with temporary_database("bme_cluster") as url, pytest.MonkeyPatch.context() as env:
        env.setenv("BME_DATABASE_URL", url)
        env.setenv("BME_REDIS_URL", "redis://127.0.0.1:6379/0")
        with Cluster(free_port(), 2, trained_model, tmp_path_factory.mktemp("cluster")) as running:
            running.database = url.rsplit("/", 1)[1]  # type: ignore[attr-defined]
            yield running


def turns(database: str, sender: str) -> List[str]:
    """The conversation's user and bot events in stored order, as "user:<text>" / "bot:<text>"."""
    with psycopg2.connect(host="127.0.0.1", dbname=database, user="postgres") as db:
        rows = db.cursor()
        rows.execute("SELECT type_name, data FROM events WHERE sender_id = %s AND type_name IN "
                     "('user', 'bot') ORDER BY id", (sender,))
        return [f"{kind}:{json.loads(data)['text']}" for kind, data in rows.fetchall()]


@pytest.mark.slow
def test_concurrent_messages_of_one_conversation_through_both_instances_never_interleave(
    cluster: Cluster,
) -> None:
    sender = f"cluster-{uuid.uuid4().hex}"
    send(cluster.url, sender, "hello")
    urls = [instance.url for instance in cluster.instances]
    jobs = [(urls[i % 2], f"/ask_{topic}") for i, topic in enumerate(TOPICS)]
    with ThreadPoolExecutor(len(jobs)) as pool:
        replies = list(pool.map(lambda job: send(job[0], sender, job[1]), jobs))
    # Each reply is the answer to its own message ...
    for (_, payload), reply in zip(jobs, replies):
        assert [m["text"] for m in reply] == [shown(KB.answer(payload[5:]))]
    # ... and the stored conversation is strictly "question, its answer", turn after turn.
    stored = turns(cluster.database, sender)[3:]  # disclaimer and greeting turn first
    assert len(stored) == 2 * len(TOPICS)
    for question, answer in zip(stored[::2], stored[1::2]):
        assert question.startswith("user:/ask_")
        assert answer == f"bot:{shown(KB.answer(question[len('user:/ask_'):]))}"


@pytest.mark.slow
def test_conversation_goes_on_when_one_instance_is_killed(cluster: Cluster) -> None:
    sender = f"cluster-{uuid.uuid4().hex}"
    send(cluster.url, sender, "I have knee osteoarthritis")
    victim = cluster.instances[0]
    rasa = [p for p in victim.processes if p is not getattr(victim, "actions_process", None)][0]
    os.killpg(rasa.pid, signal.SIGKILL)
    rasa.wait()
    for _ in range(4):  # round robin would hit the dead instance every other time
        texts = [m["text"] for m in send(cluster.url, sender, "is it serious?")]
        assert texts == [shown(KB.answer("serious", "osteoarthritis"))]
