"""The staff figures from stored messages (pure: no store, no server)."""

from __future__ import annotations

from typing import Any, Dict

from bot.reply_kinds import KIND_KEY
from bot.stores.stored_events import StoredEvent
from bot.web.staff.dashboard import sections
from bot.web.staff.figures import csv_rows, summarize


def user(sender: str, text: str) -> StoredEvent:
    return StoredEvent(sender, 0.0, {"event": "user", "text": text, "input_channel": "socketio"})


def bot(sender: str, **about: Any) -> StoredEvent:
    data: Dict[str, Any] = {"event": "bot", "text": "...", "metadata": {KIND_KEY: about}}
    return StoredEvent(sender, 0.0, data)


def test_conversations_answers_unanswered_and_feedback_are_counted_by_language() -> None:
    events = [
        user("a", "hello"), bot("a", kind="small_talk", language="en"),
        user("a", "is it serious"), bot("a", kind="answer", answer_id="serious/general", language="en"),
        user("b", "español"), bot("b", kind="small_talk", language="es"),
        user("b", "es grave"), bot("b", kind="answer", answer_id="serious/general", language="es"),
        user("b", "zzz"), bot("b", kind="fallback", language="es"),
        user("b", "/feedback_helpful"), bot("b", kind="feedback", language="es", feedback={
            "rating": "helpful", "answer_id": "serious/general"}),
        user("c", "hi"), bot("c", kind="answer", answer_id="what_is/overview"),  # before languages
    ]
    languages = summarize(events).languages
    assert languages["conversations"] == {"en": 2, "es": 1}
    assert languages["answers"] == {"en": 2, "es": 1}
    assert languages["unanswered"] == {"es": 1} and languages["feedback"] == {"es": 1}
    assert ("language", "es", "answers", 1) in csv_rows(summarize(events))
    page = sections(summarize(events), [], show_text=False)
    assert "By language" in page and "<th scope=\"row\">Spanish</th>" in page
