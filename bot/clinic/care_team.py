"""The care team's contact card: how to reach the people who look after the patient.

Wherever the assistant sends someone to their own doctor or nurse, and when they ask to talk to a
person, the reply ends with the card: the team's name, phone, hours and portal as the clinic set
them (:func:`bot.settings.care_team`), or, with none set, "Please call the clinic that
ordered your scan." The wording is replies.yml's ``care_team:``; which replies send the patient to
a clinician is marked in the content files (``refers_to_clinician: true``), not guessed from the
text. An urgent-care message never gets the card: nothing may stand beside it.

The card is the last line of the reply's own message, before its buttons: a second message would
take the answer's buttons away on Telegram (a message without buttons removes the reply keyboard)
and on Messenger (quick replies go when another message comes), and with them the feedback
buttons. A line, not a paragraph: the web widget and kiosk (Rasa's socket.io output) show each
paragraph as a bubble of its own, and the review note and "Was this answer helpful?" would then
sit under the card instead of the answer.
"""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Optional

from bot.settings import CareTeam
from bot.engine.knowledge import load_knowledge
from bot.engine.replies import CARE_TEAM_NO_SETTINGS, TALK_TO_PERSON, Reply, load_replies, reply_kind


def contact_card(team: CareTeam) -> str:
    """The card's text: a part of replies.yml's ``care_team:`` for each detail that is set, in
    the order name, phone, hours, portal; its ``no_settings`` text when none is."""
    templates = load_replies().care_team
    parts = [templates[f.name].format(**{f.name: getattr(team, f.name)}) for f in fields(team)
             if getattr(team, f.name)]
    return " ".join(parts) if parts else templates[CARE_TEAM_NO_SETTINGS]


def refers_to_clinician(reply: Reply) -> bool:
    """Whether ``reply`` sends the patient to their own doctor or nurse: one of its answers, or
    the named reply, is marked ``refers_to_clinician: true``. Never an urgent-care message."""
    if reply_kind(reply) == "urgent":
        return False
    units = load_knowledge().units
    if any(units[a].refers_to_clinician for a in reply.answer_ids if a in units):
        return True
    return reply.name in load_replies().refers_to_clinician


def gets_card(reply: Reply, intent: Optional[str]) -> bool:
    """Whether the card follows ``reply``: it refers to a clinician, or the patient asked to talk
    to a person (even if the message was answered from the article); never when it is urgent."""
    return reply_kind(reply) != "urgent" and (intent == TALK_TO_PERSON or refers_to_clinician(reply))


def with_care_team(reply: Reply, intent: Optional[str], team: CareTeam) -> Reply:
    """``reply`` with the card on a line after its text when :func:`gets_card`; everything else
    (buttons, ids, kind) unchanged."""
    if not gets_card(reply, intent):
        return reply
    return replace(reply, text=f"{reply.text}\n{contact_card(team)}")
