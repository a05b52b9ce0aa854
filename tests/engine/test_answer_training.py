"""What the answer model learns from (bot.engine.answer_training)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.engine.answer_training import case_files, from_case, key_of, training_set
from bot.engine.urgency_training import answer_case_messages
from bot.engine.knowledge import ContentError, load_knowledge, load_yaml
from bot.engine.safety import normalise

KB = load_knowledge()
EVAL = Path(__file__).resolve().parents[1] / "data" / "eval"


@pytest.mark.parametrize("answer_id, key", [
    ("serious/injury", "topic/serious"),          # an overview: its topic, in any context
    ("decision/return_to_sport", "decision/return_to_sport"),
    ("talk_to_person", None),                     # a reply, not an answer
    ("urgent/emergency", None),                   # urgency is not the answer model's
])
def test_the_key_of_an_answer(answer_id: str, key: str) -> None:
    assert key_of(KB, answer_id) == key


def test_a_case_teaches_its_first_message_and_every_alternative() -> None:
    case = {"id": "x1", "turns": [
        {"text": "Is it  SERIOUS?", "must": ["serious/injury|decision/my_results", "talk_to_person"]},
        {"text": "and for arthritis?", "must": ["serious/osteoarthritis"]}]}
    item = from_case("answers_9", case, KB)
    assert (item.id, item.text, item.keys) == \
        ("answers_9/x1", "is it serious?", ("topic/serious", "decision/my_results"))
    with pytest.raises(ContentError, match="give `turns:`"):
        from_case("answers_9", {"id": "x2", "turns": []}, KB)


def test_it_learns_from_the_examples_and_every_development_case_only() -> None:
    items = training_set()
    assert [p.parent.name for p in case_files()] == ["development"] * len(case_files())
    cases = sum(len(load_yaml(p.read_text())["cases"]) for p in case_files())
    assert len([i for i in items if "#" not in i.id]) == cases > 900


def _first_messages(folder: str) -> set:
    found = set()
    for path in sorted((EVAL / folder).glob("answers*.yml")):
        for case in load_yaml(path.read_text(encoding="utf-8"))["cases"]:
            found |= {(path.name, case["id"], normalise(t["text"])) for t in case["turns"]}
    return found


def test_no_held_out_or_check_message_is_learned_from() -> None:
    """Neither model learns a held-out or check message: the answer model from the development
    cases' first messages, the urgency model from every development message. (Plain one-line
    questions, "what is bone marrow edema, what causes it and how is it treated?", are written the
    same by authors blind to each other: up to 13 words and no full stop, they are let be.)"""
    learned = {i.text for i in training_set()} | {normalise(s.text) for s in answer_case_messages()}
    kept = [(name, case) for folder in ("heldout", "check")
            for name, case, text in _first_messages(folder)
            if text in learned and (len(text.split()) > 13 or ". " in text)]
    assert kept == []
