"""The nearest reviewed example question (bot.engine.retrieval) and when selection uses it."""

from __future__ import annotations

from dataclasses import replace

from pathlib import Path
from typing import Callable, List

import numpy as np
import pytest

from bot.engine.reading import read_message
from bot.engine.retrieval import (BUILD_DIR, EXAMPLES_FILE, TOPIC_KEY, Hit, NearestByClause, Retriever, Settings,
                                  build, check_keys, load_examples, load_settings)
from bot.engine.selection import State, select
from bot.engine.reading import load_lexicon
from bot.engine.knowledge import ContentError, load_knowledge

KB = load_knowledge()
SETTINGS = Settings(threshold=0.6, margin=0.05, adds=("not_covered/diet", "not_bme/other"))


def test_every_key_is_an_answer_and_every_addable_answer_has_examples() -> None:
    examples = load_examples()
    check_keys(examples, KB)
    assert {TOPIC_KEY + t for t in KB.topics} <= set(examples)
    assert set(load_settings().adds) <= set(examples)
    assert all(len(qs) >= 8 for qs in examples.values())


def test_an_unknown_key_is_named_with_the_fix() -> None:
    with pytest.raises(ContentError, match=r"unknown answer ids \['term/nope'\].*topic/<topic>"):
        check_keys({"term/nope": ("what is nope",)}, KB)


def test_examples_must_be_lists_of_questions(tmp_path: Path) -> None:
    bad = tmp_path / "unit_examples.yml"
    bad.write_text("examples:\n  term/lesion: what is a lesion\n")
    with pytest.raises(ContentError, match="examples.term/lesion: write a list of questions"):
        load_examples(bad)


@pytest.mark.parametrize("hits, expected", [
    # near, clearly nearest, and an answer retrieval may add: used
    ([Hit("not_covered/diet", 0.8, "e"), Hit("topic/treatment", 0.6, "e")], "not_covered/diet"),
    # not clearly nearest (within the margin): not used
    ([Hit("not_covered/diet", 0.8, "e"), Hit("topic/treatment", 0.78, "e")], None),
    # not near enough
    ([Hit("not_covered/diet", 0.55, "e")], None),
    # an answer the rules give (an overview): never given by retrieval
    ([Hit("topic/treatment", 0.95, "e")], None),
    ([], None),
])
def test_when_the_nearest_answer_is_used(hits: List[Hit], expected: str) -> None:
    found = SETTINGS.answer(hits)
    assert (found.key if found else None) == expected


@pytest.fixture
def fake_retriever(keyword_retriever: Callable[..., Retriever]) -> Retriever:
    return keyword_retriever(("breakfast", "bruise", "serious"),
                             [("not_covered/diet", "what breakfast is best"),
                              ("not_bme/other", "a bruise on my skin"),
                              ("topic/serious", "is it serious")], 0.2)


def test_nearest_gives_one_hit_per_answer_best_first_with_its_example(fake_retriever: Retriever) -> None:
    [hits] = fake_retriever.nearest(["a bigger breakfast?"])
    assert hits[0] == Hit("not_covered/diet", pytest.approx(1.0, abs=1e-3), "what breakfast is best")
    assert len({h.key for h in hits}) == len(hits) == 3
    assert fake_retriever.nearest([]) == []


def test_only_questions_are_embedded(fake_retriever: Retriever) -> None:
    text = "I fell last month. Could a bone tumour cause it? Would a change of breakfast help it heal?"
    reading = read_message(text)
    nearest = NearestByClause(fake_retriever, [c.text for c in reading.clauses])
    chosen = select(reading, KB, load_lexicon(), State(), "causes", nearest, SETTINGS)
    assert chosen.units == ("cause/bone_tumor", "not_covered/diet")
    assert nearest.looked_up == 2  # the two questions; the statement is not embedded


def test_a_decline_is_added_beside_the_rules_answer_only_when_very_near(
        fake_retriever: Retriever) -> None:
    # the rules answer the medicine question; the nearest example adds the diet decline beside it
    text = "can I take ibuprofen with breakfast"
    reading = read_message(text)
    nearest = fake_retriever.nearest([c.text for c in reading.clauses])
    declines = replace(SETTINGS, declines=("not_covered/diet",), declines_threshold=0.9)
    chosen = select(reading, KB, load_lexicon(), State(), "treatment", nearest, declines)
    assert chosen.units == ("decision/medicine", "not_covered/diet")
    never = replace(declines, declines_threshold=1.1)
    assert "not_covered/diet" not in select(reading, KB, load_lexicon(), State(), "treatment",
                                            nearest, never).units


def test_selection_adds_the_nearest_answer_and_says_why(fake_retriever: Retriever) -> None:
    text = "would a change of breakfast help it heal?"
    reading = read_message(text)
    nearest = fake_retriever.nearest([c.text for c in reading.clauses])
    chosen = select(reading, KB, load_lexicon(), State(), "treatment", nearest, SETTINGS)
    assert chosen.units == ("not_covered/diet",)  # instead of the overview the rules fell back on
    assert chosen.why == ('not_covered/diet: nearest example "what breakfast is best" (1.00)',)
    # without retrieval, the rules alone
    assert "not_covered/diet" not in select(reading, KB, load_lexicon(), State(), "treatment").units


def test_nothing_of_the_articles_numbers_for_what_is_not_bone_marrow_edema(fake_retriever: Retriever) -> None:
    text = "I have a bruise on my skin from 3 weeks ago. How long does it last?"
    reading = read_message(text)
    nearest = fake_retriever.nearest([c.text for c in reading.clauses])
    units = select(reading, KB, load_lexicon(), State(), "duration", nearest,
                   Settings(0.6, 0.05, ("not_bme/other",))).units
    assert units == ("not_bme/other",)


@pytest.mark.slow
def test_the_built_index_finds_its_own_examples(tmp_path: Path) -> None:
    if not (BUILD_DIR / "model-int8.onnx").exists():
        pytest.fail("run `make setup` first: it exports the sentence model")
    build(tmp_path, EXAMPLES_FILE)
    retriever = Retriever.load(tmp_path, EXAMPLES_FILE)
    examples = load_examples()
    sample = [(key, qs[0]) for key, qs in examples.items()]
    found = retriever.nearest([q for _, q in sample])
    assert [hits[0].key for hits in found] == [key for key, _ in sample]
    assert all(hits[0].score > 0.95 for hits in found)  # 8-bit: the batch moves it a little


def test_a_missing_or_stale_index_says_how_to_rebuild(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="run `make setup`"):
        Retriever.load(tmp_path)
    np.savez(tmp_path / "index.npz", vectors=np.zeros((1, 3)), keys=np.array(["k"]),
             texts=np.array(["t"]), fingerprint=np.array("old"))
    with pytest.raises(RuntimeError, match="built from another unit_examples.yml: run `make setup`"):
        Retriever.load(tmp_path)


def test_the_audit_names_the_reading_rule_in_labels_not_the_patients_words() -> None:
    text = "My knee has been sore since the fall. How long does it last?"
    chosen = select(read_message(text), KB, load_lexicon(), State(), "duration")
    assert chosen.units and all(w.startswith(f"{u}: reading rules, ")
                                for u, w in zip(chosen.units, chosen.why))
    assert "asks duration about" in chosen.why[0] and "since the fall" not in " ".join(chosen.why)
