"""Score a trained model on held-out NLU messages (used by the test suite and `make bench`)."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Awaitable, Callable, Dict, List, Sequence, Tuple

from rasa.shared.nlu.training_data.loading import load_data

HELDOUT_FILE = Path("tests/data/nlu_heldout.yml")


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


def score_model(model_path: Path, path: Path = HELDOUT_FILE) -> IntentScore:
    """Load a trained model and score it on a held-out file."""
    from rasa.core.agent import Agent

    agent = Agent.load(str(model_path))
    return asyncio.run(score_intents(agent.parse_message, load_examples(path)))
