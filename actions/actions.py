"""Custom actions: read the tracker, call one function in ``bot``, send the reply.

All wording and all decisions live in :mod:`bot.engine.replies`; these classes only translate between
Rasa's tracker and those pure functions.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.clinic.care_team import with_care_team
from bot.settings import care_team
from bot.clinic.feedback import (answer_extras, feedback_record, feedback_reply, is_feedback,
                          with_feedback)
from bot.engine.replies import Reply, disclaimer, reply_kind, state_from_slots
from bot.reply_kinds import KIND_KEY
from bot.engine.knowledge import language_in_use, speaking
from bot.engine.turn import language_of, take_turn
from bot.engine.safety import RED_FLAG_ENTITY
from bot.clinic.take_home import TAKE_HOME, given, summary_path, take_home_reply

SLOT_GIVEN = "answers_given"  # the answers of this conversation, for the take-home summary


def send(dispatcher: CollectingDispatcher, reply: Reply, **about: Any) -> None:
    """Send a :class:`bot.engine.replies.Reply` with its quick-reply buttons, and what it is (its kind,
    answer ids, review note: ``KIND_KEY``), which the channels and the tracker store receive."""
    buttons = [{"title": b.title, "payload": b.payload} for b in reply.buttons]
    why = {"why": list(reply.why)} if reply.why else {}
    dispatcher.utter_message(text=reply.text, buttons=buttons, **{KIND_KEY: {
        "kind": reply_kind(reply), "answer_id": reply.answer_id, "language": language_in_use(),
        **why, **about}})


def _latest_entity(tracker: Tracker, entity_type: str) -> Optional[Text]:
    return next(tracker.get_latest_entity_values(entity_type), None)


def _metadata(tracker: Tracker) -> Dict[Text, Any]:
    """The latest message's metadata (the channel's language), else the session's."""
    latest = next((e.get("metadata") for e in reversed(tracker.events) if e.get("event") == "user"),
                  None)
    return latest or tracker.get_slot("session_started_metadata") or {}


class ActionAnswer(Action):
    """The one answer action: every user turn is answered here."""

    def name(self) -> Text:
        return "action_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        metadata = _metadata(tracker)
        with speaking(language_of(tracker.slots, metadata)):  # replies in the conversation's language
            return self._answer(dispatcher, tracker, metadata)

    def _answer(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                metadata: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        message = tracker.latest_message or {}
        intent = (message.get("intent") or {}).get("name")
        language = language_in_use()
        state = state_from_slots(tracker.slots)
        listed = tracker.get_slot(SLOT_GIVEN) or []
        if intent == TAKE_HOME:
            send(dispatcher, take_home_reply(listed))
            return []
        if is_feedback(intent):
            send(dispatcher, with_care_team(feedback_reply(intent, state.last_units), intent,
                                            care_team()),
                 feedback=feedback_record(intent, tracker.get_slot("answer_id")))
            return []
        turn = take_turn(intent, tracker.slots, red_flag=_latest_entity(tracker, RED_FLAG_ENTITY),
                         ranking=message.get("intent_ranking") or [],
                         text=message.get("text") or "", entities=message.get("entities") or [],
                         metadata=metadata)
        if turn.language != language:  # "español", or an offer or urgent message in the other
            with speaking(turn.language):
                send(dispatcher, turn.reply)
            return [SlotSet(name, value) for name, value in turn.slots.items()]
        reply = with_care_team(turn.reply, intent, care_team())  # the contact card, never when urgent
        events = [SlotSet(name, value) for name, value in turn.slots.items()]
        if turn.kind == "answer":
            listed = given(reply.answer_ids, listed)
            send(dispatcher, with_feedback(reply), summary=summary_path(listed),
                 **answer_extras(reply, date.today()))
            events.append(SlotSet(SLOT_GIVEN, listed))
        else:
            send(dispatcher, reply)
        return events


class ActionSessionStart(Action):
    """Start every conversation with the disclaimer; nothing is carried over from before."""

    def name(self) -> Text:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        language = language_of(tracker.slots, tracker.get_slot("session_started_metadata"))
        with speaking(language):
            dispatcher.utter_message(text=disclaimer())
        return [SessionStarted(), ActionExecuted("action_listen")]
