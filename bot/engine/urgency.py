"""The learned safety net: a warning sign told in words the red-flag rules were not written for.

The red-flag rules (:mod:`bot.engine.safety`) decide first; on stories written after them by authors blind
to them they found about five urgent stories in six. Where no rule escalated, the urgency model
(:mod:`bot.engine.urgency_model`, trained at `make setup` on reviewed stories and reference
clauses) reads the message: its most urgent clause told as going on (a settled or set-aside clause
counts only for a crisis or an overdose, which the rules alone never settle) and the whole message
each give a probability, and the message escalates when their mean reaches the threshold of the
clause's kind (``bot/content/urgency_stories.yml``, chosen by cross-validation:
``python -m bench.urgency_cv``). The model may also set aside a rule's finding that it reads as
clearly calm (:func:`decide`). The reply records the scores and the reference clause nearest to
the urgent one, never the patient's words. Deterministic and offline.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Tuple


from bot.engine.retrieval import BUILD_DIR, if_built, shared_encoder
from bot.engine.linear_models import fingerprint
from bot.engine.urgency_model import CLASSES, UrgencyModel
from bot.engine.knowledge import CONTENT_DIR, ContentError, load_yaml
from bot.engine.safety import NEVER_SETTLED, NOW, SETTLED, normalise, told_clauses

URGENT_FILE = CONTENT_DIR / "urgent_examples.yml"
STORIES_FILE = CONTENT_DIR / "urgency_stories.yml"
MODEL_FILE = "urgency.npz"
CALM = "calm"
EMERGENCY = "emergency"
KINDS = CLASSES[1:]
MIN_WORDS = 8  # shorter messages are left to the rules: out of fold, the model added nothing there


@dataclass(frozen=True)
class UrgentByModel:
    """A message the model finds urgent: the urgent message it calls for, the mean score and its
    two parts, and the reference clause nearest to the most urgent clause."""

    kind: str
    score: float
    clause: float
    message: float
    reference: str

    @property
    def why(self) -> str:
        return (f"urgent/{self.kind}: urgency model {self.score:.2f} (clause {self.clause:.2f}, "
                f"message {self.message:.2f}); nearest reference \"{self.reference}\"")


def load_urgent_examples(path: Path = URGENT_FILE) -> Dict[str, Tuple[str, ...]]:
    """The reference clauses by key: ``urgent/<kind>`` and ``calm``."""
    with open(path, encoding="utf-8") as handle:
        raw = load_yaml(handle) or {}
    urgent, calm = raw.get("urgent") or {}, raw.get("calm") or []
    if not isinstance(urgent, dict) or set(urgent) - set(KINDS) or not urgent or not calm:
        raise ContentError(f"{path}: write `urgent:` with lists under {list(KINDS)} and a "
                           "`calm:` list of clauses that are not urgent")
    found = {f"urgent/{kind}": tuple(" ".join(str(c).split()) for c in clauses)
             for kind, clauses in urgent.items()}
    return {**found, CALM: tuple(" ".join(str(c).split()) for c in calm)}


def units(text: str) -> List[Tuple[str, bool]]:
    """The texts the clause model scores in a message: each clause, and each clause joined to the
    next (a sign told across a comma: "he fell, and now he can't get up"), with whether it is
    told as settled (a joined pair only when both are)."""
    clauses = told_clauses(text)
    pairs = [(f"{a}, {b}", settled_a and settled_b)
             for (a, settled_a), (b, settled_b) in zip(clauses, clauses[1:])]
    return clauses + pairs


@dataclass(frozen=True)
class Settings:
    thresholds: Mapping[str, float]  # by kind: the model alone escalates at this mean score
    sets_aside_below: float  # a rule's emergency is set aside below this mean score
    message_floor: float = 0.0  # and only when the whole message scores at least this
    # a rule's emergency told as going on now ("still having it now") is set aside only below this
    now_sets_aside_below: Optional[float] = None  # None: the same as sets_aside_below

    def set_aside_below(self, rule_told: Optional[str]) -> float:
        """The score below which the model sets aside a rule's emergency told so."""
        if rule_told == NOW and self.now_sets_aside_below is not None:
            return self.now_sets_aside_below
        return self.sets_aside_below


@lru_cache(maxsize=None)
def load_settings(path: Path = STORIES_FILE) -> Settings:
    """When the model escalates, and when it sets a rule aside (``model:``)."""
    with open(path, encoding="utf-8") as handle:
        raw = (load_yaml(handle) or {}).get("model") or {}
    try:
        aside = float(raw["sets_aside_below"])
        settings = Settings({kind: float(raw["thresholds"][kind]) for kind in KINDS}, aside,
                            float(raw.get("message_floor", 0.0)),
                            float(raw.get("now_sets_aside_below", aside)))
        if not 0.0 <= (settings.now_sets_aside_below or 0.0) <= settings.sets_aside_below:
            raise ValueError("need 0 <= now_sets_aside_below <= sets_aside_below")
    except (KeyError, TypeError, ValueError) as error:
        raise ContentError(f"{path}: model: give `thresholds` (one for each of {list(KINDS)}), "
                           f"`sets_aside_below`, `message_floor` and `now_sets_aside_below` (at "
                           f"most sets_aside_below), numbers from 0 to 1 ({error})")
    if not all(0.0 <= settings.sets_aside_below < t <= 1.0 for t in settings.thresholds.values()):
        raise ContentError(f"{path}: model: need 0 <= sets_aside_below < each threshold <= 1")
    if not 0.0 <= settings.message_floor < 1.0:
        raise ContentError(f"{path}: model: `message_floor` is a number from 0 to below 1")
    return settings


