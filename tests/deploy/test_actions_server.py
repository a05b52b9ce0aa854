"""The action server's launcher (bot.deploy.actions_server): rasa_sdk's app with the health routes,
ready when the content files load; without starting a server."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any, Iterator

import pytest
from rasa_sdk.endpoint import create_app
from sanic import Sanic

from bot.deploy import actions_server


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sanic]:
    monkeypatch.setattr(Sanic, "test_mode", True)  # several apps of one name in this process
    app = create_app("actions")
    actions_server.Routes().attach_sanic_app_extensions(app)
    yield app


async def get(app: Sanic, uri: str) -> Any:
    handler = next(r.handler for r in app.router.routes if r.uri == uri)
    return await handler(SimpleNamespace(app=app))


async def test_live_and_ready_when_the_content_loads(app: Sanic,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    for loader in ("retrieval.load_retriever", "urgency.load_urgency",
                   "answer_model.load_answer_model"):  # what set-up built: not loaded here (the
        monkeypatch.setattr(f"bot.engine.{loader}", lambda: None)  # 2 s readiness limit, cold)
    assert {r.uri for r in app.router.routes} >= {"/health", "/webhook", "/health/live",
                                                    "/health/ready"}
    assert json.loads((await get(app, "/health/live")).body) == {"status": "ok"}
    ready = await get(app, "/health/ready")
    assert ready.status == 200
    assert json.loads(ready.body)["checks"] == {"knowledge": {"status": "ok"},
                                                "replies": {"status": "ok"},
                                                "retrieval": {"status": "ok"}}


async def test_not_ready_without_the_index_of_example_questions(
        app: Sanic, monkeypatch: pytest.MonkeyPatch) -> None:
    def missing() -> None:
        raise RuntimeError("build/retrieval/index.npz is missing: run `make setup`")

    monkeypatch.setattr("bot.engine.retrieval.load_retriever", missing)
    ready = await get(app, "/health/ready")
    assert ready.status == 503
    assert json.loads(ready.body)["checks"]["retrieval"] == {"status": "failed",
                                                             "reason": "RuntimeError"}


async def test_not_ready_when_a_content_file_does_not_load(app: Sanic,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> None:
        raise ValueError("replies.yml: line 3: bad indentation")

    monkeypatch.setattr("bot.engine.replies.load_replies", broken)
    ready = await get(app, "/health/ready")
    assert ready.status == 503
    assert json.loads(ready.body)["checks"]["replies"] == {"status": "failed", "reason": "ValueError"}


def test_a_bad_log_format_stops_the_start_naming_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BME_LOG_FORMAT", "xml")
    with pytest.raises(SystemExit, match="BME_LOG_FORMAT"):
        actions_server.main(["--port", "0"])


def test_a_bad_care_team_setting_stops_the_start_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BME_CARE_TEAM_PHONE", "0161 496 0000")  # without BME_CARE_TEAM_NAME
    monkeypatch.delenv("BME_CARE_TEAM_NAME", raising=False)
    with pytest.raises(SystemExit, match="BME_CARE_TEAM_NAME"):
        actions_server.main(["--port", "0"])


def test_the_action_server_runs_numpy_on_one_thread_unless_the_operator_says() -> None:
    import os
    import subprocess
    import sys

    code = ("import sys\n"
            "from bot.deploy import actions_server\n"
            "assert 'numpy' not in sys.modules  # nothing before main() loads it\n"
            "actions_server.one_matrix_thread()\n"
            "import numpy\n"
            "from threadpoolctl import threadpool_info\n"
            "print(max(i['num_threads'] for i in threadpool_info()))\n")
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    alone = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                           check=True)
    assert alone.stdout.split()[-1] == "1"
    chosen = subprocess.run([sys.executable, "-c", code], env={**env, "OPENBLAS_NUM_THREADS": "2"},
                            capture_output=True, text=True, check=True)
    assert chosen.stdout.split()[-1] == "2"
