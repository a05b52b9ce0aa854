"""Operations on the real servers: liveness and readiness of all three, the Rasa server's metrics
counting a scripted REST session exactly, JSON log lines, and readiness following a PostgreSQL
server that stops and starts again (docs/operators/operations.md)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, Tuple

import pytest
from postgres_server import PrivatePostgres
from prometheus_client.parser import text_string_to_metric_families

from bot.deploy.serve import Servers, free_port
from bot.engine.safety import find_red_flag

pytestmark = pytest.mark.slow
URGENT = "I fell and can't put weight on my leg"
ANSWERABLE = ["what is bone marrow edema?", "is it serious?", "how is it treated?"]


def get(url: str) -> Tuple[int, str, str]:
    """GET ``url``: status, content type and body, whatever the status."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read().decode()


@pytest.fixture(scope="module")
def servers(trained_model: Path, tmp_path_factory: pytest.TempPathFactory,
            running_servers) -> Iterator[Servers]:
    """The three servers of this module alone (so its metrics count only its own messages),
    logging in JSON whatever the developer's environment says."""
    with running_servers(trained_model, tmp_path_factory.mktemp("operations"),
                         {"BME_LOG_FORMAT": "json"}, web_port=free_port()) as started:
        yield started


def bases(servers: Servers) -> Dict[str, str]:
    return {"rasa": servers.url, "actions": f"http://127.0.0.1:{servers.actions_port}",
            "web": servers.web_url}


CHECKS = {"rasa": {"model", "tracker_store"}, "actions": {"knowledge", "replies", "retrieval"},
          "web": {"vendor_files", "tracker_store"}}


@pytest.mark.parametrize("server", sorted(CHECKS))
def test_every_server_is_live_and_ready(servers: Servers, server: str) -> None:
    base = bases(servers)[server]
    status, content_type, body = get(f"{base}/health/live")
    assert (status, json.loads(body)) == (200, {"status": "ok"})
    assert content_type.startswith("application/json")
    status, content_type, body = get(f"{base}/health/ready")
    ready = json.loads(body)
    assert status == 200 and content_type.startswith("application/json")
    assert ready == {"status": "ok", "checks": {name: {"status": "ok"} for name in CHECKS[server]}}


def post(servers: Servers, sender: str, message: Any) -> list:
    request = urllib.request.Request(
        f"{servers.url}/webhooks/rest/webhook", headers={"Content-Type": "application/json"},
        data=json.dumps({"sender": sender, "message": message}).encode())
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def samples(servers: Servers) -> Dict[Tuple[str, Tuple[Tuple[str, str], ...]], float]:
    """Every sample of the Rasa server's /metrics, by name and labels."""
    status, content_type, body = get(f"{servers.url}/metrics")
    assert status == 200 and content_type.startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(body) for s in family.samples}


def test_metrics_count_a_scripted_rest_session_exactly(servers: Servers) -> None:
    assert find_red_flag(URGENT) is not None  # a sure warning sign
    sender = f"metrics-{uuid.uuid4().hex}"
    for text in ANSWERABLE:
        assert post(servers, sender, text)
    assert post(servers, sender, URGENT)
    assert post(servers, sender, "")
    found = samples(servers)
    rest = (("channel", "rest"),)
    messages = {dict(labels)["outcome"]: value for (name, labels), value in found.items()
                if name == "bme_messages_total"}
    assert messages == {"answer": 3.0, "urgent": 1.0, "refused": 1.0}
    assert found[("bme_urgent_escalations_total", rest)] == 1.0
    assert found.get(("bme_fallbacks_total", rest), 0.0) == 0.0
    assert found.get(("bme_errors_total", rest), 0.0) == 0.0
    assert found[("bme_reply_seconds_count", rest)] == 5.0
    assert found[("bme_reply_seconds_bucket", rest + (("le", "+Inf"),))] == 5.0
    assert 0 < found[("bme_reply_seconds_sum", rest)] < 60
    assert sender not in json.dumps([list(key) for key in found])  # no sender id in a label


def test_every_log_line_is_a_json_object_without_message_text(servers: Servers) -> None:
    marker = f"zebra{uuid.uuid4().hex[:10]}"
    post(servers, f"log-{marker}", f"my knee hurts {marker}")
    assert servers.log_dir is not None
    logs = sorted(servers.log_dir.glob("*.log"))
    assert {log.name.split("-")[0] for log in logs} == {"rasa", "actions", "web"}
    for log in logs:
        text = log.read_text(encoding="utf-8")
        assert marker not in text, log.name
        for line in text.splitlines():
            record = json.loads(line)
            assert {"time", "level", "logger", "message"} <= record.keys(), (log.name, line)


def wait_for_ready(url: str, status: int, timeout: float = 30.0) -> Dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        found, _, body = get(f"{url}/health/ready")
        if found == status:
            return json.loads(body)
        assert time.monotonic() < deadline, f"{url}/health/ready still {found} after {timeout} s"
        time.sleep(0.5)


def test_readiness_follows_the_database(trained_model: Path, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch,
                                        private_postgres: PrivatePostgres) -> None:
    monkeypatch.setenv("BME_DATABASE_URL", private_postgres.url)
    monkeypatch.setenv("BME_REDIS_URL", "redis://127.0.0.1:6379/0")
    with Servers(free_port(), free_port(), trained_model, log_dir=tmp_path,
                 web_port=free_port()) as servers:
        assert wait_for_ready(servers.url, 200)["checks"] == {
            "model": {"status": "ok"}, "tracker_store": {"status": "ok"},
            "lock_store": {"status": "ok"}}
        private_postgres.pg_ctl("stop")
        down = wait_for_ready(servers.url, 503)
        assert down["checks"]["tracker_store"]["status"] == "failed"
        assert down["checks"]["model"] == down["checks"]["lock_store"] == {"status": "ok"}
        assert wait_for_ready(servers.web_url, 503)["checks"]["tracker_store"]["status"] == "failed"
        assert get(f"{servers.url}/health/live")[0] == 200  # alive all the same
        private_postgres.pg_ctl("start")
        assert wait_for_ready(servers.url, 200)["status"] == "ok"
        assert wait_for_ready(servers.web_url, 200)["status"] == "ok"
