"""Feedback on answers: "Helpful" / "Not helpful" with every medical answer, reasons after "Not
helpful", and the thanks. Pure functions over :class:`bot.engine.replies.Reply`.

The buttons travel like any other quick reply, so every channel shows them its own way (buttons
on the web, Telegram, Slack and Messenger; numbered options on SMS and WhatsApp). Pressing one
sends ``/feedback_<rating>``, an intent of domain.yml answered by the one answer action, which
stores the rating with the answer it is about (:func:`feedback_record`) for the staff dashboard.
A feedback turn changes nothing else in the conversation: the next question is read as if it
came straight after the answer. An urgent-care message never carries the buttons.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Dict, Optional, Sequence, TypeGuard

from bot.engine.knowledge import load_knowledge
from bot.engine.replies import Button, Reply, load_replies, reply_kind, topic_button
from bot.clinic.reviews import review_note

PREFIX = "feedback_"
HELPFUL = "feedback_helpful"
NOT_HELPFUL = "feedback_not_helpful"


def is_feedback(intent: Optional[str]) -> TypeGuard[str]:
    """Whether ``intent`` is one of the feedback buttons or reasons of replies.yml."""
    replies = load_replies()
    return bool(intent) and (intent in replies.feedback_buttons or intent in replies.feedback_reasons)


def rating(intent: str) -> str:
    """``feedback_not_helpful`` -> ``not_helpful``."""
    return intent[len(PREFIX):] if intent.startswith(PREFIX) else intent


def _buttons(titles: Dict[str, str]) -> tuple:
    return tuple(Button(title, f"/{intent}") for intent, title in titles.items())


def with_feedback(reply: Reply) -> Reply:
    """``reply`` with the two feedback buttons after its own, if it is a medical answer."""
    if reply_kind(reply) != "answer":
        return reply
    extra = _buttons(dict(load_replies().feedback_buttons))
    return Reply(reply.text, reply.buttons + extra, reply.answer_id, reply.facts, reply.ask,
                 reply.context, reply.name)


def answer_extras(reply: Reply, today: date) -> Dict[str, Any]:
    """What the web pages show under a medical answer besides its text: the review note of its
    answers and the feedback question above the two buttons. (A comparison of the patient's time
    with the article's, ``duration/compare``, is not an answer of its own: its sentences are
    reviewed with answer_units.yml's ``comparisons``, not one by one.)"""
    units = load_knowledge().units
    return {"review": review_note([a for a in reply.answer_ids if a in units], today),
            "feedback_question": load_replies().feedback_question}


def feedback_reply(intent: str, last_units: Sequence[str]) -> Reply:
    """The thanks for a feedback button. After "Not helpful" it offers the reasons; after the
    others, the follow-up topics of the answer rated, so the patient can go on where they were."""
    replies = load_replies()
    text, _ = replies.get(intent)
    if intent == NOT_HELPFUL:
        return Reply(text, _buttons(dict(replies.feedback_reasons)), name=intent)
    kb = load_knowledge()
    units = [u for u in last_units if u in kb.units]
    topics = kb.topics[kb.units[units[-1]].topic].next if units else ()
    return Reply(text, tuple(topic_button(kb, t) for t in topics), name=intent)


def feedback_record(intent: str, rated_answer_id: Optional[str]) -> Dict[str, Any]:
    """What is stored with the thanks: the rating and the answer ids it is about."""
    return {"rating": rating(intent), "answer_id": rated_answer_id}
