"""The clinic's side in Chromium: feedback and "delete my chat" from the widget and kiosk, the
review note under answers, and the staff dashboard (login, axe-core, screenshot)."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from pathlib import Path
from typing import List

import pytest
from playwright.sync_api import Page, expect

from chat_page import (DESKTOP, PHONE, answer, expect_last_answer, open_kiosk, open_widget,
                       run_axe, type_question)

from bot.engine.replies import load_replies

pytestmark = pytest.mark.slow
REPLIES = load_replies()
STAFF_PASSWORD = "staff password of the tests"  # tests/conftest.py STAFF_PASSWORD


def stored_rows(db: Path, sender: str) -> List[str]:
    with contextlib.closing(sqlite3.connect(db)) as connection:
        return [r[0] for r in connection.execute("SELECT data FROM events WHERE sender_id = ?",
                                                 (sender,))]


def widget_session(page: Page) -> str:
    return json.loads(page.evaluate("sessionStorage.getItem('bme-widget')"))["sessionId"]


def test_widget_feedback_reaches_the_dashboard(new_page, web_url: str, servers, staff_get) -> None:
    page = new_page()
    open_widget(page, web_url)
    type_question(page, "how long does it take to go away?")
    expect_last_answer(page, answer("duration"))
    last = page.locator(".bme-message--bot").last
    expect(last.locator(".bme-review")).to_have_text(
        "This answer has not yet been checked by a clinician at this clinic.")
    group = last.get_by_role("group", name=REPLIES.feedback_question)
    expect(group).to_be_visible()
    # the feedback buttons are under the answer, not among the suggested questions
    assert "Helpful" not in page.locator(".bme-reply").all_inner_texts()
    group.get_by_role("button", name="Not helpful").click()
    expect(page.locator(".bme-message--bot .bme-text").last).to_have_text(
        REPLIES.get("feedback_not_helpful")[0])
    expect(group).to_have_count(0)  # asked once
    page.get_by_role("group", name="Suggested questions").get_by_role(
        "button", name="It worried me").click()
    expect(page.locator(".bme-message--bot .bme-text").last).to_contain_text("doctor or nurse")
    session = widget_session(page)
    status, csv = staff_get(servers.web_url, "/staff/export.csv?from=2000-01-01")
    assert status == 200
    assert "feedback,duration/general,not_helpful," in csv
    assert "feedback,duration/general,worried," in csv
    assert session not in csv
    # the next question is answered as usual
    type_question(page, "is it serious?")
    expect_last_answer(page, answer("serious"))


def test_widget_delete_my_chat_removes_it_from_the_store(new_page, web_url: str, servers) -> None:
    page = new_page()
    open_widget(page, web_url)
    type_question(page, "what is it?")
    expect_last_answer(page, answer("what_is"))
    session = widget_session(page)
    assert stored_rows(servers.db_path, session)
    page.get_by_role("button", name="Delete chat").click()
    expect(page.locator(".bme-message--bot .bme-text").last).to_have_text(
        REPLIES.get("chat_deleted")[0])
    expect(page.locator(".bme-message--user")).to_have_count(0)  # the page forgot it too
    page.wait_for_timeout(300)
    assert stored_rows(servers.db_path, session) == []
    assert widget_session(page) != session


def test_kiosk_review_note_feedback_and_delete(new_page, web_url: str, servers) -> None:
    page = new_page()
    open_kiosk(page, f"{web_url}/kiosk")
    page.get_by_role("navigation", name="Main questions").get_by_role(
        "button", name="Is it serious?").click()
    expect_last_answer(page, answer("serious"))
    last = page.locator(".bme-message--bot").last
    expect(last.locator(".bme-review")).to_be_visible()
    last.get_by_role("button", name="Helpful", exact=True).click()
    expect(page.locator(".bme-message--bot .bme-text").last).to_have_text(
        REPLIES.get("feedback_helpful")[0])
    page.get_by_role("button", name="Delete my chat").click()
    expect(page.locator(".bme-message--bot .bme-text").last).to_have_text(
        REPLIES.get("chat_deleted")[0])
    expect(page.locator(".bme-message--user")).to_have_count(0)


@pytest.mark.parametrize("viewport", {"desktop": DESKTOP, "phone": PHONE})
def test_dashboard_login_axe_and_screenshot(new_page, web_url: str, axe_source: str,
                                            screenshots: Path, viewport: str) -> None:
    page = new_page({"desktop": DESKTOP, "phone": PHONE}[viewport])
    page.goto(f"{web_url}/staff")
    expect(page.get_by_role("heading", name="Staff login")).to_be_visible()  # no login, no page
    assert run_axe(page, axe_source) == [] and run_axe(page, axe_source, tags=None) == []
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_have_text("That password is not right.")
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Staff dashboard")).to_be_visible()
    page.get_by_label("From").fill("2000-01-01")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", name="Feedback on answers")).to_be_visible()
    page.screenshot(path=str(screenshots / f"dashboard-{viewport}.png"), full_page=True)
    assert run_axe(page, axe_source) == []
    assert run_axe(page, axe_source, tags=None) == []
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Staff login")).to_be_visible()
