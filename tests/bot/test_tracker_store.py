"""Our SQL tracker store stores and loads conversations exactly as Rasa's own does (SQLite file)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import List

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (ActionExecuted, BotUttered, Event, SessionStarted, SlotSet,
                                     UserUttered)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.tracker_store import ResilientSQLTrackerStore

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = Domain.load(str(ROOT / "domain.yml"))


def session(start: float, question: str) -> List[Event]:
    return [ActionExecuted("action_session_start", timestamp=start),
            SessionStarted(timestamp=start + 0.1),
            ActionExecuted("action_listen", timestamp=start + 0.2),
            UserUttered(question, {"name": "ask_serious", "confidence": 0.9},
                        timestamp=start + 0.3),
            SlotSet("answer_id", "serious/general", timestamp=start + 0.4),
            BotUttered("It is usually not dangerous.", timestamp=start + 0.5)]


def conversation(store: SQLTrackerStore) -> DialogueStateTracker:
    """Two sessions saved the way Rasa's processor does: load, add the new events, save."""
    tracker = DialogueStateTracker.from_events("patient", session(100, "first?"), DOMAIN.slots)
    asyncio.run(store.save(tracker))
    tracker = asyncio.run(store.retrieve("patient"))
    tracker.update(UserUttered("and how long?", {"name": "ask_duration", "confidence": 0.8},
                               timestamp=150))
    asyncio.run(store.save(tracker))
    tracker = asyncio.run(store.retrieve("patient"))
    for event in session(200, "second?"):
        tracker.update(event)
    asyncio.run(store.save(tracker))
    return asyncio.run(store.retrieve("patient"))


def test_conversations_store_and_load_as_with_rasas_own_store(tmp_path: Path) -> None:
    ours = ResilientSQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "ours.db"))
    rasas = SQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "rasas.db"))
    loaded = conversation(ours)
    assert list(loaded.events) == list(conversation(rasas).events)
    assert [e.text for e in loaded.events if isinstance(e, UserUttered)] == ["second?"]
    assert loaded.get_slot("answer_id") == "serious/general"
    full = asyncio.run(ours.retrieve_full_tracker("patient")).events
    assert list(full) == list(asyncio.run(rasas.retrieve_full_tracker("patient")).events)
    assert [e.text for e in full if isinstance(e, UserUttered)] == [
        "first?", "and how long?", "second?"]  # each stored once, in order


def test_an_unknown_conversation_is_none(tmp_path: Path) -> None:
    ours = ResilientSQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "ours.db"))
    assert asyncio.run(ours.retrieve("nobody")) is None
