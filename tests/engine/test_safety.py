"""The deterministic red-flag check: every listed warning sign escalates, ordinary questions do not."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Optional, Any, Dict

import pytest

from bot.engine.knowledge import ContentError, load_yaml
from bot.engine.safety import (NEVER_SETTLED, StoryMarkers, find_red_flag, load_red_flags, normalise,
                        read_flag_value,
                        parse_red_flags, urgent_message)

CASES: Dict[str, Any] = load_yaml(
    (Path(__file__).parents[1] / "data" / "eval" / "development" / "red_flags.yml").read_text(encoding="utf-8"))


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


# --- Settled stories (red_flags.yml `settled:`): a past, settled event told as a story. ---

STORIES = [message for message in CASES["no_escalation"] if len(message.split()) >= 30]
URGENT_STORIES = [message for _, message in CASES["escalate"] if len(message.split()) >= 30]
NEVER_SETTLED_CASES = [case for case in CASES["escalate"] if case[0] in NEVER_SETTLED]


def test_the_cases_hold_enough_stories_of_patient_length() -> None:
    assert len(STORIES) >= 12 and len(URGENT_STORIES) >= 10
    assert all(len(message.split()) <= 80 for message in STORIES + URGENT_STORIES)


@pytest.mark.parametrize("message", STORIES)
def test_each_settled_story_tells_a_warning_sign_that_only_the_settled_reading_sets_aside(
    message: str
) -> None:
    without_reading = replace(load_red_flags(), markers=StoryMarkers())
    assert without_reading.check(message) is not None, "no rule matches: this story tests nothing"


def test_crisis_and_overdose_rules_are_never_settled() -> None:
    rules = load_red_flags().rules
    assert {rule.message for rule in rules if rule.may_be_settled} == {"emergency"}
    assert not [rule.id for rule in rules if rule.message in NEVER_SETTLED and rule.may_be_settled]


@pytest.mark.parametrize("kind, message", NEVER_SETTLED_CASES)
@pytest.mark.parametrize("story", [
    "{m} weeks ago", "Back in March {m}", "{m} last year, it has settled",
    "{m} years ago, I'm fine now", "At the time {m}, it all got better", "In 2019 {m}, it healed",
])
def test_past_and_resolved_markers_never_settle_self_harm_or_overdose(
    kind: str, message: str, story: str
) -> None:
    flag = find_red_flag(story.format(m=message))
    assert flag is not None and flag.message == kind


def test_a_crisis_or_overdose_told_only_as_past_is_marked_so_and_still_found() -> None:
    # the rules alone never drop it: the flag says "settled", and the urgency model decides
    past = find_red_flag("Two years ago I tried to end my life. I had a lot of help and I'm "
                         "doing well. Does naproxen slow healing?")
    assert past is not None and past.message == "crisis" and past.settled
    assert past.value == "crisis/settled" and read_flag_value(past.value) == ("crisis", "settled")
    assert read_flag_value("overdose") == ("overdose", None) and read_flag_value(None) == (None, None)
    for going_on in ["I tried to end my life last year and I still want to die",
                     "I took an overdose an hour ago",
                     # a set-aside clause ("the doctor said", "my cat has") is no time told
                     "been cutting again since the doctor said no football for the whole season",
                     "My cat has gone to my neighbour and I have left a letter for my son"]:
        flag = find_red_flag(going_on)
        assert flag is not None and flag.message in NEVER_SETTLED and not flag.settled, going_on
    # a warning sign going on now beside a settled crisis escalates as itself
    both = find_red_flag("Two years ago I took an overdose. Today I fell and I can't stand up.")
    assert both is not None and both.message == "emergency" and not both.settled


@pytest.mark.parametrize("settled, going_on", [
    # an ongoing marker in the clause wins over its past marker
    ("I fell in March and couldn't get up",
     "I fell in March and still couldn't get up this morning"),
    ("my knee was hot and swollen with a fever in May",
     "my knee was hot and swollen with a fever in May and again tonight"),
    # present tense next to the sign: going on whatever time the clause names
    ("my husband had chest pain two years ago", "my husband had a heart attack two years ago and "
     "he has chest pain"),
    ("I fell weeks ago and couldn't put weight on it",
     "I fell weeks ago and can't put weight on it"),
    ("In March I hurt my back and my legs went numb",
     "In March I hurt my back and my legs are numb"),
    # "at the time" is past only in a story that says when it was
    ("Last year I broke my ankle. My toes were numb in the cast at the time.",
     "I broke my ankle. My toes were numb in the cast at the time."),
    # a resolved marker settles its clause and those after it; a negated one, a not-yet one or
    # one in a question does not
    ("It healed but I couldn't get up after the fall", "It hasn't healed but I couldn't get up "
     "after the fall"),
    ("it has healed, it was bleeding heavily", "it should have healed, it was bleeding heavily"),
    ("The infection cleared up but my knee was hot and swollen with a fever at first.",
     "Has the infection cleared up, or why was my knee hot and swollen with a fever at first?"),
    # a past marker reaches the clauses after it in its sentence, not the next sentence
    ("In March I fell skiing, I couldn't walk for two days",
     "In March I broke my hip. Mum slipped on the ice and couldn't get up."),
    # "and now" starts a clause: the time it names is its own
    ("I fell in March and couldn't walk and now the MRI shows edema",
     "I fell in March and now I can't walk"),
    # a recurring marker brings back what the sentence before told
    ("Last year I was short of breath for weeks. I can jog again.",
     "Last year I was short of breath for weeks. I think it's back."),
    # an event named again later, unmarked, does not make its settled sign go on
    ("Mum slipped last winter and couldn't stand. Is that from the fall?",
     "Mum slipped last winter. Today she fell and couldn't stand."),
])
def test_a_settled_past_does_not_escalate_but_the_same_sign_going_on_does(
    settled: str, going_on: str
) -> None:
    assert replace(load_red_flags(), markers=StoryMarkers()).check(settled) is not None
    assert find_red_flag(settled) is None
    flag = find_red_flag(going_on)
    assert flag is not None and flag.message == "emergency"


@pytest.mark.parametrize("message", [
    "I fell and can't get up",  # no time said: escalates exactly as before the settled reading
    "I fell. I can't get up.",  # across sentences too
    "I fell off a ladder this morning and I can't stand up, the x-ray last year showed edema",
])
def test_messages_without_a_settled_past_still_escalate(message: str) -> None:
    assert find_red_flag(message) is not None


def _one_rule(**settings: Any) -> Dict[str, Any]:
    rule = {"id": "fall", "message": "emergency", "all": [["fell"], ["couldn't walk"]], **settings}
    return {"messages": {"emergency": "call", "crisis": "talk"}, "rules": [rule],
            "settled": {"past": ["in march"], "ongoing": ["now"]}}


def test_a_rule_is_settled_only_when_it_says_so() -> None:
    story = "In March I fell and couldn't walk"
    assert parse_red_flags(_one_rule()).check(story) is not None  # the default: always escalate
    assert parse_red_flags(_one_rule(may_be_settled=True)).check(story) is None
    assert parse_red_flags(_one_rule(may_be_settled=True)).check(story + " now") is not None
    no_markers = _one_rule(may_be_settled=True)
    del no_markers["settled"]
    assert parse_red_flags(no_markers).check(story) is not None  # no `settled:`, no settled story


@pytest.mark.parametrize("change, error", [
    ({"may_be_settled": "sometimes"}, "fall: `may_be_settled:` must be true or false"),
    ({"may_be_settled": True, "message": "crisis"}, "fall: a `crisis` rule must not set"),
    ({"may_be_setled": True}, r"fall: unknown key\(s\) \['may_be_setled'\]"),
    ({"all": [["fell"], []]}, "fall: write a list of quoted patterns"),
    ({"all": ["fell"]}, "fall: write a list of quoted patterns"),
])
def test_bad_settled_rule_settings_name_the_rule_and_the_fix(
    change: Dict[str, Any], error: str
) -> None:
    with pytest.raises(ContentError, match=error):
        parse_red_flags(_one_rule(**change))


@pytest.mark.parametrize("settled, error", [
    ({"past": ["(unclosed"]}, "settled: past: bad pattern"),
    ({"past": "weeks ago"}, "settled: past: write a list of quoted patterns"),
    ({"pasts": ["weeks ago"]}, r"settled: use only the lists \['past'"),
    (["weeks ago"], "settled: use only the lists"),
])
def test_bad_settled_markers_name_the_list_and_the_fix(settled: Any, error: str) -> None:
    raw = _one_rule()
    raw["settled"] = settled
    with pytest.raises(ContentError, match=error):
        parse_red_flags(raw)


@pytest.mark.parametrize("text, rule, told", [
    # a pet that cannot walk is the pet's, whatever the breed; a person knocked over is not
    ("my dog can't walk on his back leg since yesterday, do dogs get bone bruises", None, None),
    ("our labrador can't get up on his back legs, the vet says arthritis", None, None),
    ("my dog knocked me over and I can't get up", "emergency", "now"),
    # "still having it now" carries the sign before it into the present
    ("on the rehab bike i got a sharp chest pain and felt faint, still having it now",
     "emergency", "now"),
    ("I had chest pain on the bike last week, it went away", None, None),
])
def test_how_a_warning_sign_is_told(text: str, rule: Optional[str], told: Optional[str]) -> None:
    flag = find_red_flag(text)
    assert (flag.message if flag else None) == rule and (flag.told if flag else None) == told
