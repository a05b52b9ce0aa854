"""The waiting-room kiosk, in Chromium, against the real Rasa and action servers."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from bot.replies import disclaimer
from chat_page import (CORE_QUESTIONS, DESKTOP, KB, PHONE, answer, bot_texts, expect_last_answer,
                       open_kiosk, squash, type_question, user_texts)

pytestmark = pytest.mark.slow


def main_question(page: Page, topic: str):
    return page.get_by_role("navigation", name="Main questions").get_by_role(
        "button", name=KB.topics[topic].title)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_big_buttons_answer_the_core_questions(new_page, web_url: str, viewport) -> None:
    page = new_page(viewport)
    open_kiosk(page, f"{web_url}/kiosk")
    for topic in CORE_QUESTIONS:
        box = main_question(page, topic).bounding_box()
        assert box and box["width"] >= 44 and box["height"] >= 44, (topic, box)
    for topic in CORE_QUESTIONS:
        main_question(page, topic).click()
        expect_last_answer(page, answer(topic))
        for button in page.get_by_role("button").all():
            if button.is_visible():
                box = button.bounding_box()
                assert box and box["width"] >= 44 and box["height"] >= 44, button.inner_text()
    # The disclaimer stays on screen, however long the conversation, and is not repeated in it.
    expect(page.locator(".kiosk-disclaimer")).to_have_text(disclaimer())
    expect(page.locator(".kiosk-disclaimer")).to_be_in_viewport()
    assert disclaimer() not in bot_texts(page)


def test_typing_is_optional_but_works(new_page, web_url: str) -> None:
    page = new_page()
    open_kiosk(page, f"{web_url}/kiosk")
    type_question(page, CORE_QUESTIONS["treatment"])
    expect_last_answer(page, answer("treatment"))


def test_idle_warning_still_here_then_full_reset(new_page, web_url: str) -> None:
    page = new_page()
    open_kiosk(page, f"{web_url}/kiosk?idle=2&warning=3")
    warning = page.get_by_role("dialog", name="Are you still there?")
    page.wait_for_timeout(3000)
    expect(warning).to_be_hidden()  # no one has used it yet: nothing to clear

    type_question(page, "I tore my ACL skiing")
    expect(page.locator(".bme-message--bot").last).to_contain_text("Thanks for telling me")
    expect(warning).to_be_visible(timeout=5000)
    expect(warning).to_contain_text("this screen will clear in")
    expect(page.get_by_role("button", name="I'm still here")).to_be_focused()
    page.get_by_role("button", name="I'm still here").click()
    expect(warning).to_be_hidden()
    assert user_texts(page) == ["I tore my ACL skiing"]  # kept
    page.wait_for_timeout(1000)
    expect(warning).to_be_hidden()  # the idle time starts again from the button press

    expect(warning).to_be_visible(timeout=5000)
    expect(warning).to_be_hidden(timeout=6000)  # no answer: the screen is reset
    expect(page.locator(".bme-message--user")).to_have_count(0)
    expect(page.locator(".bme-message--bot").first).to_be_visible()  # a new greeting
    assert "I tore my ACL skiing" not in page.content()
    assert page.evaluate("sessionStorage.length + localStorage.length") == 0
    # A new conversation: the injury is not carried over, so this is the general answer.
    main_question(page, "duration").click()
    expect_last_answer(page, answer("duration"))


def test_read_aloud_speaks_the_answers(new_page, web_url: str) -> None:
    page = new_page()
    open_kiosk(page, f"{web_url}/kiosk")
    read_aloud = page.get_by_role("button", name="Read aloud")
    main_question(page, "what_is").click()
    expect_last_answer(page, answer("what_is"))
    assert page.evaluate("window.__spoken") == []  # off until asked for

    read_aloud.click()
    expect(read_aloud).to_have_attribute("aria-pressed", "true")
    assert squash(page.evaluate("window.__spoken").pop()) == squash(answer("what_is"))
    main_question(page, "serious").click()
    expect_last_answer(page, answer("serious"))
    assert squash(page.evaluate("window.__spoken").pop()) == squash(answer("serious"))

    read_aloud.click()
    expect(read_aloud).to_have_attribute("aria-pressed", "false")
    assert page.evaluate("window.__spoken").pop() == "<cancel>"
