"""One guard for every incoming message, whatever the channel.

Before a message reaches Rasa (and so before anything is stored), :func:`incoming_problem` decides
whether it can be processed at all: empty, not text, or longer than the cap. Such a message gets a
friendly reply and is never stored. "Delete my chat" (:func:`bot.privacy.is_delete_request`) is
done here too, never stored: the conversation's events leave the tracker store at once. A message
that passes is cleaned of control characters, and e-mails, phone numbers, dates and record numbers
are redacted (:func:`bot.privacy.redact`): Rasa, and so the tracker store, never sees them.
After processing, :func:`guard` makes sure the user never meets silence: if nothing was sent back
(the action server is down, a store failed, anything raised), the user gets the "can't answer right
now" reply. Failures are logged with their traceback but without the message text or any
exception message: patients' messages may be health information.
"""

from __future__ import annotations

import asyncio
import logging
import re
import traceback
import unicodedata
from typing import Any, Awaitable, Callable, Dict, List, Optional, Set

from rasa.core.channels.channel import OutputChannel, UserMessage

from bot.deploy.settings import max_message_chars, tracker_store
from bot.privacy import is_delete_request, redact
from bot.replies import KIND_KEY, load_replies
from bot.stores.retention import delete_conversation
from bot.stores.tracker_store import forget_cached

logger = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = max_message_chars()
_KEEP = {"\n", "\t"}
# What our buttons send: a bare intent, "/ask_duration". Rasa would also obey typed payloads with
# entities or a confidence ("/ask_serious{...}", "/greet@0.9"), after every NLU component, so such
# text could carry a warning sign past the red-flag check; it is read as plain words instead.
_BUTTON_PAYLOAD = re.compile(r"/[A-Za-z_]+")

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]
Eraser = Callable[[str], Awaitable[Any]]


async def erase_conversation(sender_id: str) -> None:
    """Delete the conversation from the tracker store the assistant runs with, and from this
    process's cache of conversations."""
    await asyncio.to_thread(delete_conversation, tracker_store(), sender_id)
    forget_cached(sender_id)


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
    """Passes every response on to the real output channel, counts them, and notes the kind of
    each (``answer``, ``urgent``, ``fallback`` ...: :func:`bot.replies.reply_kind`, sent by the
    answer action with the message; ``other`` when a message carries none)."""

    def __init__(self, inner: OutputChannel) -> None:
        self.inner = inner
        self.sent = 0
        self.kinds: List[str] = []

    def name(self) -> str:
        return self.inner.name()

    async def send_response(self, recipient_id: str, message: Dict[str, Any]) -> None:
        self.sent += 1
        self.kinds.append(str((message.get(KIND_KEY) or {}).get("kind") or "other"))
        await self.inner.send_response(recipient_id, message)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        self.sent += 1
        self.kinds.append(str((kwargs.get(KIND_KEY) or {}).get("kind") or "other"))
        await self.inner.send_text_message(recipient_id, text, **kwargs)


def guard(on_new_message: OnNewMessage, max_chars: int = MAX_MESSAGE_CHARS,
          erase: Eraser = erase_conversation) -> OnNewMessage:
    """Wrap a channel's ``on_new_message`` with the checks above.

    Args:
        on_new_message: Rasa's handler of a message.
        max_chars: the longest message handed on.
        erase: deletes a conversation by its sender id (tests pass their own).
    """

    async def guarded(message: UserMessage) -> None:
        output = message.output_channel
        problem = incoming_problem(message.text, max_chars)
        if problem is not None:
            await output.send_text_message(message.sender_id, problem)
            return
        if is_delete_request(clean_text(message.text)):
            await _delete(message, erase)
            return
        counting = CountingOutput(output)
        message.text = redact(clean_text(message.text))
        message.output_channel = counting
        try:
            await on_new_message(message)
        except Exception as error:  # noqa: BLE001 - the user must get an answer whatever failed
            # no sender id: on SMS and WhatsApp it is the patient's phone number
            logger.error("Could not handle a %s message: %s\n%s", message.input_channel,
                         type(error).__name__, where_raised(error))
        if counting.sent == 0:
            await output.send_text_message(message.sender_id,
                                           load_replies().get("action_unavailable")[0])

    return guarded


async def _delete(message: UserMessage, erase: Eraser) -> None:
    """Carry out "delete my chat" and say whether it worked (the command itself is never stored)."""
    output = message.output_channel
    try:
        await erase(message.sender_id)
    except Exception as error:  # noqa: BLE001 - the patient must hear that it did not work
        logger.error("Could not delete a %s conversation: %s\n%s", message.input_channel,
                     type(error).__name__, where_raised(error))
        await output.send_text_message(message.sender_id, load_replies().get("delete_failed")[0],
                                       **{KIND_KEY: {"kind": "unavailable"}})
        return
    logger.info("Deleted a %s conversation on the patient's request", message.input_channel)
    await output.send_text_message(message.sender_id, load_replies().get("chat_deleted")[0],
                                   **{KIND_KEY: {"kind": "deleted"}})
