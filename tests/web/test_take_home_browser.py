"""The take-home summary in Chromium: from the kiosk and the widget to the printed page and the QR
code, with nothing personal in either, and still there after the conversation is gone."""

from __future__ import annotations

import contextlib
import io
import re
import sqlite3
import unicodedata
from pathlib import Path
from typing import List
from urllib.parse import parse_qs, urlsplit

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from chat_page import answer, expect_last_answer, open_kiosk, open_widget, run_axe, type_question

from bot.engine.knowledge import load_knowledge

pytestmark = pytest.mark.slow
KB = load_knowledge()
# The three questions asked on the kiosk, and the answers they get (a conversation without context).
ASKED = {"what_is": "What is it?", "serious": "Is it serious?", "duration": "How long it lasts"}
CONVERSATION_ID = re.compile(r"\b[0-9a-f]{32}\b")


def squash(text: str) -> str:
    return " ".join(text.split())


def first_sentences(topic: str) -> str:
    """The start of the topic's answer, as a page shows it (whitespace squashed)."""
    return squash(answer(topic).split("\n\n")[0])[:80]


def ask_three_on_the_kiosk(page: Page, url: str) -> None:
    open_kiosk(page, f"{url}/kiosk")
    main = page.get_by_role("navigation", name="Main questions")
    for topic, title in ASKED.items():
        main.get_by_role("button", name=title).click()
        expect_last_answer(page, answer(topic))


def qr_target(page: Page) -> str:
    """Decode the QR code drawn on the summary page, as a phone's camera would."""
    png = page.locator("svg.qr").screenshot()
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(decoded) == 1, "no QR code found on the page"
    return decoded[0].text


def summary_texts(page: Page) -> List[str]:
    return [squash(t) for t in page.locator("article.entry").all_inner_texts()]


def test_kiosk_take_home_print_and_qr(new_page, web_url: str, servers, axe_source: str,
                                     screenshots: Path) -> None:
    page = new_page()
    ask_three_on_the_kiosk(page, web_url)
    page.get_by_role("button", name="Take this home").click()
    dialog = page.get_by_role("dialog", name="Take your answers home")
    expect(dialog).to_be_visible()
    frame = page.frame_locator("#kiosk-summary-page")
    expect(frame.locator("article.entry")).to_have_count(3)
    expect(frame.get_by_role("button", name="Print")).to_be_visible()
    src = page.locator("#kiosk-summary-page").get_attribute("src") or ""
    query = parse_qs(urlsplit(src).query)
    assert set(query) == {"v", "a"}  # only the content version and answer ids
    ids = query["a"][0].split(",")
    assert ids == [KB.answer(topic).answer_id for topic in ASKED]

    summary = new_page()
    summary.goto(f"{web_url}{src}")
    texts = summary_texts(summary)
    assert len(texts) == 3
    for text, topic in zip(texts, ASKED):
        assert first_sentences(topic) in text
    assert run_axe(summary, axe_source) == [] and run_axe(summary, axe_source, tags=None) == []
    # printed (Chromium's PDF): the three answers, the disclaimer, the urgent numbers, no id
    printed = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(summary.pdf())).pages)
    printed = squash(unicodedata.normalize("NFKC", printed))  # the PDF's ligatures: "ﬂ" -> "fl"
    for topic in ASKED:
        assert first_sentences(topic)[:40] in printed
    assert "911" in printed and "computer program" in printed
    assert not CONVERSATION_ID.search(printed) and not CONVERSATION_ID.search(summary.content())
    # the QR code leads to this same summary, by its public address
    target = qr_target(summary)
    assert parse_qs(urlsplit(target).query) == query
    phone = new_page({"width": 360, "height": 740})
    phone.goto(target)
    assert summary_texts(phone) == texts
    phone.screenshot(path=str(screenshots / "summary-phone.png"), full_page=True)

    # the summary does not need the conversation: empty the tracker store, it still renders
    with contextlib.closing(sqlite3.connect(servers.db_path)) as db:
        db.execute("DELETE FROM events")
        db.commit()
    phone.reload()
    assert summary_texts(phone) == texts


def test_idle_reset_clears_the_summary(new_page, web_url: str) -> None:
    page = new_page()
    open_kiosk(page, f"{web_url}/kiosk?idle=3&warning=1")
    take_home = page.get_by_role("button", name="Take this home")
    expect(take_home).to_be_hidden()  # nothing answered yet
    page.get_by_role("navigation", name="Main questions").get_by_role(
        "button", name="What is it?").click()
    expect_last_answer(page, answer("what_is"))
    take_home.click()
    expect(page.get_by_role("dialog", name="Take your answers home")).to_be_visible()
    expect(page.get_by_role("dialog", name="Take your answers home")).to_be_hidden(timeout=10_000)
    assert page.locator("#kiosk-summary-page").get_attribute("src") == "about:blank"
    expect(take_home).to_be_hidden()


def test_widget_take_home_link(new_page, web_url: str) -> None:
    page = new_page()
    open_widget(page, web_url)
    link = page.get_by_role("link", name="Take this home")
    expect(link).to_be_hidden()
    type_question(page, "is it serious?")
    expect_last_answer(page, answer("serious"))
    expect(link).to_be_visible()
    href = link.get_attribute("href") or ""
    assert href.startswith(f"{web_url}/summary?v=") and set(parse_qs(urlsplit(href).query)) == {
        "v", "a"}
    page.get_by_role("button", name="Start over").click()
    expect(link).to_be_hidden()


def test_a_kiosk_with_a_printer_prints_at_one_touch(new_page, web_url: str) -> None:
    page = new_page()
    page.context.add_init_script("window.print = () => { window.top.__printed = location.href; };")
    open_kiosk(page, f"{web_url}/kiosk?print=1")
    page.get_by_role("navigation", name="Main questions").get_by_role(
        "button", name="What is it?").click()
    expect_last_answer(page, answer("what_is"))
    page.get_by_role("button", name="Take this home").click()
    page.wait_for_function("() => Boolean(window.__printed)")
    printed = page.evaluate("window.__printed")
    assert "/summary?v=" in printed and parse_qs(urlsplit(printed).query)["a"] == [
        KB.answer("what_is").answer_id]
