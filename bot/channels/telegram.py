"""Telegram: Bot API webhook in, ``sendMessage`` with reply keyboards out.

Rasa loads :class:`TelegramInput` from the credentials file. At start it checks the token
(``getMe`` must name the bot ``verify``) and registers the webhook with a secret token; Telegram
then sends that token in ``X-Telegram-Bot-Api-Secret-Token`` with every update, and requests
without it are rejected (401) before anything is stored.

A reply keyboard sends the pressed button's title as an ordinary message; it is mapped back to
the button's payload from the conversation (:mod:`bot.channels.choices`).
"""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.base import PlatformOutput, max_chars, required, unauthorized
from bot.channels.choices import chosen_text
from bot.channels.guard import guard
from bot.channels.http import ApiCall, post
from bot.channels.signatures import TELEGRAM_SECRET_HEADER, secret_token_ok
from bot.channels.text import split_text

logger = logging.getLogger(__name__)

API_URL = "https://api.telegram.org"
MAX_CHARS = 4096  # sendMessage text, after entity parsing
START_COMMAND = "/start"  # what Telegram sends when someone opens the bot
START_PAYLOAD = "/greet"
REMOVE_KEYBOARD = {"remove_keyboard": True}


def api_call(api_url: str, token: str, method: str, body: Dict[str, Any]) -> ApiCall:
    """A Bot API call (the token is part of the URL, so logs name only the method)."""
    return ApiCall(f"telegram {method}", f"{api_url.rstrip('/')}/bot{token}/{method}", json=body)


def _chat_id(recipient_id: str) -> Union[int, str]:
    return int(recipient_id) if recipient_id.lstrip("-").isdigit() else recipient_id


def reply_keyboard(titles: Sequence[str]) -> Dict[str, Any]:
    """A reply keyboard, one button a row, hidden again once pressed."""
    return {"keyboard": [[{"text": title}] for title in titles],
            "resize_keyboard": True, "one_time_keyboard": True}


def send_message_calls(
    api_url: str, token: str, chat_id: str, text: str, titles: Sequence[str], limit: int
) -> List[ApiCall]:
    """``sendMessage`` calls for ``text`` split under ``limit``; the last one carries the
    keyboard of ``titles`` (or removes an old keyboard when there are no options)."""
    parts = split_text(text, limit)
    calls = []
    for index, part in enumerate(parts):
        body: Dict[str, Any] = {"chat_id": _chat_id(chat_id), "text": part}
        if index == len(parts) - 1:
            body["reply_markup"] = reply_keyboard(titles) if titles else REMOVE_KEYBOARD
        calls.append(api_call(api_url, token, "sendMessage", body))
    return calls


def update_text(update: Mapping[str, Any]) -> Optional[Tuple[str, Optional[str]]]:
    """The chat id and text of a message in a private chat, from an Update.

    The text is ``None`` for a message without text (a photo, a sticker, a voice note), which
    the message guard answers. ``/start`` (sent when someone opens the bot) becomes a greeting.
    Anything else (group chats, edits, other update kinds) gives ``None``: it is ignored.
    """
    message = update.get("message")
    if not isinstance(message, Mapping):
        return None
    chat = message.get("chat") or {}
    if chat.get("type") != "private" or "id" not in chat:
        return None
    text = message.get("text")
    if not isinstance(text, str):
        return str(chat["id"]), None
    command = (text.split() or [""])[0].split("@")[0]
    return str(chat["id"]), START_PAYLOAD if command == START_COMMAND else text


def user_language(update: Mapping[str, Any]) -> Dict[str, str]:
    """The metadata that names the sender's Telegram language ("es", "en-GB"): a conversation
    starts in it (bot/engine/language.py) until the patient types "english" or "español"."""
    sender = (update.get("message") or {}).get("from") or {}
    code = sender.get("language_code") if isinstance(sender, Mapping) else None
    return {"language": code} if isinstance(code, str) and code else {}


class TelegramOutput(PlatformOutput):
    """Sends messages to one bot's chats."""

    @classmethod
    def name(cls) -> str:
        return "telegram"

    def __init__(self, token: str, api_url: str = API_URL, limit: int = MAX_CHARS) -> None:
        super().__init__()
        self.token, self.api_url, self.limit = token, api_url, limit

    def calls(self, recipient_id: str, text: str, buttons: List[Dict[str, Any]]) -> List[ApiCall]:
        titles = [str(b["title"]) for b in buttons]
        return send_message_calls(self.api_url, self.token, recipient_id, text, titles, self.limit)


class TelegramInput(InputChannel):
    """Telegram webhook at ``/webhooks/telegram/webhook``.

    Args:
        access_token: the bot token from @BotFather.
        verify: the bot's username; ``getMe`` is checked against it at start.
        webhook_url: the public URL of this webhook, registered with Telegram at start.
        secret_token: the secret Telegram must send with every update.
        api_url: the Bot API base URL (tests point it at a local stub).
        limit: the message size limit.
    """

    @classmethod
    def name(cls) -> str:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> "TelegramInput":
        required(credentials, cls.name(), "access_token", "verify", "webhook_url", "secret_token")
        assert credentials is not None
        return cls(credentials["access_token"], credentials["verify"], credentials["webhook_url"],
                   credentials["secret_token"], credentials.get("api_url") or API_URL,
                   max_chars(credentials, MAX_CHARS))

    def __init__(self, access_token: str, verify: str, webhook_url: str, secret_token: str,
                 api_url: str = API_URL, limit: int = MAX_CHARS) -> None:
        self.access_token, self.verify, self.webhook_url = access_token, verify, webhook_url
        self.secret_token, self.api_url, self.limit = secret_token, api_url, limit

    def get_output_channel(self) -> TelegramOutput:
        return TelegramOutput(self.access_token, self.api_url, self.limit)

    async def register_webhook(self) -> bool:
        """Check the token names the bot ``verify`` and register the webhook with the secret.

        Failures are logged (the rest of the assistant keeps running) and return ``False``.
        """
        me, = await post([api_call(self.api_url, self.access_token, "getMe", {})])
        result = me.get("result") if isinstance(me, dict) else None
        username = result.get("username") if isinstance(result, dict) else None
        if username != self.verify:
            logger.error("Telegram: the token belongs to bot %r, not TELEGRAM_VERIFY=%r; "
                         "the webhook was not registered.", username, self.verify)
            return False
        done, = await post([api_call(self.api_url, self.access_token, "setWebhook", {
            "url": self.webhook_url, "secret_token": self.secret_token,
            "allowed_updates": ["message"]})])
        if done is not None:
            logger.info("Telegram webhook registered for @%s", username)
        return done is not None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        telegram = Blueprint("telegram_webhook", __name__)
        out_channel = self.get_output_channel()
        handle = guard(on_new_message)

        @telegram.listener("after_server_start")
        async def register(*_: Any) -> None:
            await self.register_webhook()

        @telegram.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @telegram.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            if not secret_token_ok(self.secret_token, request.headers.get(TELEGRAM_SECRET_HEADER)):
                return unauthorized(self.name())
            update = request.json
            found = update_text(update) if isinstance(update, dict) else None
            if found is None:
                return response.text("ignored")
            sender, text = found
            text = await chosen_text(request.app.ctx.agent, sender, text, numbered=False)
            await handle(UserMessage(text, out_channel, sender, input_channel=self.name(),
                                     metadata=user_language(update)))
            return response.text("success")

        return telegram
