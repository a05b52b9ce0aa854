"""The answer action adds the care team's contact card (bot/clinic/care_team.py), from the settings it
runs with, and never to an urgent-care message."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.actions import ActionAnswer
from bot.clinic.care_team import contact_card
from bot.settings import CareTeam, SettingsError
from bot.engine.knowledge import load_knowledge
from bot.engine.replies import load_replies
from bot.reply_kinds import KIND_KEY
from bot.engine.safety import load_red_flags, urgent_message

KB = load_knowledge()
TEAM = CareTeam("Knee clinic", "0161 496 0000", "Monday to Friday, 9 am to 5 pm",
                "https://portal.example/knee")
CARD = contact_card(TEAM)


@pytest.fixture(autouse=True)
def clinic_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"BME_CARE_TEAM_NAME": TEAM.name, "BME_CARE_TEAM_PHONE": TEAM.phone,
                        "BME_CARE_TEAM_HOURS": TEAM.hours, "BME_CARE_TEAM_PORTAL": TEAM.portal}.items():
        monkeypatch.setenv(name, str(value))


def tracker(intent: str, text: str, entities: List[Dict[str, Any]] = (),  # type: ignore[assignment]
            slots: Optional[Dict[str, Any]] = None) -> Tracker:
    latest = {"intent": {"name": intent, "confidence": 0.9}, "entities": list(entities),
              "intent_ranking": [], "text": text}
    return Tracker("patient-1", slots or {}, latest, [], False, None, {}, "action_listen")


async def answer(trk: Tracker) -> List[Dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    await ActionAnswer().run(dispatcher, trk, {})
    return dispatcher.messages


async def test_talk_to_a_person_gets_the_line_and_the_card_of_the_settings() -> None:
    messages = await answer(tracker("talk_to_person", "can I talk to a real person?"))
    assert len(messages) == 1
    assert messages[0]["text"] == f"{load_replies().get('talk_to_person')[0]}\n{CARD}"
    assert messages[0]["buttons"] == []
    assert messages[0][KIND_KEY] == {"kind": "care_team", "answer_id": None,
                                      "language": "en"}


async def test_an_answer_that_names_a_doctor_ends_with_the_card_and_keeps_its_feedback() -> None:
    messages = await answer(tracker("ask_serious", "is it serious?"))
    assert len(messages) == 1
    assert messages[0]["text"] == f"{KB.answer('serious').full_text}\n{CARD}"
    assert [b["payload"] for b in messages[0]["buttons"]][-2:] == [
        "/feedback_helpful", "/feedback_not_helpful"]
    assert messages[0][KIND_KEY]["kind"] == "answer" and messages[0][KIND_KEY]["review"]


async def test_an_answer_that_names_no_doctor_has_no_card() -> None:
    messages = await answer(tracker("ask_what_is", "what is bone marrow edema?"))
    assert [m["text"] for m in messages] == [KB.answer("what_is").full_text]


async def test_without_settings_the_card_says_to_call_the_clinic(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("BME_CARE_TEAM_NAME", "BME_CARE_TEAM_PHONE", "BME_CARE_TEAM_HOURS",
                 "BME_CARE_TEAM_PORTAL"):
        monkeypatch.delenv(name)
    messages = await answer(tracker("goodbye", "bye"))
    assert messages[0]["text"] == (f"{load_replies().get('goodbye')[0]}\n"
                                   "Please call the clinic that ordered your scan.")


async def test_the_worried_feedback_thanks_get_the_card_and_are_stored_as_before() -> None:
    slots = {"answer_id": "serious/general"}
    messages = await answer(tracker("feedback_worried", "/feedback_worried", slots=slots))
    assert messages[0]["text"] == f"{load_replies().get('feedback_worried')[0]}\n{CARD}"
    assert messages[0][KIND_KEY]["feedback"] == {"rating": "worried", "answer_id": "serious/general"}
    thanks = await answer(tracker("feedback_helpful", "/feedback_helpful", slots=slots))
    assert thanks[0]["text"] == load_replies().get("feedback_helpful")[0]


@pytest.mark.parametrize("kind", sorted(load_red_flags().messages))
@pytest.mark.parametrize("intent", ["talk_to_person", "emergency"])
async def test_an_urgent_message_is_sent_alone_without_the_card(kind: str, intent: str) -> None:
    red_flag = {"entity": "red_flag", "value": kind, "start": 0, "end": 4}
    messages = await answer(tracker(intent, "help", [red_flag]))
    assert [m["text"] for m in messages] == [urgent_message(kind)]
    assert messages[0][KIND_KEY]["kind"] == "urgent"
    assert CARD not in messages[0]["text"] and TEAM.phone not in messages[0]["text"]


async def test_a_bad_setting_is_an_error_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BME_CARE_TEAM_PORTAL", "http://portal.example")
    with pytest.raises(SettingsError, match="BME_CARE_TEAM_PORTAL"):
        await answer(tracker("goodbye", "bye"))
