"""The learned safety net (bot.engine.urgency): a warning sign in words no rule was written for."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable

import pytest

from bot.engine.replies import reply_for
from bot.engine.retrieval import Retriever
from bot.engine.urgency import (CALM, KINDS, Settings, load_settings, load_urgent_examples,
                                urgent_by_example)
from bot.knowledge import ContentError
from bot.safety import told_clauses

SETTINGS = Settings(threshold=0.7, margin=0.1, needs=re.compile(r"slumped|pills|wobbly"))


@pytest.fixture
def fake_index(keyword_retriever: Callable[..., Retriever]) -> Retriever:
    return keyword_retriever(("slumped", "wobbly", "pills", "sunny"),
                             [("urgent/emergency", "he is slumped and will not wake"),
                              (CALM, "a bit wobbly after the gym"),
                              ("urgent/overdose", "swallowed the pills"), (CALM, "a sunny day")], 0.3)


def test_the_reference_clauses_cover_every_kind_and_calm() -> None:
    examples = load_urgent_examples()
    assert set(examples) == {f"urgent/{k}" for k in KINDS} | {CALM}
    assert all(len(v) >= 30 for v in examples.values())
    settings = load_settings()
    assert 0 < settings.threshold < 1 and 0 <= settings.margin < 1


def test_a_file_without_calm_clauses_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "urgent_examples.yml"
    bad.write_text("urgent:\n  emergency: [he cannot stand]\n")
    with pytest.raises(ContentError, match="a `calm:` list"):
        load_urgent_examples(bad)


@pytest.mark.parametrize("text, kind", [
    ("my husband is slumped in the chair since lunch, what do I do", "emergency"),
    ("I think she swallowed the pills from the cupboard, all of them", "overdose"),
    # near a calm reference: nothing
    ("after the gym session my legs are a bit wobbly tonight", None),
    # told as settled: set aside (not for an overdose)
    ("back in March he was slumped in the chair for a minute, fine since then", None),
    # too short for the net: the rules decide
    ("slumped", None),
    # no word a warning sign needs: not compared
    ("he has been in the chair since lunch, what do I do", None),
])
def test_a_clause_nearest_an_urgent_reference_escalates(text: str, kind: str,
                                                        fake_index: Retriever) -> None:
    found = urgent_by_example(text, fake_index, SETTINGS)
    assert (found.kind if found else None) == kind
    if found:
        assert found.why.startswith(f"urgent/{kind}: nearest reference ") and text not in found.why


def test_without_the_index_the_rules_alone_decide() -> None:
    assert urgent_by_example("my husband is slumped in the chair since lunch", None) is None


def test_the_clauses_are_the_settled_readings() -> None:
    assert told_clauses("In March I fell, I couldn't walk. Now my knee aches") == [
        ("in march i fell", True), ("i couldn't walk", True), ("now my knee aches", False)]


@pytest.mark.slow
def test_the_built_net_escalates_new_wording_and_leaves_a_calm_question(trained_model: Path) -> None:
    # no red-flag rule matches these words
    for text, kind in [("scan said bone marrow edema. i have put my affairs in order and written "
                        "my letters", "crisis"),
                       ("knee mri showed edema. my legs wont hold me up since i tripped this "
                        "morning", "emergency")]:
        urgent = reply_for("ask_serious", text=text)
        assert urgent.answer_id == f"urgent/{kind}" and urgent.why, text
    calm = reply_for("ask_serious", text="my mri showed bone marrow edema in my knee after a fall "
                                         "last year, is it serious?")
    assert calm.answer_id != "urgent/emergency"
