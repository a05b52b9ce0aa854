"""The Spanish warning-sign rules: every written case escalates or not, told however it is told."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

from bot.engine.knowledge import load_yaml, speaking
from bot.engine.spanish import fold_for_rules, spanish_red_flags, spanish_reply, spanish_warning
from bot.engine.selection import State

CASES = Path(__file__).resolve().parents[1] / "data" / "eval" / "development" / "es" / "red_flags.yml"


def cases() -> Dict[str, Any]:
    with open(CASES, encoding="utf-8") as handle:
        return load_yaml(handle)


def escalating() -> List[Tuple[str, str]]:
    return [(str(kind), str(text)) for kind, text in cases()["escalate"]]


@pytest.mark.parametrize("kind, text", escalating())
def test_every_warning_sign_told_now_escalates_with_its_message(kind: str, text: str) -> None:
    found = spanish_red_flags().check(fold_for_rules(text))
    assert found is not None and not found.settled and found.message == kind


@pytest.mark.parametrize("text", cases()["no_escalation"])
def test_settled_stories_worries_and_questions_do_not(text: str) -> None:
    assert spanish_warning(text) is None


def test_the_spanish_messages_give_the_numbers_of_the_english_file() -> None:
    messages = spanish_red_flags().messages
    assert "911" in messages["emergency"] and "988" in messages["crisis"]
    assert "{" not in " ".join(messages.values())


def test_a_warning_sign_gets_the_spanish_urgent_message_and_nothing_else() -> None:
    with speaking("es"):
        reply = spanish_reply("mi papa se cayo y no puede pararse, que hago", None, State())
    assert reply.answer_id == "urgent/emergency" and "911" in reply.text and not reply.buttons


def test_the_english_guards_finding_escalates_a_spanish_conversation_too() -> None:
    with speaking("es"):
        reply = spanish_reply("chest pain right now", None, State(), red_flag="emergency/now")
    assert reply.answer_id == "urgent/emergency" and "emergencia" in reply.text


def test_every_spanish_answer_and_decline_ends_with_the_standing_emergency_line() -> None:
    with speaking("es"):
        standing = spanish_red_flags().messages["standing"]
        answer = spanish_reply("/ask_serious", "ask_serious", State())
        decline = spanish_reply("cual es el clima hoy en lima", None, State())
        greeting = spanish_reply("/greet", "greet", State())
    assert answer.text.endswith(standing) and "911" in standing and "988" in standing
    assert decline.text.endswith(standing)
    assert standing not in greeting.text
