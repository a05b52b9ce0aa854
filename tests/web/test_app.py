"""The web server of the widget and kiosk, in-process (no Rasa, no browser; marked slow because it
serves the browser libraries that `make setup` installs with npm)."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Mapping, NamedTuple

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.engine.knowledge import load_knowledge
from bot.engine.replies import disclaimer
from bot.deploy.serve import Servers
from bot.web import app as web_app
from bot.web.app import VENDOR_FILES, WebConfig, create_app, main_question_topics

pytestmark = pytest.mark.slow


class Fetched(NamedTuple):
    status: int
    content_type: str
    headers: Mapping[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


async def fetch(path: str, config: WebConfig = WebConfig(rasa_port=5999)) -> Fetched:
    """GET ``path`` from a fresh app (an async fixture would need a newer pytest-asyncio)."""
    async with TestClient(TestServer(create_app(config))) as client:
        response = await client.get(path)
        return Fetched(response.status, response.content_type, dict(response.headers),
                       await response.read())


async def test_demo_page_embeds_the_widget_with_one_script_tag() -> None:
    response = await fetch("/")
    assert response.status == 200
    assert response.content_type == "text/html"
    page = response.text
    assert page.count("<script") == 1
    assert '<script src="/static/widget.js" defer' in page
    assert 'data-server-url="http://127.0.0.1:5999"' in page  # the host it was loaded from
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy
    assert "connect-src 'self' http://127.0.0.1:5999 ws://127.0.0.1:5999;" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"


async def test_a_configured_rasa_url_wins() -> None:
    response = await fetch("/", WebConfig(rasa_url="https://assistant.example:5005/"))
    assert response.status == 200
    page = response.text
    assert 'data-server-url="https://assistant.example:5005"' in page


async def test_kiosk_page_has_the_disclaimer_main_questions_and_default_timeouts() -> None:
    response = await fetch("/kiosk")
    assert response.status == 200
    page = response.text
    assert html.escape(disclaimer()) in page
    kb = load_knowledge()
    for topic in ["what_is", "serious", "treatment", "duration"]:
        assert (f'data-payload="/ask_{topic}">{html.escape(kb.topics[topic].title)}</button>'
                in page)
    assert 'data-idle-seconds="120"' in page and 'data-warning-seconds="20"' in page


async def test_kiosk_offers_every_topic_once_the_others_under_more_questions() -> None:
    page = (await fetch("/kiosk")).text
    kb = load_knowledge()
    payloads = re.findall(r'data-payload="/ask_(\w+)"', page)
    assert sorted(payloads) == sorted(kb.topics)  # every topic, each once
    grid = page[page.index('<div id="kiosk-more"'):page.index('<nav class="kiosk-questions"')]
    others = [topic for topic in kb.topics if topic not in main_question_topics()]
    assert re.findall(r'data-payload="/ask_(\w+)"', grid) == others  # in knowledge.yml's order
    for topic in others:
        assert f'data-payload="/ask_{topic}">{html.escape(kb.topics[topic].title)}</button>' in grid
    assert 'role="group" aria-label="More questions" data-label="moreQuestions" hidden>' in grid
    assert re.search(r'<button type="button" id="kiosk-more-toggle" class="kiosk-more-toggle"\s+'
                     r'aria-expanded="false" aria-controls="kiosk-more" data-word="moreQuestions">'
                     r'More questions</button>',
                     page)


def test_question_buttons_escape_the_titles(monkeypatch: pytest.MonkeyPatch) -> None:
    title = 'Bones & <b>"joints"</b>'
    monkeypatch.setattr(web_app, "load_knowledge",
                        lambda: SimpleNamespace(topics={"x": SimpleNamespace(title=title)}))
    assert web_app._question_buttons_html(["x"]) == (
        '<button type="button" class="kiosk-question" data-payload="/ask_x">'
        'Bones &amp; &lt;b&gt;&quot;joints&quot;&lt;/b&gt;</button>')


@pytest.mark.parametrize("query, idle, warning", [
    ("?idle=5&warning=2", "5", "2"),
    ("?idle=0&warning=-3", "120", "20"),  # not positive: defaults
    ('?idle="><script>alert(1)</script>&warning=1.5', "120", "20"),  # not a number: defaults
])
async def test_kiosk_timeouts_from_the_query_string(query: str, idle: str, warning: str) -> None:
    response = await fetch(f"/kiosk{query}")
    assert response.status == 200
    page = response.text
    assert f'data-idle-seconds="{idle}"' in page and f'data-warning-seconds="{warning}"' in page
    assert "<script>alert" not in page


@pytest.mark.parametrize("path", [f"/vendor/{name}" for name in VENDOR_FILES] + [
    "/static/widget.js", "/static/chat-core.js", "/static/kiosk.js",
    "/static/chat.css", "/static/widget.css", "/static/kiosk.css", "/static/demo.css"])
async def test_browser_files_are_served(path: str) -> None:
    response = await fetch(path)
    assert response.status == 200
    assert response.content_type in {"text/javascript", "application/javascript", "text/css"}
    assert len(response.body) > 500


@pytest.mark.parametrize("path", [
    "/vendor/axe.min.js",  # installed, but not one of the files the pages use
    "/vendor/..%2Fpackage.json",
    "/static/../app.py",
    "/static/%2e%2e/app.py",
    "/static/index.html",  # the pages are only served filled in
])
async def test_nothing_else_is_served(path: str) -> None:
    response = await fetch(path)
    assert response.status == 404


async def test_health() -> None:
    response = await fetch("/health")
    assert response.status == 200
    assert json.loads(response.body) == {"status": "ok"}


def test_without_npm_files_it_says_how_to_install_them(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"make setup.*npm ci"):
        create_app(WebConfig(node_modules=tmp_path))


@pytest.mark.parametrize("web_port, allowed, expected", [
    (None, "", []),
    (8080, "", ["--cors", "http://localhost:8080", "http://127.0.0.1:8080"]),
    (8080, "https://clinic.example",
     ["--cors", "http://localhost:8080", "http://127.0.0.1:8080", "https://clinic.example"]),
    (None, "https://clinic.example", ["--cors", "https://clinic.example"]),
])
def test_rasa_allows_exactly_the_pages_origins(web_port, allowed, expected, monkeypatch) -> None:
    monkeypatch.setenv("BME_EMBED_ORIGINS", allowed)
    assert Servers(web_port=web_port)._cors_args() == expected
