"""The REST and socket.io channels of the web widget, kiosk and API clients, with the message guard.

They are Rasa's own channels with two changes: every message goes through
:func:`bot.channels.guard.guard`, and malformed requests are refused with a 400 that says what a
good request looks like, instead of a server error or a conversation under a shared default id.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint
from sanic.exceptions import InvalidUsage as BadRequest  # sanic 21.12: 400
from sanic.request import Request

from bot.channels.guard import OnNewMessage, guard
from bot.settings import embed_origins
from bot.reply_kinds import KIND_KEY

REST_USAGE = 'send a JSON object like {"sender": "patient-1", "message": "What is it?"}'


def _body(request: Request) -> Dict[str, Any]:
    try:
        body = request.json
    except BadRequest:
        raise BadRequest(f"The request body is not valid JSON: {REST_USAGE}") from None
    if not isinstance(body, dict):
        raise BadRequest(f"The request body must be a JSON object: {REST_USAGE}")
    return body


class GuardedRestInput(RestInput):
    """POST /webhooks/rest/webhook, guarded."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    async def _extract_sender(self, req: Request) -> Optional[Text]:
        sender = _body(req).get("sender")
        if isinstance(sender, bool) or not isinstance(sender, (str, int)) or not str(sender).strip():
            raise BadRequest(f"`sender` is required (a conversation id): {REST_USAGE}")
        if len(str(sender)) > 256:
            raise BadRequest("`sender` must be at most 256 characters long")
        return str(sender)

    def _extract_message(self, req: Request) -> Optional[Text]:
        message = _body(req).get("message")
        # Not text: hand on "" so the guard answers it (Rasa's UserMessage would crash on it).
        return message if isinstance(message, str) else ""

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        metadata = _body(request).get("metadata")
        return metadata if isinstance(metadata, dict) else None

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        return super().blueprint(guard(on_new_message))


#: The socket.io event that says what the next ``bot_uttered`` part is (``{"kind": "answer",
#: "answer_id": ..., "review": ...}``), sent just before it. Each part itself keeps Rasa's own
#: format ({text} or {text, quick_replies}), which outside clients such as rasa-webchat render only
#: when it holds nothing else; they ignore an event they do not listen to.
ABOUT_EVENT = "bot_uttered_about"


class DescribedSocketIOOutput(SocketIOOutput):
    """Rasa's socket.io output, with what each message is (its kind, answer ids, review note) sent
    as :data:`ABOUT_EVENT` before every part, so our widget and kiosk can show the review note and
    the feedback buttons under an answer, and clear the page after "delete my chat"."""

    about: Optional[Dict[str, Any]] = None

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        self.about = kwargs.get(KIND_KEY)
        await super().send_text_message(recipient_id, text, **kwargs)

    async def send_text_with_buttons(self, recipient_id: Text, text: Text,
                                     buttons: List[Dict[Text, Any]], **kwargs: Any) -> None:
        self.about = kwargs.get(KIND_KEY)
        await super().send_text_with_buttons(recipient_id, text, buttons, **kwargs)

    async def _send_message(self, socket_id: Text, response: Any) -> None:
        if self.about:
            await self.sio.emit(ABOUT_EVENT, self.about, room=socket_id)
        await super()._send_message(socket_id, response)


def _described(on_new_message: OnNewMessage) -> OnNewMessage:
    """Give each socket.io message a :class:`DescribedSocketIOOutput` (Rasa makes its own
    output channel inside its handler, where no subclass can reach)."""

    async def handle(message: UserMessage) -> None:
        output = message.output_channel
        if type(output) is SocketIOOutput:
            message.output_channel = DescribedSocketIOOutput(output.sio, output.bot_message_evt)
        await on_new_message(message)

    return handle


class GuardedSocketIOInput(SocketIOInput):
    """The socket.io channel, guarded; events that are not objects are ignored, not crashed on.

    Rasa turns python-socketio's own origin check off (CORS is left to Sanic, which only sees the
    HTTP polling transport), so a page from any site could open a websocket. Here a browser
    connection (one that sends ``Origin``) is accepted only from the origins ``bot.deploy.serve`` allows
    (``BME_EMBED_ORIGINS``); other clients send no ``Origin`` and are unaffected.
    """

    @classmethod
    def name(cls) -> Text:
        return "socketio"

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        blueprint = super().blueprint(_described(guard(on_new_message)))
        handlers = self.sio.handlers[self.namespace or "/"]
        original = handlers[self.user_message_evt]

        async def handle_message(sid: Text, data: Any = None) -> None:
            if not isinstance(data, dict):
                return
            data = dict(data)
            if not isinstance(data.get(self.metadata_key), dict):
                data.pop(self.metadata_key, None)  # Rasa would json.loads a string and crash
            await original(sid, data)

        handlers[self.user_message_evt] = handle_message

        allowed = frozenset(embed_origins())
        connect = handlers["connect"]

        async def checked_connect(sid: Text, environ: Dict, auth: Optional[Dict] = None) -> bool:
            origin = environ.get("HTTP_ORIGIN")
            if origin and origin not in allowed:
                return False
            return await connect(sid, environ, auth)

        handlers["connect"] = checked_connect
        return blueprint
