"""The web server's /health/live and /health/ready (bot.web.readiness), in-process: ready when the
browser libraries are installed and the tracker store answers (SQLite in a temporary folder)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Tuple

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.web.app import VENDOR_FILES, WebConfig, create_app


def installed_vendor_files(folder: Path) -> Path:
    for path in VENDOR_FILES.values():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text("// stand-in", encoding="utf-8")
    return folder


async def fetch(config: WebConfig, path: str, remove: str = "") -> Tuple[int, dict]:
    """GET ``path`` from a fresh app, first removing the installed file ``remove``."""
    async with TestClient(TestServer(create_app(config))) as client:
        if remove:
            (config.node_modules / remove).unlink()
        response = await client.get(path)
        return response.status, json.loads(await response.read())


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> WebConfig:
    monkeypatch.delenv("BME_DATABASE_URL", raising=False)
    monkeypatch.setenv("BME_SQLITE_PATH", str(tmp_path / "conversations.db"))
    return WebConfig(node_modules=installed_vendor_files(tmp_path / "node_modules"))


async def test_live(config: WebConfig) -> None:
    assert await fetch(config, "/health/live") == (200, {"status": "ok"})


async def test_ready_with_the_files_and_the_store(config: WebConfig) -> None:
    assert await fetch(config, "/health/ready") == (200, {"status": "ok", "checks": {
        "vendor_files": {"status": "ok"}, "tracker_store": {"status": "ok"}}})


async def test_not_ready_when_a_browser_library_went_missing(config: WebConfig) -> None:
    status, body = await fetch(config, "/health/ready", remove=VENDOR_FILES["purify.min.js"])
    assert status == 503 and body["checks"]["vendor_files"] == {
        "status": "failed", "reason": "browser libraries missing: purify.min.js (run `make setup`)"}


async def test_not_ready_when_the_tracker_store_cannot_be_reached(
        config: WebConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BME_SQLITE_PATH", str(tmp_path / "missing" / "conversations.db"))
    status, body = await fetch(config, "/health/ready")
    assert status == 503 and body["checks"]["tracker_store"] == {"status": "failed",
                                                                 "reason": "OperationalError"}


async def test_the_old_health_route_stays(config: WebConfig) -> None:
    assert await fetch(config, "/health") == (200, {"status": "ok"})
