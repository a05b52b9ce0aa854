"""Replay the conversation test stories against the real servers and check each reviewed answer.

The stories (tests/conversations/*.yml, Rasa's test-story format) mark the expected answer after
each turn with `slot_was_set: answer_id: <unit>+<unit>`; here one reply must hold every one of those
reviewed answers (or be that urgent message).
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

from bot.deploy.chat import send
from bot.engine.replies import without_yes_no
from bot.engine.knowledge import load_knowledge, load_yaml
from bot.engine.safety import urgent_message

pytestmark = pytest.mark.slow
STORIES = Path(__file__).parent.parent / "conversations" / "test_stories.yml"


def turns(story: Dict[str, Any]) -> List[Tuple[str, List[str]]]:
    """(user text, expected answer ids) for each user step of a story."""
    result: List[Tuple[str, List[str]]] = []
    for step in story["steps"]:
        if "user" in step:
            result.append((step["user"].strip(), []))
        for slot in step.get("slot_was_set") or []:
            if "answer_id" in slot and result:
                result[-1][1].append(slot["answer_id"])
    return result


def expected_texts(answer_id: str) -> List[Tuple[str, ...]]:
    """The texts a reply must hold, each in one of its forms: each unit of ``a+b``, as written or
    without its opening "Yes"/"No" where it answers no yes/no question (a compared length of time is
    the patient's own words set against the article's, so only the units around it are checked)."""
    texts: List[Tuple[str, ...]] = []
    for unit in answer_id.split("+"):
        kind, detail = unit.split("/")
        if kind == "urgent":
            texts.append((urgent_message(detail),))
        elif unit != "duration/compare":
            full = load_knowledge().unit(unit).full_text
            texts.append((full, without_yes_no(full)))
    return texts


def plain(annotated: str) -> str:
    """Strip Rasa's entity markup: "[knee](BODY_PART)" -> "knee"."""
    return re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", annotated)


STORY_LIST = load_yaml(STORIES.read_text(encoding="utf-8"))["stories"]


@pytest.mark.parametrize("story", STORY_LIST, ids=[s["story"] for s in STORY_LIST])
def test_story_gets_the_reviewed_answers(assistant, story: Dict[str, Any]) -> None:
    sender = f"story-{uuid.uuid4().hex[:12]}"
    checked = 0
    for text, answer_ids in turns(story):
        replies = [m.get("text") or "" for m in send(assistant.url, sender, plain(text))]
        for answer_id in answer_ids:
            texts = expected_texts(answer_id)
            assert any(all(any(form in r for form in t) for t in texts) for r in replies), \
                f"{text!r}: expected {answer_id}, got {replies}"
            checked += 1
    assert checked > 0
