"""Readiness checks, run in threads with a deadline, and the JSON body that reports them.

A check is a plain function that returns when what it checks is fine and raises when it is not;
it may block (a database query, a Redis ping). :func:`run_checks` runs the checks of one request
together in a small pool of threads of this process, so the event loop never waits on them, and
gives each :data:`TIMEOUT_S` seconds. A check that hangs keeps its thread until it returns, but the
pool is small, so hanging checks cannot pile up threads: later ones queue and time out.

The body names each check with ``ok`` or ``failed`` and, for a failure, only the exception's type
or the timeout, never the exception's message: a driver's message may quote a host name or,
for some, a URL with its password.
"""

from __future__ import annotations

import asyncio
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

logger = logging.getLogger(__name__)

Check = Callable[[], None]
#: Seconds a readiness check may take before it counts as failed.
TIMEOUT_S = 2.0
#: Threads per process for readiness checks (each server runs two or three checks a request).
POOL_THREADS = 4
OK, FAILED = "ok", "failed"
LIVE_BODY: Mapping[str, str] = {"status": OK}
_POOL: Dict[str, Any] = {}
_LAST_FAILED: Dict[str, bool] = {}


class NotReady(RuntimeError):
    """A check's own failure; its message is the reason shown (so it must name no secret)."""


def _pool() -> ThreadPoolExecutor:
    """This process's pool; a new one after a fork (a forked Sanic worker inherits the parent's
    pool object but none of its threads, so work handed to it would never run)."""
    if _POOL.get("pid") != os.getpid():
        _POOL.update(pid=os.getpid(), pool=ThreadPoolExecutor(
            max_workers=POOL_THREADS, thread_name_prefix="bme-readiness"))
    return _POOL["pool"]


async def _outcome(check: Check, timeout: float) -> Dict[str, str]:
    loop = asyncio.get_running_loop()
    try:
        await asyncio.wait_for(loop.run_in_executor(_pool(), check), timeout)
    except asyncio.TimeoutError:
        return {"status": FAILED, "reason": f"no answer within {timeout:g} s"}
    except NotReady as error:  # our own reason, written to be shown
        return {"status": FAILED, "reason": str(error)}
    except Exception as error:  # noqa: BLE001 - any failure of a check means not ready
        return {"status": FAILED, "reason": type(error).__name__}
    return {"status": OK}


async def run_checks(checks: Mapping[str, Check],
                     timeout: float = TIMEOUT_S) -> Tuple[int, Dict[str, Any]]:
    """Run ``checks`` together; the HTTP status (200 when all passed, else 503) and the body.

    A check that starts or stops failing is logged once, by name and reason (the readiness
    probe asks every few seconds; the log says when the state changed).
    """
    names = list(checks)
    outcomes = await asyncio.gather(*(_outcome(checks[name], timeout) for name in names))
    results = dict(zip(names, outcomes))
    for name, result in results.items():
        failed = result["status"] == FAILED
        if failed != _LAST_FAILED.get(name, False):
            if failed:
                logger.warning("Readiness check %r failed: %s", name, result["reason"])
            else:
                logger.info("Readiness check %r passes again", name)
        _LAST_FAILED[name] = failed
    ready = all(result["status"] == OK for result in results.values())
    return (200 if ready else 503), {"status": OK if ready else FAILED, "checks": results}


def failing(reason: str) -> Check:
    """A check that always fails with ``reason`` (what to report when there is nothing to ask)."""

    def check() -> None:
        raise NotReady(reason)

    return check


def sql_ping(engine: Any) -> Check:
    """A check that runs ``SELECT 1`` on an SQLAlchemy ``engine``.

    A pooled connection that a database restart left dead fails its first query; SQLAlchemy then
    drops it, and the check tries once more on a fresh one, so a restart that is over does not
    count as a failure.
    """
    import sqlalchemy as sa

    def check() -> None:
        for attempt in (1, 2):
            try:
                with engine.connect() as connection:
                    connection.execute(sa.text("SELECT 1"))
                return
            except sa.exc.DBAPIError as error:
                if attempt == 2 or not error.connection_invalidated:
                    raise

    return check


def redis_ping(client: Any) -> Check:
    """A check that pings a Redis client (``redis.Redis``), which raises when Redis is away."""

    def check() -> None:
        if not client.ping():
            raise NotReady("Redis did not answer the ping")

    return check


def calls(function: Callable[[], Optional[object]]) -> Check:
    """A check that calls ``function`` and ignores what it returns (loading a file, say)."""

    def check() -> None:
        function()

    return check
