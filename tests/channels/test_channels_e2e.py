"""Each messaging channel end to end: real-format platform requests to the running Rasa server,
and the assistant's outgoing API calls captured by a local stub of the platform's API.

One Rasa server (with all five channels on, from environment variables) serves every test here;
its SQLite tracker store is read directly to check that rejected requests leave no trace. How
each platform calls us and what it was asked to show: ``platform_clients.py``.
"""

from __future__ import annotations

import base64
import json
import re
import sqlite3
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.engine.knowledge import load_yaml, speaking
from bot.deploy.serve import free_port
from platform_clients import (
    PUBLIC, SECRETS, keyboard, messenger_say, messenger_send, messenger_shown, post, slack_click,
    slack_headers, slack_say, slack_shown, telegram_say, telegram_shown, twilio_say, twilio_shown,
    unique)
from platform_stub import PlatformStub

from bot.clinic.care_team import contact_card, with_care_team
from bot.channels.text import NUMBERED_PROMPT, shorten
from bot.settings import CARE_TEAM_SETTINGS, CareTeam
from bot.clinic.feedback import with_feedback
from bot.clinic.privacy import pseudonym
from bot.engine.replies import disclaimer, load_replies, reply_for
from bot.engine.safety import urgent_message
from bot.deploy.serve import ROOT, RUN_DIR, Servers

pytestmark = pytest.mark.slow

# The clinic's contact card the server runs with (BME_CARE_TEAM_*): it follows replies that send
# the patient to their own doctor, and the reply to "talk to a person".
CARE_TEAM = CareTeam("Knee clinic", "0161 496 0000", "Monday to Friday, 9 am to 5 pm",
                     "https://portal.example/knee")


def as_sent(intent: str) -> Any:
    """The reply to ``intent`` as the answer action sends it: with the card, and feedback buttons."""
    return with_feedback(with_care_team(reply_for(intent), intent, CARE_TEAM))


GREETING = reply_for("greet")
SECOND = GREETING.buttons[1]  # the option a test picks from the greeting's options
SECOND_ANSWER = as_sent(SECOND.payload.lstrip("/"))  # an answer naming a doctor: rate it too
RED_FLAG = "I can't move my legs"
URGENT = urgent_message("emergency")
TALK_TO_PERSON = "can I speak to a real person"  # a training example of talk_to_person
CARE_REPLY = as_sent("talk_to_person")


# The servers ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def stub() -> Iterator[PlatformStub]:
    platforms = PlatformStub().start()
    yield platforms
    platforms.stop()


@pytest.fixture(scope="module")
def bot(trained_model: Path, stub: PlatformStub, tmp_path_factory: pytest.TempPathFactory,
        staff_env: Dict[str, str]):
    run_dir = tmp_path_factory.mktemp("channels")
    env = {**SECRETS, **staff_env, "BME_SQLITE_PATH": str(run_dir / "conversations.db"),
           "TELEGRAM_API_URL": stub.url("telegram"), "SLACK_API_URL": stub.url("slack"),
           "FACEBOOK_API_URL": f"{stub.url('facebook')}/v18.0",
           "TWILIO_API_URL": stub.url("twilio"),
           **{name: str(getattr(CARE_TEAM, field)) for field, name in CARE_TEAM_SETTINGS.items()}}
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("BME_DATABASE_URL", raising=False)
        for name, value in env.items():
            patch.setenv(name, value)
        with Servers(free_port(), free_port(), trained_model, log_dir=run_dir,
                     web_port=free_port()) as servers:
            yield SimpleNamespace(url=servers.url, db=_tracker_db(servers.rasa_port),
                                  web_url=servers.web_url)


def _tracker_db(rasa_port: int) -> Path:
    """The SQLite file of the tracker store the server runs with (from its endpoints file)."""
    endpoints = load_yaml((RUN_DIR / f"endpoints-{rasa_port}.yml").read_text())
    store = endpoints["tracker_store"]
    assert store.get("dialect") == "sqlite", f"these tests read a SQLite tracker store: {store}"
    return Path(store["db"]) if Path(store["db"]).is_absolute() else ROOT / store["db"]


