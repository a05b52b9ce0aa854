"""One guard for every incoming message, whatever the channel.

Before a message reaches Rasa (and so before anything is stored), :func:`incoming_problem` decides
whether it can be processed at all: empty, not text, or longer than the cap. Such a message gets a
friendly reply and is never stored. "Delete my chat" (:func:`bot.clinic.privacy.is_delete_request`) is
done here too, never stored: the conversation's events leave the tracker store at once. A message
that passes is cleaned of control characters, and e-mails, phone numbers, dates and record numbers
are redacted (:func:`bot.clinic.privacy.redact`): Rasa, and so the tracker store, never sees them.
After processing, :func:`guard` makes sure the user never meets silence: if nothing was sent back
(the action server is down, a store failed, anything raised), the user gets the "can't answer right
now" reply. Failures are logged with their traceback but without the message text or any
exception message: patients' messages may be health information. Every turn is counted in the
metrics (:mod:`bot.ops.metrics`) by channel and outcome, with the time it took (:func:`turn_outcome`).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import unicodedata
from typing import Any, Awaitable, Callable, Dict, List, Optional, Sequence

from rasa.core.channels.channel import OutputChannel, UserMessage

from bot.settings import max_message_chars, tracker_store
from bot.ops.logs import where_raised  # here for the callers of bot.channels.guard.where_raised
from bot import reply_kinds as kinds
from bot.ops.metrics import count_error, observe_turn
from bot.clinic.privacy import is_delete_request, redact
from bot.engine.replies import load_replies
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


class CountingOutput(OutputChannel):
    """Passes every response on to the real output channel, counts them, and notes the kind of
    each (``answer``, ``urgent``, ``fallback`` ...: :func:`bot.engine.replies.reply_kind`, sent by the
    answer action with the message; ``""`` when a message carries none)."""

    def __init__(self, inner: OutputChannel) -> None:
        self.inner = inner
        self.sent = 0
        self.kinds: List[str] = []

    def name(self) -> str:
        return self.inner.name()

    async def send_response(self, recipient_id: str, message: Dict[str, Any]) -> None:
        self.sent += 1
        self.kinds.append(kinds.kind_of(message))
        await self.inner.send_response(recipient_id, message)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        self.sent += 1
        self.kinds.append(kinds.kind_of(kwargs))
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
        started = time.perf_counter()
        output = message.output_channel
        problem = incoming_problem(message.text, max_chars)
        if problem is not None:
            await output.send_text_message(message.sender_id, problem,
                                           **{kinds.KIND_KEY: {"kind": kinds.REFUSED}})
            observe_turn(message.input_channel, kinds.REFUSED, time.perf_counter() - started)
            return
        text = clean_text(message.text)
        if is_delete_request(text):
            deleted = await _delete(message, erase)
            _observe(message.input_channel, [kinds.DELETED] if deleted else [], started)
            return
        counting = CountingOutput(output)
        message.text = redact(text)
        message.output_channel = counting
        failed = False
        try:
            await on_new_message(message)
        except Exception as error:  # noqa: BLE001 - the user must get an answer whatever failed
            failed = True
            # no sender id: on SMS and WhatsApp it is the patient's phone number
            logger.error("Could not handle a %s message: %s\n%s", message.input_channel,
                         type(error).__name__, where_raised(error))
        if counting.sent == 0:
            failed = True
            await output.send_text_message(message.sender_id,
                                           load_replies().get("action_unavailable")[0])
        _observe(message.input_channel, [] if failed else counting.kinds, started)

    return guarded


def turn_outcome(sent: Sequence[str]) -> str:
    """The outcome of a turn (a kind of :mod:`bot.reply_kinds`) from the kinds of its replies:
    ``urgent`` when any reply was urgent, else the first reply of a known kind (the disclaimer
    before a first answer has none), ``small_talk`` when none has one, and ``unavailable`` when
    there were no replies of the assistant's own (it could not answer)."""
    if kinds.URGENT in sent:
        return kinds.URGENT
    known = [kind for kind in sent if kind in kinds.KINDS]
    return known[0] if known else (kinds.SMALL_TALK if sent else kinds.UNAVAILABLE)


def _observe(channel: Optional[str], sent: Sequence[str], started: float) -> None:
    """Count the turn in the metrics (memory only, microseconds); an unanswered one as an error."""
    outcome = turn_outcome(sent)
    observe_turn(channel, outcome, time.perf_counter() - started)
    if outcome == kinds.UNAVAILABLE:
        count_error(channel)


async def _delete(message: UserMessage, erase: Eraser) -> bool:
    """Carry out "delete my chat" and say whether it worked (the command itself is never stored);
    whether it did."""
    output = message.output_channel
    try:
        await erase(message.sender_id)
    except Exception as error:  # noqa: BLE001 - the patient must hear that it did not work
        logger.error("Could not delete a %s conversation: %s\n%s", message.input_channel,
                     type(error).__name__, where_raised(error))
        await output.send_text_message(message.sender_id, load_replies().get("delete_failed")[0],
                                       **{kinds.KIND_KEY: {"kind": kinds.UNAVAILABLE}})
        return False
    logger.info("Deleted a %s conversation on the patient's request", message.input_channel)
    await output.send_text_message(message.sender_id, load_replies().get("chat_deleted")[0],
                                   **{kinds.KIND_KEY: {"kind": kinds.DELETED}})
    return True
