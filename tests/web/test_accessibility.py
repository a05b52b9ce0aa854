"""axe-core on both pages (desktop and phone; its default rules and WCAG 2.1 AA), 200% zoom, and
the screenshots linked from the README (saved to reports/screenshots/)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from chat_page import (DESKTOP, NO_AXE_VIOLATIONS, PHONE, ZOOM_200, answer, axe_violations,
                       expect_last_answer, open_kiosk, open_widget, run_axe, type_question)

pytestmark = pytest.mark.slow
VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}


def widget_in_use(page: Page, url: str) -> None:
    open_widget(page, url)
    type_question(page, "how long does it take to go away?")
    expect_last_answer(page, answer("duration"))


def kiosk_in_use(page: Page, url: str) -> None:
    open_kiosk(page, f"{url}/kiosk")
    page.get_by_role("navigation", name="Main questions").get_by_role(
        "button", name="Is it serious?").click()
    expect_last_answer(page, answer("serious"))


SCENES = {"widget": widget_in_use, "kiosk": kiosk_in_use}


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("scene", SCENES)
def test_no_axe_violations_and_screenshot(new_page, web_url: str, axe_source: str,
                                          screenshots: Path, scene: str, viewport: str) -> None:
    page = new_page(VIEWPORTS[viewport])
    SCENES[scene](page, web_url)
    page.screenshot(path=str(screenshots / f"{scene}-{viewport}.png"))
    assert axe_violations(page, axe_source) == NO_AXE_VIOLATIONS


def test_no_axe_violations_with_the_idle_warning_open(new_page, web_url: str,
                                                      axe_source: str, screenshots: Path) -> None:
    page = new_page()
    open_kiosk(page, f"{web_url}/kiosk?idle=1&warning=60")
    page.get_by_role("navigation", name="Main questions").get_by_role(
        "button", name="What is it?").click()
    expect(page.get_by_role("dialog", name="Are you still there?")).to_be_visible(timeout=5000)
    page.screenshot(path=str(screenshots / "kiosk-idle-warning-desktop.png"))
    assert axe_violations(page, axe_source) == NO_AXE_VIOLATIONS


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_no_axe_violations_with_more_questions_open(new_page, web_url: str, axe_source: str,
                                                    screenshots: Path, viewport: str) -> None:
    page = new_page(VIEWPORTS[viewport])
    kiosk_in_use(page, web_url)
    page.get_by_role("button", name="More questions").click()
    expect(page.get_by_role("group", name="More questions")).to_be_visible()
    page.screenshot(path=str(screenshots / f"kiosk-more-questions-{viewport}.png"))
    assert axe_violations(page, axe_source) == NO_AXE_VIOLATIONS


def test_axe_default_rules_are_not_only_the_wcag_ones(new_page, web_url: str,
                                                      axe_source: str) -> None:
    """Text outside every landmark breaks a default rule ("region") but no WCAG rule: both rule
    sets are really run."""
    page = new_page()
    open_kiosk(page, f"{web_url}/kiosk")
    page.evaluate("document.body.prepend(Object.assign(document.createElement('p'),"
                  " {textContent: 'Outside every landmark'}))")
    assert [v["id"] for v in run_axe(page, axe_source, tags=None)] == ["region"]
    assert run_axe(page, axe_source) == []


@pytest.mark.parametrize("scene", SCENES)
def test_usable_at_200_percent_zoom(new_page, web_url: str, scene: str) -> None:
    page = new_page(ZOOM_200)
    SCENES[scene](page, web_url)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), \
        "the page scrolls sideways"
    for control in [page.get_by_role("button", name="Send"),
                    page.get_by_role("button", name="Start over"),
                    page.get_by_role("textbox")]:
        control.scroll_into_view_if_needed()
        box = control.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= ZOOM_200["width"]
        expect(control).to_be_in_viewport()
    type_question(page, "is bone marrow edema serious?")
    expect_last_answer(page, answer("serious"))


@pytest.mark.parametrize("viewport", {"zoom-200": ZOOM_200, "phone": PHONE})
def test_more_questions_fit_at_200_percent_zoom_and_on_a_phone(new_page, web_url: str,
                                                               viewport: str) -> None:
    size = {"zoom-200": ZOOM_200, "phone": PHONE}[viewport]
    page = new_page(size)
    kiosk_in_use(page, web_url)
    page.get_by_role("button", name="More questions").click()
    grid = page.get_by_role("group", name="More questions")
    buttons = grid.get_by_role("button").all()
    assert len(buttons) >= 2
    expect(buttons[0]).to_be_focused()  # and in sight, not under the disclaimer
    assert buttons[0].evaluate("b => { const r = b.getBoundingClientRect();"
                               " return document.elementFromPoint(r.x + r.width / 2,"
                               " r.y + r.height / 2) === b; }")
    for control in [*buttons, page.get_by_role("button", name="More questions")]:
        control.scroll_into_view_if_needed()
        expect(control).to_be_in_viewport()
        box = control.bounding_box()
        assert box and box["width"] >= 44 and box["height"] >= 44, (control, box)
        assert box["x"] >= 0 and box["x"] + box["width"] <= size["width"], (control, box)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), \
        "the page scrolls sideways"
    expect(page.locator(".kiosk-disclaimer")).to_be_in_viewport()
