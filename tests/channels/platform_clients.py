"""The platforms' side of the end-to-end channel tests: real-format webhook requests, signed the
way each platform signs them (computed here, independently of the assistant's code), and readers
of what the assistant asked each platform's API (the stub) to show.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, List, Optional, Tuple

from platform_stub import TELEGRAM_BOT, Call, PlatformStub

PUBLIC = "https://bme.example.org/webhooks"
SECRETS = {
    "TELEGRAM_TOKEN": "123456:TEST-token", "TELEGRAM_VERIFY": TELEGRAM_BOT["username"],
    "TELEGRAM_WEBHOOK_URL": f"{PUBLIC}/telegram/webhook", "TELEGRAM_SECRET_TOKEN": "tg-Secret_1",
    "SLACK_TOKEN": "xoxb-test-token", "SLACK_SIGNING_SECRET": "slack-signing-secret",
    "FACEBOOK_VERIFY": "fb-verify-me", "FACEBOOK_SECRET": "fb-app-secret",
    "FACEBOOK_PAGE_ACCESS_TOKEN": "fb-page-token",
    "TWILIO_ACCOUNT_SID": "AC0123456789abcdef0123456789abcdef", "TWILIO_AUTH_TOKEN": "tw-auth",
    "TWILIO_NUMBER": "+15550001111", "TWILIO_WEBHOOK_URL": f"{PUBLIC}/twilio/webhook",
    "TWILIO_WHATSAPP_NUMBER": "+15550002222",
    "TWILIO_WHATSAPP_WEBHOOK_URL": f"{PUBLIC}/whatsapp/webhook",
    "TWILIO_MAX_CHARS": "200",  # SMS split into small parts here, so splitting shows end to end
}


def post(url: str, body: bytes, headers: Dict[str, str]) -> Tuple[int, str]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (loopback)
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8")


# How each platform talks to us (signed as the platform signs) -------------------------------------

def telegram_say(bot: Any, chat_id: int, text: Optional[str],
                 secret: Optional[str] = SECRETS["TELEGRAM_SECRET_TOKEN"],
                 language: str = "en") -> int:
    message: Dict[str, Any] = {
        "message_id": random.randint(1, 10**6), "date": int(time.time()),
        "from": {"id": chat_id, "is_bot": False, "first_name": "Pat", "language_code": language},
        "chat": {"id": chat_id, "first_name": "Pat", "type": "private"}}
    if text is not None:
        message["text"] = text
        if text.startswith("/"):
            message["entities"] = [{"offset": 0, "length": len(text), "type": "bot_command"}]
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    body = json.dumps({"update_id": random.randint(1, 10**9), "message": message}).encode()
    return post(f"{bot.url}/webhooks/telegram/webhook", body, headers)[0]


def slack_headers(body: bytes, secret: str = SECRETS["SLACK_SIGNING_SECRET"],
                   age_s: int = 0) -> Dict[str, str]:
    timestamp = str(int(time.time()) - age_s)
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256)
    return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": f"v0={digest.hexdigest()}"}


def slack_say(bot: Any, user: str, text: str, **signing: Any) -> Tuple[int, str]:
    channel = f"D{user[1:]}"
    body = json.dumps({
        "token": "legacy", "team_id": "T0001", "api_app_id": "A0001", "type": "event_callback",
        "event_id": f"Ev{random.randint(1, 10**9)}", "event_time": int(time.time()),
        "authorizations": [{"team_id": "T0001", "user_id": "UBOT", "is_bot": True}],
        "event": {"type": "message", "channel_type": "im", "user": user, "text": text,
                  "ts": f"{time.time():.6f}", "channel": channel, "team": "T0001"}}).encode()
    headers = {"Content-Type": "application/json", **slack_headers(body, **signing)}
    return post(f"{bot.url}/webhooks/slack/webhook", body, headers)


def slack_click(bot: Any, user: str, value: str) -> int:
    payload = {"type": "block_actions", "user": {"id": user, "username": "pat"},
               "channel": {"id": f"D{user[1:]}"}, "message": {"ts": f"{time.time():.6f}"},
               "actions": [{"type": "button", "action_id": "choice-1", "block_id": "b1",
                            "value": value, "text": {"type": "plain_text", "text": "x"}}]}
    body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", **slack_headers(body)}
    return post(f"{bot.url}/webhooks/slack/webhook", body, headers)[0]


def messenger_send(bot: Any, psid: str, event: Dict[str, Any],
                   secret: Optional[str] = SECRETS["FACEBOOK_SECRET"]) -> int:
    body = json.dumps({"object": "page", "entry": [{"id": "PAGE1", "time": int(time.time()),
                       "messaging": [{"sender": {"id": psid}, "recipient": {"id": "PAGE1"},
                                      "timestamp": int(time.time() * 1000), **event}]}]}).encode()
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        headers["X-Hub-Signature-256"] = f"sha256={digest}"
    return post(f"{bot.url}/webhooks/facebook/webhook", body, headers)[0]


def messenger_say(bot: Any, psid: str, text: str, **kwargs: Any) -> int:
    return messenger_send(bot, psid, {"message": {"mid": f"m.{random.random()}", "text": text}},
                          **kwargs)


def twilio_say(bot: Any, sender: str, text: str, channel: str = "twilio",
               signed_url: Optional[str] = None, token: Optional[str] = None,
               sign: bool = True) -> int:
    ours = SECRETS["TWILIO_WHATSAPP_NUMBER" if channel == "whatsapp" else "TWILIO_NUMBER"]
    prefix = "whatsapp:" if channel == "whatsapp" else ""
    form = {"MessageSid": f"SM{random.randint(1, 10**9)}", "AccountSid": SECRETS["TWILIO_ACCOUNT_SID"],
            "From": sender, "To": f"{prefix}{ours}", "Body": text, "NumMedia": "0"}
    url = signed_url or f"{PUBLIC}/{channel}/webhook"
    data = url + "".join(key + form[key] for key in sorted(form))
    key = (token or SECRETS["TWILIO_AUTH_TOKEN"]).encode()
    signature = base64.b64encode(hmac.new(key, data.encode(), hashlib.sha1).digest()).decode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if sign:
        headers["X-Twilio-Signature"] = signature
    body = urllib.parse.urlencode(form).encode()
    return post(f"{bot.url}/webhooks/{channel}/webhook", body, headers)[0]


# What each platform was asked to show ---------------------------------------------------------------

def telegram_shown(stub: PlatformStub, chat_id: int, count: int = 0) -> List[Call]:
    return stub.wait_for("telegram", lambda c: c.method == "sendMessage"
                         and c.json["chat_id"] == chat_id, count)


def slack_shown(stub: PlatformStub, user: str, count: int = 0) -> List[Call]:
    return stub.wait_for("slack", lambda c: c.json["channel"] == f"D{user[1:]}", count)


def messenger_shown(stub: PlatformStub, psid: str, count: int = 0) -> List[Call]:
    return stub.wait_for("facebook", lambda c: c.json["recipient"]["id"] == psid, count)


def twilio_shown(stub: PlatformStub, sender: str, count: int = 0) -> List[Call]:
    return stub.wait_for("twilio", lambda c: c.form["To"] == sender, count)


def keyboard(call: Call) -> Optional[List[str]]:
    markup = call.json["reply_markup"]
    return [row[0]["text"] for row in markup["keyboard"]] if "keyboard" in markup else None


def unique(prefix: str = "") -> str:
    return f"{prefix}{random.randint(10**8, 10**9 - 1)}"
