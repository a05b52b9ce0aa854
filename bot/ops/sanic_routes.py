"""The operations routes of the two Sanic servers (the Rasa server and the action server).

- ``GET /health/live``: 200 while the process serves requests at all.
- ``GET /health/ready``: 200 when every readiness check passes, else 503; the JSON body names
  each check (:func:`bot.ops.health.run_checks`).
- ``GET /metrics`` (the Rasa server only): Prometheus' text format (:mod:`bot.ops.metrics`).

The routes are added to the app before it starts, so they exist in every worker.
"""

from __future__ import annotations

import asyncio
from typing import Callable, Mapping

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.ops.health import LIVE_BODY, Check, run_checks

#: The checks of a request, from the app serving it (they may depend on what it has loaded).
ChecksOf = Callable[[Sanic], Mapping[str, Check]]


def add_health_routes(app: Sanic, checks_of: ChecksOf) -> None:
    """Add ``/health/live`` and ``/health/ready`` (checks from ``checks_of(app)``) to ``app``."""

    async def live(_: Request) -> HTTPResponse:
        return response.json(LIVE_BODY)

    async def ready(request: Request) -> HTTPResponse:
        status, body = await run_checks(checks_of(request.app))
        return response.json(body, status=status)

    app.add_route(live, "/health/live", methods=["GET"], name="bme_health_live")
    app.add_route(ready, "/health/ready", methods=["GET"], name="bme_health_ready")


def add_metrics_route(app: Sanic) -> None:
    """Add ``/metrics`` to ``app``: the metrics of :mod:`bot.ops.metrics`, read off the event
    loop (in multi-process mode that reads one small file per worker)."""
    from bot.ops.metrics import exposition

    async def metrics(_: Request) -> HTTPResponse:
        body, content_type = await asyncio.get_running_loop().run_in_executor(None, exposition)
        return response.raw(body, content_type=content_type)

    app.add_route(metrics, "/metrics", methods=["GET"], name="bme_metrics")

