"""Replay the conversation test stories against the real servers and check each reviewed answer.

The stories (tests/conversations/*.yml, Rasa's test-story format) mark the expected answer after
each turn with `slot_was_set: answer_id: <topic>/<context>`; here the reply text must be exactly that
answer of the knowledge base (or that urgent message).
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest
import yaml

from bot.chat import send
from bot.knowledge import load_knowledge
from bot.safety import urgent_message

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


def expected_text(answer_id: str) -> str:
    kind, detail = answer_id.split("/")
    return urgent_message(detail) if kind == "urgent" else load_knowledge().answer(kind, detail).full_text


def plain(annotated: str) -> str:
    """Strip Rasa's entity markup: "[knee](BODY_PART)" -> "knee"."""
    return re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", annotated)


STORY_LIST = yaml.safe_load(STORIES.read_text(encoding="utf-8"))["stories"]


@pytest.mark.parametrize("story", STORY_LIST, ids=[s["story"] for s in STORY_LIST])
def test_story_gets_the_reviewed_answers(assistant, story: Dict[str, Any]) -> None:
    sender = f"story-{uuid.uuid4().hex[:12]}"
    checked = 0
    for text, answer_ids in turns(story):
        replies = [m.get("text") for m in send(assistant.url, sender, plain(text))]
        for answer_id in answer_ids:
            assert expected_text(answer_id) in replies, f"{text!r}: expected {answer_id}, got {replies}"
            checked += 1
    assert checked > 0
