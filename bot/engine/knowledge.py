"""The knowledge base: typed access to ``bot/content/knowledge.yml``.

All medical wording lives in that one file. This module loads it, checks its shape, and answers
"what do we say about topic T for a patient in context C" with the text and the FACTS.md ids it
rests on. Content rules (fact coverage, numbers, reading grade) are tested in
``tests/bot/test_knowledge_content.py``; the shape is checked here, on load, so a broken edit fails
at start-up with a message that names the place to fix.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Iterator, Mapping, Optional, Tuple

import yaml

CONTENT_DIR = Path(__file__).resolve().parents[1] / "content"
KNOWLEDGE_FILE = CONTENT_DIR / "knowledge.yml"
UNITS_FILE = CONTENT_DIR / "answer_units.yml"

# The language content is read in: English from bot/content/, another from bot/content/<code>/,
# the same files with the same ids and fact ids. The loaders below, and through them every reply,
# read the language of the turn being built (:func:`speaking`).
DEFAULT_LANGUAGE = "en"
_SPEAKING: ContextVar[str] = ContextVar("content_language", default=DEFAULT_LANGUAGE)

GENERAL = "general"
CONTEXTS = (GENERAL, "osteoarthritis", "injury")
FACT_ID = re.compile(r"^S[1-6]\.(F\d+[a-z]?|R\d+)$")


class ContentError(ValueError):
    """A content file is malformed; the message names the file, the key and the fix."""


#: libyaml's safe loader when PyYAML was built with it (about ten times faster on the case files,
#: the same data), else PyYAML's own.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(stream: Any) -> Any:
    """YAML from an open file or a string, safely (plain data, never Python objects): the one way
    the content and case files are read."""
    return yaml.load(stream, Loader=_SAFE_LOADER)  # noqa: S506 - a safe loader, chosen above

@dataclass(frozen=True)
class Answer:
    """One reviewed answer: what to say about a topic in one context."""

    topic: str
    context: str
    text: str
    facts: Tuple[str, ...]
    references: Tuple[str, ...] = ()  # verbatim citations for the S6.R* ids among ``facts``
    id: str = ""  # explicit id (answer units, some overviews); ``topic/context`` when empty
    why: Optional[str] = None  # the unit that answers "why?" right after this one
    # sends the patient to their own doctor or nurse: the care team's card follows (bot/clinic/care_team.py)
    refers_to_clinician: bool = False

    @property
    def full_text(self) -> str:
        """What the patient reads: the plain-language text, then any numbered citations."""
        cited = [f"{number}. {citation}" for number, citation in enumerate(self.references, 1)]
        return "\n\n".join([self.text, *cited])

    @property
    def answer_id(self) -> str:
        """Stable id such as ``serious/osteoarthritis`` or ``cause/bone_tumor``, used in slots,
        test stories and the answer cases."""
        return self.id or f"{self.topic}/{self.context}"


@dataclass(frozen=True)
class Topic:
    """A question type (intent ``ask_<id>``) with its answers by context."""

    id: str
    title: str
    answers: Mapping[str, Answer]
    next: Tuple[str, ...]


@dataclass(frozen=True)
class Cause:
    """A cause the entity ruler recognises, and the context it puts the conversation in."""

    id: str
    context: str
    name: str


@dataclass(frozen=True)
class Comparison:
    """A sentence that sets the patient's length of time against the article's numbers."""

    below_months: float
    text: str  # with ``{time}``: the patient's own words, e.g. "9 months"
    facts: Tuple[str, ...]


@dataclass(frozen=True)
class KnowledgeBase:
    """Everything in knowledge.yml and answer_units.yml, validated."""

    topics: Mapping[str, Topic]
    causes: Mapping[str, Cause]
    body_parts: Mapping[str, str]
    references: Mapping[str, str]
    units: Mapping[str, Answer] = field(default_factory=dict)  # every answer by id, overviews too
    comparisons: Tuple[Comparison, ...] = ()

    def answer(self, topic: str, context: str = GENERAL) -> Answer:
        """The answer for ``topic`` in ``context``, or the general one where the article makes no
        difference for that context."""
        answers = self.topics[topic].answers
        return answers.get(context, answers[GENERAL])

    def all_answers(self) -> Tuple[Answer, ...]:
        """Every answer the assistant can give: the topic overviews, then the answer units."""
        overviews = tuple(a for t in self.topics.values() for a in t.answers.values())
        return overviews + tuple(u for u in self.units.values() if u not in overviews)

    def unit(self, unit_id: str) -> Answer:
        """The answer with this id (``cause/bone_tumor``, ``serious/injury``, ``what_is/overview``)."""
        return self.units[unit_id]

    def is_overview(self, answer_id: str) -> bool:
        """Whether an answer is a topic's overview (in some context) rather than an answer unit."""
        return any(answer_id in {a.answer_id for a in t.answers.values()}
                   for t in self.topics.values())


