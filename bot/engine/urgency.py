"""The learned safety net: a warning sign told in words the red-flag rules were not written for.

The red-flag rules (:mod:`bot.safety`) decide first. On sealed stories written after them they
found about three urgent stories in four. Here each clause of a message that no rule escalated is
compared with reviewed reference clauses (``bot/content/urgent_examples.yml``: warning signs going
on now, by the urgent message they call for, and clauses that look alike but are calm), embedded
at `make setup` by the same sentence model as the example questions. A clause told as going on
(not settled, not set aside) whose nearest reference is urgent, near enough (``threshold``) and
clearly nearer than the nearest calm one (``margin``), escalates, if it holds a word a warning
sign needs (``needs_one_of``: "can't", "numb", "fever" ...); the reply records the reference
that chose it, never the patient's words. Deterministic and offline.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
import re
from typing import Dict, Optional, Pattern, Tuple

import yaml

from bot.engine.retrieval import BUILD_DIR, Retriever, if_built
from bot.knowledge import CONTENT_DIR, ContentError
from bot.safety import NEVER_SETTLED, told_clauses

URGENT_FILE = CONTENT_DIR / "urgent_examples.yml"
URGENT_INDEX = "urgent.npz"
CALM = "calm"
KINDS = ("emergency", "crisis", "overdose")
MIN_WORDS = 6  # a shorter message is left to the rules (they cover the short ways of saying it)


@dataclass(frozen=True)
class Settings:
    threshold: float
    margin: float
    needs: Pattern[str] = re.compile(r"(?!)")  # a clause is compared only when this matches


@dataclass(frozen=True)
class UrgentByExample:
    """A clause nearest to an urgent reference: the urgent message it calls for, the reference
    clause and its similarity."""

    kind: str
    example: str
    score: float

    @property
    def why(self) -> str:
        return f"urgent/{self.kind}: nearest reference \"{self.example}\" ({self.score:.2f})"


def load_urgent_examples(path: Path = URGENT_FILE) -> Dict[str, Tuple[str, ...]]:
    """The reference clauses by key: ``urgent/<kind>`` and ``calm``."""
    with open(path, encoding="utf-8") as handle:
        raw = yaml.safe_load(handle) or {}
    urgent, calm = raw.get("urgent") or {}, raw.get("calm") or []
    if not isinstance(urgent, dict) or set(urgent) - set(KINDS) or not urgent or not calm:
        raise ContentError(f"{path}: write `urgent:` with lists under {list(KINDS)} and a "
                           "`calm:` list of clauses that are not urgent")
    found = {f"urgent/{kind}": tuple(" ".join(str(c).split()) for c in clauses)
             for kind, clauses in urgent.items()}
    return {**found, CALM: tuple(" ".join(str(c).split()) for c in calm)}


@lru_cache(maxsize=None)
def load_settings(path: Path = URGENT_FILE) -> Settings:
    with open(path, encoding="utf-8") as handle:
        raw = yaml.safe_load(handle) or {}
    try:
        words = "|".join(f"(?:{w})" for w in raw["needs_one_of"])
        return Settings(float(raw["threshold"]), float(raw["margin"]),
                        re.compile(rf"(?<![\w'])(?:{words})(?![\w'])"))
    except (KeyError, TypeError, ValueError, re.error) as error:
        raise ContentError(f"{path}: give `threshold` and `margin` (numbers from 0 to 1) and "
                           f"`needs_one_of`, a list of regular expressions ({error})")


@lru_cache(maxsize=1)
def load_urgency() -> Retriever:
    """The reference clauses' index set-up built (an error says how to build it)."""
    return Retriever.load(BUILD_DIR, URGENT_FILE, URGENT_INDEX)


@lru_cache(maxsize=1)
def built_urgency() -> Optional[Retriever]:
    """The reference clauses' index if set-up built it (looked for once a process)."""
    return if_built(URGENT_INDEX, load_urgency)


def urgent_by_example(text: str, retriever: Optional[Retriever],
                      settings: Optional[Settings] = None) -> Optional[UrgentByExample]:
    """The first clause of ``text`` told as going on whose nearest reference is urgent, if any."""
    if retriever is None or len(text.split()) < MIN_WORDS:
        return None
    settings = settings or load_settings()
    clauses = [(c, settled) for c, settled in told_clauses(text) if settings.needs.search(c)]
    for (_, settled), hits in zip(clauses, retriever.nearest([c for c, _ in clauses], top=4)):
        best = hits[0]
        calm = max((h.score for h in hits if h.key == CALM), default=0.0)
        kind = best.key.split("/", 1)[1] if best.key.startswith("urgent/") else None
        if kind and (not settled or kind in NEVER_SETTLED) and best.score >= settings.threshold \
                and best.score - calm >= settings.margin:
            return UrgentByExample(kind, best.example, best.score)
    return None
