"""The deterministic red-flag check: every listed warning sign escalates, ordinary questions do not."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict

import pytest
import yaml

from bot.knowledge import ContentError
from bot.safety import find_red_flag, load_red_flags, normalise, parse_red_flags, urgent_message

CASES: Dict[str, Any] = yaml.safe_load(
    (Path(__file__).parent.parent / "data" / "red_flag_cases.yml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("kind, message", CASES["escalate"])
def test_warning_signs_escalate(kind: str, message: str) -> None:
    flag = find_red_flag(message)
    assert flag is not None, f"not escalated: {message!r}"
    assert flag.message == kind


@pytest.mark.parametrize("message", CASES["no_escalation"])
def test_ordinary_questions_do_not_escalate(message: str) -> None:
    assert find_red_flag(message) is None


def test_every_rule_is_exercised_by_a_case() -> None:
    matched = {find_red_flag(message).id for _, message in CASES["escalate"]}  # type: ignore[union-attr]
    assert matched == {rule.id for rule in load_red_flags().rules}


def test_normalise_folds_case_apostrophes_and_spaces() -> None:
    assert normalise("  I CAN\u2019T\n  stand ") == "i can't stand"


@pytest.mark.parametrize("kind, must_contain", [
    ("emergency", "911"),
    ("crisis", "988"),
    ("overdose", "1-800-222-1222"),
    ("unknown-kind", "911"),  # anything unexpected gets the general emergency message
])
def test_urgent_messages_name_the_number_to_call(kind: str, must_contain: str) -> None:
    assert must_contain in urgent_message(kind)


def test_bad_rules_name_the_rule_and_the_fix() -> None:
    raw = {"messages": {"emergency": "call"},
           "rules": [{"id": "broken", "message": "emergency", "all": [["(unclosed"]]}]}
    with pytest.raises(ContentError, match="broken: bad pattern"):
        parse_red_flags(raw)
    raw["rules"][0].update(message="nope", all=[["x"]])
    with pytest.raises(ContentError, match="broken: `message:` must be one of"):
        parse_red_flags(raw)