def made_from() -> str:
    """The fingerprint of what the model learns from: the reference clauses and the labelled
    stories (not the settings beside them: a new threshold needs no new training)."""
    from bot.engine.urgency_training import everyday_messages, load_stories

    return fingerprint(load_urgent_examples(), load_stories() + everyday_messages())


@lru_cache(maxsize=1)
def load_urgency() -> UrgencyModel:
    """The model set-up trained (an error says how to build it)."""
    return UrgencyModel.load(BUILD_DIR / MODEL_FILE, made_from(), shared_encoder())


@lru_cache(maxsize=1)
def built_urgency() -> Optional[UrgencyModel]:
    """The model if set-up trained it (looked for once a process)."""
    return if_built(MODEL_FILE, load_urgency)


def assess(text: str, model: Optional[UrgencyModel]) -> Optional[UrgentByModel]:
    """The model's reading of ``text``: its most urgent clause told as going on, with the scores;
    ``None`` without a model, for a short message, or when no clause leans to any urgent kind."""
    if model is None or len(text.split()) < MIN_WORDS:
        return None
    found = units(text)
    if not found:
        return None
    scores, vectors = model.clause_scores([unit for unit, _ in found])
    best, kind, at = 0.0, CALM, 0
    for row, (_, settled) in enumerate(found):
        for column, name in enumerate(CLASSES):
            if name != CALM and (not settled or name in NEVER_SETTLED) \
                    and scores[row, column] > best:
                best, kind, at = float(scores[row, column]), name, row
    if kind == CALM:
        return None
    message = model.message_score(normalise(text))
    return UrgentByModel(kind, round((best + message) / 2, 4), round(best, 4), round(message, 4),
                         model.nearest_reference(vectors[at], kind))


@dataclass(frozen=True)
class Urgency:
    """What a message calls for: an urgent message of ``kind`` (with why), or an answer, with the
    note on what to do now when a rule's emergency was set aside (``set_aside``)."""

    kind: Optional[str] = None
    why: Tuple[str, ...] = ()
    set_aside: bool = False
    set_aside_kind: Optional[str] = None  # the kind set aside: its note goes with the answer


def judge(text: str, rule_kind: Optional[str], model: Optional[UrgencyModel],
          settings: Optional[Settings] = None, rule_told: Optional[str] = None) -> Urgency:
    """The rules and the model together (:func:`decide`), reading ``text`` with the model."""
    read = model is not None and len(text.split()) >= MIN_WORDS
    return decide(assess(text, model) if read else None, rule_kind, read, settings, rule_told)


def decide(reading: Optional[UrgentByModel], rule_kind: Optional[str], read: bool,
           settings: Optional[Settings] = None, rule_told: Optional[str] = None) -> Urgency:
    """What a message calls for, from the rules' kind and the model's ``reading`` (``read``: the
    model read the message). A rule's emergency stands unless the model finds the message clearly
    calm (below ``sets_aside_below``: "my cousin's bone was sticking out", a dog that won't put its
    leg down); then the message is answered with what to do if a warning sign is happening now.
    An emergency told as going on now (``rule_told`` ``now``: "chest pain ... still having it now")
    is set aside only below the lower ``now_sets_aside_below``. A crisis or an overdose found by a
    rule stands unless the rule matched only words told as a settled past (``rule_told``
    ``settled``: "two years ago I took an overdose, I'm safe now") and the model too finds the
    message below ``sets_aside_below``; then the answer carries that kind's note (the crisis
    line, Poison Help). Where no rule matched, the model escalates at its kind's threshold, when
    the whole message also scores at least ``message_floor`` (one short clause alone, "I've been
    running around with my son", is not enough)."""
    settings = settings or load_settings()
    if rule_kind:
        calm = read and (reading is None or reading.score < settings.set_aside_below(rule_told))
        if calm and (rule_kind == EMERGENCY or (rule_told == SETTLED and rule_kind in NEVER_SETTLED)):
            score = reading.score if reading else 0.0
            told = f" told as {rule_told}," if rule_told else ""
            return Urgency(None, (f"urgent/{rule_kind}:{told} set aside, urgency model "
                                  f"{score:.2f}",), set_aside=True, set_aside_kind=rule_kind)
        return Urgency(rule_kind)
    if reading is not None and reading.score >= settings.thresholds[reading.kind] and \
            reading.message >= settings.message_floor:
        return Urgency(reading.kind, (reading.why,))
    return Urgency()
