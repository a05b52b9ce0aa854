"""The take-home summary: the answers a conversation gave, as a page a patient can print or open
on their phone. Pure functions; the web server renders the page (:mod:`bot.web.take_home_page`).

Its link carries only answer ids and the content version (``/summary?v=<version>&a=<id>,<id>``):
no conversation id and nothing the patient wrote, so the page works after the conversation is
deleted and shows nothing personal. The page is built from the content files; a link made from
another version of them, or naming an answer that does not exist, gets a clear error instead.
A comparison of the patient's own length of time with the article's (``duration/compare``) is
left out: it holds the patient's words.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Iterable, List, Optional, Sequence, Tuple
from urllib.parse import urlencode

from bot.settings import public_url
from bot.engine.knowledge import DEFAULT_LANGUAGE, language_in_use, load_knowledge
from bot.engine.replies import Reply, disclaimer, load_replies
from bot.clinic.reviews import review_note
from bot.engine.safety import urgent_message

MAX_ANSWERS = 30
PATH = "/summary"
TAKE_HOME = "take_home"  # the intent of "can I have a summary?" on any channel
LOCAL_WEB = "http://localhost:8080"  # the web server of `make run`, when BME_PUBLIC_URL is unset


class SummaryError(ValueError):
    """A summary link that cannot be shown; the message says why, in words for the patient."""


@dataclass(frozen=True)
class Entry:
    """One answer of the summary: its topic's title, its text (citations included) and review."""

    answer_id: str
    title: str
    text: str
    review: str


@dataclass(frozen=True)
class Summary:
    """Everything the take-home page shows."""

    entries: Tuple[Entry, ...]
    disclaimer: str
    urgent: Tuple[str, ...]
    version: str


def content_version() -> str:
    """A short fingerprint of every answer's text (in the language in use): it changes whenever
    an answer does."""
    return _content_version(language_in_use())


@lru_cache(maxsize=None)
def _content_version(language: str) -> str:
    units = load_knowledge().units
    digest = hashlib.sha256()
    for answer_id in sorted(units):
        digest.update(f"{answer_id}\n{units[answer_id].full_text}\n".encode("utf-8"))
    return digest.hexdigest()[:12]


def given(answer_ids: Iterable[str], before: Sequence[str] = ()) -> List[str]:
    """The answers to list after a reply: those listed ``before`` and the reply's own, each once,
    in the order given, real answers only, at most :data:`MAX_ANSWERS` (the latest)."""
    units = load_knowledge().units
    ids = list(dict.fromkeys([*before, *(a for a in answer_ids if a in units)]))
    return ids[-MAX_ANSWERS:]


def summary_path(answer_ids: Sequence[str]) -> Optional[str]:
    """The page's path and query for ``answer_ids`` (``None`` when there is none to list)."""
    ids = given(answer_ids)
    if not ids:
        return None
    language = {} if language_in_use() == DEFAULT_LANGUAGE else {"l": language_in_use()}
    return f"{PATH}?{urlencode({'v': content_version(), 'a': ','.join(ids), **language})}"


def parse(version: str, answers: str) -> Tuple[str, ...]:
    """The answer ids of a summary link, checked against the content files.

    Raises:
        SummaryError: the link is from another content version, names an unknown answer, or
            lists none or too many.
    """
    if version != content_version():
        raise SummaryError("This summary was made from an older version of the answers. "
                           "Please ask the assistant again, or ask the clinic's staff.")
    ids = tuple(a for a in answers.split(",") if a)
    units = load_knowledge().units
    if not ids or len(ids) > MAX_ANSWERS or len(set(ids)) != len(ids):
        raise SummaryError("This summary link is not complete. Please ask the assistant again.")
    unknown = [a for a in ids if a not in units]
    if unknown:
        raise SummaryError("This summary link names an answer that does not exist. "
                           "Please ask the assistant again.")
    return ids


def build(answer_ids: Sequence[str], today: date) -> Summary:
    """The summary of ``answer_ids`` (already checked by :func:`parse`)."""
    kb = load_knowledge()
    entries = tuple(Entry(a, kb.topics[kb.units[a].topic].title, kb.units[a].full_text,
                          review_note([a], today)) for a in answer_ids)
    return Summary(entries, disclaimer(), (urgent_message("emergency"), urgent_message("crisis")),
                   content_version())


def take_home_reply(answer_ids: Sequence[str], base_url: Optional[str] = None) -> Reply:
    """The reply to "can I take this home?" on a messaging channel: the summary's link, or what
    to do when nothing has been answered yet."""
    path = summary_path(answer_ids)
    if path is None:
        return Reply(load_replies().get("take_home_empty")[0], name="take_home_empty")
    link = f"{(base_url or public_url() or LOCAL_WEB).rstrip('/')}{path}"
    return Reply(load_replies().get(TAKE_HOME)[0].format(link=link), name=TAKE_HOME)
