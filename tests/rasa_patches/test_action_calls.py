"""Action calls carry the current turn's events, Rasa's state otherwise, and our actions answer
from them exactly as from the whole conversation."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Dict

import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.actions import ActionAnswer
from bot.rasa_patches.action_calls import action_call_format, current_turn

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = Domain.load(str(ROOT / "domain.yml"))
RASAS = RemoteAction.__dict__["_action_call_format"]


def user(intent: str, text: str, entities: list = ()) -> UserUttered:
    return UserUttered(text, intent={"name": intent, "confidence": 0.9},
                       entities=list(entities))


def conversation() -> DialogueStateTracker:
    knee = {"entity": "BODY_PART", "value": "knee", "start": 3, "end": 7}
    return DialogueStateTracker.from_events("patient", [
        ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen"),
        user("inform", "my knee scan says bone marrow edema", [knee]),
        SlotSet("body_part", "knee"), ActionExecuted("action_answer"),
        BotUttered("An answer"), SlotSet("answer_id", "what_is/general"),
        ActionExecuted("action_listen"), user("ask_duration", "how long does it last"),
    ], slots=DOMAIN.slots)


def test_the_turn_starts_at_the_latest_user_message() -> None:
    events = list(conversation().events)
    assert current_turn(events) == events[-1:]
    assert current_turn(events[:6]) == events[3:6]
    assert current_turn(events[:3]) == events[:3]  # no user message yet: all of them


@pytest.mark.parametrize("selective", [False, True])
def test_the_request_is_rasas_with_the_turns_events(selective: bool) -> None:
    action = RemoteAction("action_answer", EndpointConfig(
        "http://localhost:5055/webhook", enable_selective_domain=selective))
    tracker = conversation()
    ours, rasas = action_call_format(action, tracker, DOMAIN), RASAS(action, tracker, DOMAIN)
    assert ours["tracker"].pop("events") == rasas["tracker"]["events"][-1:]
    rasas["tracker"].pop("events")
    assert ours == rasas


def answer(request: Dict[str, Any]) -> list:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionAnswer().run(dispatcher, Tracker.from_dict(request["tracker"]),
                                            request.get("domain", {})))
    return [dispatcher.messages, events]


def test_our_action_answers_from_the_turn_as_from_the_whole_conversation() -> None:
    action = RemoteAction("action_answer", EndpointConfig("http://localhost:5055/webhook"))
    tracker = conversation()
    request = action_call_format(action, tracker, DOMAIN)
    assert request["tracker"]["slots"]["body_part"] == "knee"  # slots from earlier turns stay
    ours, rasas = answer(request), answer(RASAS(action, tracker, DOMAIN))
    assert ours == rasas and "4 to 12 months" in ours[0][0]["text"]
