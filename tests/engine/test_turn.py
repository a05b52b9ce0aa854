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


def test_typing_espanol_switches_the_conversation_and_says_so_in_spanish() -> None:
    turn = take_turn("out_of_scope", {}, text="Español")
    assert turn.slots["language"] == "es" and turn.language == "es"
    assert "español" in turn.reply.text and "médico" in turn.reply.text  # and the disclaimer
    back = take_turn("out_of_scope", {"language": "es"}, text="english")
    assert back.slots["language"] == "en" and "English" in back.reply.text


def test_the_channels_language_starts_the_conversation_and_is_kept() -> None:
    turn = take_turn("greet", {}, text="hola", metadata={"language": "es-MX"})
    assert turn.language == "es" and turn.slots["language"] == "es"
    assert turn.reply.name == "greet" and "Hola" in turn.reply.text
    assert take_turn("greet", {"language": "es"}, text="hola", metadata={"language": "en"}).language == "es"


def test_a_message_in_the_other_language_gets_only_an_offer_in_that_language() -> None:
    turn = take_turn("ask_serious", {}, text="mi mama tiene edema en la rodilla, es grave?")
    assert turn.reply.name == "language_offer" and turn.language == "es"
    assert [(b.title, b.payload) for b in turn.reply.buttons] == [("Español", "español")]
    assert "language" not in turn.slots  # an offer never switches by itself
    english = take_turn("ask_serious", {"language": "es"}, text="my mri shows bone marrow edema, is it serious?")
    assert english.reply.name == "language_offer" and "English" in english.reply.text


def test_a_warning_sign_in_spanish_escalates_in_an_english_conversation() -> None:
    turn = take_turn("nlu_fallback", {}, text="mi papa se cayo y no puede pararse")
    assert turn.kind == "urgent" and turn.language == "es" and "911" in turn.reply.text


def test_a_button_in_a_spanish_conversation_gets_its_topic_in_spanish() -> None:
    turn = take_turn("ask_treatment", {"language": "es"}, text="/ask_treatment")
    assert turn.kind == "answer" and turn.reply.answer_ids == ("treatment/general",)
    assert turn.language == "es" and "tratamiento" in turn.reply.text.lower()


def test_an_english_crisis_gets_the_english_message_though_a_spanish_rule_matches_too() -> None:
    turn = take_turn("emergency", {}, red_flag="crisis", text=(
        "I've been thinking about suicide every day this week and tonight it's stronger"))
    assert turn.kind == "urgent" and turn.language == "en" and "988" in turn.reply.text
    assert "Lifeline" in turn.reply.text
