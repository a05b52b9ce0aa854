"""A local stand-in for the Telegram, Slack, Messenger and Twilio APIs, on loopback.

The Rasa server under test is pointed at it (``TELEGRAM_API_URL`` and so on); it answers the way
each platform answers and records every call, so tests can assert what a user would see.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional

from aiohttp import web

TELEGRAM_BOT = {"id": 123456, "is_bot": True, "first_name": "BME", "username": "bme_test_bot"}


@dataclass
class Call:
    """One API call the assistant made."""

    platform: str
    method: str
    path: str
    json: Optional[Dict[str, Any]] = None
    form: Dict[str, str] = field(default_factory=dict)
    query: Dict[str, str] = field(default_factory=dict)
    headers: Dict[str, str] = field(default_factory=dict)


class PlatformStub:
    """Start with :meth:`start`, read :attr:`calls` or :meth:`wait_for`, end with :meth:`stop`."""

    def __init__(self) -> None:
        self.calls: List[Call] = []
        self.port = 0
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._runner: Optional[web.AppRunner] = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def url(self, platform: str) -> str:
        return f"http://127.0.0.1:{self.port}/{platform}"

    # The platforms' answers -------------------------------------------------------------------

    async def _record(self, request: web.Request, platform: str, method: str) -> Call:
        body = await request.read()
        is_json = request.content_type == "application/json"
        call = Call(platform, method, request.path,
                    json=json.loads(body) if is_json and body else None,
                    form=dict(await request.post()) if not is_json else {},
                    query=dict(request.query), headers=dict(request.headers))
        with self._lock:
            self.calls.append(call)
        return call

    async def _telegram(self, request: web.Request) -> web.Response:
        call = await self._record(request, "telegram", request.match_info["method"])
        result: Any = TELEGRAM_BOT if call.method == "getMe" else True
        if call.method == "sendMessage":
            result = {"message_id": len(self.calls), "chat": {"id": call.json["chat_id"]},
                      "text": call.json["text"]}
        return web.json_response({"ok": True, "result": result})

    async def _slack(self, request: web.Request) -> web.Response:
        call = await self._record(request, "slack", request.match_info["method"])
        return web.json_response({"ok": True, "channel": call.json["channel"],
                                  "ts": f"{time.time():.6f}"})

    async def _facebook(self, request: web.Request) -> web.Response:
        call = await self._record(request, "facebook", "me/messages")
        return web.json_response({"recipient_id": call.json["recipient"]["id"],
                                  "message_id": f"m_{len(self.calls)}"})

    async def _twilio(self, request: web.Request) -> web.Response:
        call = await self._record(request, "twilio", "Messages")
        return web.json_response({"sid": f"SM{len(self.calls):032d}", "status": "queued",
                                  "to": call.form.get("To"), "body": call.form.get("Body")},
                                 status=201)

    # Life cycle -------------------------------------------------------------------------------

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_post("/telegram/bot{token}/{method}", self._telegram)
        app.router.add_post("/slack/{method}", self._slack)
        app.router.add_post("/facebook/v18.0/me/messages", self._facebook)
        app.router.add_post("/twilio/2010-04-01/Accounts/{sid}/Messages.json", self._twilio)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    def start(self) -> "PlatformStub":
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        return self

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    # Reading what was sent --------------------------------------------------------------------

    def sent(self, platform: str, match: Callable[[Call], bool] = lambda _: True) -> List[Call]:
        with self._lock:
            return [c for c in self.calls if c.platform == platform and match(c)]

    def wait_for(self, platform: str, match: Callable[[Call], bool], count: int,
                 timeout: float = 30.0) -> List[Call]:
        """The calls to ``platform`` that ``match``, once there are at least ``count`` of them
        (Slack answers in the background, after the webhook has returned)."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.sent(platform, match)
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.1)
