"""Training data and the trained model: validation, held-out accuracy, conversation stories."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from bench.evaluation import HELDOUT_FILE, load_examples, score_model

ROOT = Path(__file__).resolve().parents[2]
RASA = str(Path(sys.executable).parent / "rasa")
MIN_ACCURACY = 0.90
CORE_FILE = ROOT / "tests" / "data" / "core_questions.yml"
TOPIC_INTENTS = ["ask_what_is", "ask_how_found", "ask_serious", "ask_causes", "ask_osteoarthritis",
                 "ask_injury", "ask_symptoms", "ask_treatment", "ask_duration", "ask_sources"]


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9 ]", "", text.lower()).split())


def test_heldout_messages_are_not_training_messages() -> None:
    training = {_norm(text) for text, _ in load_examples(ROOT / "data" / "nlu.yml")}
    assert [t for t, _ in load_examples(ROOT / HELDOUT_FILE) if _norm(t) in training] == []


def test_heldout_has_at_least_ten_messages_per_topic() -> None:
    counts = Counter(intent for _, intent in load_examples(ROOT / HELDOUT_FILE))
    assert {i: counts[i] for i in TOPIC_INTENTS if counts[i] < 10} == {}


@pytest.mark.slow
def test_rasa_data_validate_has_no_warnings() -> None:
    result = subprocess.run([RASA, "data", "validate", "--fail-on-warnings"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "No story structure conflicts found" in result.stdout + result.stderr


@pytest.mark.slow
def test_heldout_intent_accuracy(trained_model: Path) -> None:
    score = score_model(trained_model, ROOT / HELDOUT_FILE)
    misses = "\n".join(f"  {t!r}: expected {e}, got {p}" for t, e, p in score.misses)
    assert score.accuracy >= MIN_ACCURACY, f"accuracy {score.accuracy:.3f}; misses:\n{misses}"


@pytest.mark.slow
def test_core_questions_are_all_answered(trained_model: Path) -> None:
    """No accuracy gain elsewhere may cost one of the plainest questions ("what are the symptoms")."""
    score = score_model(trained_model, CORE_FILE)
    assert score.total >= 20
    assert list(score.misses) == []


@pytest.mark.slow
def test_conversation_stories_pass_rasa_test(trained_model: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [RASA, "test", "core", "--model", str(trained_model), "--stories",
         str(ROOT / "tests" / "conversations"), "--out", str(tmp_path), "--fail-on-prediction-errors"],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert (tmp_path / "failed_test_stories.yml").read_text().strip().endswith("stories: []") or \
        "None of the test stories failed" in (tmp_path / "failed_test_stories.yml").read_text()
