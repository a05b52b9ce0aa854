"""What a message is about when it names something that is not bone marrow edema (a skin bruise,
a lump, a tendon, a meniscus tear): the article's numbers and overviews are never applied to it.

Pure functions over what :mod:`bot.engine.reading` read, used by the reading rules
(:mod:`bot.engine.selection`) and the answer model (:mod:`bot.engine.answer_model`) alike.
"""

from __future__ import annotations

import re
from typing import List

from bot.engine.knowledge import KnowledgeBase
from bot.engine.reading import Clause, Reading

COMPARE = "duration/compare"  # the reply comparing a length of time told with the article's
NOT_BME = "not_bme/other"
NOT_BME_SUBJECT = "not_bme"  # the subject of questions.yml that names something else
BME_TOLD = {"bme", "marrow_signal", "bone_bruise"}  # subjects telling the edema itself was found
# "the edema" a report found, named in a question
_THE_EDEMA = re.compile(r"\b(?:the|this|that|my|her|his|its) o?edema\b")


def tells_bme(reading: Reading) -> bool:
    """Whether the message tells that bone marrow edema was found ("now the MRI says bone marrow
    edema"): then another thing named in the story ("they said tendonitis for months") is not
    what its questions are about, unless a question names it."""
    return any(BME_TOLD & set(c.subjects) for c in reading.clauses if not c.is_question)


def keep_to_bme(kb: KnowledgeBase, reading: Reading, units: List[str]) -> List[str]:
    """When the message is about something that is not bone marrow edema (a skin bruise, a lump,
    a tendon), none of the article's numbers or overviews is applied to it: they stay only for a
    question that names bone marrow edema itself (its overviews for any such question; its
    lengths of time for such a question of how long when a report found the edema: "report says
    bone marrow edema and a torn meniscus. how long does the edema take to go, and will the
    meniscus heal on its own")."""
    if NOT_BME not in units:
        return units
    found = tells_bme(reading)
    naming = [c for c in reading.questions if _names_bme(c, found)]
    # the numbers only where a report found the edema: "is this bruise bone marrow edema? how
    # long will it last" is still a skin bruise
    how_long = found and any(c.ask == "duration" for c in naming)
    return [u for u in units if u == NOT_BME or not (
        ((u == COMPARE or u.startswith("duration/")) and not how_long) or
        (kb.is_overview(u) and not naming))]


def _names_bme(clause: Clause, found: bool) -> bool:
    """Whether a question names bone marrow edema itself (or "the edema" a report ``found``)."""
    return bool({"bme", "lesion"} & set(clause.subjects)) or \
        (found and bool(_THE_EDEMA.search(clause.text)))