def _require(condition: bool, path: Path, where: str, fix: str) -> None:
    if not condition:
        raise ContentError(f"{path}: {where}: {fix}")


def _refers(path: Path, where: str, body: Dict[str, Any]) -> bool:
    flag = body.get("refers_to_clinician", False)
    _require(isinstance(flag, bool), path, where, "`refers_to_clinician:` must be true or false")
    return bool(flag)


def _parse_topic(
    path: Path, topic_id: str, raw: Dict[str, Any], references: Mapping[str, str]
) -> Topic:
    where = f"topics.{topic_id}"
    _require(isinstance(raw.get("title"), str), path, where, "add a `title:` (the button label)")
    raw_answers = raw.get("answers") or {}
    _require(GENERAL in raw_answers, path, where, "add an `answers.general` entry")
    answers: Dict[str, Answer] = {}
    for context, body in raw_answers.items():
        at = f"{where}.answers.{context}"
        _require(context in CONTEXTS, path, at, f"context must be one of {', '.join(CONTEXTS)}")
        text = str((body or {}).get("text", "")).strip()
        facts = tuple((body or {}).get("facts") or ())
        _require(bool(text), path, at, "add the answer `text:`")
        _require(bool(facts), path, at, "list the FACTS.md ids this answer rests on in `facts:`")
        bad = [f for f in facts if not FACT_ID.match(str(f))]
        _require(not bad, path, at, f"fact ids {bad} are not of the form S1.F1 / S3.F3a / S6.R1")
        cited = tuple(references[f] for f in facts if f in references)
        answers[context] = Answer(topic_id, context, text, tuple(str(f) for f in facts), cited,
                                  str((body or {}).get("id") or ""),
                                  refers_to_clinician=_refers(path, at, body or {}))
    return Topic(topic_id, raw["title"], answers, tuple(raw.get("next") or ()))


def parse_knowledge(raw: Dict[str, Any], path: Path = KNOWLEDGE_FILE) -> KnowledgeBase:
    """Build a :class:`KnowledgeBase` from the parsed YAML, raising :class:`ContentError` on
    any shape problem."""
    _require(isinstance(raw, dict), path, "top level", "the file must be a YAML mapping")
    references = {str(k): " ".join(str(v).split()) for k, v in (raw.get("references") or {}).items()}
    topics = {tid: _parse_topic(path, tid, body, references)
              for tid, body in (raw.get("topics") or {}).items()}
    _require(bool(topics), path, "topics", "add at least one topic")
    for topic in topics.values():
        unknown = [n for n in topic.next if n not in topics]
        _require(not unknown, path, f"topics.{topic.id}.next", f"unknown topics {unknown}")
    causes = {}
    for cid, body in (raw.get("causes") or {}).items():
        _require(body.get("context") in CONTEXTS, path, f"causes.{cid}",
                 f"`context:` must be one of {', '.join(CONTEXTS)}")
        causes[cid] = Cause(cid, body["context"], str(body.get("name") or cid))
    body_parts = {bid: str((body or {}).get("name") or bid)
                  for bid, body in (raw.get("body_parts") or {}).items()}
    return KnowledgeBase(topics, causes, body_parts, references)


