"""The chat widget on the demo clinic page, in Chromium, against the real Rasa and action servers."""

from __future__ import annotations

import re
from typing import List

import pytest
from playwright.sync_api import Page, WebSocketRoute, expect

from chat_page import (CORE_QUESTIONS, KB, answer, bot_texts, expect_last_answer, open_widget, shown,
                       type_question, user_texts)

pytestmark = pytest.mark.slow


def quick_replies(page: Page) -> List[str]:
    return page.locator(".bme-reply").all_inner_texts()


def test_the_four_core_questions_typed(new_page, web_url: str) -> None:
    page = new_page()
    open_widget(page, web_url)
    for topic, question in CORE_QUESTIONS.items():
        type_question(page, question)
        expect_last_answer(page, answer(topic))
        assert quick_replies(page) == [KB.topics[t].title for t in KB.topics[topic].next]
    assert user_texts(page) == list(CORE_QUESTIONS.values())


def test_the_four_core_questions_by_buttons(new_page, web_url: str) -> None:
    page = new_page()
    open_widget(page, web_url)
    titles = [KB.topics[topic].title for topic in CORE_QUESTIONS]
    assert quick_replies(page) == titles  # the greeting offers exactly the core questions
    for topic, title in zip(CORE_QUESTIONS, titles):
        if title not in quick_replies(page):  # not offered after the last answer: ask afresh
            page.get_by_role("button", name="Start over").click()
            expect(page.get_by_role("button", name=title)).to_be_visible()
        page.get_by_role("group", name="Suggested questions").get_by_role(
            "button", name=title).click()
        expect_last_answer(page, answer(topic))
        assert user_texts(page)[-1] == title  # the button's title is shown, not its payload


@pytest.mark.parametrize("text", [
    "<img src=x onerror=alert(1)>",
    "<script>alert('script ran')</script>",
])
def test_html_typed_by_the_user_is_shown_as_text(new_page, web_url: str, text: str) -> None:
    page = new_page()
    open_widget(page, web_url)
    answers = page.locator(".bme-message--bot")
    before = answers.count()
    type_question(page, text)
    expect(page.locator(".bme-message--user .bme-text").last).to_have_text(text)
    expect(answers).to_have_count(before + 1)  # the assistant answered it (and nothing ran)
    log = page.get_by_role("log", name="Conversation")
    assert log.locator("img, script").count() == 0
    page.wait_for_timeout(300)
    assert page.evaluate("window.__alerts") == []


def test_bot_text_markdown_subset_and_html_as_text(new_page, web_url: str) -> None:
    page = new_page()
    open_widget(page, web_url)
    html = page.evaluate("""text => {
        const box = document.createElement('div');
        box.append(BmeChat.renderMarkdown(text));
        return box.innerHTML;
    }""", "**Rest** helps. See [the article](https://example.org/a) or [x](javascript:alert(1))."
          "\n\n<img src=x onerror=alert(1)> and <script>alert(2)</script>"
          "\n\n- one\n- two")
    assert "<strong>Rest</strong>" in html
    assert re.search(r'<a href="https://example.org/a" target="_blank" rel="noopener noreferrer">'
                     r"the article</a>", html)
    assert "javascript:" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html
    assert "<img" not in html and "<script" not in html
    assert "<ul>" in html and "<li>one</li>" in html


def test_reload_keeps_the_conversation_and_start_over_clears_it(new_page, web_url: str) -> None:
    page = new_page()
    open_widget(page, web_url)
    type_question(page, "I tore my ACL skiing")
    expect(page.locator(".bme-message--bot").last).to_contain_text("Thanks for telling me")
    before = bot_texts(page)

    page.reload()
    expect(page.get_by_role("log", name="Conversation")).to_be_visible()  # still open
    assert bot_texts(page) == before
    assert user_texts(page) == ["I tore my ACL skiing"]
    # The same Rasa conversation goes on: the injury it was told about still shapes the answer.
    type_question(page, "how long does it last?")
    expect_last_answer(page, shown(KB.answer("duration", "injury")))

    page.get_by_role("button", name="Start over").click()
    expect(page.locator(".bme-message--user")).to_have_count(0)
    expect(page.locator(".bme-reply").first).to_be_visible()  # a new greeting
    type_question(page, "how long does it last?")
    expect_last_answer(page, answer("duration"))  # nothing carried over: the general answer
    page.reload()
    assert user_texts(page) == ["how long does it last?"]  # the new conversation is the one kept


def test_lost_connection_is_shown_and_typed_messages_wait(new_page, web_url: str) -> None:
    page = new_page()
    sockets: List[WebSocketRoute] = []
    cut = {"on": False}

    def through(ws: WebSocketRoute) -> None:  # a pass-through the test can cut
        if cut["on"]:
            ws.close()
            return
        ws.connect_to_server()
        sockets.append(ws)

    page.route_web_socket(re.compile(r".*/socket\.io/.*"), through)
    open_widget(page, web_url)
    status = page.get_by_role("status")
    for _ in range(100):  # socket.io may poll first and upgrade later: cut once the socket is there
        if sockets:
            break
        page.wait_for_timeout(50)
    assert sockets, "the widget never opened its websocket"

    cut["on"] = True
    page.route(re.compile(r".*/socket\.io/.*"), lambda route: route.abort())
    for ws in sockets:
        ws.close()
    expect(status).to_contain_text("Connection lost")
    type_question(page, "how long does it take to go away?")
    expect(page.locator(".bme-message--user").last).to_contain_text("Waiting to send")

    cut["on"] = False
    page.unroute(re.compile(r".*/socket\.io/.*"))
    expect(status).to_have_text("Connected again.")
    expect_last_answer(page, answer("duration"))
    expect(page.locator(".bme-pending")).to_have_count(0)
    expect(status).to_be_empty(timeout=10_000)  # the notice goes away by itself


def test_keyboard_only(new_page, web_url: str) -> None:
    page = new_page()
    page.goto(web_url)
    launcher = page.get_by_role("button", name="Questions about bone marrow edema?")
    for _ in range(10):  # skip link, site links, then the launcher
        page.keyboard.press("Tab")
        if launcher.evaluate("el => el === document.activeElement"):
            break
    expect(launcher).to_be_focused()
    assert launcher.evaluate("el => getComputedStyle(el).outlineStyle") != "none"
    page.keyboard.press("Enter")
    field = page.get_by_label("Your question")
    expect(field).to_be_focused()
    expect(page.locator(".bme-reply").first).to_be_visible()

    page.keyboard.type("what is bone marrow edema?")
    page.keyboard.press("Enter")
    expect_last_answer(page, answer("what_is"))

    reply = page.locator(".bme-reply").first
    title = reply.inner_text()
    for _ in range(20):
        page.keyboard.press("Shift+Tab")
        if reply.evaluate("el => el === document.activeElement"):
            break
    expect(reply).to_be_focused()
    assert reply.evaluate("el => getComputedStyle(el).outlineStyle") != "none"
    page.keyboard.press("Enter")
    expect(page.locator(".bme-message--user .bme-text").last).to_have_text(title)
    expect(field).to_be_focused()

    page.keyboard.press("Escape")
    expect(page.get_by_role("log", name="Conversation")).to_be_hidden()
    expect(launcher).to_be_focused()
    expect(launcher).to_have_attribute("aria-expanded", "false")
