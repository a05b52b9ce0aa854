"""What each platform is sent for a reply, and what is read from its webhooks: pure functions."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, Dict, List

import pytest
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.channels import facebook, slack, telegram, twilio
from bot.channels.choices import chosen_text, last_buttons
from bot.channels.text import NUMBERED_PROMPT

BUTTONS = [{"title": "Is it serious?", "payload": "/ask_serious"},
           {"title": "Link with osteoarthritis", "payload": "/ask_osteoarthritis"}]
LONG = " ".join(["word"] * 60)  # 299 characters


# Telegram ---------------------------------------------------------------------------------------

def test_telegram_buttons_are_a_reply_keyboard_on_the_last_part() -> None:
    calls = telegram.send_message_calls("https://tg.test", "1:tok", "42", LONG, ["A", "B"], 100)
    assert len(calls) == 3 and all(c.url == "https://tg.test/bot1:tok/sendMessage" for c in calls)
    assert [c.json["chat_id"] for c in calls] == [42, 42, 42]
    assert " ".join(c.json["text"] for c in calls) == LONG
    assert "reply_markup" not in calls[0].json
    assert calls[-1].json["reply_markup"] == {
        "keyboard": [[{"text": "A"}], [{"text": "B"}]],
        "resize_keyboard": True, "one_time_keyboard": True}


def test_telegram_text_without_options_removes_an_old_keyboard() -> None:
    call, = telegram.send_message_calls("https://tg.test", "1:tok", "42", "Hi", [], 4096)
    assert call.json == {"chat_id": 42, "text": "Hi", "reply_markup": {"remove_keyboard": True}}
    assert call.name == "telegram sendMessage"  # logs never show the token in the URL


@pytest.mark.parametrize("update, expected", [
    ({"message": {"chat": {"id": 7, "type": "private"}, "text": "Is it serious?"}},
     ("7", "Is it serious?")),
    ({"message": {"chat": {"id": 7, "type": "private"}, "text": "/start"}}, ("7", "/greet")),
    ({"message": {"chat": {"id": 7, "type": "private"}, "text": "/start@bme_bot x"}},
     ("7", "/greet")),
    ({"message": {"chat": {"id": 7, "type": "private"}, "sticker": {"file_id": "s"}}},
     ("7", None)),  # no text: the guard answers it
    ({"message": {"chat": {"id": -9, "type": "group"}, "text": "hello"}}, None),
    ({"edited_message": {"chat": {"id": 7, "type": "private"}, "text": "edit"}}, None),
    ({"update_id": 1}, None),
])
def test_telegram_update_text(update: Dict[str, Any], expected: Any) -> None:
    assert telegram.update_text(update) == expected


# Slack ------------------------------------------------------------------------------------------

def test_slack_reply_is_section_blocks_with_buttons_on_the_last_message() -> None:
    calls = slack.post_message_calls("https://slack.test/api", "xoxb-t", "D1", LONG, BUTTONS, 150)
    assert len(calls) == 2
    assert all(c.url == "https://slack.test/api/chat.postMessage" for c in calls)
    assert all(c.headers == {"Authorization": "Bearer xoxb-t"} for c in calls)
    assert [b["type"] for b in calls[0].json["blocks"]] == ["section"]
    section, actions = calls[1].json["blocks"]
    assert section == {"type": "section", "text": {"type": "plain_text", "text": calls[1].json["text"]}}
    assert [(e["text"]["text"], e["value"]) for e in actions["elements"]] == [
        ("Is it serious?", "/ask_serious"), ("Link with osteoarthritis", "/ask_osteoarthritis")]


def test_slack_notification_text_is_escaped_and_threads_are_kept() -> None:
    call, = slack.post_message_calls("https://s.test", "t", "C1", "a < b & c", [], 3000, "17.1")
    assert call.json["text"] == "a &lt; b &amp; c"
    assert call.json["blocks"][0]["text"]["text"] == "a < b & c"
    assert call.json["thread_ts"] == "17.1"


# Messenger --------------------------------------------------------------------------------------

def test_messenger_quick_replies_fit_twenty_characters_and_carry_the_payload() -> None:
    call, = facebook.send_calls("https://graph.test/v18.0", "page tok", "P1", "Hi", BUTTONS, 2000)
    assert call.url == "https://graph.test/v18.0/me/messages?access_token=page%20tok"
    assert call.json == {"recipient": {"id": "P1"}, "messaging_type": "RESPONSE", "message": {
        "text": "Hi", "quick_replies": [
            {"content_type": "text", "title": "Is it serious?", "payload": "/ask_serious"},
            {"content_type": "text", "title": "Link with…", "payload": "/ask_osteoarthritis"}]}}


def test_messenger_incoming_reads_text_quick_replies_and_postbacks() -> None:
    payload = {"object": "page", "entry": [{"id": "PAGE", "messaging": [
        {"sender": {"id": "U1"}, "message": {"mid": "1", "text": "hello"}},
        {"sender": {"id": "U1"}, "message": {"mid": "2", "text": "Is it serious?",
                                             "quick_reply": {"payload": "/ask_serious"}}},
        {"sender": {"id": "U2"}, "postback": {"title": "Get Started", "payload": "/greet"}},
        {"sender": {"id": "U3"}, "message": {"mid": "3", "attachments": [{"type": "image"}]}},
        {"sender": {"id": "PAGE"}, "message": {"mid": "4", "text": "echo", "is_echo": True}},
        {"sender": {"id": "U1"}, "read": {"watermark": 1}},
    ]}]}
    assert list(facebook.incoming(payload)) == [
        ("U1", "hello"), ("U1", "/ask_serious"), ("U2", "/greet"), ("U3", None)]


# Twilio -----------------------------------------------------------------------------------------

def test_sms_options_are_numbered_and_split_with_the_text() -> None:
    calls = twilio.message_calls("https://tw.test", "AC1", "tok", "+1555", "+1666", LONG,
                                 BUTTONS, 160)
    assert all(c.url == "https://tw.test/2010-04-01/Accounts/AC1/Messages.json" for c in calls)
    assert all(c.auth == ("AC1", "tok") and c.form["From"] == "+1555" and c.form["To"] == "+1666"
               for c in calls)
    bodies = [c.form["Body"] for c in calls]
    assert all(len(body) <= 160 for body in bodies)
    assert bodies[-1] == f"{NUMBERED_PROMPT}\n1. Is it serious?\n2. Link with osteoarthritis"
    assert " ".join(bodies[:-1]) == LONG


def test_a_short_sms_keeps_text_and_options_in_one_message() -> None:
    call, = twilio.message_calls("https://tw.test", "AC1", "tok", "+1", "+2", "Hi", BUTTONS, 1600)
    assert call.form["Body"] == (
        f"Hi\n\n{NUMBERED_PROMPT}\n1. Is it serious?\n2. Link with osteoarthritis")


# The options last offered -----------------------------------------------------------------------

def _bot(text: str, buttons: List[Dict[str, str]]) -> BotUttered:
    return BotUttered(text, {"buttons": buttons})


def test_the_options_on_screen_are_those_of_the_last_bot_message_with_buttons() -> None:
    events = [UserUttered("hi"), _bot("disclaimer", []), _bot("pick", BUTTONS),
              ActionExecuted("action_listen")]
    assert last_buttons(events) == BUTTONS


def test_options_are_gone_once_the_user_has_answered_and_the_bot_sent_none() -> None:
    events = [_bot("pick", BUTTONS), UserUttered("I fell"), _bot("Call 911 now", [])]
    assert last_buttons(events) == []
    assert last_buttons([]) == []


async def test_a_choice_is_read_from_the_tracker_store_which_is_never_written() -> None:
    store = InMemoryTrackerStore(Domain.empty())
    await store.save(DialogueStateTracker.from_events("u1", [UserUttered("hi"),
                                                            _bot("pick", BUTTONS)]))
    agent = SimpleNamespace(tracker_store=store)
    assert await chosen_text(agent, "u1", "2", numbered=True) == "/ask_osteoarthritis"
    assert await chosen_text(agent, "u1", "is it serious?", numbered=False) == "/ask_serious"
    assert await chosen_text(agent, "u1", "tell me more", numbered=True) == "tell me more"
    assert await chosen_text(agent, "stranger", "2", numbered=True) == "2"
    assert await chosen_text(agent, "u1", None, numbered=True) is None
    assert list(await store.keys()) == ["u1"]
