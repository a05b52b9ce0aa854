"""Feedback buttons and reply kinds (bot/clinic/feedback.py, bot/engine/replies.py)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.clinic.feedback import answer_extras, feedback_reply, is_feedback, rating, with_feedback
from bot.engine.safety import find_red_flag
from bot.engine.replies import Reply, load_replies, reply_for, reply_kind, slots_after


def test_every_medical_answer_gets_the_two_buttons_last() -> None:
    reply = with_feedback(reply_for("ask_serious", text="is it serious?"))
    assert reply_kind(reply) == "answer"
    assert [b.payload for b in reply.buttons][-2:] == ["/feedback_helpful", "/feedback_not_helpful"]
    assert [b.title for b in reply.buttons][-2:] == ["Helpful", "Not helpful"]


@pytest.mark.parametrize("intent,text,kind", [
    ("emergency", "I have a fever and my leg is red and hot", "urgent"),
    ("nlu_fallback", "blorp", "fallback"),
    ("out_of_scope", "can you book me a taxi", "out_of_scope"),
    ("ask_personal_advice", "", "declined"),
    ("greet", "hello", "small_talk"),
])
def test_no_feedback_buttons_on_other_replies(intent: str, text: str, kind: str) -> None:
    # the red-flag guard of the NLU pipeline finds the warning sign (bot.engine.safety)
    found = find_red_flag(text) if text else None
    reply = reply_for(intent, text=text, red_flag=found.message if found else None)
    assert reply_kind(reply) == kind
    assert with_feedback(reply) == reply
    assert not any(b.payload.startswith("/feedback_") for b in reply.buttons)


def test_feedback_intents_and_ratings() -> None:
    replies = load_replies()
    assert set(replies.feedback_buttons) == {"feedback_helpful", "feedback_not_helpful"}
    assert all(is_feedback(i) for i in [*replies.feedback_buttons, *replies.feedback_reasons])
    assert not is_feedback("ask_serious") and not is_feedback(None)
    assert rating("feedback_too_hard") == "too_hard"
    assert all(len(t) <= 20 for t in [*replies.feedback_buttons.values(),
                                      *replies.feedback_reasons.values()])


def test_thanks_keeps_the_conversation_where_it_was() -> None:
    thanks = feedback_reply("feedback_helpful", ("term/lesion",))
    assert reply_kind(thanks) == "feedback" and slots_after(thanks) == {}
    assert thanks.buttons and all(b.payload.startswith("/ask_") for b in thanks.buttons)
    assert feedback_reply("feedback_helpful", ()).buttons == ()


def test_answer_extras_for_a_reply_with_a_comparison() -> None:
    reply = Reply("x", answer_id="duration/compare+duration/injury")
    extras = answer_extras(reply, date(2026, 12, 6))
    assert extras["review"] and extras["feedback_question"] == load_replies().feedback_question
