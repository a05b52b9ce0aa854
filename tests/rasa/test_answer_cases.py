"""Answer cases: whole conversations whose replies must hold the right answer units (issue 19).

tests/data/eval/heldout/answers.yml is the held-out set (175 cases written apart from the code and
the training data); development/ holds the sets the engine was tuned on, check/ the check sets
measured once after the tuning (README; `make eval` prints every set's score).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bench.evaluation import ANSWER_CASES_FILE, load_answer_cases, score_answer_cases
from bot.engine.knowledge import load_knowledge
from bot.engine.replies import load_replies

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
# the held-out set, the development sets and the check set (measured once, never tuned on)
CASE_FILES = sorted(DATA.glob("eval/*/answers*.yml"))
TARGET = 0.90  # issue 19: `make test` requires it (159/175 = 90.9% on 2026-12-06)


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9 ]", "", text.lower()).split())


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: p.name)
def test_every_expected_id_exists(path: Path) -> None:
    known = set(load_knowledge().units) | set(load_replies().replies) | {"duration/compare", "fallback"}
    used = {alt for case in load_answer_cases(path) for turn in case["turns"]
            for item in (turn.get("must") or []) + (turn.get("must_not") or [])
            for alt in item.split("|")}
    assert {i for i in used if i not in known and not i.startswith("urgent/")} == set()


def test_no_case_message_is_a_training_message() -> None:
    training = _norm((ROOT / "data" / "nlu.yml").read_text(encoding="utf-8"))
    messages = [_norm(t["text"]) for p in CASE_FILES for c in load_answer_cases(p) for t in c["turns"]]
    assert [m for m in messages if len(m.split()) > 3 and f"- {m}" in training] == []


def test_heldout_has_at_least_150_cases_of_every_kind() -> None:
    kinds = {c["id"].rsplit("-", 1)[0] for c in load_answer_cases(ROOT / ANSWER_CASES_FILE)}
    assert len(load_answer_cases(ROOT / ANSWER_CASES_FILE)) >= 150
    assert {"specific", "two_part", "three_part", "follow_up", "story", "report", "personal",
            "not_covered", "term", "urgent", "no_alarm"} <= kinds


@pytest.fixture(scope="module")
def heldout_score(trained_model: Path):
    return score_answer_cases(trained_model, ROOT / ANSWER_CASES_FILE)


@pytest.mark.slow
def test_heldout_answer_cases_reach_the_target(heldout_score) -> None:
    failed = "\n".join(f"  {r.id}: {r.why}" for r in heldout_score.results if not r.passed)
    assert heldout_score.accuracy >= TARGET, \
        f"{heldout_score.passed}/{heldout_score.total} = {heldout_score.accuracy:.3f} < {TARGET}:\n{failed}"


@pytest.mark.slow
def test_every_urgent_case_escalates_and_no_settled_story_does(heldout_score) -> None:
    safety = [r for r in heldout_score.results if r.id.startswith(("urgent-", "no_alarm-"))]
    assert safety and [r.id for r in safety if not r.passed] == []
