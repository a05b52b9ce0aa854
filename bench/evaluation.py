"""Score a trained model on held-out NLU messages (used by the test suite and `make bench`)."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Awaitable, Callable, Dict, List, Sequence, Tuple

from rasa.shared.nlu.training_data.loading import load_data

if TYPE_CHECKING:
    from rasa.core.agent import Agent

    from bot.engine.replies import Reply

HELDOUT_FILE = Path("tests/data/eval/heldout/intents.yml")


@dataclass(frozen=True)
class IntentScore:
    """Intent accuracy over examples, with the misses for the report."""

    total: int
    correct: int
    misses: Tuple[Tuple[str, str, str], ...]  # (text, expected, predicted)

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    def confusions(self) -> Dict[Tuple[str, str], int]:
        return dict(Counter((expected, predicted) for _, expected, predicted in self.misses))


def load_examples(path: Path = HELDOUT_FILE) -> List[Tuple[str, str]]:
    """(text, intent) pairs of a Rasa NLU YAML file."""
    data = load_data(str(path))
    return [(m.get("text"), m.get("intent")) for m in data.intent_examples]


async def score_intents(
    parse: Callable[[str], Awaitable[Dict]], examples: Sequence[Tuple[str, str]]
) -> IntentScore:
    """Score ``parse`` (e.g. ``Agent.parse_message``) on examples.

    A message whose prediction is ``nlu_fallback`` counts as a miss: the user gets "did you mean"
    buttons instead of an answer, which is safe but not understanding.
    """
    misses = []
    for text, expected in examples:
        predicted = (await parse(text))["intent"]["name"]
        if predicted != expected:
            misses.append((text, expected, predicted))
    return IntentScore(len(examples), len(examples) - len(misses), tuple(misses))


def load_agent(model_path: Path) -> "Agent":
    """A trained model, loaded for parsing messages in this process."""
    from rasa.core.agent import Agent

    return Agent.load(str(model_path))


def score_model(model_path: Path, path: Path = HELDOUT_FILE) -> IntentScore:
    """Load a trained model and score it on a held-out file."""
    agent = load_agent(model_path)
    return asyncio.run(score_intents(agent.parse_message, load_examples(path)))


ANSWER_CASES_FILE = Path("tests/data/eval/heldout/answers.yml")
ENTITY_SLOTS = {"CAUSE": "cause", "BODY_PART": "body_part", "TREATMENT": "treatment"}


@dataclass(frozen=True)
class CaseResult:
    """One answer case: passed or not, and what each turn got."""

    id: str
    passed: bool
    got: Tuple[Tuple[str, str], ...]  # (user text, answer ids of the reply) per turn
    why: str = ""


@dataclass(frozen=True)
class AnswerScore:
    """How many answer cases got every unit they must and none they must not."""

    results: Tuple[CaseResult, ...]

    @property
    def total(self) -> int:
        return len(self.results)

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.results)

    @property
    def accuracy(self) -> float:
        return self.passed / self.total if self.total else 0.0

    def by_kind(self) -> Dict[str, Tuple[int, int]]:
        kinds: Dict[str, List[bool]] = {}
        for result in self.results:
            kinds.setdefault(result.id.rsplit("-", 1)[0], []).append(result.passed)
        return {k: (sum(v), len(v)) for k, v in sorted(kinds.items())}


def load_answer_cases(path: Path = ANSWER_CASES_FILE) -> List[Dict]:
    """The cases of an answer-case file (tests/data/eval/heldout/answers.yml is one)."""
    from bot.engine.knowledge import load_yaml

    with open(path, encoding="utf-8") as handle:
        return list(load_yaml(handle)["cases"])


def _turn_problem(ids: Sequence[str], turn: Dict) -> str:
    missing = [m for m in turn.get("must") or () if not set(m.split("|")) & set(ids)]
    present = [m for m in turn.get("must_not") or () if m in ids]
    return (f"missing {missing} " if missing else "") + (f"unwanted {present}" if present else "")


def reply_ids(reply: "Reply") -> Tuple[str, ...]:
    """The answer ids of a reply, or the replies.yml name of a non-medical one (``fallback``)."""
    return reply.answer_ids or (reply.name or "unknown",)


async def run_answer_cases(parse: Callable[[str], Awaitable[Dict]],
                           cases: Sequence[Dict], language: str = "en") -> AnswerScore:
    """Play each case's turns as one conversation, as the answer action would, and check the
    answer ids of every reply (``parse``: e.g. ``Agent.parse_message``; ``language``: the
    conversation's, as a channel's metadata names it)."""
    from bot.engine.turn import take_turn

    results = []
    for case in cases:
        slots: Dict[str, object] = {}
        got, problems = [], []
        for turn in case["turns"]:
            parsed = await parse(turn["text"])
            entities = parsed.get("entities") or []
            for entity in entities:
                if entity.get("entity") in ENTITY_SLOTS:
                    slots[ENTITY_SLOTS[entity["entity"]]] = entity.get("value")
            red = [e.get("value") for e in entities if e.get("entity") == "red_flag"]
            said = take_turn(parsed["intent"]["name"], slots, red_flag=red[-1] if red else None,
                             ranking=parsed.get("intent_ranking") or [], text=turn["text"],
                             entities=entities, metadata={"language": language})
            reply = said.reply
            slots.update(said.slots)
            ids = reply_ids(reply)
            got.append((turn["text"], "+".join(ids)))
            problem = _turn_problem(ids, turn)
            if problem:
                problems.append(f"turn {len(got)}: {problem}")
        results.append(CaseResult(case["id"], not problems, tuple(got), "; ".join(problems)))
    return AnswerScore(tuple(results))


def score_answer_cases(model_path: Path, path: Path = ANSWER_CASES_FILE) -> AnswerScore:
    """Load a trained model and play the answer cases of ``path`` against it."""
    agent = load_agent(model_path)
    return asyncio.run(run_answer_cases(agent.parse_message, load_answer_cases(path)))
