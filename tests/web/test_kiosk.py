"""The waiting-room kiosk, in Chromium, against the real Rasa and action servers."""

from __future__ import annotations

from typing import List

import pytest
from playwright.sync_api import Locator, Page, expect

from bot.engine.replies import disclaimer
from bot.web.app import main_question_topics
from chat_page import (CORE_QUESTIONS, DESKTOP, KB, PHONE, answer, bot_texts, expect_last_answer,
                       expect_reply, open_kiosk, squash, type_question, user_texts)

pytestmark = pytest.mark.slow
MAIN = main_question_topics()
OTHERS = [topic for topic in KB.topics if topic not in MAIN]


def main_question(page: Page, topic: str) -> Locator:
    return page.get_by_role("navigation", name="Main questions").get_by_role(
        "button", name=KB.topics[topic].title, exact=True)


def more_toggle(page: Page) -> Locator:
    return page.get_by_role("button", name="More questions")


def more_grid(page: Page) -> Locator:
    return page.get_by_role("group", name="More questions")


def more_question(page: Page, topic: str) -> Locator:
    return more_grid(page).get_by_role("button", name=KB.topics[topic].title, exact=True)


def visible_buttons(page: Page) -> List[str]:
    return [squash(button.inner_text()) for button in page.get_by_role("button").all()
            if button.is_visible()]


def quick_replies(page: Page) -> List[str]:
    return [squash(t) for t in page.locator(".bme-reply").all_inner_texts()]


def expect_once_each(page: Page) -> None:
    labels = visible_buttons(page)
    assert sorted(set(labels)) == sorted(labels), f"a button is shown twice: {labels}"


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


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_no_question_is_offered_twice(new_page, web_url: str, viewport) -> None:
    page = new_page(viewport)
    open_kiosk(page, f"{web_url}/kiosk")
    # The greeting offers the main questions, which are on screen already as big buttons.
    expect(page.get_by_role("group", name="Suggested questions")).to_be_hidden()
    assert quick_replies(page) == []
    expect_once_each(page)
    for topic in MAIN:
        expect(main_question(page, topic)).to_be_visible()

    # After an answer, only the follow-ups that are not big buttons are offered.
    main_question(page, "what_is").click()
    expect_last_answer(page, answer("what_is"))
    follow_ups = [KB.topics[t].title for t in KB.topics["what_is"].next if t not in MAIN]
    assert follow_ups, "what_is should suggest a topic that is not a main question"
    expect(page.locator(".bme-reply")).to_have_text(follow_ups)
    expect_once_each(page)
    page.get_by_role("group", name="Suggested questions").get_by_role(
        "button", name=follow_ups[0]).click()
    follow_up = next(t for t in KB.topics if KB.topics[t].title == follow_ups[0])
    expect_last_answer(page, answer(follow_up))
    expect(page.locator(".bme-reply")).to_have_text(
        [KB.topics[t].title for t in KB.topics[follow_up].next if t not in MAIN])
    expect_once_each(page)

    # The grid of other topics takes the conversation's place: its quick replies go with it.
    more_toggle(page).click()
    expect(more_grid(page)).to_be_visible()
    expect(page.get_by_role("group", name="Suggested questions")).to_be_hidden()
    expect_once_each(page)
    more_toggle(page).click()  # closed again: the conversation and its quick replies are back
    expect(more_grid(page)).to_be_hidden()
    expect(page.locator(".bme-message--bot .bme-text").last).to_be_in_viewport()
    expect(page.get_by_role("group", name="Suggested questions")).to_be_visible()
    expect_once_each(page)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_every_topic_can_be_asked_by_touch(new_page, web_url: str, viewport) -> None:
    page = new_page(viewport)
    open_kiosk(page, f"{web_url}/kiosk")
    toggle = more_toggle(page)
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(more_grid(page)).to_be_hidden()
    for topic in KB.topics:
        title = KB.topics[topic].title
        if topic in MAIN:
            main_question(page, topic).click()
        else:
            toggle.click()
            expect(toggle).to_have_attribute("aria-expanded", "true")
            expect(more_grid(page)).to_be_visible()
            expect(more_grid(page).get_by_role("button")).to_have_text(
                [KB.topics[t].title for t in OTHERS])
            button = more_question(page, topic)
            button.scroll_into_view_if_needed()
            box = button.bounding_box()
            assert box and box["width"] >= 44 and box["height"] >= 44, (topic, box)
            assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], (topic, box)
            button.click()
            expect(toggle).to_have_attribute("aria-expanded", "false")  # it closes itself
            expect(more_grid(page)).to_be_hidden()
        expect(page.locator(".bme-message--user .bme-text").last).to_have_text(title)
        expect_reply(page, answer(topic))
    assert user_texts(page) == [KB.topics[topic].title for topic in KB.topics]
    expect(page.locator(".kiosk-disclaimer")).to_be_in_viewport()


def test_more_questions_by_keyboard(new_page, web_url: str) -> None:
    page = new_page()
    open_kiosk(page, f"{web_url}/kiosk")
    toggle = more_toggle(page)
    expect(toggle).to_have_attribute("aria-controls", "kiosk-more")
    toggle.focus()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(more_question(page, OTHERS[0])).to_be_focused()  # into the grid it opened
    page.keyboard.press("Tab")
    expect(more_question(page, OTHERS[1])).to_be_focused()
    page.keyboard.press("Escape")  # closes it, back to the toggle
    expect(more_grid(page)).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_be_focused()

    page.keyboard.press("Space")
    expect(more_question(page, OTHERS[0])).to_be_focused()
    last = OTHERS[-1]
    for _ in OTHERS[1:]:
        page.keyboard.press("Tab")
    expect(more_question(page, last)).to_be_focused()
    page.keyboard.press("Tab")  # then on to the main questions below it
    expect(main_question(page, MAIN[0])).to_be_focused()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    expect(more_grid(page)).to_be_hidden()
    expect(toggle).to_be_focused()  # not lost with the grid
    expect(page.locator(".bme-message--user .bme-text").last).to_have_text(KB.topics[last].title)
    expect_reply(page, answer(last))
