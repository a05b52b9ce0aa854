"""rasa-webchat, the most used outside web widget for Rasa, embedded in a page of another site,
holds a conversation with the assistant: every part the server sends is shown, buttons included.

It renders a message only when it holds exactly Rasa's keys ({text} or {text, quick_replies}), so
this fails as soon as a reply carries anything else (our widget's extras travel in an event of
their own: bot/channels/browser.py). The other site is allowed by ``BME_EMBED_ORIGINS``, the one
setting of the sites that embed the widget (tests/conftest.py sets it for the session's servers).
"""

from __future__ import annotations

import json
import re
import time
from typing import Any, Dict, List

import pytest
from playwright.sync_api import Page, expect

from chat_page import KB, squash
from bot.engine.replies import disclaimer

pytestmark = pytest.mark.slow

GREETING_BUTTONS = [KB.topics[t].title for t in ("what_is", "serious", "treatment", "duration")]


def _words(text: str) -> List[str]:
    """A part's words, as any markdown renderer shows them ("1. " list markers drawn, not text)."""
    return re.findall(r"\w+", re.sub(r"(?m)^\d+\. ", "", text).lower())


def _sent(frames: List[str]) -> List[Dict[str, Any]]:
    """The ``bot_uttered`` messages among the socket.io frames the page received."""
    sent = []
    for frame in frames:
        if frame.startswith("42"):
            event, *data = json.loads(frame[2:])
            if event == "bot_uttered":
                sent.append(data[0])
    return sent


def _open(page: Page, outside_site: str, frames: List[str]) -> None:
    page.on("websocket", lambda ws: ws.on("framereceived", lambda f: frames.append(str(f))))
    page.goto(outside_site)
    expect(page.locator(".rw-response").first).to_contain_text(squash(disclaimer())[:60])


def _expect_all_shown(page: Page, frames: List[str], timeout_s: float = 10.0) -> None:
    """Every part sent is shown, in order, with the words it was sent with (rasa-webchat shows
    each part after a short typing animation)."""
    deadline = time.monotonic() + timeout_s
    while True:
        shown = [_words(t) for t in page.locator(".rw-response").all_inner_texts()]
        sent = [_words(m["text"]) for m in _sent(frames)]
        if shown == sent or time.monotonic() > deadline:
            break
        page.wait_for_timeout(200)
    assert shown == sent


def test_rasa_webchat_on_another_site_shows_every_answer_and_button(
        new_page, outside_site: str) -> None:
    page = new_page()
    frames: List[str] = []
    _open(page, outside_site, frames)
    assert page.evaluate("location.origin") != page.evaluate("window.__rasaUrl")
    expect(page.locator(".rw-reply")).to_have_text(GREETING_BUTTONS)
    sent = _sent(frames)
    assert all(set(m) <= {"text", "quick_replies"} for m in sent), sent  # Rasa's format only

    page.locator(".rw-reply", has_text=KB.topics["serious"].title).click()
    expect(page.locator(".rw-response").nth(len(sent))).to_be_visible()
    _expect_all_shown(page, frames)
    answered = _sent(frames)[len(sent):]
    assert answered and answered[-1].get("quick_replies")  # the answer's own buttons...
    expect(page.locator(".rw-reply").first).to_be_visible()  # ...are shown

    before = len(_sent(frames))
    page.locator(".rw-new-message").fill("how long does bone marrow edema take to go away")
    page.locator(".rw-new-message").press("Enter")
    expect(page.locator(".rw-response").nth(before)).to_be_visible()
    _expect_all_shown(page, frames)
    assert any("month" in m["text"] for m in _sent(frames)[before:])  # the article's answer
