"""The engine's front door: the reply, its kind and the slots, built once."""

from __future__ import annotations

import pytest

from bot.engine.replies import SLOT_ANSWER_ID, SLOT_LAST_ASK, reply_kind
from bot.engine.turn import take_turn


@pytest.mark.parametrize("intent, text, red_flag, kind", [
    ("ask_serious", "is it serious?", None, "answer"),
    ("emergency", "my dad fell and can't get up", "emergency", "urgent"),
    ("greet", "hello", None, "small_talk"),
    ("nlu_fallback", "blorp", None, "fallback"),
])
def test_the_turn_says_its_kind_once(intent: str, text: str, red_flag: str, kind: str) -> None:
    turn = take_turn(intent, {}, red_flag=red_flag, text=text)
    assert turn.kind == kind == reply_kind(turn.reply)


def test_an_answer_leaves_what_it_answered_for_the_next_turn() -> None:
    first = take_turn("ask_causes", {}, text="what causes it")
    assert first.slots[SLOT_ANSWER_ID] == "causes/overview" and first.slots[SLOT_LAST_ASK] == "causes"
    follow_up = take_turn("nlu_fallback", dict(first.slots), text="which of those is most likely in a runner?")
    assert follow_up.reply.answer_ids == ("cause/stress_fracture",)


def test_the_patients_context_comes_from_the_slots() -> None:
    turn = take_turn("ask_serious", {"cause": "osteoarthritis"}, text="is it serious?")
    assert turn.reply.answer_ids == ("serious/osteoarthritis",)
