"""Property-based fuzzing of the red-flag check (hypothesis, thousands of generated inputs)."""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.safety import find_red_flag, normalise

CASES = yaml.safe_load((Path(__file__).parent.parent / "data" / "red_flag_cases.yml").read_text())
# Padding that cannot join onto a word of the message: sentences before and after it.
PADDING = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80).map(
    lambda s: f"{s}. ")


@settings(max_examples=2000, deadline=None)
@given(st.text(max_size=3000))
def test_any_text_is_checked_without_error(text: str) -> None:
    flag = find_red_flag(text)
    assert flag is None or flag.message in {"emergency", "crisis", "overdose"}


@settings(max_examples=1000, deadline=None)
@given(case=st.sampled_from(CASES["escalate"]), before=PADDING, after=PADDING,
       shout=st.booleans())
def test_a_warning_sign_escalates_wherever_it_stands_in_a_message(
    case: list, before: str, after: str, shout: bool
) -> None:
    kind, message = case
    text = f"{before}{message.upper() if shout else message} .{after}"
    flag = find_red_flag(text)
    assert flag is not None and flag.message == kind


@settings(max_examples=1000, deadline=None)
@given(st.text(max_size=500))
def test_normalise_is_idempotent(text: str) -> None:
    assert normalise(normalise(text)) == normalise(text)