def _stored_events(bot: Any, sender_id: str) -> int:
    with sqlite3.connect(bot.db) as db:
        return db.execute("SELECT COUNT(*) FROM events WHERE sender_id = ?",
                          (sender_id,)).fetchone()[0]


def _titles(reply: Any) -> List[str]:
    return [b.title for b in reply.buttons]


def _numbered(reply: Any) -> str:
    return "\n".join([NUMBERED_PROMPT] + [f"{n}. {b.title}" for n, b in
                                          enumerate(reply.buttons, 1)])


# Telegram ----------------------------------------------------------------------------------------

def test_telegram_webhook_is_registered_with_its_secret_at_start(bot: Any, stub: PlatformStub) -> None:
    calls = stub.wait_for("telegram", lambda c: c.method == "setWebhook", 1)
    assert calls and calls[0].json == {"url": SECRETS["TELEGRAM_WEBHOOK_URL"],
                                       "secret_token": SECRETS["TELEGRAM_SECRET_TOKEN"],
                                       "allowed_updates": ["message"]}
    assert f"/bot{SECRETS['TELEGRAM_TOKEN']}/setWebhook" in calls[0].path
    assert stub.sent("telegram", lambda c: c.method == "getMe")


def test_telegram_start_shows_the_disclaimer_then_a_replykeyboard(
        bot: Any, stub: PlatformStub) -> None:
    chat = int(unique())
    assert telegram_say(bot, chat, "/start") == 200
    first, second = telegram_shown(stub, chat, 2)
    assert (first.json["text"], first.json["reply_markup"]) == (disclaimer(),
                                                                {"remove_keyboard": True})
    assert second.json["text"] == GREETING.text
    assert keyboard(second) == _titles(GREETING)
    # pressing a keyboard button sends its title: understood as that option
    assert telegram_say(bot, chat, SECOND.title) == 200
    answer = telegram_shown(stub, chat, 3)[2]
    assert answer.json["text"] == SECOND_ANSWER.text
    assert keyboard(answer) == _titles(SECOND_ANSWER)


def test_telegram_starts_in_the_users_language_and_the_keyword_switches(
        bot: Any, stub: PlatformStub) -> None:
    chat = int(unique())
    assert telegram_say(bot, chat, "/start", language="es") == 200
    first, second = telegram_shown(stub, chat, 2)
    with speaking("es"):
        assert first.json["text"] == disclaimer()
        assert second.json["text"] == load_replies().get("greet")[0]
    assert telegram_say(bot, chat, "english", language="es") == 200
    assert "in English now" in telegram_shown(stub, chat, 3)[2].json["text"]
    assert telegram_say(bot, chat, "is it serious?", language="es") == 200  # the choice lasts
    assert telegram_shown(stub, chat, 4)[3].json["text"].startswith("It depends")


def test_sms_keyword_espanol_switches_and_the_answers_come_in_spanish(
        bot: Any, stub: PlatformStub) -> None:
    sender = f"+1555{unique()[:7]}"
    assert twilio_say(bot, sender, "ESPAÑOL") == 200
    switched = " ".join(c.form["Body"] for c in twilio_shown(stub, sender, 2))
    assert "ahora hablamos en español" in switched
    count = len(twilio_shown(stub, sender))
    assert twilio_say(bot, sender, "cuanto tarda en quitarse el edema oseo") == 200
    answer = " ".join(c.form["Body"] for c in twilio_shown(stub, sender, count + 1)[count:])
    assert "meses" in answer and "months" not in answer


def test_telegram_photo_gets_the_guards_answer(bot: Any, stub: PlatformStub) -> None:
    chat = int(unique())
    assert telegram_say(bot, chat, None) == 200
    assert telegram_shown(stub, chat, 1)[-1].json["text"] == load_replies().get("empty_message")[0]


@pytest.mark.parametrize("secret", [None, "wrong", ""])
def test_telegram_rejects_a_missing_or_wrong_secret_and_stores_nothing(
        bot: Any, stub: PlatformStub, secret: Optional[str]) -> None:
    chat = int(unique())
    assert telegram_say(bot, chat, "/start", secret=secret) == 401
    assert telegram_shown(stub, chat) == [] and _stored_events(bot, str(chat)) == 0


