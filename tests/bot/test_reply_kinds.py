"""One vocabulary of reply kinds (bot/reply_kinds.py): every reply the assistant can send has a kind
of it, and a turn of that reply is counted as that kind (not as small talk) by the metrics and
labelled by the staff dashboard."""

from __future__ import annotations

from typing import List

import pytest

from bot import reply_kinds as kinds
from bot.channels.guard import turn_outcome
from bot.engine.replies import PERSONAL_ADVICE, TALK_TO_PERSON, Reply, load_replies, reply_kind
from bot.ops import metrics


def every_reply() -> List[Reply]:
    """Each reply of replies.yml by its name, an article answer and an urgent-care message."""
    named = [Reply(text, name=name) for name, (text, _) in load_replies().replies.items()]
    return [*named, Reply("...", answer_id="serious/general"), Reply("...", answer_id="urgent/emergency")]


@pytest.mark.parametrize("reply", every_reply(), ids=lambda r: r.name or r.answer_id)
def test_every_reply_is_counted_as_its_own_kind(reply: Reply) -> None:
    kind = reply_kind(reply)
    assert kind in kinds.KINDS and kind in kinds.LABELS
    assert turn_outcome(["", kind]) == kind  # after the disclaimer, which has no kind
    assert kind in metrics.OUTCOMES


@pytest.mark.parametrize("name, kind", [
    (TALK_TO_PERSON, kinds.CARE_TEAM), ("take_home", kinds.TAKE_HOME),
    ("take_home_empty", kinds.TAKE_HOME), (PERSONAL_ADVICE, kinds.DECLINED),
    ("fallback", kinds.FALLBACK), ("feedback_helpful", kinds.FEEDBACK)])
def test_the_kinds_once_miscounted_as_small_talk(name: str, kind: str) -> None:
    assert reply_kind(Reply("...", name=name)) == kind


def test_each_kind_is_named_once_and_labelled() -> None:
    assert len(set(kinds.KINDS)) == len(kinds.KINDS)
    assert set(kinds.LABELS) == set(kinds.KINDS) and set(kinds.UNANSWERED) <= set(kinds.KINDS)
    assert metrics.OUTCOMES == frozenset(kinds.KINDS)


@pytest.mark.parametrize("data, kind", [
    ({"text": "x", "bme": {"kind": "answer"}}, "answer"), ({"text": "x"}, ""),
    ({"bme": "not an object"}, ""), (None, "")])
def test_the_kind_a_message_carries(data: object, kind: str) -> None:
    assert kinds.kind_of(data) == kind
