"""Spanish on the widget and the kiosk: the visible switch, every label and reply in the chosen
language with the right ``lang``, the choice kept through "Start over", and axe in both."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from chat_page import (NO_AXE_VIOLATIONS, axe_violations, expect_reply, open_kiosk,
                       open_widget, squash)
from bot.engine.knowledge import load_knowledge, speaking
from bot.clinic.care_team import with_care_team
from bot.engine.replies import Reply, disclaimer
from bot.settings import care_team
from bot.engine.spanish import spanish_red_flags

pytestmark = pytest.mark.slow

with speaking("es"):
    SPANISH_DISCLAIMER = squash(disclaimer())
    # the answer, the standing emergency line of every Spanish answer, then the care team's card
    _serious = load_knowledge().answer("serious")
    SERIOUS_ES = squash(with_care_team(Reply(
        f"{_serious.full_text}\n\n{spanish_red_flags().messages['standing']}",
        answer_id=_serious.answer_id), None, care_team()).text)
    SERIOUS_TITLE_ES = load_knowledge().topics["serious"].title


def test_the_widget_switches_to_spanish_and_keeps_it_through_start_over(
        new_page, web_url: str, axe_source: str) -> None:
    page: Page = new_page()
    open_widget(page, web_url)
    page.get_by_role("button", name="Cambiar a español").click()
    log = page.get_by_role("log", name="Conversación")
    expect(log).to_contain_text("ahora hablamos en español")
    expect(page.locator(".bme-panel")).to_have_attribute("lang", "es")
    expect(page.get_by_role("button", name="Enviar")).to_be_visible()
    page.get_by_label("Su pregunta").fill("mi mamá tiene edema óseo en la rodilla, ¿es grave?")
    page.get_by_label("Su pregunta").press("Enter")
    expect(page.locator(".bme-feedback-question")).to_have_text("¿Le fue útil esta respuesta?")
    expect(page.locator(".bme-message--bot").last).to_have_attribute("lang", "es")
    expect(page.locator(".bme-review").last).to_contain_text("traductor médico")
    assert axe_violations(page, axe_source) == NO_AXE_VIOLATIONS
    page.get_by_role("button", name="Empezar de nuevo").click()
    expect(log).to_contain_text(SPANISH_DISCLAIMER, timeout=15_000)  # a new one, in Spanish
    expect(log).to_contain_text("¡Hola!")
    page.get_by_role("button", name="Switch to English").click()
    expect(page.get_by_role("log", name="Conversation")).to_contain_text("in English now")
    expect(page.locator(".bme-panel")).to_have_attribute("lang", "en")


def test_the_kiosk_starts_in_spanish_and_switches_in_place(new_page, web_url: str,
                                                           axe_source: str) -> None:
    page: Page = new_page()
    open_kiosk(page, f"{web_url}/kiosk?lang=es")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_have_text("Preguntas sobre el edema de médula ósea")
    expect(page.locator("#kiosk-disclaimer")).to_have_text(SPANISH_DISCLAIMER)
    page.get_by_role("navigation", name="Preguntas principales").get_by_role(
        "button", name=SERIOUS_TITLE_ES).click()
    expect_reply(page, SERIOUS_ES)  # socket.io sends each paragraph as a message of its own
    assert axe_violations(page, axe_source) == NO_AXE_VIOLATIONS
    page.get_by_role("button", name="Switch to English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Questions about bone marrow edema")
    expect(page.get_by_role("navigation", name="Main questions").get_by_role(
        "button", name="Is it serious?")).to_be_visible()
    assert axe_violations(page, axe_source) == NO_AXE_VIOLATIONS


def test_the_kiosks_idle_reset_returns_to_its_own_language_for_the_next_person(
        new_page, web_url: str) -> None:
    page: Page = new_page()
    open_kiosk(page, f"{web_url}/kiosk?lang=es&idle=2&warning=1")
    page.get_by_role("button", name="Switch to English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_label("Or type a question").fill("is it serious?")
    page.get_by_label("Or type a question").press("Enter")
    expect(page.locator("html")).to_have_attribute("lang", "es", timeout=15_000)  # a new person
    expect(page.locator("#kiosk-disclaimer")).to_have_text(SPANISH_DISCLAIMER)