# Slack -------------------------------------------------------------------------------------------

def test_slack_message_gets_blocks_with_buttons_and_a_click_answers(
        bot: Any, stub: PlatformStub) -> None:
    user = unique("U")
    assert slack_say(bot, user, "/greet")[0] == 200
    first, second = slack_shown(stub, user, 2)
    assert first.headers["Authorization"] == f"Bearer {SECRETS['SLACK_TOKEN']}"
    assert first.json["blocks"] == [{"type": "section",
                                     "text": {"type": "plain_text", "text": disclaimer()}}]
    section, actions = second.json["blocks"]
    assert section["text"]["text"] == GREETING.text
    assert [(e["text"]["text"], e["value"]) for e in actions["elements"]] == [
        (b.title, b.payload) for b in GREETING.buttons]
    assert slack_click(bot, user, SECOND.payload) == 200
    answer = slack_shown(stub, user, 3)[2]
    assert answer.json["blocks"][0]["text"]["text"] == SECOND_ANSWER.text


def test_slack_url_verification_is_answered_when_signed(bot: Any) -> None:
    body = json.dumps({"token": "t", "challenge": "ch4ll3nge", "type": "url_verification"}).encode()
    status, text = post(f"{bot.url}/webhooks/slack/webhook", body,
                         {"Content-Type": "application/json", **slack_headers(body)})
    assert status == 200 and "ch4ll3nge" in text


@pytest.mark.parametrize("signing", [
    {"secret": "not-the-signing-secret"},
    {"age_s": 600},  # a replayed request, ten minutes old
], ids=["wrong secret", "too old"])
def test_slack_rejects_bad_signatures_and_stores_nothing(
        bot: Any, stub: PlatformStub, signing: Dict[str, Any]) -> None:
    user = unique("U")
    assert slack_say(bot, user, "/greet", **signing)[0] == 401
    time.sleep(1)  # Slack's messages are handled in the background: give one a chance to show
    assert slack_shown(stub, user) == [] and _stored_events(bot, user) == 0


def test_slack_rejects_an_unsigned_request(bot: Any) -> None:
    body = json.dumps({"type": "event_callback", "event": {"type": "message"}}).encode()
    assert post(f"{bot.url}/webhooks/slack/webhook", body,
                 {"Content-Type": "application/json"})[0] == 401


