"""Our SQL tracker store stores and loads conversations exactly as Rasa's own does (SQLite file),
with and without its cache of conversations."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any, List

import pytest

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (ActionExecuted, BotUttered, Event, SessionStarted, SlotSet,
                                     UserUttered)
from rasa.shared.core.trackers import DialogueStateTracker

from bot import settings
from bot.stores.tracker_store import ResilientSQLTrackerStore

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


def store(path: Path, cache_size: int = 100) -> ResilientSQLTrackerStore:
    return ResilientSQLTrackerStore(DOMAIN, dialect="sqlite", db=str(path), cache_size=cache_size)


def stored_texts(path: Path) -> List[str]:
    """The user messages in the database, in order (each must be stored once)."""
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT data FROM events WHERE type_name = 'user' ORDER BY id").fetchall()
    return [__import__("json").loads(data)["text"] for (data,) in rows]


def said(tracker: DialogueStateTracker, text: str) -> None:
    tracker.update(UserUttered(text, {"name": "ask_duration", "confidence": 0.8}))


@pytest.mark.parametrize("cache_size", [0, 100])
def test_conversations_store_and_load_as_with_rasas_own_store(tmp_path: Path,
                                                               cache_size: int) -> None:
    ours = store(tmp_path / "ours.db", cache_size)
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


def test_a_current_conversation_is_not_rebuilt_nor_its_events_counted(
        tmp_path: Path, monkeypatch: Any) -> None:
    ours = store(tmp_path / "c.db")
    tracker = DialogueStateTracker.from_events("p", session(100, "first?"), DOMAIN.slots)
    asyncio.run(ours.save(tracker))
    loaded = asyncio.run(ours.retrieve("p"))
    monkeypatch.setattr(DialogueStateTracker, "from_dict", None)  # a rebuild would fail
    monkeypatch.setattr(ours, "_additional_events", None)  # so would Rasa's counting save
    for text in ("one", "two"):
        again = asyncio.run(ours.retrieve("p"))
        assert again is loaded
        said(again, text)
        asyncio.run(ours.save(again))
    assert stored_texts(tmp_path / "c.db") == ["first?", "one", "two"]


def test_events_stored_by_another_process_are_added(tmp_path: Path) -> None:
    one, two = store(tmp_path / "c.db"), store(tmp_path / "c.db")
    two_processes_take_turns(one, two)
    assert stored_texts(tmp_path / "c.db") == list("abcdef")


def test_the_cache_works_on_postgresql(temporary_database: Any) -> None:
    with temporary_database("bme_cache") as url:
        endpoint = settings.tracker_store({"BME_DATABASE_URL": url})
        del endpoint["type"]
        one, two = (ResilientSQLTrackerStore(DOMAIN, cache_size=100, **endpoint)
                    for _ in range(2))
        two_processes_take_turns(one, two)
        for process in (one, two):
            process.engine.dispose()


def two_processes_take_turns(one: ResilientSQLTrackerStore, two: ResilientSQLTrackerStore) -> None:
    asyncio.run(one.save(DialogueStateTracker.from_events("p", session(100, "a"), DOMAIN.slots)))
    for process, text in [(one, "b"), (two, "c"), (two, "d"), (one, "e"), (two, "f")]:
        tracker = asyncio.run(process.retrieve("p"))
        said(tracker, text)
        asyncio.run(process.save(tracker))
    texts = ["a", "b", "c", "d", "e", "f"]
    stored = asyncio.run(one.retrieve_full_tracker("p"))  # from the database, every row once
    assert [e.text for e in stored.events if isinstance(e, UserUttered)] == texts
    for process in (one, two):
        tracker = asyncio.run(process.retrieve("p"))
        assert [e.text for e in tracker.events if isinstance(e, UserUttered)] == texts


def test_a_deleted_conversation_is_not_brought_back(tmp_path: Path) -> None:
    ours, other = store(tmp_path / "c.db"), store(tmp_path / "c.db")
    asyncio.run(ours.save(DialogueStateTracker.from_events("p", session(100, "old"), DOMAIN.slots)))
    assert asyncio.run(ours.retrieve("p")) is not None  # now cached
    with sqlite3.connect(tmp_path / "c.db") as db:  # what retention does
        db.execute("DELETE FROM events WHERE sender_id = 'p'")
    assert asyncio.run(ours.retrieve("p")) is None
    asyncio.run(ours.save(DialogueStateTracker.from_events("p", session(100, "old"), DOMAIN.slots)))
    assert asyncio.run(ours.retrieve("p")) is not None
    with sqlite3.connect(tmp_path / "c.db") as db:  # SQLite may now reuse the deleted rows' ids
        db.execute("DELETE FROM events WHERE sender_id = 'p'")
    # The patient writes again, through another process, before this one looks.
    asyncio.run(other.save(DialogueStateTracker.from_events("p", session(300, "new"),
                                                            DOMAIN.slots)))
    tracker = asyncio.run(ours.retrieve("p"))
    assert [e.text for e in tracker.events if isinstance(e, UserUttered)] == ["new"]


def test_events_of_a_turn_that_was_never_saved_are_dropped(tmp_path: Path) -> None:
    ours = store(tmp_path / "c.db")
    asyncio.run(ours.save(DialogueStateTracker.from_events("p", session(100, "a"), DOMAIN.slots)))
    said(asyncio.run(ours.retrieve("p")), "lost")  # the turn fails before saving
    tracker = asyncio.run(ours.retrieve("p"))
    assert [e.text for e in tracker.events if isinstance(e, UserUttered)] == ["a"]
    said(tracker, "b")
    asyncio.run(ours.save(tracker))
    assert stored_texts(tmp_path / "c.db") == ["a", "b"]


def test_the_cache_is_bounded(tmp_path: Path) -> None:
    ours = store(tmp_path / "c.db", cache_size=2)
    for name in "abc":
        asyncio.run(ours.save(DialogueStateTracker.from_events(name, session(1, name),
                                                               DOMAIN.slots)))
        asyncio.run(ours.retrieve(name))
    assert list(ours._cache) == ["b", "c"]
    ours.domain = DOMAIN  # a new model: trackers built with the old slots are dropped
    assert not ours._cache


def test_a_new_session_is_kept_as_rasa_would_load_it(tmp_path: Path, monkeypatch: Any) -> None:
    ours = store(tmp_path / "c.db")
    rasas = SQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "c.db"))
    tracker = asyncio.run(ours.create_tracker("p"))  # what a first message does
    for event in session(100, "first?"):
        tracker.update(event)
    asyncio.run(ours.save(tracker))
    expected = list(asyncio.run(rasas.retrieve("p")).events)
    assert len(expected) < len(tracker.events)  # Rasa loads the latest session only
    monkeypatch.setattr(DialogueStateTracker, "from_dict", None)  # no load from the database
    assert list(asyncio.run(ours.retrieve("p")).events) == expected
