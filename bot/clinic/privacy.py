"""What the assistant keeps of a patient's words: redaction, "delete my chat", text-free storage.

Pure functions, used by the message guard (:mod:`bot.channels.guard`, before anything reaches Rasa
and so before anything is stored) and by the tracker store (:mod:`bot.stores.tracker_store`,
when the clinic keeps no text at all).

- :func:`redact` replaces e-mail addresses, phone numbers, dates (a date of birth looks like any
  other date) and record numbers with a marker such as ``[phone]``. It errs on the side of
  hiding: a long number is hidden whatever it is. Lengths of time ("8 months", "6 weeks") and
  small numbers ("grade 3") are kept: answers need them.
- :func:`is_delete_request` tells the "delete my chat" command (a button's payload, or typed).
- :func:`text_free` is an event as stored when the setting keeps no text: intents, answer ids,
  slots, channel and times stay; what anyone wrote does not.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any, Dict, Mapping, Pattern, Sequence, Tuple

DELETE_PAYLOAD = "/delete_my_chat"

_MONTHS = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
           r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
# In order: what is hidden first must not be broken up by a later pattern (an e-mail holds digits).
_REDACTIONS: Tuple[Tuple[str, Pattern[str]], ...] = (
    ("[email]", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)),
    # "MRN 12345", "record no: AB-1234", "NHS number 485 777 3456", "patient ID x77"
    ("[record number]", re.compile(
        r"\b(?:mrn|nhs|chi|hospital|medical record|record|patient|case|chart|ref(?:erence)?|"
        r"accession|id)\s*(?:number|no\.?|num|#|id)?\s*[:#]?\s*(?=[A-Z0-9-]*\d)[A-Z0-9][A-Z0-9 -]{2,}"
        r"[A-Z0-9]\b", re.IGNORECASE)),
    # 12/03/1980, 12-3-80, 1980-03-12, 12.03.1980
    ("[date]", re.compile(r"\b(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})\b")),
    # 12 March 1980, March 12th, 1980, 12th of March 1980, March 1980
    ("[date]", re.compile(
        rf"\b(?:\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTHS}\.?,?\s+\d{{2,4}}|"
        rf"{_MONTHS}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|{_MONTHS}\.?\s+\d{{4}})\b",
        re.IGNORECASE)),
    # +44 20 7946 0958, (555) 123-4567, 07700900123: seven or more digits in one number
    ("[phone]", re.compile(r"(?<![\w\[])\+?\(?\d(?:[\s().-]{0,2}\d){6,}\b")),
    # "born in 1980", "DOB 1980"
    ("[date]", re.compile(r"\b(?:born|dob|d\.o\.b\.?|birthday)\b[^.?!\n]{0,12}?\b(?:19|20)\d{2}\b",
                          re.IGNORECASE)),
    # any other long number (an account, a card, an id without a label)
    ("[number]", re.compile(r"\b\d{5,}\b")),
)
_DELETE_WORDS = re.compile(
    r"^\s*(?:please\s+)?(?:delete|erase|remove|wipe|clear|forget)\s+(?:all\s+of\s+)?"
    r"(?:my|this|the|our)?\s*(?:chat|conversation|messages|data|history|chat history)"
    r"(?:\s+(?:please|now))?\s*[.!]?\s*$|^\s*forget\s+me\s*[.!]?\s*$", re.IGNORECASE)
# Keys of a stored event that hold what someone wrote (the patient, or the bot's reply text).
_TEXT_KEYS = ("text",)
_KEPT_PARSE_KEYS = ("intent", "intent_ranking", "entities")


def redact(text: str) -> str:
    """``text`` with e-mails, phone numbers, dates and record numbers replaced by markers.

    >>> redact("I'm jo@example.com, born 12/03/1980, MRN 5561234")
    "I'm [email], born [date], [record number]"
    """
    for marker, pattern in _REDACTIONS:
        text = pattern.sub(marker, text)
    return text


def is_delete_request(text: str) -> bool:
    """Whether ``text`` asks to delete this conversation: the button's payload, or a short
    typed command such as "delete my chat" or "forget me" (not a sentence that only mentions it)."""
    stripped = text.strip()
    return stripped == DELETE_PAYLOAD or bool(_DELETE_WORDS.match(stripped))


def pseudonym(secret: str, address: str, channel: str) -> str:
    """A conversation id for a phone number that does not reveal it: a keyed hash (HMAC-SHA256
    with a secret the channel already has), the same for every message of that number, so the
    conversation goes on and "delete my chat" finds it, while the tracker store never holds the
    number."""
    digest = hmac.new(secret.encode("utf-8"), address.encode("utf-8"), hashlib.sha256)
    return f"{channel}-{digest.hexdigest()[:32]}"


def _entity(entity: Mapping[str, Any]) -> Dict[str, Any]:
    """An NLU entity without its place in the text (the label and the value stay: slots)."""
    return {k: v for k, v in entity.items() if k in ("entity", "value", "extractor")}


def text_free(event: Mapping[str, Any]) -> Dict[str, Any]:
    """A stored event (Rasa's ``Event.as_dict()``) without what anyone wrote.

    User messages keep their intent, ranking, entity labels and values, channel and message id;
    bot messages keep their buttons and our metadata (answer ids, reply kind); slots and actions
    are kept as they are.
    """
    data = dict(event)
    for key in _TEXT_KEYS:
        if key in data:
            data[key] = None
    parse = data.get("parse_data")
    if isinstance(parse, Mapping):
        data["parse_data"] = {k: parse[k] for k in _KEPT_PARSE_KEYS if k in parse}
        entities: Sequence[Any] = data["parse_data"].get("entities") or []
        data["parse_data"]["entities"] = [_entity(e) for e in entities if isinstance(e, Mapping)]
    if data.get("event") == "user":
        data["metadata"] = {}
    return data
