"""Twilio SMS and WhatsApp: form webhook in, Messages API out, options as numbers.

Neither SMS nor WhatsApp (through Twilio) shows buttons, so options are listed as "1. ...",
"2. ..." and a reply of "2" is understood as the second option last offered, read from the
conversation (:mod:`bot.channels.choices`). Every POST must carry a valid ``X-Twilio-Signature``
for the public webhook URL; anything else is rejected with 401 before it is read.

SMS and WhatsApp are two channels (two webhook URLs, two numbers) sharing this code; a WhatsApp
address is the phone number prefixed with ``whatsapp:``.

The phone number is never the conversation id: Rasa (and so the tracker store) sees a keyed hash
of it (:func:`bot.clinic.privacy.pseudonym`, keyed with the account's auth token); the answer is sent to
the number of the request it answers.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict, List, Optional, Type

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.base import PlatformOutput, max_chars, required, unauthorized
from bot.channels.choices import chosen_text
from bot.channels.guard import guard
from bot.channels.http import ApiCall
from bot.channels.signatures import TWILIO_SIGNATURE_HEADER, twilio_signature_ok
from bot.channels.text import numbered_options, split_text
from bot.clinic.privacy import pseudonym

API_URL = "https://api.twilio.com"
MAX_CHARS = 1600  # Body of one message (SMS and WhatsApp)
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def with_options(text: str, buttons: List[Dict[str, Any]]) -> str:
    """``text`` followed by the options as a numbered list."""
    if not buttons:
        return text
    return f"{text}\n\n{numbered_options([str(b['title']) for b in buttons])}"


def message_calls(
    api_url: str, account_sid: str, auth_token: str, sender: str, recipient: str, text: str,
    buttons: List[Dict[str, Any]], limit: int,
) -> List[ApiCall]:
    """Messages API calls for ``text`` and its numbered options, split under ``limit``."""
    url = f"{api_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"
    return [ApiCall("twilio Messages", url, form={"To": recipient, "From": sender, "Body": part},
                    auth=(account_sid, auth_token))
            for part in split_text(with_options(text, buttons), limit)]


class TwilioOutput(PlatformOutput):
    """Sends SMS messages from one Twilio number."""

    @classmethod
    def name(cls) -> str:
        return "twilio"

    def __init__(self, account_sid: str, auth_token: str, number: str, api_url: str = API_URL,
                 limit: int = MAX_CHARS, to: Optional[str] = None) -> None:
        super().__init__()
        self.account_sid, self.auth_token, self.number = account_sid, auth_token, number
        self.api_url, self.limit, self.to = api_url, limit, to

    def calls(self, recipient_id: str, text: str, buttons: List[Dict[str, Any]]) -> List[ApiCall]:
        """Calls to ``to`` (the phone number of the message answered) when set, else to
        ``recipient_id``."""
        return message_calls(self.api_url, self.account_sid, self.auth_token, self.number,
                             self.to or recipient_id, text, buttons, self.limit)


class TwilioInput(InputChannel):
    """Twilio SMS webhook at ``/webhooks/twilio/webhook``.

    Args:
        account_sid: the Twilio account SID.
        auth_token: the account's auth token (signs every webhook request).
        number: the number messages come to and answers go from (E.164, like ``+15550001111``).
        webhook_url: this webhook's public URL, exactly as set in Twilio (signatures cover it).
        api_url: the Twilio API base URL (tests point it at a local stub).
        limit: the message size limit.
    """

    ADDRESS_PREFIX = ""
    OUTPUT: Type[TwilioOutput] = TwilioOutput

    @classmethod
    def name(cls) -> str:
        return "twilio"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> "TwilioInput":
        required(credentials, cls.name(), "account_sid", "auth_token", "twilio_number",
                 "webhook_url")
        assert credentials is not None
        return cls(credentials["account_sid"], credentials["auth_token"],
                   credentials["twilio_number"], credentials["webhook_url"],
                   credentials.get("api_url") or API_URL, max_chars(credentials, MAX_CHARS))

    def __init__(self, account_sid: str, auth_token: str, number: str, webhook_url: str,
                 api_url: str = API_URL, limit: int = MAX_CHARS) -> None:
        self.account_sid, self.auth_token, self.webhook_url = account_sid, auth_token, webhook_url
        prefix = self.ADDRESS_PREFIX
        self.number = number if number.startswith(prefix) else f"{prefix}{number}"
        self.api_url, self.limit = api_url, limit

    def get_output_channel(self, to: Optional[str] = None) -> TwilioOutput:
        return self.OUTPUT(self.account_sid, self.auth_token, self.number, self.api_url,
                           self.limit, to)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        twilio = Blueprint(f"{self.name()}_webhook", __name__)
        handle = guard(on_new_message)

        @twilio.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @twilio.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            form = {key: request.form.get(key) for key in request.form}
            signature = request.headers.get(TWILIO_SIGNATURE_HEADER)
            if not twilio_signature_ok(self.auth_token, self.webhook_url, form, signature):
                return unauthorized(self.name())
            phone = form.get("From")
            if phone:  # a message without text (a picture) gets the guard's answer
                sender = pseudonym(self.auth_token, phone, self.name())
                text = await chosen_text(request.app.ctx.agent, sender, form.get("Body"),
                                         numbered=True)
                await handle(UserMessage(text, self.get_output_channel(phone), sender,
                                         input_channel=self.name()))
            return response.text(EMPTY_TWIML, content_type="text/xml")

        return twilio


class WhatsAppOutput(TwilioOutput):
    """Sends WhatsApp messages from one Twilio WhatsApp sender."""

    @classmethod
    def name(cls) -> str:
        return "whatsapp"


class WhatsAppInput(TwilioInput):
    """Twilio WhatsApp webhook at ``/webhooks/whatsapp/webhook`` (same settings as SMS, with
    the WhatsApp sender number)."""

    ADDRESS_PREFIX = "whatsapp:"
    OUTPUT: Type[TwilioOutput] = WhatsAppOutput

    @classmethod
    def name(cls) -> str:
        return "whatsapp"
