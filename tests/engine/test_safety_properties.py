"""Property-based fuzzing of the red-flag check (hypothesis, thousands of generated inputs)."""

from __future__ import annotations

from pathlib import Path


from bot.engine.knowledge import load_yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.engine.safety import NEVER_SETTLED, find_red_flag, load_red_flags, normalise

CASES = load_yaml((Path(__file__).parents[1] / "data" / "eval" / "development" / "red_flags.yml").read_text())
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


# --- Settled stories: the settled reading never hides a warning sign that is going on. ---

STORIES = [message for message in CASES["no_escalation"] if len(message.split()) >= 30]
NEVER_SETTLED_CASES = [case for case in CASES["escalate"] if case[0] in NEVER_SETTLED]
RULE_ORDER = {rule.id: index for index, rule in enumerate(load_red_flags().rules)}
SETTLED_WORDS = ["weeks ago", "back in March", "last year", "at the time", "years ago", "in 2019",
                 "it settled", "it has healed", "I'm fine now", "it all cleared up", "as a child"]


@settings(max_examples=500, deadline=None)
@given(case=st.sampled_from(NEVER_SETTLED_CASES), before=st.lists(st.sampled_from(SETTLED_WORDS)),
       after=st.lists(st.sampled_from(SETTLED_WORDS)), joint=st.sampled_from([" ", ", ", " and "]))
def test_no_past_or_resolved_words_settle_self_harm_or_overdose(
    case: list, before: list, after: list, joint: str
) -> None:
    kind, message = case
    flag = find_red_flag(joint.join([*before, message, *after]))
    assert flag is not None and flag.message == kind


@settings(max_examples=1000, deadline=None)
@given(case=st.sampled_from(CASES["escalate"]), story=st.sampled_from(STORIES),
       story_first=st.booleans())
def test_a_settled_story_next_to_a_warning_sign_never_hides_it(
    case: list, story: str, story_first: bool
) -> None:
    kind, message = case
    alone = find_red_flag(message)
    flag = find_red_flag(f"{story} {message}." if story_first else f"{message}. {story}")
    # The same rule, or one before it when the story's words join a word going on in the case
    # (escalating is the safe side: "since the accident" + the story's "couldn't walk").
    assert alone is not None and flag is not None and RULE_ORDER[flag.id] <= RULE_ORDER[alone.id]


@settings(max_examples=500, deadline=None)
@given(story=st.sampled_from(STORIES), before=PADDING, after=PADDING)
def test_a_settled_story_stays_settled_wherever_it_stands_in_a_message(
    story: str, before: str, after: str
) -> None:
    assert find_red_flag(f"{before}{story} .{after}") is None
