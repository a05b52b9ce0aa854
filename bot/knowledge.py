"""The knowledge base: typed access to ``bot/content/knowledge.yml``.

All medical wording lives in that one file. This module loads it, checks its shape, and answers
"what do we say about topic T for a patient in context C" with the text and the FACTS.md ids it
rests on. Content rules (fact coverage, numbers, reading grade) are tested in
``tests/bot/test_knowledge_content.py``; the shape is checked here, on load, so a broken edit fails
at start-up with a message that names the place to fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Mapping, Tuple

import yaml

CONTENT_DIR = Path(__file__).parent / "content"
KNOWLEDGE_FILE = CONTENT_DIR / "knowledge.yml"

GENERAL = "general"
CONTEXTS = (GENERAL, "osteoarthritis", "injury")
FACT_ID = re.compile(r"^S[1-6]\.(F\d+[a-z]?|R\d+)$")


class ContentError(ValueError):
    """A content file is malformed; the message names the file, the key and the fix."""


@dataclass(frozen=True)
class Answer:
    """One reviewed answer: what to say about a topic in one context."""

    topic: str
    context: str
    text: str
    facts: Tuple[str, ...]
    references: Tuple[str, ...] = ()  # verbatim citations for the S6.R* ids among ``facts``

    @property
    def full_text(self) -> str:
        """What the patient reads: the plain-language text, then any numbered citations."""
        cited = [f"{number}. {citation}" for number, citation in enumerate(self.references, 1)]
        return "\n\n".join([self.text, *cited])

    @property
    def answer_id(self) -> str:
        """Stable id such as ``serious/osteoarthritis``, used in slots and test stories."""
        return f"{self.topic}/{self.context}"


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
class KnowledgeBase:
    """Everything in knowledge.yml, validated."""

    topics: Mapping[str, Topic]
    causes: Mapping[str, Cause]
    body_parts: Mapping[str, str]
    references: Mapping[str, str]

    def answer(self, topic: str, context: str = GENERAL) -> Answer:
        """The answer for ``topic`` in ``context``, or the general one where the article makes no
        difference for that context."""
        answers = self.topics[topic].answers
        return answers.get(context, answers[GENERAL])

    def all_answers(self) -> Tuple[Answer, ...]:
        return tuple(a for t in self.topics.values() for a in t.answers.values())


def _require(condition: bool, path: Path, where: str, fix: str) -> None:
    if not condition:
        raise ContentError(f"{path}: {where}: {fix}")


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
        answers[context] = Answer(topic_id, context, text, tuple(str(f) for f in facts), cited)
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


@lru_cache(maxsize=None)
def load_knowledge(path: Path = KNOWLEDGE_FILE) -> KnowledgeBase:
    """Load and validate the knowledge file once per process."""
    with open(path, encoding="utf-8") as handle:
        return parse_knowledge(yaml.safe_load(handle), path)
