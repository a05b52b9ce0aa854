"""Fixtures of the browser tests: Debian's Chromium driven by Playwright, against the real servers.

The Rasa, action and web servers are the session's ``assistant`` (tests/conftest.py), started
once on free ports through ``bot.deploy.serve.Servers`` (the same launcher as ``make run``). Each test gets a fresh browser context,
so no conversation, storage or cookie leaks from one test into the next.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Callable, Dict, Iterator, List
from urllib.parse import urlparse

import pytest

from chat_page import DESKTOP

ROOT = Path(__file__).resolve().parent.parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
RASA_WEBCHAT = ROOT / "build" / "rasa-webchat" / "index.js"
# Another clinic's page that embeds rasa-webchat, as its README shows.
OUTSIDE_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Another clinic</title></head>
<body><h1>Another clinic's site</h1><div id="webchat"></div>
<script src="/rasa-webchat.js"></script>
<script>
  window.__rasaUrl = "RASA_URL";
  WebChat.default({initPayload: "/greet", socketUrl: window.__rasaUrl, socketPath: "/socket.io/",
                   customData: {language: "en"}, title: "Bone marrow edema", embedded: true,
                   params: {storage: "session"}}, document.getElementById("webchat"));
</script></body></html>
"""
SCREENSHOTS = ROOT / "reports" / "screenshots"
TIMEOUT_MS = 20_000


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium; installed with apt-get when missing (Playwright cannot download one)."""
    if not CHROMIUM.exists():
        if os.geteuid() != 0 or shutil.which("apt-get") is None:
            pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package "
                        "(`make chromium`, as root).")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=True, env=env)
    return CHROMIUM


@pytest.fixture(scope="session")
def servers(assistant):
    """The session's assistant (tests/conftest.py): Rasa with --cors for its web server, the action
    server and the web server."""
    return assistant


@pytest.fixture(scope="session")
def web_url(servers) -> str:
    """The pages as a person opens them (``localhost``, as ``make run`` prints)."""
    return f"http://localhost:{servers.web_port}"


@pytest.fixture(scope="module")
def browser(chromium: Path):
    """Chromium, per test module: Playwright's sync API marks its event loop as running in this
    thread while it is open, which async tests elsewhere must not meet."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(chromium), args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def new_page(browser) -> Iterator[Callable[..., "object"]]:
    """Open a page in a fresh context: ``new_page(viewport=PHONE)``. Fails the test on JS errors.

    Every page records ``window.__alerts`` (alert/confirm/prompt calls) and ``window.__spoken``
    (what speech synthesis was asked to say) before any of its own scripts run.
    """
    contexts: List = []
    errors: List[str] = []

    def open_page(viewport: Dict[str, int] = DESKTOP, **options: object):
        context = browser.new_context(viewport=viewport, **options)
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(
            "window.__alerts = [];"
            "for (const f of ['alert', 'confirm', 'prompt'])"
            "  window[f] = (m) => { window.__alerts.push(String(m)); };"
            "window.__spoken = [];"
            "if (window.speechSynthesis) {"
            "  speechSynthesis.speak = (u) => { window.__spoken.push(u.text); };"
            "  speechSynthesis.cancel = () => { window.__spoken.push('<cancel>'); };"
            "}")
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("dialog", lambda dialog: (errors.append(f"dialog: {dialog.message}"),
                                          dialog.dismiss()))
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not errors, f"JavaScript errors or dialogs in the page: {errors}"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base's name)
        pass


@pytest.fixture(scope="session")
def outside_site(servers, outside_origin: str, tmp_path_factory: pytest.TempPathFactory
                 ) -> Iterator[str]:
    """A page of another site (``outside_origin``) embedding rasa-webchat, talking to ``servers``."""
    if not RASA_WEBCHAT.exists():
        pytest.fail(f"{RASA_WEBCHAT} is missing: run `make build/rasa-webchat/index.js` "
                    "(`make test` fetches it).")
    site = tmp_path_factory.mktemp("outside-site")
    (site / "index.html").write_text(OUTSIDE_PAGE.replace("RASA_URL", servers.url), "utf-8")
    shutil.copy(RASA_WEBCHAT, site / "rasa-webchat.js")
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", urlparse(outside_origin).port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield outside_origin + "/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make setup` (npm ci).")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the tests save their screenshots: a temporary folder, so that a test run leaves the
    committed ones alone; ``reports/screenshots/`` when ``BME_UPDATE_SCREENSHOTS=1``
    (``make screenshots``)."""
    if os.environ.get("BME_UPDATE_SCREENSHOTS") != "1":
        return tmp_path_factory.mktemp("screenshots")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
