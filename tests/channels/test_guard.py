"""The message guard shared by all channels, without a server."""

from __future__ import annotations

from typing import List

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from bot.channels.guard import clean_text, guard, incoming_problem
from bot.engine.replies import load_replies

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


async def test_identifiers_are_redacted_before_rasa_sees_the_message() -> None:
    seen: List[str] = []

    async def on_new_message(message: UserMessage) -> None:
        seen.append(message.text)
        await message.output_channel.send_text_message(message.sender_id, "ok")

    await handled(["I'm jo@example.com, DOB 12/03/1980, call 07700 900123 - is it serious?"],
                  on_new_message)
    assert seen == ["I'm [email], DOB [date], call [phone] - is it serious?"]


async def test_delete_my_chat_erases_and_confirms_without_reaching_rasa() -> None:
    seen: List[str] = []
    erased: List[str] = []

    async def on_new_message(message: UserMessage) -> None:
        seen.append(message.text)

    async def erase(sender_id: str) -> None:
        erased.append(sender_id)

    output = CollectingOutputChannel()
    for text in ["/delete_my_chat", "Delete my chat please"]:
        await guard(on_new_message, erase=erase)(UserMessage(text, output, "patient-1"))
    assert seen == [] and erased == ["patient-1", "patient-1"]
    assert [m["text"] for m in output.messages] == [load_replies().get("chat_deleted")[0]] * 2


async def test_a_failed_delete_says_so() -> None:
    async def erase(sender_id: str) -> None:
        raise OSError("database is locked")

    async def on_new_message(message: UserMessage) -> None:
        raise AssertionError("must not be called")

    output = CollectingOutputChannel()
    await guard(on_new_message, erase=erase)(UserMessage("delete my chat", output, "patient-1"))
    assert [m["text"] for m in output.messages] == [load_replies().get("delete_failed")[0]]


async def test_the_kind_of_each_reply_is_noted() -> None:
    kinds: List[List[str]] = []

    async def on_new_message(message: UserMessage) -> None:
        await message.output_channel.send_response(
            message.sender_id, {"text": "x", "bme": {"kind": "answer"}})
        await message.output_channel.send_response(message.sender_id, {"text": "y"})
        kinds.append(message.output_channel.kinds)

    await handled(["what is it"], on_new_message)
    assert kinds == [["answer", ""]]  # the second carries no kind
