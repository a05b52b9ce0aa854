"""WCAG 2.1 AA checks with axe-core on both pages (desktop and phone), 200% zoom, and the
screenshots linked from the README (saved to reports/screenshots/)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from chat_page import (DESKTOP, PHONE, ZOOM_200, answer, expect_last_answer, open_kiosk,
                       open_widget, run_axe, type_question)

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
    assert run_axe(page, axe_source) == []


def test_no_axe_violations_with_the_idle_warning_open(new_page, web_url: str,
                                                      axe_source: str, screenshots: Path) -> None:
    page = new_page()
    open_kiosk(page, f"{web_url}/kiosk?idle=1&warning=60")
    page.get_by_role("navigation", name="Main questions").get_by_role(
        "button", name="What is it?").click()
    expect(page.get_by_role("dialog", name="Are you still there?")).to_be_visible(timeout=5000)
    page.screenshot(path=str(screenshots / "kiosk-idle-warning-desktop.png"))
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
