"""The Rasa server's operations routes (bot.rasa_patches.operations): the readiness checks of a
worker's agent, on real stores and stand-ins, and the routes on the app Rasa builds, with every
speed-up off too (they are not speed-ups)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Iterator, Optional

import pytest
import rasa.core.run
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from sanic import Sanic

from bot.ops.health import run_checks
from bot.rasa_patches import operations
from bot.rasa_patches.registry import ALWAYS_ON, TOUCHES, missing_names
from bot.stores.lock_store import AtomicRedisLockStore
from bot.stores.tracker_store import ResilientSQLTrackerStore


class Agent:
    """What the checks read of Rasa's ``Agent``."""

    def __init__(self, tracker_store: Any, lock_store: Any, ready: bool = True) -> None:
        self.tracker_store = FailSafeTrackerStore(tracker_store)  # as Agent wraps every store
        self.lock_store = lock_store
        self.ready = ready

    def is_ready(self) -> bool:
        return self.ready


def sqlite_store(path: Path) -> ResilientSQLTrackerStore:
    return ResilientSQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(path))


async def checked(agent: Optional[Agent]) -> Any:
    return await run_checks(operations.agent_checks(agent))


async def test_a_loaded_model_and_a_reachable_database_are_ready(tmp_path: Path) -> None:
    status, body = await checked(Agent(sqlite_store(tmp_path / "c.db"), InMemoryLockStore()))
    assert status == 200
    assert body["checks"] == {"model": {"status": "ok"}, "tracker_store": {"status": "ok"}}


async def test_before_the_model_is_loaded_nothing_is_ready(tmp_path: Path) -> None:
    for agent in (None, Agent(sqlite_store(tmp_path / "c.db"), InMemoryLockStore(), ready=False)):
        status, body = await checked(agent)
        assert status == 503
        assert body["checks"]["model"] == {"status": "failed", "reason": "the model is not loaded"}


async def test_a_database_that_went_away_is_not_ready(tmp_path: Path) -> None:
    store = sqlite_store(tmp_path / "gone" / "c.db")  # SQLite cannot open a file in a missing folder
    status, body = await checked(Agent(store, InMemoryLockStore()))
    assert status == 503
    assert body["checks"]["tracker_store"] == {"status": "failed", "reason": "OperationalError"}


async def test_rasas_in_memory_fall_back_is_not_ready() -> None:
    status, body = await checked(Agent(InMemoryTrackerStore(Domain.empty()), InMemoryLockStore()))
    assert status == 503
    assert body["checks"]["tracker_store"] == {
        "status": "failed", "reason": "the tracker store is a InMemoryTrackerStore, without a database"}


async def test_a_redis_lock_store_must_answer_a_ping(tmp_path: Path) -> None:
    locks = AtomicRedisLockStore(host="127.0.0.1", port=1, socket_timeout=1)  # nothing listens
    agent = Agent(sqlite_store(tmp_path / "c.db"), locks)
    status, body = await checked(agent)
    assert status == 503 and body["checks"]["lock_store"] == {"status": "failed",
                                                              "reason": "ConnectionError"}
    locks.red = SimpleNamespace(ping=lambda: True)
    status, body = await checked(agent)
    assert status == 200 and body["checks"]["lock_store"] == {"status": "ok"}


@pytest.fixture
def rasa_configure_app(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Rasa's configure_app wrapped by install(), put back after the test."""
    monkeypatch.setattr(rasa.core.run, "configure_app", rasa.core.run.configure_app)
    monkeypatch.setattr(operations, "_INSTALLED", {})
    monkeypatch.setattr(Sanic, "test_mode", True)  # several apps of one name in this process
    monkeypatch.setattr("bot.ops.logs.use_format", lambda _: None)  # leave pytest's logging be
    operations.install("json")
    yield


def route(app: Sanic, uri: str) -> Any:
    return next(r.handler for r in app.router.routes if r.uri == uri)


async def test_the_app_rasa_builds_has_the_routes_with_every_speed_up_off(rasa_configure_app: None,
                                                                           tmp_path: Path) -> None:
    app = rasa.core.run.configure_app(enable_api=False)  # what `rasa run` builds
    assert {r.uri for r in app.router.routes} >= {"/", "/health/live", "/health/ready", "/metrics"}
    request = SimpleNamespace(app=app)
    assert json.loads((await route(app, "/health/live")(request)).body) == {"status": "ok"}
    ready = await route(app, "/health/ready")(request)  # no model loaded in this app
    assert ready.status == 503 and json.loads(ready.body)["checks"]["model"]["status"] == "failed"
    app.ctx.agent = Agent(sqlite_store(tmp_path / "c.db"), InMemoryLockStore())
    assert (await route(app, "/health/ready")(request)).status == 200
    metrics = await route(app, "/metrics")(request)
    assert metrics.status == 200 and metrics.content_type.startswith("text/plain")


def test_a_missing_rasa_name_stops_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(operations, "_INSTALLED", {})
    monkeypatch.setattr(operations, "missing_names", lambda *_, **__: {
        "operations": "rasa.core.run.configure_app is missing"})
    with pytest.raises(RuntimeError, match="rasa.core.run.configure_app is missing"):
        operations.install("json")


def test_every_name_it_relies_on_exists_in_the_pinned_rasa() -> None:
    assert missing_names(ALWAYS_ON, touches=ALWAYS_ON) == {}
    assert not set(ALWAYS_ON) & set(TOUCHES)  # not a speed-up: BME_RASA_SPEEDUPS cannot leave it out