def _parse_unit(path: Path, unit_id: str, body: Dict[str, Any], topics: Mapping[str, Topic],
                references: Mapping[str, str]) -> Answer:
    where = f"units.{unit_id}"
    _require("/" in unit_id, path, where, "name units `<group>/<name>`, e.g. cause/bone_tumor")
    _require(body.get("topic") in topics, path, where,
             f"`topic:` must be a knowledge.yml topic: {sorted(topics)}")
    text = " ".join(str(body.get("text") or "").split())
    facts = tuple(str(f) for f in body.get("facts") or ())
    _require(bool(text), path, where, "add the unit's `text:`")
    _require(bool(facts) or body.get("not_covered") is True, path, where,
             "list the FACTS.md ids in `facts:` (or set `not_covered: true` if it states no fact)")
    bad = [f for f in facts if not FACT_ID.match(f)]
    _require(not bad, path, where, f"fact ids {bad} are not of the form S1.F1 / S3.F3a / S6.R1")
    cited = tuple(references[f] for f in facts if f in references)
    return Answer(body["topic"], GENERAL, text, facts, cited, unit_id, body.get("why"),
                  refers_to_clinician=_refers(path, where, body))


def parse_units(raw: Dict[str, Any], kb: KnowledgeBase, path: Path = UNITS_FILE) -> KnowledgeBase:
    """Add the answer units of answer_units.yml to ``kb``; every answer gets its id in ``units``."""
    _require(isinstance(raw, dict), path, "top level", "the file must be a YAML mapping")
    units: Dict[str, Answer] = {a.answer_id: a for a in kb.all_answers()}
    for unit_id, body in (raw.get("units") or {}).items():
        _require(unit_id not in units, path, f"units.{unit_id}", "this id is used twice")
        units[unit_id] = _parse_unit(path, unit_id, body or {}, kb.topics, kb.references)
    for unit in units.values():
        _require(unit.why is None or unit.why in units, path, f"units.{unit.answer_id}.why",
                 f"unknown unit {unit.why!r}")
    comparisons = []
    for index, body in enumerate(raw.get("comparisons") or ()):
        where = f"comparisons[{index}]"
        _require("{time}" in str(body.get("text")), path, where, "the text must contain {time}")
        _require(isinstance(body.get("below_months"), (int, float)), path, where,
                 "add `below_months:` (a number)")
        comparisons.append(Comparison(float(body["below_months"]), " ".join(body["text"].split()),
                                      tuple(str(f) for f in body.get("facts") or ())))
    comparisons.sort(key=lambda c: c.below_months)
    return replace(kb, units=units, comparisons=tuple(comparisons))


@contextmanager
def speaking(language: str) -> Iterator[None]:
    """Within this block, content is read in ``language`` ("en", "es")."""
    token = _SPEAKING.set(language)
    try:
        yield
    finally:
        _SPEAKING.reset(token)


def language_in_use() -> str:
    return _SPEAKING.get()


def content_file(name: str) -> Path:
    """A content file in the language in use: ``bot/content/<name>``, or ``bot/content/es/<name>``."""
    language = _SPEAKING.get()
    return CONTENT_DIR / name if language == DEFAULT_LANGUAGE else CONTENT_DIR / language / name


def load_knowledge(path: Optional[Path] = None, units_path: Optional[Path] = None) -> KnowledgeBase:
    """The knowledge file and the answer units (in the language in use unless paths are given),
    loaded and validated once per process."""
    return _load_knowledge(path or content_file(KNOWLEDGE_FILE.name),
                           units_path or content_file(UNITS_FILE.name))


@lru_cache(maxsize=None)
def _load_knowledge(path: Path, units_path: Path) -> KnowledgeBase:
    with open(path, encoding="utf-8") as handle:
        kb = parse_knowledge(load_yaml(handle), path)
    with open(units_path, encoding="utf-8") as handle:
        return parse_units(load_yaml(handle), kb, units_path)
