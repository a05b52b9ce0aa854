"""The web server's liveness and readiness: ``/health/live`` and ``/health/ready``.

Ready means the browser libraries are installed (the pages cannot work without them) and the
tracker store answers a trivial query: the staff pages read conversations from it. The store is
the one the assistant runs with (:func:`bot.settings.tracker_store`), asked through the
engine the staff pages use (:func:`bot.stores.retention.shared_engine`, one per process), so a
passing check means their connection pool works.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Dict, Mapping

from aiohttp import web

from bot.ops.health import LIVE_BODY, Check, NotReady, run_checks, sql_ping

MissingFiles = Callable[[], Mapping[str, Path]]


def _files_check(missing: MissingFiles) -> Check:
    def check() -> None:
        gone = missing()
        if gone:
            raise NotReady(f"browser libraries missing: {', '.join(sorted(gone))} "
                           "(run `make setup`)")

    return check


def _tracker_store_check() -> None:
    """``SELECT 1`` on the tracker store of the environment's settings."""
    from bot.settings import tracker_store
    from bot.stores.retention import shared_engine

    sql_ping(shared_engine(tracker_store()))()


def add_health_routes(app: web.Application, missing_files: MissingFiles) -> None:
    """Add the two routes to ``app``; ``missing_files()`` names the browser files not installed."""

    async def live(_: web.Request) -> web.Response:
        return web.json_response(LIVE_BODY)

    async def ready(_: web.Request) -> web.Response:
        checks: Dict[str, Check] = {"vendor_files": _files_check(missing_files),
                                    "tracker_store": _tracker_store_check}
        status, body = await run_checks(checks)
        return web.json_response(body, status=status)

    app.router.add_get("/health/live", live)
    app.router.add_get("/health/ready", ready)
