"""What the assistant says for a turn: pure functions from (intent, context) to a :class:`Reply`.

The one answer action (``actions/actions.py``) reads the tracker and calls :func:`reply_for`;
everything it sends comes from here, and all wording comes from the content files
(``knowledge.yml`` for medical text, ``replies.yml`` for the rest, ``red_flags.yml`` for urgent care).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple

import yaml

from bot.knowledge import CONTENT_DIR, GENERAL, ContentError, KnowledgeBase, load_knowledge
from bot.safety import urgent_message

REPLIES_FILE = CONTENT_DIR / "replies.yml"
TOPIC_PREFIX = "ask_"
EMERGENCY = "emergency"
FALLBACK = "nlu_fallback"
INFORM = "inform"
MAX_SUGGESTIONS = 3


@dataclass(frozen=True)
class Button:
    """A quick reply: what the user sees and the payload sent back when pressed."""

    title: str
    payload: str


@dataclass(frozen=True)
class Reply:
    """One bot turn. ``answer_id`` and ``facts`` trace medical answers back to the article."""

    text: str
    buttons: Tuple[Button, ...] = ()
    answer_id: Optional[str] = None
    facts: Tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class ConversationReplies:
    """The non-medical replies of replies.yml."""

    disclaimer: str
    replies: Mapping[str, Tuple[str, Tuple[str, ...]]]

    def get(self, name: str) -> Tuple[str, Tuple[str, ...]]:
        return self.replies[name]


def _squash(text: str) -> str:
    return " ".join(str(text).split())


@lru_cache(maxsize=None)
def load_replies(path: Path = REPLIES_FILE) -> ConversationReplies:
    """Load replies.yml once, checking that every button names a topic."""
    with open(path, encoding="utf-8") as handle:
        raw: Dict[str, Any] = yaml.safe_load(handle)
    topics = load_knowledge().topics
    replies = {}
    for name, body in (raw.get("replies") or {}).items():
        buttons = tuple(body.get("buttons") or ())
        unknown = [b for b in buttons if b not in topics]
        if unknown:
            raise ContentError(f"{path}: replies.{name}.buttons: unknown topics {unknown}; "
                               f"use ids from knowledge.yml: {sorted(topics)}")
        replies[name] = (_squash(body["text"]), buttons)
    return ConversationReplies(_squash(raw["disclaimer"]), replies)


def topic_button(kb: KnowledgeBase, topic: str) -> Button:
    """The button that asks about ``topic`` (payload ``/ask_<topic>``)."""
    return Button(kb.topics[topic].title, f"/{TOPIC_PREFIX}{topic}")


def topic_of(intent: Optional[str]) -> Optional[str]:
    """``ask_serious`` -> ``serious``; ``None`` for intents that are not topic questions."""
    if intent and intent.startswith(TOPIC_PREFIX):
        topic = intent[len(TOPIC_PREFIX):]
        return topic if topic in load_knowledge().topics else None
    return None


def context_for(cause: Optional[str]) -> str:
    """The answer context a recognised cause puts the conversation in (``general`` if none)."""
    causes = load_knowledge().causes
    return causes[cause].context if cause in causes else GENERAL


def disclaimer() -> str:
    """The short notice that starts every conversation."""
    return load_replies().disclaimer


def _named(name: str, **fill: str) -> Reply:
    kb = load_knowledge()
    text, buttons = load_replies().get(name)
    return Reply(text.format(**fill), tuple(topic_button(kb, t) for t in buttons))


def topic_answer(topic: str, cause: Optional[str] = None) -> Reply:
    """The article answer for ``topic``, for the user's context where the article distinguishes."""
    kb = load_knowledge()
    answer = kb.answer(topic, context_for(cause))
    buttons = tuple(topic_button(kb, t) for t in kb.topics[topic].next)
    return Reply(answer.full_text, buttons, answer.answer_id, answer.facts)


def context_noted(cause: Optional[str], body_part: Optional[str]) -> Reply:
    """Acknowledge what the user told us about themselves, without any medical statement."""
    kb = load_knowledge()
    things = [kb.causes[cause].name for cause in [cause] if cause in kb.causes]
    things += [kb.body_parts[part] for part in [body_part] if part in kb.body_parts]
    if not things:
        return _named("context_unknown")
    return _named("context_noted", things=", ".join(things))


def did_you_mean(ranking: Sequence[Mapping[str, Any]]) -> Reply:
    """Fallback for a message the model is unsure about: offer the likeliest topics as buttons,
    never a confident answer."""
    kb = load_knowledge()
    text, defaults = load_replies().get("fallback")
    guesses = [topic_of(str(item.get("name"))) for item in ranking]
    topics = list(dict.fromkeys(t for t in guesses if t))[:MAX_SUGGESTIONS] or list(defaults)
    return Reply(text, tuple(topic_button(kb, t) for t in topics))


def urgent_reply(red_flag_kind: Optional[str]) -> Reply:
    """The fixed urgent-care message; no buttons, so nothing distracts from it."""
    return Reply(urgent_message(red_flag_kind or EMERGENCY), answer_id=f"urgent/{red_flag_kind or EMERGENCY}")


def reply_for(
    intent: Optional[str],
    *,
    cause: Optional[str] = None,
    body_part: Optional[str] = None,
    red_flag: Optional[str] = None,
    ranking: Sequence[Mapping[str, Any]] = (),
) -> Reply:
    """The reply to one user turn.

    Args:
        intent: the intent name after the NLU pipeline (including the red-flag guard).
        cause: the cause id kept for this conversation (slot ``cause``), if any.
        body_part: the body-part id kept for this conversation (slot ``body_part``), if any.
        red_flag: the urgent message kind found by the red-flag guard in this message, if any.
        ranking: the intent ranking of this message, used to suggest topics on fallback.
    """
    if red_flag or intent == EMERGENCY:
        return urgent_reply(red_flag)
    topic = topic_of(intent)
    if topic:
        return topic_answer(topic, cause)
    if intent == INFORM:
        return context_noted(cause, body_part)
    if intent == FALLBACK or intent is None:
        return did_you_mean(ranking)
    if intent in load_replies().replies:
        return _named(intent)
    return _named("out_of_scope")
