"""The kinds of reply the assistant sends, defined once.

Every bot message carries what it is under :data:`KIND_KEY` (``{"bme": {"kind": "answer",
"answer_id": ...}}``): the answer action sets it (:func:`bot.engine.replies.reply_kind`), the
message guard sets it on its own replies (:mod:`bot.channels.guard`). The metrics count each turn
by the kind of its reply (:mod:`bot.ops.metrics`), the staff dashboard's figures read it back from
the stored conversations (:mod:`bot.web.staff.figures`), and our widget shows a review note and the
feedback buttons under an ``answer``. A new kind is added here, with its label, and nowhere else.
"""

from __future__ import annotations

from typing import Dict, Tuple

#: The key of a bot message's own data (its kind, answer ids, review note), sent with the message
#: to the channels and stored with it.
KIND_KEY = "bme"

ANSWER = "answer"  # article content (answer units, overviews)
URGENT = "urgent"  # an urgent-care or crisis message instead of an answer
FALLBACK = "fallback"  # not understood: "did you mean"
OUT_OF_SCOPE = "out_of_scope"  # outside the article's topic
DECLINED = "declined"  # personal medical advice declined (a dose, a diagnosis)
CONTEXT = "context"  # what the patient told was noted ("I'm a runner")
FEEDBACK = "feedback"  # the reply to a feedback button
CARE_TEAM = "care_team"  # the reply to "talk to a person": the care team's card
TAKE_HOME = "take_home"  # the take-home summary's link, or what to do before there is one
SMALL_TALK = "small_talk"  # greetings, thanks, goodbyes, the help text
DELETED = "deleted"  # "delete my chat" done
UNAVAILABLE = "unavailable"  # the assistant could not answer (a fault; "delete" that failed)
REFUSED = "refused"  # a message refused before reading it (empty, too long)

#: Every kind a reply can have, which is also every outcome a turn is counted with.
KINDS: Tuple[str, ...] = (ANSWER, URGENT, FALLBACK, OUT_OF_SCOPE, DECLINED, CONTEXT, FEEDBACK,
                          CARE_TEAM, TAKE_HOME, SMALL_TALK, DELETED, UNAVAILABLE, REFUSED)
#: The kinds that mean the question was not answered (the dashboard lists them).
UNANSWERED: Tuple[str, ...] = (FALLBACK, OUT_OF_SCOPE, DECLINED)
#: How the staff dashboard names each kind.
LABELS: Dict[str, str] = {
    ANSWER: "Answered from the article", URGENT: "Sent to urgent care",
    FALLBACK: "Not understood (\"did you mean\")", OUT_OF_SCOPE: "Outside the article's topic",
    DECLINED: "Personal advice declined", CONTEXT: "Told something about themselves",
    FEEDBACK: "Gave feedback", CARE_TEAM: "Asked to talk to a person",
    TAKE_HOME: "Asked for a take-home summary", SMALL_TALK: "Greetings and small talk",
    DELETED: "Deleted their chat", UNAVAILABLE: "Could not be answered (a fault)",
    REFUSED: "Message refused (empty or too long)"}


def kind_of(message_data: object) -> str:
    """The kind a bot message carries under :data:`KIND_KEY`; ``""`` when it carries none (the
    disclaimer before a first answer)."""
    about = message_data.get(KIND_KEY) if isinstance(message_data, dict) else None
    kind = about.get("kind") if isinstance(about, dict) else None
    return str(kind) if kind else ""
