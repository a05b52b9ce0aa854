"""The answer engine's front door: one patient turn in, the whole turn out.

The answer action (``actions/actions.py``) and the evaluation (``bench/evaluation.py``) call
:func:`take_turn`; neither reads the message, picks answers or works out what kind of reply it is
on its own. The clinic's features (feedback buttons, the care team's card, the take-home link) are
added around the turn by the action.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional, Sequence

from bot.engine.replies import Reply, reply_for, reply_kind, slots_after, state_from_slots
from bot.engine.retrieval import one_turn


@dataclass(frozen=True)
class Turn:
    """What the assistant says to one message, what kind of reply it is (``urgent``, ``answer``,
    ``fallback``, ...: :func:`bot.engine.replies.reply_kind`), and the slots it leaves."""

    reply: Reply
    kind: str
    slots: Mapping[str, Any] = field(default_factory=dict)


def take_turn(intent: Optional[str], slots: Mapping[str, Any], *, red_flag: Optional[str] = None,
              ranking: Sequence[Mapping[str, Any]] = (), text: str = "",
              entities: Sequence[Mapping[str, Any]] = ()) -> Turn:
    """The turn for a message, given the NLU's reading of it and the conversation's slots (after
    this message's entities were mapped to ``cause`` and ``body_part``)."""
    with one_turn():  # each text embedded once this turn
        reply = reply_for(intent, cause=slots.get("cause"), body_part=slots.get("body_part"),
                          red_flag=red_flag, ranking=ranking, text=text, entities=entities,
                          state=state_from_slots(slots))
    after: Dict[str, Any] = slots_after(reply)
    return Turn(reply, reply_kind(reply), after)
