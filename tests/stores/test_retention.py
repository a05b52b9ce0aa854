"""The retention command on real SQLite and PostgreSQL tracker stores."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.stores.retention import delete_older_than, engine_for, main
from bot.settings import tracker_store

DAY = 86400.0
NOW = time.time()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Dict[str, Any]:
    return tracker_store({"BME_SQLITE_PATH": str(tmp_path / "conversations.db")})


@pytest.fixture
def postgres_store(temporary_database) -> Iterator[Dict[str, Any]]:
    with temporary_database("bme_retention") as url:
        yield tracker_store({"BME_DATABASE_URL": url})


async def save(store_config: Dict[str, Any], sender: str, *ages_in_days: float) -> None:
    config = dict(store_config)
    config.pop("type")
    config["host"] = config.pop("url", None)
    store = SQLTrackerStore(Domain.empty(), **config)
    events = [UserUttered("hi", timestamp=NOW - age * DAY) for age in ages_in_days]
    events.append(ActionExecuted("action_listen", timestamp=NOW - min(ages_in_days) * DAY))
    await store.save(DialogueStateTracker.from_events(sender, events))
    store.engine.dispose()


def keys(store_config: Dict[str, Any]) -> set:
    engine = engine_for(store_config)
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT DISTINCT sender_id FROM events")).fetchall()
    engine.dispose()
    return {row[0] for row in rows}


@pytest.mark.parametrize("store_fixture", ["sqlite_store",
                                           pytest.param("postgres_store", marks=pytest.mark.slow)])
async def test_deletes_only_conversations_idle_longer_than_the_limit(
    request: pytest.FixtureRequest, store_fixture: str
) -> None:
    store = request.getfixturevalue(store_fixture)
    await save(store, "old", 40, 35)          # idle for 35 days: deleted
    await save(store, "ongoing", 60, 1)       # started long ago, active yesterday: kept whole
    await save(store, "new", 2)
    assert delete_older_than(store, 30, now=NOW, dry_run=True) == 1
    assert keys(store) == {"old", "ongoing", "new"}
    assert delete_older_than(store, 30, now=NOW) == 1
    assert keys(store) == {"ongoing", "new"}
    assert delete_older_than(store, 0.5, now=NOW) == 2
    assert keys(store) == set()


def test_an_empty_store_is_fine(sqlite_store: Dict[str, Any]) -> None:
    assert delete_older_than(sqlite_store, 30) == 0


def test_command_line(sqlite_store: Dict[str, Any], monkeypatch: pytest.MonkeyPatch,
                      capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setenv("BME_SQLITE_PATH", sqlite_store["db"])
    assert main(["--days", "30"]) == 0
    assert "deleted 0 conversation(s) idle for more than 30 days" in capsys.readouterr().out
    assert main(["--days", "-1"]) == 2
    assert "--days must be 0 or more" in capsys.readouterr().out
