"""The learned safety net (bot.engine.urgency): the rules and the urgency model together."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.engine.replies import reply_for
from bot.engine.urgency import (CALM, KINDS, Settings, UrgentByModel, assess, decide, judge,
                                load_settings, load_urgent_examples, units)
from bot.engine.urgency_model import UrgencyModel
from bot.engine.knowledge import ContentError
from bot.engine.safety import find_red_flag, told_clauses

SLUMPED = "my husband is slumped in the chair since lunch and grey, what do I do"


def test_the_reference_clauses_cover_every_kind_and_calm() -> None:
    examples = load_urgent_examples()
    assert set(examples) == {f"urgent/{k}" for k in KINDS} | {CALM}
    assert all(len(v) >= 30 for v in examples.values())


def test_the_settings_leave_room_between_setting_aside_and_escalating() -> None:
    settings = load_settings()
    assert set(settings.thresholds) == set(KINDS)
    assert all(0 <= settings.sets_aside_below < t <= 1 for t in settings.thresholds.values())


def test_settings_out_of_order_are_refused(tmp_path: Path) -> None:
    bad = tmp_path / "urgency_stories.yml"
    bad.write_text("model:\n  thresholds: {emergency: 0.5, crisis: 0.8, overdose: 0.8}\n"
                   "  sets_aside_below: 0.7\n")
    with pytest.raises(ContentError, match="sets_aside_below < each threshold"):
        load_settings(bad)


def test_a_file_without_calm_clauses_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "urgent_examples.yml"
    bad.write_text("urgent:\n  emergency: [he cannot stand]\n")
    with pytest.raises(ContentError, match="a `calm:` list"):
        load_urgent_examples(bad)


def test_the_units_are_the_clauses_and_each_clause_joined_to_the_next() -> None:
    assert told_clauses("In March I fell, I couldn't walk. Now my knee aches") == [
        ("in march i fell", True), ("i couldn't walk", True), ("now my knee aches", False)]
    assert units("In March I fell, I couldn't walk. Now my knee aches")[3:] == [
        ("in march i fell, i couldn't walk", True), ("i couldn't walk, now my knee aches", False)]


@pytest.mark.parametrize("text, kind", [
    (SLUMPED, "emergency"),
    ("I think she swallowed the pills from the cupboard, all of them", "overdose"),
    ("after the gym session my legs are a bit wobbly tonight, sunny out", None),
    # told as settled: set aside (an overdose never is)
    ("back in March he was slumped in the chair for a minute, fine since then", None),
    ("back in March she swallowed the pills, I want to know if the scan can show it", "overdose"),
    ("slumped", None),  # too short for the model: the rules decide
])
def test_the_model_escalates_a_sign_going_on_now(text: str, kind: str,
                                                 tiny_urgency_model: UrgencyModel) -> None:
    found = judge(text, None, tiny_urgency_model, Settings({k: 0.6 for k in KINDS}, 0.5))
    assert found.kind == kind
    if found.kind:
        assert found.why[0].startswith(f"urgent/{kind}: urgency model ")
        assert "nearest reference" in found.why[0] and text.lower() not in found.why[0].lower()


def test_the_model_alone_escalates_only_when_the_whole_message_leans_urgent_too() -> None:
    one_clause = UrgentByModel("crisis", 0.61, 0.97, 0.25, "a reference")
    settings = Settings({k: 0.6 for k in KINDS}, 0.5, message_floor=0.3)
    assert decide(one_clause, None, True, settings).kind is None
    assert decide(replace(one_clause, message=0.3), None, True, settings).kind == "crisis"
    assert decide(one_clause, None, True, replace(settings, message_floor=0.0)).kind == "crisis"
    # a rule's crisis stands whatever the message scores
    assert decide(one_clause, "crisis", True, settings).kind == "crisis"


def test_without_the_model_the_rules_alone_decide() -> None:
    assert assess(SLUMPED, None) is None
    assert judge(SLUMPED, "emergency", None).kind == "emergency"
    assert judge(SLUMPED, None, None).kind is None


def test_a_rule_emergency_the_model_finds_calm_is_answered_with_the_note(
        tiny_urgency_model: UrgencyModel) -> None:
    calm = "a bit wobbly after a sunny walk, how long does it take to heal"
    reading = assess(calm, tiny_urgency_model)
    assert reading is None or reading.score < load_settings().sets_aside_below
    set_aside = judge(calm, "emergency", tiny_urgency_model)
    assert set_aside.kind is None and set_aside.set_aside and "set aside" in set_aside.why[0]
    # a crisis or an overdose found by a rule stands, unless told only as a settled past and the
    # model finds it calm too: then its own note goes with the answer; an emergency the model
    # agrees with stands
    assert judge(calm, "crisis", tiny_urgency_model).kind == "crisis"
    assert judge(calm, "overdose", tiny_urgency_model).kind == "overdose"
    settled = judge(calm, "crisis", tiny_urgency_model, rule_told="settled")
    assert settled.kind is None and settled.set_aside_kind == "crisis" and "settled" in settled.why[0]
    assert judge(SLUMPED, "overdose", tiny_urgency_model, rule_told="settled").kind == "overdose"
    assert judge(calm, "crisis", None, rule_told="settled").kind == "crisis"  # no model: it stands
    # a sign told as going on now is set aside only below its own, lower bar
    now = replace(load_settings(), sets_aside_below=0.5, now_sets_aside_below=0.2)
    between = UrgentByModel("emergency", 0.3, 0.3, 0.3, "")
    assert decide(between, "emergency", True, now).set_aside
    assert decide(between, "emergency", True, now, "now").kind == "emergency"
    assert decide(UrgentByModel("emergency", 0.1, 0.1, 0.1, ""), "emergency", True, now, "now").set_aside
    assert judge(SLUMPED, "emergency", tiny_urgency_model).kind == "emergency"
    # a short message keeps the rule: the model does not read it
    assert judge("wobbly, sunny", "emergency", tiny_urgency_model).kind == "emergency"


@pytest.mark.slow
def test_the_trained_model_escalates_new_wording_and_leaves_a_calm_question(
        trained_model: Path) -> None:
    # no red-flag rule matches these words
    for text, kind in [("scan said bone marrow edema. i have put my affairs in order and written "
                        "my letters", "crisis"),
                       ("knee mri showed edema. my legs wont hold me up since i tripped this "
                        "morning", "emergency")]:
        urgent = reply_for("ask_serious", text=text)
        assert urgent.answer_id == f"urgent/{kind}" and urgent.why, text
    calm = reply_for("ask_serious", text="my mri showed bone marrow edema in my knee after a fall "
                                         "last year, is it serious?")
    assert calm.answer_id != "urgent/emergency"
    # a rule's emergency that the model reads as calm: answered, with what to do now
    calf = reply_for("emergency", red_flag="emergency",
                     text="my calf feels a bit tight since I started the physio exercises, there's "
                          "no swelling and my breathing is fine, is that normal")
    assert not calf.answer_id.startswith("urgent/") and "911" in calf.text
    # a crisis told only as a settled past, which the model reads as calm: answered, with the line
    past = ("Two years ago I was in a really bad place and tried to end my life. I had a lot of "
            "support and I'm doing well now, I see a psychologist. Does bone marrow edema come back?")
    flag = find_red_flag(past)
    assert flag is not None and flag.settled
    answered = reply_for("emergency", red_flag=flag.value, text=past)
    assert not answered.answer_id.startswith("urgent/") and "988" in answered.text
