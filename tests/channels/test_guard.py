"""The message guard shared by all channels, without a server."""

from __future__ import annotations

from typing import List

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from bot.channels.guard import clean_text, guard, incoming_problem
from bot.replies import load_replies

EMPTY = load_replies().get("empty_message")[0]
UNAVAILABLE = load_replies().get("action_unavailable")[0]


@pytest.mark.parametrize("text", [None, "", "   ", "\n\t", "\x00\x07", 42, ["hi"], {"a": 1}])
def test_empty_or_non_text_gets_the_empty_message_reply(text: object) -> None:
    assert incoming_problem(text) == EMPTY


def test_over_the_cap_gets_the_too_long_reply_naming_the_cap() -> None:
    assert "at most 2000 letters" in str(incoming_problem("a" * 2001, max_chars=2000))
    assert incoming_problem("a" * 2000, max_chars=2000) is None


@pytest.mark.parametrize("text", ["is it serious?", "/ask_duration", "مرحبا", "🦴 edema?", "x"])
def test_ordinary_text_passes(text: str) -> None:
    assert incoming_problem(text) is None


def test_clean_text_drops_control_characters_keeps_lines_and_scripts() -> None:
    assert clean_text("is\x00 it\x1b serious?\nthanks\u200f") == "is it serious?\nthanks\u200f"
    assert clean_text("e\u0301dema") == "\u00e9dema"  # NFC


async def handled(texts: List[str], on_new_message) -> CollectingOutputChannel:
    output = CollectingOutputChannel()
    for text in texts:
        await guard(on_new_message)(UserMessage(text, output, "patient-1"))
    return output


async def test_refused_messages_never_reach_rasa() -> None:
    seen: List[str] = []

    async def on_new_message(message: UserMessage) -> None:
        seen.append(message.text)

    output = await handled(["", "x" * 5000], on_new_message)
    assert seen == []
    assert [m["text"] for m in output.messages][0] == EMPTY
    assert "too long" in output.messages[1]["text"]


async def test_clean_text_is_what_rasa_gets() -> None:
    seen: List[str] = []

    async def on_new_message(message: UserMessage) -> None:
        seen.append(message.text)
        await message.output_channel.send_text_message(message.sender_id, "answer")

    output = await handled(["hi\x00 there"], on_new_message)
    assert seen == ["hi there"] and [m["text"] for m in output.messages] == ["answer"]


@pytest.mark.parametrize("failure", [None, RuntimeError("action server down")])
async def test_silence_or_failure_becomes_the_cant_answer_reply(failure: object) -> None:
    async def on_new_message(message: UserMessage) -> None:
        if failure:
            raise failure  # type: ignore[misc]

    output = await handled(["is it serious?"], on_new_message)
    assert [m["text"] for m in output.messages] == [UNAVAILABLE]


async def test_failures_are_logged_without_the_message_text(caplog: pytest.LogCaptureFixture) -> None:
    async def on_new_message(message: UserMessage) -> None:
        raise RuntimeError(f"boom {message.text}")

    await handled(["my private knee story"], on_new_message)
    assert "RuntimeError" in caplog.text and "private" not in caplog.text


async def test_failures_are_logged_with_where_they_were_raised(caplog: pytest.LogCaptureFixture) -> None:
    def lookup(text: str) -> str:
        return {"known": "x"}[text]

    async def on_new_message(message: UserMessage) -> None:
        try:
            lookup(message.text)
        except KeyError as error:
            raise RuntimeError(f"no answer for {message.text}") from error

    await handled(["my private knee story"], on_new_message)
    assert "in lookup" in caplog.text and "in on_new_message" in caplog.text
    assert "builtins.KeyError" in caplog.text and "builtins.RuntimeError" in caplog.text
    # the source lines are there, the messages of the errors (which hold the text) are not
    assert __file__ in caplog.text and "private" not in caplog.text


@pytest.mark.parametrize("typed, handed_on", [
    ("/ask_duration", "/ask_duration"),                        # a button: obeyed as a payload
    ('/ask_serious{"CAUSE": "I want to kill myself"}',          # not a button: read as words
     'ask_serious{"CAUSE": "I want to kill myself"}'),
    ("/greet@0.99", "greet@0.99"),
    ("//ask_duration x", "ask_duration x"),
])
def test_only_bare_button_payloads_stay_payloads(typed: str, handed_on: str) -> None:
    assert clean_text(typed) == handed_on
