"""The answer engine's front door: one patient turn in, the whole turn out.

The answer action (``actions/actions.py``) and the evaluation (``bench/evaluation.py``) call
:func:`take_turn`; neither reads the message, picks answers or works out what kind of reply it is
on its own. The clinic's features (feedback buttons, the care team's card, the take-home link) are
added around the turn by the action, in the conversation's language (:func:`language_of`).

Languages (:mod:`bot.engine.language`): a switch word ("español", "english") switches the
conversation; a warning sign in either language's rules always gets the urgent message; a message
clearly written in the other language gets a one-line offer to switch, in that language, and is
not answered in the wrong one; otherwise the turn is built in the conversation's language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional, Sequence

from bot import reply_kinds as kinds
from bot.engine.knowledge import load_knowledge, speaking
from bot.engine.language import (ENGLISH, LANGUAGE_NAMES, SPANISH, chosen, offer_for, switch_asked,
                                 written_in)
from bot.engine.replies import (Button, Reply, disclaimer, load_replies, reply_for, reply_kind,
                                slots_after, state_from_slots, topic_button, urgent_reply)
from bot.engine.retrieval import one_turn
from bot.engine.spanish import spanish_reply, spanish_warning

SLOT_LANGUAGE = "language"


@dataclass(frozen=True)
class Turn:
    """What the assistant says to one message, what kind of reply it is (``urgent``, ``answer``,
    ``fallback``, ...: :func:`bot.engine.replies.reply_kind`), and the slots it leaves."""

    reply: Reply
    kind: str
    slots: Mapping[str, Any] = field(default_factory=dict)
    language: str = ENGLISH  # the language the reply is written in


def language_of(slots: Mapping[str, Any], metadata: Optional[Mapping[str, Any]] = None) -> str:
    """The conversation's language: chosen in it, else the channel's, else English."""
    return chosen(slots.get(SLOT_LANGUAGE), metadata)


def take_turn(intent: Optional[str], slots: Mapping[str, Any], *, red_flag: Optional[str] = None,
              ranking: Sequence[Mapping[str, Any]] = (), text: str = "",
              entities: Sequence[Mapping[str, Any]] = (),
              metadata: Optional[Mapping[str, Any]] = None) -> Turn:
    """The turn for a message, given the NLU's reading of it and the conversation's slots (after
    this message's entities were mapped to ``cause`` and ``body_part``) and the message's
    metadata (the channel's language)."""
    language = language_of(slots, metadata)
    asked = switch_asked(text) if text and not text.startswith("/") else None
    if asked is not None:
        with speaking(asked):
            return Turn(switched(), kinds.SMALL_TALK, {SLOT_LANGUAGE: asked}, asked)
    offer = offer_for(text, language) if not text.startswith("/") else None
    # the language is kept in the conversation once a channel named it (not set when unchanged)
    keep = {} if slots.get(SLOT_LANGUAGE) == language or (
        language == ENGLISH and not slots.get(SLOT_LANGUAGE)) else {SLOT_LANGUAGE: language}
    if language != SPANISH and written_in(text) != ENGLISH:
        with speaking(SPANISH):  # a warning sign written in Spanish in any conversation
            sign = spanish_warning(text)
            if sign is not None:
                reply = urgent_reply(sign)
                return Turn(reply, reply_kind(reply), {**slots_after(reply), **keep}, SPANISH)
    if offer is not None:
        with speaking(offer):
            return Turn(offered(offer), kinds.SMALL_TALK, keep, offer)
    with one_turn(), speaking(language):  # each text embedded once this turn
        state = state_from_slots(slots)
        if language == SPANISH:
            reply = spanish_reply(text, intent, state, red_flag)
        else:
            reply = reply_for(intent, cause=slots.get("cause"), body_part=slots.get("body_part"),
                              red_flag=red_flag, ranking=ranking, text=text, entities=entities,
                              state=state)
    after: Dict[str, Any] = {**slots_after(reply), **keep}
    return Turn(reply, reply_kind(reply), after, language)


def switched() -> Reply:
    """Said when the patient switches language: that it is done, then the disclaimer."""
    text, buttons = load_replies().get("language_switched")
    kb = load_knowledge()
    return Reply(f"{text}\n\n{disclaimer()}", tuple(topic_button(kb, t) for t in buttons),
                 name="language_switched")


def offered(language: str) -> Reply:
    """The one-line offer to switch to ``language``, in it, with a button that switches."""
    text, _ = load_replies().get("language_offer")
    name = LANGUAGE_NAMES[language]
    return Reply(text, (Button(name, name.lower()),), name="language_offer")