# Messenger ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("token, status", [("fb-verify-me", 200), ("guess", 403)])
def test_messenger_subscription_check(bot: Any, token: str, status: int) -> None:
    query = urllib.parse.urlencode({"hub.mode": "subscribe", "hub.verify_token": token,
                                    "hub.challenge": "1158201444"})
    request = urllib.request.Request(f"{bot.url}/webhooks/facebook/webhook?{query}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            got, text = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        got, text = error.code, ""
    assert got == status and (text == "1158201444") == (status == 200)


def test_messenger_get_started_then_quick_reply(bot: Any, stub: PlatformStub) -> None:
    psid = unique()
    assert messenger_send(bot, psid, {"postback": {"title": "Get Started",
                                                   "payload": "/greet"}}) == 200
    first, second = messenger_shown(stub, psid, 2)
    assert first.query["access_token"] == SECRETS["FACEBOOK_PAGE_ACCESS_TOKEN"]
    assert first.json["message"] == {"text": disclaimer()}
    assert second.json["message"]["text"] == GREETING.text
    # Messenger shows at most 20 characters of a title: longer ones are cut between words
    assert [(q["title"], q["payload"]) for q in second.json["message"]["quick_replies"]] == [
        (shorten(b.title, 20), b.payload) for b in GREETING.buttons]
    tap = {"message": {"mid": "m.2", "text": shorten(SECOND.title, 20),
                       "quick_reply": {"payload": SECOND.payload}}}
    assert messenger_send(bot, psid, tap) == 200
    assert messenger_shown(stub, psid, 3)[2].json["message"]["text"] == SECOND_ANSWER.text


@pytest.mark.parametrize("secret", [None, "not-the-app-secret"])
def test_messenger_rejects_bad_signatures_and_stores_nothing(
        bot: Any, stub: PlatformStub, secret: Optional[str]) -> None:
    psid = unique()
    assert messenger_say(bot, psid, "hello", secret=secret) == 401
    assert messenger_shown(stub, psid) == [] and _stored_events(bot, psid) == 0


# Twilio SMS and WhatsApp -------------------------------------------------------------------------

def test_sms_numbered_options_split_under_the_limit_and_a_digit_picks_one(
        bot: Any, stub: PlatformStub) -> None:
    sender = f"+1555{unique()[:7]}"
    assert twilio_say(bot, sender, "/greet") == 200
    sent = twilio_shown(stub, sender, 2)  # the webhook answers once every message is sent
    credentials = f"{SECRETS['TWILIO_ACCOUNT_SID']}:{SECRETS['TWILIO_AUTH_TOKEN']}"
    assert all(c.form["From"] == SECRETS["TWILIO_NUMBER"] for c in sent)
    assert sent[0].headers["Authorization"] == (
        f"Basic {base64.b64encode(credentials.encode()).decode()}")
    assert twilio_say(bot, sender, "2") == 200  # the second option of the greeting
    answer = [c.form["Body"] for c in twilio_shown(stub, sender, len(sent) + 2)[len(sent):]]
    expected = f"{SECOND_ANSWER.text}\n\n{_numbered(SECOND_ANSWER)}"
    assert len(answer) > 1 and all(len(body) <= 200 for body in answer)
    assert [w for body in answer for w in body.split()] == expected.split()  # no word broken
    assert answer[-1].endswith(_numbered(SECOND_ANSWER))  # the options stay together


def test_sms_greeting_lists_the_options_by_number(bot: Any, stub: PlatformStub) -> None:
    sender = f"+1555{unique()[:7]}"
    assert twilio_say(bot, sender, "/greet") == 200
    bodies = [c.form["Body"] for c in twilio_shown(stub, sender, 2)]
    assert " ".join(bodies).split() == f"{disclaimer()} {GREETING.text} {_numbered(GREETING)}".split()
    assert bodies[-1].endswith(_numbered(GREETING))


def test_whatsapp_answers_from_the_whatsapp_number_and_maps_digits(
        bot: Any, stub: PlatformStub) -> None:
    sender = f"whatsapp:+1555{unique()[:7]}"
    assert twilio_say(bot, sender, "/greet", channel="whatsapp") == 200
    first, second = twilio_shown(stub, sender, 2)
    assert first.form == {"To": sender, "From": f"whatsapp:{SECRETS['TWILIO_WHATSAPP_NUMBER']}",
                          "Body": disclaimer()}
    assert second.form["Body"] == f"{GREETING.text}\n\n{_numbered(GREETING)}"
    assert twilio_say(bot, sender, "1", channel="whatsapp") == 200
    third = twilio_shown(stub, sender, 3)[2]
    first_option = as_sent(GREETING.buttons[0].payload.lstrip("/"))
    assert third.form["Body"] == f"{first_option.text}\n\n{_numbered(first_option)}"


@pytest.mark.parametrize("how", [
    {"token": "another-accounts-token"},
    {"signed_url": "http://127.0.0.1/webhooks/twilio/webhook"},  # not the registered URL
    {"sign": False},
], ids=["wrong token", "wrong url", "unsigned"])
def test_twilio_rejects_bad_signatures_and_stores_nothing(
        bot: Any, stub: PlatformStub, how: Dict[str, Any]) -> None:
    sender = f"+1555{unique()[:7]}"
    assert twilio_say(bot, sender, "hello", **how) == 401
    assert twilio_shown(stub, sender) == []
    assert _stored_events(bot, pseudonym(SECRETS["TWILIO_AUTH_TOKEN"], sender, "twilio")) == 0


def test_whatsapp_rejects_a_signature_made_for_the_sms_webhook(bot: Any) -> None:
    sender = f"whatsapp:+1555{unique()[:7]}"
    assert twilio_say(bot, sender, "hello", channel="whatsapp",
                      signed_url=f"{PUBLIC}/twilio/webhook") == 401
    assert _stored_events(bot, sender) == 0


# The disclaimer and the urgent-care message reach every channel ------------------------------------

def _say_and_read(bot: Any, stub: PlatformStub, channel: str, text: str) -> Tuple[str, List[str]]:
    """Send ``text`` as a new user of ``channel``; the conversation id and the texts shown."""
    read: Dict[str, Callable[[str], List[str]]] = {
        "telegram": lambda s: [c.json["text"] for c in telegram_shown(stub, int(s), 2)],
        "slack": lambda s: [c.json["blocks"][0]["text"]["text"] for c in slack_shown(stub, s, 2)],
        "facebook": lambda s: [c.json["message"]["text"] for c in messenger_shown(stub, s, 2)],
        "twilio": lambda s: [c.form["Body"] for c in twilio_shown(stub, s, 2)],
        "whatsapp": lambda s: [c.form["Body"] for c in twilio_shown(stub, s, 2)],
    }
    if channel == "telegram":
        sender = unique()
        assert telegram_say(bot, int(sender), text) == 200
    elif channel == "slack":
        sender = unique("U")
        assert slack_say(bot, sender, text)[0] == 200
    elif channel == "facebook":
        sender = unique()
        assert messenger_say(bot, sender, text) == 200
    else:
        sender = f"{'whatsapp:' if channel == 'whatsapp' else ''}+1555{unique()[:7]}"
        assert twilio_say(bot, sender, text, channel=channel) == 200
    return sender, read[channel](sender)


@pytest.mark.parametrize("channel", ["telegram", "slack", "facebook", "twilio", "whatsapp"])
def test_disclaimer_and_urgent_message_reach_every_channel(
        bot: Any, stub: PlatformStub, channel: str) -> None:
    sender, shown = _say_and_read(bot, stub, channel, RED_FLAG)
    # (SMS is split into 200-character parts in these tests; the words are all there, in order)
    assert " ".join(shown).split() == f"{disclaimer()} {URGENT}".split()
    stored_as = (pseudonym(SECRETS["TWILIO_AUTH_TOKEN"], sender, channel)
                 if channel in ("twilio", "whatsapp") else sender)  # phone numbers: hashed
    assert _stored_events(bot, stored_as) > 0  # the check above is not vacuous: this one is stored


# The care team's card: after "talk to a person", never after the urgent message -----------------

@pytest.mark.parametrize("channel", ["twilio", "telegram"])
def test_the_care_team_card_follows_talk_to_a_person_and_never_the_urgent_message(
        bot: Any, stub: PlatformStub, channel: str) -> None:
    sender, shown = _say_and_read(bot, stub, channel, TALK_TO_PERSON)
    card = contact_card(CARE_TEAM)
    assert CARE_REPLY.text.endswith(f"\n{card}") and CARE_TEAM.phone in card
    assert " ".join(shown).split() == f"{disclaimer()} {CARE_REPLY.text}".split()
    assert " ".join(shown).endswith(card)  # the end of what the patient reads (SMS: in parts)
    if channel == "telegram":
        assert shown[-1] == CARE_REPLY.text  # the line and the card, one message, no keyboard
        assert telegram_shown(stub, int(sender))[-1].json["reply_markup"] == {"remove_keyboard": True}
    # the same patient then writes a warning sign: the urgent message alone, no card
    if channel == "telegram":
        before = len(telegram_shown(stub, int(sender)))
        assert telegram_say(bot, int(sender), RED_FLAG) == 200
        after = [c.json["text"] for c in telegram_shown(stub, int(sender), before + 1)[before:]]
        assert after == [URGENT]
    else:
        before = len(twilio_shown(stub, sender))
        assert twilio_say(bot, sender, RED_FLAG) == 200
        after = [c.form["Body"] for c in twilio_shown(stub, sender, before + 1)[before:]]
        assert " ".join(after).split() == URGENT.split()
    assert not any(CARE_TEAM.phone in text or "care team" in text.lower() for text in after)


# Feedback, from each kind of channel to the staff dashboard -------------------------------------

def _feedback_rows(bot: Any, staff_get: Callable[..., Tuple[int, str]]) -> List[str]:
    status, csv = staff_get(bot.web_url, "/staff/export.csv?from=2000-01-01")
    assert status == 200
    return [line for line in csv.splitlines() if line.startswith("feedback,")]


def test_telegram_feedback_buttons_reach_the_dashboard(
        bot: Any, stub: PlatformStub, staff_get: Callable[..., Tuple[int, str]]) -> None:
    chat = int(unique())
    before = _feedback_rows(bot, staff_get)
    assert telegram_say(bot, chat, SECOND.payload) == 200
    answer = telegram_shown(stub, chat, 2)[-1]
    assert keyboard(answer)[-2:] == ["Helpful", "Not helpful"]
    assert telegram_say(bot, chat, "Helpful") == 200  # the keyboard sends the button's title
    thanks = telegram_shown(stub, chat, 3)[-1]
    assert thanks.json["text"] == load_replies().get("feedback_helpful")[0]
    after = _feedback_rows(bot, staff_get)
    assert after != before
    assert any(row.startswith(f"feedback,{SECOND_ANSWER.answer_id},helpful,") for row in after)
    assert str(chat) not in "".join(after)


def test_sms_feedback_by_number_reaches_the_dashboard(
        bot: Any, stub: PlatformStub, staff_get: Callable[..., Tuple[int, str]]) -> None:
    sender = f"+1555{unique()[:7]}"
    assert twilio_say(bot, sender, SECOND.payload) == 200
    sent = twilio_shown(stub, sender, 2)
    not_helpful = len(SECOND_ANSWER.buttons)  # the last numbered option
    assert sent[-1].form["Body"].endswith(f"{not_helpful}. Not helpful")
    assert twilio_say(bot, sender, str(not_helpful)) == 200
    reasons = twilio_shown(stub, sender, len(sent) + 1)[-1].form["Body"]
    assert "1. Too hard to read" in reasons
    assert twilio_say(bot, sender, "1") == 200
    twilio_shown(stub, sender, len(sent) + 2)
    rows = _feedback_rows(bot, staff_get)
    for rating in ("not_helpful", "too_hard"):
        assert any(row.startswith(f"feedback,{SECOND_ANSWER.answer_id},{rating},") for row in rows)
    assert sender not in "".join(rows) and sender.lstrip("+") not in "".join(rows)
    # the phone number is not the conversation id: the store holds a keyed hash of it only
    stored = pseudonym(SECRETS["TWILIO_AUTH_TOKEN"], sender, "twilio")
    assert _stored_events(bot, stored) >= 8
    with sqlite3.connect(bot.db) as db:
        hits = db.execute("SELECT COUNT(*) FROM events WHERE sender_id LIKE ? OR data LIKE ?",
                          (f"%{sender[2:]}%", f"%{sender[2:]}%")).fetchone()[0]
    assert hits == 0


# The take-home summary's link, on a channel without a web page ------------------------------------

@pytest.mark.parametrize("channel", ["twilio", "telegram"])
def test_the_summary_link_is_sent_on_messaging_channels(
        bot: Any, stub: PlatformStub, channel: str) -> None:
    if channel == "telegram":
        chat = int(unique())
        say: Callable[[str], Any] = lambda text: telegram_say(bot, chat, text)  # noqa: E731
        shown: Callable[[int], List[str]] = lambda n: [  # noqa: E731
            c.json["text"] for c in telegram_shown(stub, chat, n)]
    else:
        sender = f"+1555{unique()[:7]}"
        say = lambda text: twilio_say(bot, sender, text)  # noqa: E731
        shown = lambda n: [c.form["Body"] for c in twilio_shown(stub, sender, n)]  # noqa: E731
    assert say(SECOND.payload) == 200
    before = len(shown(2))
    assert say("can you send me a summary of what you told me") == 200
    link_message = shown(before + 1)[-1]
    match = re.search(r"https?://\S+/summary\?v=\w+&a=\S+", link_message)
    assert match, link_message
    query = parse_qs(urlsplit(match.group(0)).query)
    assert set(query) == {"v", "a"} and query["a"] == [SECOND_ANSWER.answer_id.replace("+", ",")]
