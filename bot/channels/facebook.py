"""Facebook Messenger: page webhook in, Send API with quick replies out.

Every POST must carry a valid ``X-Hub-Signature-256`` (or the older ``X-Hub-Signature``) made
with the app secret; anything else is rejected with 401 before any message is read. The
subscription check (``GET`` with ``hub.verify_token``) answers 403 to a wrong token.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict, Iterator, List, Mapping, Optional, Tuple
from urllib.parse import quote

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.base import PlatformOutput, max_chars, required, unauthorized
from bot.channels.guard import guard
from bot.channels.http import ApiCall
from bot.channels.signatures import hub_signature_ok
from bot.channels.text import shorten, split_text

API_URL = "https://graph.facebook.com/v18.0"
MAX_CHARS = 2000  # text of a message
MAX_QUICK_REPLIES = 13
QUICK_REPLY_TITLE_CHARS = 20


def quick_replies(buttons: List[Dict[str, Any]]) -> List[Dict[str, str]]:
    """Quick replies: the title on the button (shortened to Messenger's 20 characters), the
    payload sent back when it is tapped."""
    return [{"content_type": "text", "title": shorten(str(b["title"]), QUICK_REPLY_TITLE_CHARS),
             "payload": str(b["payload"])} for b in buttons[:MAX_QUICK_REPLIES]]


def send_calls(
    api_url: str, token: str, recipient_id: str, text: str, buttons: List[Dict[str, Any]],
    limit: int,
) -> List[ApiCall]:
    """Send API calls for ``text`` split under ``limit``; the last one has the quick replies."""
    parts = split_text(text, limit)
    url = f"{api_url.rstrip('/')}/me/messages?access_token={quote(token, safe='')}"
    calls = []
    for index, part in enumerate(parts):
        message: Dict[str, Any] = {"text": part}
        if buttons and index == len(parts) - 1:
            message["quick_replies"] = quick_replies(buttons)
        calls.append(ApiCall("facebook me/messages", url, json={
            "recipient": {"id": recipient_id}, "messaging_type": "RESPONSE", "message": message}))
    return calls


def incoming(payload: Mapping[str, Any]) -> Iterator[Tuple[str, Optional[str]]]:
    """(sender id, text) of each user message in a webhook payload.

    The text is what was typed, a quick reply's payload, or a postback's payload (the "Get
    Started" button); ``None`` for a message without text (a photo, a sticker), which the message
    guard answers. Echoes of the page's own messages, deliveries, reads and reactions are skipped.
    """
    for entry in payload.get("entry") or []:
        for event in entry.get("messaging") or []:
            sender = (event.get("sender") or {}).get("id")
            message, postback = event.get("message"), event.get("postback")
            if not sender or not (message or postback) or (message or {}).get("is_echo"):
                continue
            if message:
                text = (message.get("quick_reply") or {}).get("payload") or message.get("text")
            else:
                text = postback.get("payload")
            yield str(sender), text if isinstance(text, str) else None


class MessengerOutput(PlatformOutput):
    """Sends messages as one Facebook page."""

    @classmethod
    def name(cls) -> str:
        return "facebook"

    def __init__(self, page_access_token: str, api_url: str = API_URL,
                 limit: int = MAX_CHARS) -> None:
        super().__init__()
        self.token, self.api_url, self.limit = page_access_token, api_url, limit

    def calls(self, recipient_id: str, text: str, buttons: List[Dict[str, Any]]) -> List[ApiCall]:
        return send_calls(self.api_url, self.token, recipient_id, text, buttons, self.limit)


class MessengerInput(InputChannel):
    """Messenger webhook at ``/webhooks/facebook/webhook``.

    Args:
        verify: the verify token typed into the app's webhook settings.
        secret: the app secret (signs every webhook request).
        page_access_token: the page's token for the Send API.
        api_url: the Graph API base URL with version (tests point it at a local stub).
        limit: the message size limit.
    """

    @classmethod
    def name(cls) -> str:
        return "facebook"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> "MessengerInput":
        required(credentials, cls.name(), "verify", "secret", "page-access-token")
        assert credentials is not None
        return cls(credentials["verify"], credentials["secret"], credentials["page-access-token"],
                   credentials.get("api_url") or API_URL, max_chars(credentials, MAX_CHARS))

    def __init__(self, verify: str, secret: str, page_access_token: str, api_url: str = API_URL,
                 limit: int = MAX_CHARS) -> None:
        self.verify, self.secret, self.page_access_token = verify, secret, page_access_token
        self.api_url, self.limit = api_url, limit

    def get_output_channel(self) -> MessengerOutput:
        return MessengerOutput(self.page_access_token, self.api_url, self.limit)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        messenger = Blueprint("fb_webhook", __name__)
        out_channel = self.get_output_channel()
        handle = guard(on_new_message)

        @messenger.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @messenger.route("/webhook", methods=["GET"])
        async def subscribe(request: Request) -> HTTPResponse:
            if (request.args.get("hub.mode") == "subscribe"
                    and request.args.get("hub.verify_token") == self.verify):
                return response.text(request.args.get("hub.challenge", ""))
            return response.text("wrong verify token", status=403)

        @messenger.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            if not hub_signature_ok(self.secret, request.body, request.headers):
                return unauthorized(self.name())
            payload = request.json
            for sender, text in incoming(payload if isinstance(payload, dict) else {}):
                await handle(UserMessage(text, out_channel, sender, input_channel=self.name()))
            return response.text("success")

        return messenger
