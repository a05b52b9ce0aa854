"""Slack: Events API and interactivity in (Rasa's connector), ``chat.postMessage`` with Block
Kit buttons out.

:class:`SlackInput` is Rasa's Slack connector with these changes. A request whose
``X-Slack-Signature`` does not verify is rejected with 401 before any route runs (Rasa's check,
which also refuses requests older than five minutes). Messages go through the message guard.
Replies are Block Kit sections with a row of buttons. The API base URL can be set (tests point it
at a local stub).
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict, List, Optional

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.slack import SlackInput as RasaSlackInput
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.base import PlatformOutput, max_chars, required, unauthorized
from bot.channels.guard import guard
from bot.channels.http import ApiCall
from bot.channels.text import shorten, split_text

API_URL = "https://slack.com/api"
MAX_CHARS = 3000  # text of a section block
MAX_BUTTONS = 25  # elements of an actions block
BUTTON_TITLE_CHARS = 75


def _escape(text: str) -> str:
    """Slack's escaping for the ``text`` field (notifications), which is read as mrkdwn."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def actions_block(buttons: List[Dict[str, Any]]) -> Dict[str, Any]:
    """A row of buttons; a click sends the button's payload back as ``value``."""
    return {"type": "actions", "elements": [
        {"type": "button", "action_id": f"choice-{n}",
         "text": {"type": "plain_text", "text": shorten(str(b["title"]), BUTTON_TITLE_CHARS)},
         "value": str(b["payload"])}
        for n, b in enumerate(buttons[:MAX_BUTTONS], 1)]}


def post_message_calls(
    api_url: str, token: str, channel: str, text: str, buttons: List[Dict[str, Any]],
    limit: int, thread_ts: Optional[str] = None,
) -> List[ApiCall]:
    """``chat.postMessage`` calls for ``text`` split under ``limit``, each a plain-text section
    block; the last one also carries the buttons."""
    parts = split_text(text, limit)
    calls = []
    for index, part in enumerate(parts):
        blocks: List[Dict[str, Any]] = [
            {"type": "section", "text": {"type": "plain_text", "text": part}}]
        if buttons and index == len(parts) - 1:
            blocks.append(actions_block(buttons))
        body: Dict[str, Any] = {"channel": channel, "text": _escape(part), "blocks": blocks}
        if thread_ts:
            body["thread_ts"] = thread_ts
        calls.append(ApiCall("slack chat.postMessage", f"{api_url.rstrip('/')}/chat.postMessage",
                             json=body, headers={"Authorization": f"Bearer {token}"}))
    return calls


class SlackOutput(PlatformOutput):
    """Posts to one Slack conversation (a direct message or the channel of a mention)."""

    @classmethod
    def name(cls) -> str:
        return "slack"

    def __init__(self, token: str, channel: Optional[str] = None, thread_id: Optional[str] = None,
                 api_url: str = API_URL, limit: int = MAX_CHARS) -> None:
        super().__init__()
        self.token, self.channel, self.thread_id = token, channel, thread_id
        self.api_url, self.limit = api_url, limit

    def calls(self, recipient_id: str, text: str, buttons: List[Dict[str, Any]]) -> List[ApiCall]:
        return post_message_calls(self.api_url, self.token, self.channel or recipient_id, text,
                                  buttons, self.limit, self.thread_id)


class SlackInput(RasaSlackInput):
    """Slack webhook at ``/webhooks/slack/webhook`` (events and button clicks).

    Credentials: ``slack_token`` (bot token), ``slack_signing_secret``, and optionally
    ``api_url`` and ``max_chars``; Rasa's other Slack options work as documented by Rasa.
    """

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> "SlackInput":
        required(credentials, "slack", "slack_token", "slack_signing_secret")
        assert credentials is not None
        channel = super().from_credentials(credentials)
        channel.api_url = credentials.get("api_url") or API_URL
        channel.limit = max_chars(credentials, MAX_CHARS)
        return channel

    api_url: str = API_URL
    limit: int = MAX_CHARS

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        slack = super().blueprint(guard(on_new_message))

        @slack.middleware("request")
        async def verify(request: Request) -> Optional[HTTPResponse]:
            at_webhook = request.path.rstrip("/").endswith("/webhook")
            if at_webhook and not self.is_request_from_slack_authentic(request):
                return unauthorized(self.name())
            return None

        return slack

    def get_output_channel(
        self, channel: Optional[str] = None, thread_id: Optional[str] = None
    ) -> SlackOutput:
        return SlackOutput(self.slack_token, channel or self.slack_channel, thread_id,
                           self.api_url, self.limit)
