"""One guard for every incoming message, whatever the channel.

Before a message reaches Rasa (and so before anything is stored), :func:`incoming_problem` decides
whether it can be processed at all: empty, not text, or longer than the cap. Such a message gets a
friendly reply and is never stored. A message that passes is cleaned of control characters.
After processing, :func:`guard` makes sure the user never meets silence: if nothing was sent back
(the action server is down, a store failed, anything raised), the user gets the "can't answer right
now" reply. Failures are logged with their traceback but without the message text or any
exception message: patients' messages may be health information.
"""

from __future__ import annotations

import logging
import re
import traceback
import unicodedata
from typing import Any, Awaitable, Callable, Dict, List, Optional, Set

from rasa.core.channels.channel import OutputChannel, UserMessage

from bot.replies import load_replies
from bot.deploy.settings import max_message_chars

logger = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = max_message_chars()
_KEEP = {"\n", "\t"}
# What our buttons send: a bare intent, "/ask_duration". Rasa would also obey typed payloads with
# entities or a confidence ("/ask_serious{...}", "/greet@0.9"), after every NLU component, so such
# text could carry a warning sign past the red-flag check; it is read as plain words instead.
_BUTTON_PAYLOAD = re.compile(r"/[A-Za-z_]+")

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


def clean_text(text: str) -> str:
    """NFC-normalised text without control characters (new lines and tabs are kept), and without
    the leading slash of anything that looks like a payload but is not a bare button payload."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(c for c in text if c in _KEEP or unicodedata.category(c) not in {"Cc", "Cs"})
    stripped = text.strip()
    if stripped.startswith("/") and not _BUTTON_PAYLOAD.fullmatch(stripped):
        return stripped.lstrip("/")
    return text


def incoming_problem(text: Any, max_chars: int = MAX_MESSAGE_CHARS) -> Optional[str]:
    """The reply to send instead of processing ``text``, or ``None`` when it can be processed.

    Button payloads (``/ask_serious``) are ordinary short text and pass.
    """
    if not isinstance(text, str) or not clean_text(text).strip():
        return load_replies().get("empty_message")[0]
    if len(text) > max_chars:
        return load_replies().get("too_long")[0].format(max_chars=max_chars)
    return None


def where_raised(error: BaseException) -> str:
    """The traceback of ``error`` and of the errors it came from, as a maintainer needs it (file,
    line, function, source line, exception type), without any exception's message or local value:
    those may hold the patient's words ("KeyError: 'my knee ...'")."""
    lines: List[str] = []
    seen: Set[int] = set()
    current: Optional[BaseException] = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        lines.append(f"{type(current).__module__}.{type(current).__qualname__}, raised at:")
        for frame in traceback.extract_tb(current.__traceback__):
            lines.append(f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}')
            if frame.line:
                lines.append(f"    {frame.line}")
        current = current.__cause__ or current.__context__
        if current is not None:
            lines.append("which came from")
    return "\n".join(lines)


class CountingOutput(OutputChannel):
    """Passes every response on to the real output channel and counts them."""

    def __init__(self, inner: OutputChannel) -> None:
        self.inner = inner
        self.sent = 0

    def name(self) -> str:
        return self.inner.name()

    async def send_response(self, recipient_id: str, message: Dict[str, Any]) -> None:
        self.sent += 1
        await self.inner.send_response(recipient_id, message)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        self.sent += 1
        await self.inner.send_text_message(recipient_id, text, **kwargs)


def guard(on_new_message: OnNewMessage, max_chars: int = MAX_MESSAGE_CHARS) -> OnNewMessage:
    """Wrap a channel's ``on_new_message`` with the checks above."""

    async def guarded(message: UserMessage) -> None:
        output = message.output_channel
        problem = incoming_problem(message.text, max_chars)
        if problem is not None:
            await output.send_text_message(message.sender_id, problem)
            return
        counting = CountingOutput(output)
        message.text = clean_text(message.text)
        message.output_channel = counting
        try:
            await on_new_message(message)
        except Exception as error:  # noqa: BLE001 - the user must get an answer whatever failed
            logger.error("Could not handle a %s message of %s: %s\n%s", message.input_channel,
                         message.sender_id, type(error).__name__, where_raised(error))
        if counting.sent == 0:
            await output.send_text_message(message.sender_id,
                                           load_replies().get("action_unavailable")[0])

    return guarded
