"""LastIntentPolicy learns the intent -> action table from rules and stories, refuses data that
needs more than the last intent, and predicts as RulePolicy did for this dialogue."""

from __future__ import annotations

from pathlib import Path
from typing import List

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import InvalidConfigException

from bot.nlu.policy import learn_next_actions, next_action

ROOT = Path(__file__).resolve().parents[2]
LISTEN, SNIPPET = "action_listen", "..."


def said(intent: str) -> UserUttered:
    return UserUttered(intent={"name": intent, "confidence": 1.0})


def tracker(*events: Event) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("story", list(events))


def rule(intent: str, action: str = "action_answer") -> DialogueStateTracker:
    """A rule tracker as Rasa generates it: "...", listen, the intent, the action, listen."""
    return tracker(ActionExecuted(SNIPPET), ActionExecuted(LISTEN), said(intent),
                   ActionExecuted(action), ActionExecuted(LISTEN))


def test_the_table_comes_from_rules_and_stories() -> None:
    story = tracker(ActionExecuted(LISTEN), said("greet"), ActionExecuted("utter_hello"),
                    ActionExecuted(LISTEN), said("thanks"), ActionExecuted("action_answer"),
                    ActionExecuted(LISTEN))
    table = learn_next_actions([rule("ask_serious"), rule("greet", "utter_hello"), story])
    assert table == {"ask_serious": "action_answer", "greet": "utter_hello",
                     "thanks": "action_answer"}


@pytest.mark.parametrize("trackers, why", [
    ([rule("greet"), rule("greet", "utter_hello")], "'greet' is followed by both"),
    ([tracker(ActionExecuted(LISTEN), said("greet"), ActionExecuted("action_answer"),
              ActionExecuted("utter_more"))], "'action_answer' is followed by 'utter_more'"),
    ([tracker(ActionExecuted(LISTEN), SlotSet("body_part", "knee"), said("greet"),
              ActionExecuted("action_answer"))], "uses SlotSet events"),
])
def test_data_needing_more_than_the_last_intent_is_refused(
        trackers: List[DialogueStateTracker], why: str) -> None:
    with pytest.raises(InvalidConfigException, match=f"{why}.*use RulePolicy"):
        learn_next_actions(trackers)


@pytest.mark.parametrize("latest_action, intent, expected", [
    ("action_listen", "ask_serious", "action_answer"),   # a user message: the table
    ("action_answer", "ask_serious", "action_listen"),   # after the answer: wait for the user
    ("action_session_start", None, "action_listen"),
    ("action_listen", "restart", "action_restart"),      # Rasa's default intents, as RulePolicy
    ("action_listen", "back", "action_back"),
    ("action_listen", "session_start", "action_session_start"),
    ("action_listen", "not_in_the_table", None),         # the policy's core fallback
    ("action_listen", None, None),
])
def test_next_action(latest_action: str, intent: str, expected: str) -> None:
    assert next_action(latest_action, intent, {"ask_serious": "action_answer"}) == expected


@pytest.mark.slow
def test_the_trained_model_answers_every_intent_with_action_answer(trained_model: Path) -> None:
    from rasa.core.agent import Agent

    agent = Agent.load(str(trained_model))
    domain = Domain.load(str(ROOT / "domain.yml"))
    for intent in domain.intents:
        if intent in ("restart", "back", "session_start"):
            continue
        state = tracker(ActionExecuted(LISTEN), said(intent))
        prediction = agent.processor.predict_next_with_tracker(state)
        best = max(prediction["scores"], key=lambda score: score["score"])
        assert prediction["policy"] == "LastIntentPolicy" and prediction["confidence"] == 1.0
        assert best["action"] == "action_answer", intent
