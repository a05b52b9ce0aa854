"""Training the urgency model (bot.engine.urgency_training)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.engine.urgency_model import CLASSES, UrgencyModel
from bot.engine.linear_models import Embeddings, TrainingSettings
from bot.engine.urgency_training import (Story, calm_questions,
                                         load_stories, load_training_settings, train)
from bot.engine.knowledge import ContentError, load_yaml

from typing import Callable, List

Encode = Callable[[List[str]], np.ndarray]


def test_the_reviewed_stories_are_balanced_and_cover_every_kind() -> None:
    stories = load_stories()
    kinds = [s.kind for s in stories]
    assert len(stories) >= 1000 and set(kinds) == set(CLASSES)
    assert 0.4 < kinds.count("calm") / len(kinds) < 0.6
    assert load_training_settings().regularisation > 0
    assert len(calm_questions()) > 500 and {s.kind for s in calm_questions()} == {"calm"}


@pytest.mark.parametrize("body, error", [
    ("stories:\n  - {id: a, urgent: maybe, text: hi}\n", "urgent:` one of"),
    ("stories:\n  - {id: a, urgent: \"no\", text: hi}\n  - {id: a, urgent: crisis, text: x}\n",
     "give a new `id`"),
    ("stories: []\n", "write `stories:`"),
])
def test_a_bad_story_is_named(tmp_path: Path, body: str, error: str) -> None:
    path = tmp_path / "urgency_stories.yml"
    path.write_text(body)
    with pytest.raises(ContentError, match=error):
        load_stories(path)


def test_the_clause_that_makes_a_story_urgent_is_learned(tiny_urgency_model: UrgencyModel) -> None:
    scores, _ = tiny_urgency_model.clause_scores(["my dad is slumped", "the scan showed edema",
                                                   "the baby ate the pills"])
    assert [CLASSES[i] for i in scores.argmax(axis=1)] == ["emergency", "calm", "overdose"]
    assert tiny_urgency_model.message_score("slumped and grey") > \
        tiny_urgency_model.message_score("a sunny walk, how long to heal")


def test_training_is_deterministic(keyword_encoder: Encode) -> None:
    references = {"urgent/emergency": ("he fell and can't stand",), "calm": ("a sunny day",)}
    stories = [Story("a", "emergency", "sunny out, he fell, he can't stand"),
               Story("b", "calm", "a sunny day, wobbly legs")]
    first = train(references, stories, TrainingSettings(1.0, 1), Embeddings(keyword_encoder))
    again = train(references, stories, TrainingSettings(1.0, 1), Embeddings(keyword_encoder))
    assert all(np.array_equal(a.weights, b.weights) for a, b in zip(first, again))


def _norm(text: str) -> str:
    return " ".join("".join(ch for ch in text.lower() if ch.isalnum() or ch == " ").split())


def test_no_held_out_or_check_message_is_a_training_story() -> None:
    """The urgency model learns from reviewed stories; a message of a held-out or check set must
    never be among them (the spent urgency checks moved there whole and left the check folder).
    (The example questions share a few plain questions with the answer sets, "what is bone
    marrow edema", written the same by authors blind to each other.)"""

    root = Path(__file__).resolve().parents[2] / "tests" / "data" / "eval"
    learned = {_norm(s.text) for s in load_stories()}
    kept = []
    for path in [*sorted((root / "heldout").glob("answers*.yml")),
                 *sorted((root / "check").glob("*.yml"))]:
        for case in load_yaml(path.read_text(encoding="utf-8"))["cases"]:
            texts = [case["text"]] if "text" in case else [t["text"] for t in case["turns"]]
            kept += [(path.name, case["id"]) for t in texts if _norm(t) in learned]
    assert kept == []
