"""Shape checks of the knowledge loader: a broken edit fails with a message that says what to fix."""

from __future__ import annotations

import copy
from typing import Any, Dict

import pytest

from bot.engine.knowledge import KNOWLEDGE_FILE, ContentError, load_knowledge, parse_knowledge, load_yaml

RAW: Dict[str, Any] = load_yaml(KNOWLEDGE_FILE.read_text(encoding="utf-8"))


def test_topics_have_a_general_answer_and_known_next_topics() -> None:
    kb = load_knowledge()
    assert set(kb.topics) == {"what_is", "how_found", "serious", "causes", "osteoarthritis",
                              "injury", "symptoms", "treatment", "duration", "sources"}
    for topic in kb.topics.values():
        assert "general" in topic.answers
        assert set(topic.next) <= set(kb.topics)


@pytest.mark.parametrize("context, expected", [
    ("osteoarthritis", "serious/osteoarthritis"),
    ("injury", "serious/injury"),
    ("general", "serious/general"),
    ("something-else", "serious/general"),  # unknown context falls back to the general answer
])
def test_answer_by_context(context: str, expected: str) -> None:
    assert load_knowledge().answer("serious", context).answer_id == expected


def test_sources_answer_lists_both_references_numbered() -> None:
    text = load_knowledge().answer("sources").full_text
    assert "\n\n1. Eriksen" in text and "\n\n2. Kothari" in text


@pytest.mark.parametrize("mutate, message", [
    # an answer without fact ids
    (lambda raw: raw["topics"]["serious"]["answers"]["general"].pop("facts"), "facts:"),
    # a fact id of the wrong form
    (lambda raw: raw["topics"]["serious"]["answers"]["general"].update(facts=["F1"]), "fact ids"),
    # a context the assistant does not know
    (lambda raw: raw["topics"]["serious"]["answers"].update(elderly={"text": "x", "facts": ["S1.F1"]}),
     "context must be one of"),
    # a suggested next topic that does not exist
    (lambda raw: raw["topics"]["serious"].update(next=["nope"]), "unknown topics"),
    # a topic without its general answer
    (lambda raw: raw["topics"]["serious"]["answers"].pop("general"), "answers.general"),
])
def test_broken_content_names_the_place_to_fix(mutate: Any, message: str) -> None:
    raw = copy.deepcopy(RAW)
    mutate(raw)
    with pytest.raises(ContentError, match=message) as error:
        parse_knowledge(raw)
    assert "topics.serious" in str(error.value)


def test_button_titles_fit_every_platform_uncut() -> None:
    # Messenger quick replies show at most 20 characters; the other channels allow more.
    assert {t.id: t.title for t in load_knowledge().topics.values() if len(t.title) > 20} == {}
