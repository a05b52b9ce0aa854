"""The custom actions with rasa_sdk's Tracker and CollectingDispatcher."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.actions import ActionAnswer, ActionSessionStart
from bot.clinic.care_team import contact_card
from bot.settings import care_team
from bot.engine.knowledge import load_knowledge
from bot.engine.replies import disclaimer, load_replies
from bot.reply_kinds import KIND_KEY

KB = load_knowledge()
CARD = f"\n{contact_card(care_team())}"  # the care team's card, after replies naming a doctor


def tracker(intent: str, slots: Optional[Dict[str, Any]] = None,
            entities: List[Dict[str, Any]] = (), ranking: List[Dict[str, Any]] = (),  # type: ignore[assignment]
            text: str = "hi") -> Tracker:
    latest = {"intent": {"name": intent, "confidence": 0.9}, "entities": list(entities),
              "intent_ranking": list(ranking), "text": text}
    return Tracker("patient-1", slots or {}, latest, [], False, None, {}, "action_listen")


async def run(action: Any, trk: Tracker) -> tuple:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, trk, {})
    return dispatcher.messages, events


@pytest.mark.parametrize("intent, slots, answer_id", [
    ("ask_what_is", {}, "what_is/overview"),
    ("ask_serious", {}, "serious/general"),
    ("ask_serious", {"cause": "osteoarthritis", "body_part": "knee"}, "serious/osteoarthritis"),
    ("ask_serious", {"cause": "acl_tear"}, "serious/injury"),
    ("ask_duration", {"cause": "fracture"}, "duration/injury"),
    ("ask_duration", {"cause": "osteoarthritis"}, "duration/osteoarthritis"),
    ("ask_treatment", {"cause": "stress_fracture"}, "treatment/injury"),
    ("ask_treatment", {}, "treatment/general"),
    ("ask_sources", {}, "sources/overview"),
])
async def test_answer_per_topic_and_context(intent: str, slots: Dict[str, Any], answer_id: str) -> None:
    messages, events = await run(ActionAnswer(), tracker(intent, slots))
    answer = KB.unit(answer_id)
    assert len(messages) == 1
    assert messages[0]["text"] == answer.full_text + (CARD if answer.refers_to_clinician else "")
    assert [b["payload"] for b in messages[0]["buttons"]] == [
        *(f"/ask_{t}" for t in KB.topics[answer.topic].next), "/feedback_helpful", "/feedback_not_helpful"]
    about = messages[0][KIND_KEY]
    assert about["kind"] == "answer" and about["answer_id"] == answer_id
    assert about["review"].startswith(("Reviewed by", "This answer has not yet been checked"))
    assert events[:2] == [SlotSet("answer_id", answer_id), SlotSet("facts", list(answer.facts))]
    assert events[2].get("name") == "last_ask" and events[3] == SlotSet("last_context", answer.context)


async def test_the_question_asked_is_answered_and_recorded_for_audit() -> None:
    text = "could bone cancer be the reason for it? and how long does it last?"
    messages, events = await run(ActionAnswer(), tracker("ask_causes", text=text))
    tumor, duration = KB.unit("cause/bone_tumor"), KB.unit("duration/general")
    assert messages[0]["text"] == f"{tumor.full_text}\n\n{duration.full_text}{CARD}"  # tumor: a doctor
    assert events == [SlotSet("answer_id", "cause/bone_tumor+duration/general"),
                      SlotSet("facts", list(dict.fromkeys(tumor.facts + duration.facts))),
                      SlotSet("last_ask", "duration"), SlotSet("last_context", "general"),
                      SlotSet("answers_given", ["cause/bone_tumor", "duration/general"])]


async def test_a_follow_up_is_read_against_the_last_answer_in_the_slots() -> None:
    slots = {"answer_id": "treatment/general", "last_ask": "treatment", "last_context": "general",
             "cause": "osteoarthritis"}
    messages, events = await run(ActionAnswer(), tracker("inform", slots, text="and for arthritis?"))
    assert messages[0]["text"] == KB.answer("treatment", "osteoarthritis").full_text + CARD
    assert events[0] == SlotSet("answer_id", "treatment/osteoarthritis")


async def test_red_flag_entity_sends_the_crisis_message_only() -> None:
    red_flag = {"entity": "red_flag", "value": "crisis", "start": 0, "end": 10}
    messages, events = await run(ActionAnswer(), tracker("emergency", entities=[red_flag]))
    assert len(messages) == 1 and "988" in messages[0]["text"] and messages[0]["buttons"] == []
    assert messages[0][KIND_KEY] == {"kind": "urgent", "answer_id": "urgent/crisis",
                                      "language": "en"}  # no feedback
    assert events[0] == SlotSet("answer_id", "urgent/crisis") and len(events) == 2


async def test_fallback_sends_did_you_mean_buttons_from_the_ranking() -> None:
    ranking = [{"name": "nlu_fallback", "confidence": 0.5}, {"name": "ask_symptoms", "confidence": 0.3},
               {"name": "ask_injury", "confidence": 0.2}]
    messages, events = await run(ActionAnswer(), tracker("nlu_fallback", ranking=ranking))
    assert messages[0]["text"].startswith("Sorry, I'm not sure I understood")
    assert [b["title"] for b in messages[0]["buttons"]] == ["Symptoms", "After an injury"]
    assert messages[0][KIND_KEY]["kind"] == "fallback"
    assert events == [SlotSet("answer_id", None), SlotSet("facts", None)]


async def test_feedback_is_stored_with_the_answer_it_rates_and_changes_no_slot() -> None:
    slots = {"answer_id": "term/lesion", "last_ask": "what_is", "last_context": "general"}
    messages, events = await run(ActionAnswer(), tracker("feedback_not_helpful", slots,
                                                         text="/feedback_not_helpful"))
    assert events == []
    assert messages[0][KIND_KEY] == {"kind": "feedback", "answer_id": None, "language": "en", "feedback": {
        "rating": "not_helpful", "answer_id": "term/lesion"}}
    assert [b["payload"] for b in messages[0]["buttons"]] == [
        "/feedback_too_hard", "/feedback_not_answered", "/feedback_worried"]
    messages, events = await run(ActionAnswer(), tracker("feedback_worried", slots))
    assert events == [] and messages[0][KIND_KEY]["feedback"]["rating"] == "worried"
    assert "doctor" in messages[0]["text"]
    assert [b["payload"] for b in messages[0]["buttons"]] == [
        f"/ask_{t}" for t in KB.topics[KB.unit("term/lesion").topic].next]


async def test_inform_names_what_was_understood() -> None:
    messages, _ = await run(ActionAnswer(), tracker("inform", {"cause": "acl_tear", "body_part": "knee"}))
    assert messages[0]["text"].startswith("Thanks for telling me. I'll keep that in mind.")


async def test_session_start_sends_the_disclaimer_and_carries_nothing_over() -> None:
    messages, events = await run(ActionSessionStart(), tracker("greet", {"cause": "osteoarthritis"}))
    assert [m["text"] for m in messages] == [disclaimer()]
    assert events == [SessionStarted(), ActionExecuted("action_listen")]


async def test_answers_are_listed_for_the_take_home_summary_and_its_link() -> None:
    slots = {"answers_given": ["term/lesion"]}
    messages, events = await run(ActionAnswer(), tracker("ask_serious", slots, text="is it serious?"))
    assert events[-1] == SlotSet("answers_given", ["term/lesion", "serious/general"])
    path = messages[0][KIND_KEY]["summary"]
    assert path.startswith("/summary?v=") and "term%2Flesion%2Cserious%2Fgeneral" in path
    assert "patient-1" not in path
    messages, events = await run(ActionAnswer(), tracker("take_home", {"answers_given": [
        "term/lesion", "serious/general"]}, text="can I take this home"))
    assert events == [] and "http://localhost:8080/summary?v=" in messages[0]["text"]
    messages, _ = await run(ActionAnswer(), tracker("take_home", {}, text="summary please"))
    assert messages[0]["text"] == load_replies().get("take_home_empty")[0]
