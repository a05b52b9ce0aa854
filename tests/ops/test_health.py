"""Readiness checks (bot.ops.health): run together with a deadline, reported by name without
exception messages, and the database and Redis checks on stand-ins."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, Dict

import pytest
import sqlalchemy as sa

from bot.ops.health import NotReady, calls, failing, redis_ping, run_checks, sql_ping

SECRET = "postgresql://bme:s3cret@db.clinic:5432/bme"


def passes() -> None:
    return None


def raises() -> None:
    raise ConnectionError(f"cannot reach {SECRET}")


async def test_all_passing_is_200_and_names_every_check() -> None:
    status, body = await run_checks({"model": passes, "tracker_store": passes})
    assert status == 200
    assert body == {"status": "ok", "checks": {"model": {"status": "ok"},
                                                "tracker_store": {"status": "ok"}}}


async def test_one_failure_is_503_with_the_type_but_not_the_message() -> None:
    status, body = await run_checks({"model": passes, "tracker_store": raises})
    assert status == 503 and body["status"] == "failed"
    assert body["checks"]["model"] == {"status": "ok"}
    assert body["checks"]["tracker_store"] == {"status": "failed", "reason": "ConnectionError"}
    assert SECRET not in repr(body)


async def test_our_own_reasons_are_shown() -> None:
    _, body = await run_checks({"model": failing("the model is not loaded")})
    assert body["checks"]["model"] == {"status": "failed", "reason": "the model is not loaded"}


async def test_a_hanging_check_fails_at_the_deadline_without_holding_up_the_others() -> None:
    release = threading.Event()
    try:
        started = time.monotonic()
        status, body = await run_checks({"lock_store": lambda: release.wait(5) and None,
                                         "model": passes}, timeout=0.2)
        took = time.monotonic() - started
    finally:
        release.set()
    assert status == 503 and took < 1.0
    assert body["checks"] == {"lock_store": {"status": "failed", "reason": "no answer within 0.2 s"},
                              "model": {"status": "ok"}}


async def test_a_change_of_state_is_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="bot.ops.health")
    for check in (raises, raises, passes, passes):
        await run_checks({"flaky_store": check})
    messages = [r.getMessage() for r in caplog.records if "flaky_store" in r.getMessage()]
    assert messages == ["Readiness check 'flaky_store' failed: ConnectionError",
                        "Readiness check 'flaky_store' passes again"]


def test_sql_ping_asks_the_database(tmp_path: Path) -> None:
    sql_ping(sa.create_engine(f"sqlite:///{tmp_path / 'c.db'}"))()
    with pytest.raises(sa.exc.OperationalError):
        sql_ping(sa.create_engine(f"sqlite:///{tmp_path / 'missing' / 'c.db'}"))()


class Engine:
    """Fails its first query as a pooled connection that a database restart left dead does."""

    def __init__(self, failures: int) -> None:
        self.failures, self.queries = failures, 0

    def connect(self) -> Any:
        engine = self

        class Connection:
            def __enter__(self) -> "Connection":
                return self

            def __exit__(self, *_: Any) -> None:
                return None

            def execute(self, _: Any) -> None:
                engine.queries += 1
                if engine.queries <= engine.failures:
                    raise sa.exc.DBAPIError("SELECT 1", {}, Exception("server closed the connection"),
                                            connection_invalidated=True)

        return Connection()


def test_sql_ping_tries_again_once_after_a_dead_pooled_connection() -> None:
    sql_ping(Engine(failures=1))()
    with pytest.raises(sa.exc.DBAPIError):
        sql_ping(Engine(failures=2))()


class Redis:
    def __init__(self, answer: Any) -> None:
        self.answer = answer

    def ping(self) -> bool:
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def test_redis_ping() -> None:
    redis_ping(Redis(True))()
    with pytest.raises(NotReady):
        redis_ping(Redis(False))()
    with pytest.raises(ConnectionError):
        redis_ping(Redis(ConnectionError("refused")))()


def test_calls_ignores_what_the_function_returns() -> None:
    seen: Dict[str, int] = {}
    calls(lambda: seen.setdefault("n", 1))()
    assert seen == {"n": 1}
