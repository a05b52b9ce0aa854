"""`make eval`'s sets: named by role, each saying who wrote it, ids unique across all of them;
the urgency stories scored both ways."""

from __future__ import annotations

from collections import Counter

import pytest

from bench.eval import (URGENT_IDS, EvalSet, find_sets, urgency_as_answer_cases,
                        urgency_figures)
from bench.evaluation import AnswerScore, CaseResult, _turn_problem, load_answer_cases

SETS = [s for s in find_sets() if s.kind != "intents"]


def test_every_role_has_sets() -> None:
    assert {s.role for s in find_sets()} == {"heldout", "development", "check"}
    assert {s.kind for s in find_sets()} == {"answers", "intents", "urgency"}


@pytest.mark.parametrize("item", SETS, ids=lambda s: s.name)
def test_every_set_says_its_role_author_and_blindness(item: EvalSet) -> None:
    header = item.header()
    assert header.get("role") and header.get("author") and header.get("blind_to"), item.path


def test_case_ids_are_unique_across_every_set() -> None:
    ids = Counter(c["id"] for s in SETS for c in load_answer_cases(s.path))
    assert [i for i, n in ids.items() if n > 1] == []


def test_a_sealed_check_set_is_marked_so() -> None:
    assert [s.name for s in SETS if s.sealed] and all(s.role == "check" for s in SETS if s.sealed)


CASES = [{"id": "u1", "urgent": True, "text": "he can't stand"},
         {"id": "n1", "urgent": False, "text": "a bit sore"},
         {"id": "n2", "urgent": False, "text": "stiff"}]


@pytest.mark.parametrize("case_id, ids, passes", [
    ("u1", ("urgent/emergency",), True),   # escalated
    ("u1", ("serious/injury",), False),    # missed
    ("n1", ("symptoms/overview",), True),  # answered
    ("n1", ("urgent/crisis",), False),     # a false alarm of any urgent kind
])
def test_urgency_cases_pass_only_the_right_way(case_id: str, ids: tuple, passes: bool) -> None:
    turn = next(c for c in urgency_as_answer_cases(CASES) if c["id"] == case_id)["turns"][0]
    assert (_turn_problem(ids, turn) == "") is passes


def test_urgency_figures_count_misses_and_false_alarms_apart() -> None:
    score = AnswerScore((CaseResult("u1", False, ()), CaseResult("n1", False, ()),
                         CaseResult("n2", True, ())))
    figures = urgency_figures(CASES, score)
    assert (figures["escalated"], figures["urgent"], figures["false_alarms"],
            figures["not_urgent"]) == (0, 1, 1, 2)
    assert figures["missed"] == ["u1"] and figures["false_alarm_ids"] == ["n1"]
    assert set(URGENT_IDS) == {"urgent/emergency", "urgent/crisis", "urgent/overdose"}
