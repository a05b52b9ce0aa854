"""What a test does on the widget or kiosk page, in a person's terms (ask, press, read)."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional

from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from bot.clinic.care_team import with_care_team
from bot.settings import care_team
from bot.engine.knowledge import Answer, load_knowledge
from bot.engine.replies import Reply, disclaimer

KB = load_knowledge()
# The four core questions: topic -> how a patient might type it.
CORE_QUESTIONS = {
    "what_is": "what is bone marrow edema?",
    "serious": "is bone marrow edema serious?",
    "treatment": "how is it treated?",
    "duration": "how long does it take to go away?",
}
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
# A 1280 x 800 window at 200% zoom lays pages out like this.
ZOOM_200 = {"width": 640, "height": 400}
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def squash(text: str) -> str:
    return " ".join(text.split())


def answer(topic: str) -> str:
    """The article answer the assistant gives for ``topic`` in a conversation without context."""
    return shown(KB.answer(topic))


def shown(answer: Answer) -> str:
    """An article answer as the assistant sends it: after one that names a doctor, the care
    team's card of the settings the servers run with (bot/clinic/care_team.py)."""
    return with_care_team(Reply(answer.full_text, answer_id=answer.answer_id), None, care_team()).text


def as_shown(text: str) -> str:
    """Bot text as the page shows it: a numbered list's "1. " markers are drawn, not text."""
    return re.sub(r"(?m)^\d+\. ", "", text)


# The texts of the bot messages after the newest user message, joined by spaces.
_REPLY_SINCE_QUESTION = """() => {
  const all = [...document.querySelectorAll('.bme-log .bme-message')], parts = [];
  for (let i = all.length - 1; i >= 0 && all[i].classList.contains('bme-message--bot'); i--) {
    parts.unshift(all[i].querySelector('.bme-text').textContent);
  }
  return parts.join(' ');
}"""


def expect_reply(page: Page, text: str, timeout_ms: int = 5000) -> None:
    """The bot messages since the newest user message are ``text`` (markdown as shown, whitespace
    squashed). Rasa's socket.io channel sends each paragraph as a message of its own, so an
    answer with a list of references comes as several bubbles."""
    expected = squash(as_shown(text))
    try:
        page.wait_for_function(
            f"expected => ({_REPLY_SINCE_QUESTION})().split(/\\s+/).filter(Boolean).join(' ')"
            " === expected", arg=expected, timeout=timeout_ms)
    except PlaywrightTimeout:
        assert squash(page.evaluate(_REPLY_SINCE_QUESTION)) == expected


def open_widget(page: Page, url: str) -> None:
    """Open the demo page and the widget; wait for the greeting and its quick replies."""
    page.goto(url)
    page.get_by_role("button", name="Questions about bone marrow edema?").click()
    expect(page.get_by_role("log", name="Conversation")).to_contain_text(disclaimer())
    expect(page.locator(".bme-reply").first).to_be_visible()


def open_kiosk(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.locator(".bme-message--bot").first).to_be_visible()


def bot_texts(page: Page) -> List[str]:
    return [squash(t) for t in page.locator(".bme-message--bot .bme-text").all_inner_texts()]


def user_texts(page: Page) -> List[str]:
    return [squash(t) for t in page.locator(".bme-message--user .bme-text").all_inner_texts()]


def type_question(page: Page, text: str) -> None:
    field = page.get_by_label("Your question").or_(page.get_by_label("Or type a question"))
    field.fill(text)
    field.press("Enter")


def expect_last_answer(page: Page, text: str) -> None:
    """The newest bot message is exactly ``text`` (compared with whitespace squashed)."""
    expect(page.locator(".bme-message--bot .bme-text").last).to_have_text(squash(text))


def run_axe(page: Page, axe_source: str, tags: Optional[List[str]] = WCAG_21_AA
            ) -> List[Dict[str, Any]]:
    """axe-core's violations on the page, as it is now (checking that axe ran): of the WCAG 2.1
    A/AA rules by default, of axe's own default rule set with ``tags=None``."""
    page.evaluate(axe_source)
    result = page.evaluate(
        "tags => axe.run(document, tags ? {runOnly: {type: 'tag', values: tags}} : {}).then(r => ({"
        "  version: r.testEngine.version, passes: r.passes.length,"
        "  violations: r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        "    nodes: v.nodes.map(n => n.target.join(' '))}))}))", tags)
    assert result["passes"] >= 10, f"axe {result['version']} checked almost nothing: {result}"
    return result["violations"]


def axe_violations(page: Page, axe_source: str) -> Dict[str, List[Dict[str, Any]]]:
    """axe-core's violations of both rule sets, by name: its default rules (best practices such
    as "all content is in landmarks" included) and the WCAG 2.1 A/AA rules."""
    return {"default rules": run_axe(page, axe_source, tags=None),
            "WCAG 2.1 AA": run_axe(page, axe_source)}


NO_AXE_VIOLATIONS: Dict[str, List[Dict[str, Any]]] = {"default rules": [], "WCAG 2.1 AA": []}
