"""Rasa's HTTP API is off unless a token is set, then needs it; CORS only for configured origins."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path
from typing import Dict, Optional, Tuple

import pytest
import socketio

from bot.deploy.serve import Servers, free_port

pytestmark = pytest.mark.slow
TOKEN = "a-test-token-of-enough-length"


def get(url: str, headers: Optional[Dict[str, str]] = None) -> Tuple[int, Dict[str, str]]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers)


@pytest.mark.parametrize("path", ["/status", "/conversations/patient-1/tracker", "/model/parse"])
def test_http_api_is_off_by_default(assistant, path: str) -> None:
    assert get(f"{assistant.url}{path}")[0] == 404


def test_no_cors_for_an_unknown_origin(assistant) -> None:
    status, headers = get(f"{assistant.url}/webhooks/rest/", {"Origin": "https://evil.example"})
    assert status == 200
    assert "Access-Control-Allow-Origin" not in headers


def test_api_needs_the_token_when_turned_on(
    trained_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BME_API_TOKEN", TOKEN)
    monkeypatch.setenv("BME_SQLITE_PATH", str(tmp_path / "conversations.db"))
    with Servers(free_port(), free_port(), trained_model, log_dir=tmp_path) as servers:
        assert get(f"{servers.url}/status")[0] == 401
        assert get(f"{servers.url}/status?token=wrong-token-of-enough-length")[0] == 401
        assert get(f"{servers.url}/status?token={TOKEN}")[0] == 200


async def _connects(url: str, origin: str) -> bool:
    client = socketio.AsyncClient(reconnection=False)
    try:  # polling: python-socketio's websocket client needs a newer aiohttp than Rasa's
        await client.connect(url, transports=["polling"], headers={"Origin": origin})
    except socketio.exceptions.ConnectionError:
        return False
    await client.disconnect()
    return True


async def test_socketio_refuses_browsers_from_unknown_origins(assistant) -> None:
    assert await _connects(assistant.url, "https://evil.example") is False
