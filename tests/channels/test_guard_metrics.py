"""What the guard counts in the metrics (bot.channels.guard with bot.ops.metrics): one turn per
message, by channel and outcome, the urgent reply winning, and failures as errors."""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict, List, Optional, Sequence

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from bot.channels.guard import guard, turn_outcome
from bot.ops import metrics

CHANNEL = "guardtest"  # a channel of these tests alone, so other tests' turns do not count here
Handler = Callable[[UserMessage], Awaitable[None]]


@pytest.mark.parametrize("kinds, outcome", [
    (["answer"], "answer"),
    (["", "answer"], "answer"),               # the disclaimer before a first answer has no kind
    (["answer", "urgent"], "urgent"),         # urgent wins over anything else
    (["fallback"], "fallback"),
    (["mystery", "context"], "context"),      # a kind the metrics do not know is passed over
    ([""], "small_talk"),
    ([], "unavailable"),
])
def test_the_outcome_of_a_turn(kinds: Sequence[str], outcome: str) -> None:
    assert turn_outcome(kinds) == outcome


def counts() -> Dict[str, float]:
    """This channel's messages by outcome, its errors and its timed turns."""
    found: Dict[str, float] = {}
    for family in metrics.REGISTRY.collect():
        for sample in family.samples:
            if sample.labels.get("channel") != CHANNEL:
                continue
            if sample.name == "bme_messages_total":
                found[sample.labels["outcome"]] = sample.value
            elif sample.name in ("bme_errors_total", "bme_reply_seconds_count"):
                found[sample.name] = sample.value
    return found


def replying(*kinds: Optional[str]) -> Handler:
    async def on_new_message(message: UserMessage) -> None:
        for kind in kinds:
            about: Dict[str, Any] = {"bme": {"kind": kind}} if kind else {}
            await message.output_channel.send_response(message.sender_id, {"text": "x", **about})

    return on_new_message


async def raising(message: UserMessage) -> None:
    raise RuntimeError("the action server is down")


async def erase_ok(sender_id: str) -> None:
    return None


async def erase_failing(sender_id: str) -> None:
    raise OSError("database is locked")


async def turn(text: str, on_new_message: Handler,
               erase: Callable[[str], Awaitable[None]] = erase_ok) -> Dict[str, float]:
    """The change in this channel's counts made by one message."""
    before = counts()
    message = UserMessage(text, CollectingOutputChannel(), "patient-1", input_channel=CHANNEL)
    await guard(on_new_message, erase=erase)(message)
    after = counts()
    return {name: after[name] - before.get(name, 0.0) for name in after
            if after[name] != before.get(name, 0.0)}


@pytest.mark.parametrize("text, handler, erase, change", [
    ("is it serious?", replying(None, "answer"), erase_ok, {"answer": 1}),
    ("I fell and can't stand", replying("urgent"), erase_ok, {"urgent": 1}),
    ("blah", replying("fallback"), erase_ok, {"fallback": 1}),
    ("", replying("answer"), erase_ok, {"refused": 1}),                       # never reaches Rasa
    ("is it serious?", raising, erase_ok, {"unavailable": 1, "bme_errors_total": 1}),
    ("is it serious?", replying(), erase_ok, {"unavailable": 1, "bme_errors_total": 1}),  # silence
    ("delete my chat", replying(), erase_ok, {"deleted": 1}),
    ("delete my chat", replying(), erase_failing, {"unavailable": 1, "bme_errors_total": 1}),
])
async def test_each_message_is_one_turn(text: str, handler: Handler,
                                        erase: Callable[[str], Awaitable[None]],
                                        change: Dict[str, float]) -> None:
    assert await turn(text, handler, erase) == {**change, "bme_reply_seconds_count": 1}


async def test_a_reply_sent_before_a_failure_still_makes_the_turn_an_error() -> None:
    async def half(message: UserMessage) -> None:
        await replying("answer")(message)
        raise RuntimeError("the tracker store failed to save")

    assert await turn("is it serious?", half) == {"unavailable": 1, "bme_errors_total": 1,
                                                  "bme_reply_seconds_count": 1}


def test_labels_hold_no_sender_or_text() -> None:
    labels: List[str] = [value for family in metrics.REGISTRY.collect()
                         for sample in family.samples for value in sample.labels.values()]
    assert not any("patient-1" in value or "serious" in value for value in labels)
