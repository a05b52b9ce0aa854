"""Read-only access to the tracker store's events, for the staff dashboard (:mod:`bot.web.staff.pages`).

Rasa's SQL tracker store keeps one row per event (``events``: ``sender_id``, ``type_name``,
``timestamp``, ``intent_name``, ``action_name``, ``data``). The dashboard only ever selects from it,
on SQLite and on PostgreSQL alike, through the same settings the assistant runs with
(:func:`bot.settings.tracker_store`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping

import sqlalchemy as sa

from bot.stores.retention import shared_engine

#: The event types the dashboard reads: messages both ways (slots and actions are not needed).
_TYPES = ("user", "bot")
_SELECT = sa.text(
    "SELECT sender_id, timestamp, data FROM events WHERE timestamp >= :since AND timestamp < :until "
    "AND type_name IN ('user', 'bot') ORDER BY sender_id, id")


@dataclass(frozen=True)
class StoredEvent:
    """One stored message: its conversation id (never shown to staff), time and event data."""

    sender_id: str
    timestamp: float
    data: Dict[str, Any]


def read_messages(store: Mapping[str, Any], since: float, until: float) -> List[StoredEvent]:
    """The user and bot messages stored between ``since`` (included) and ``until`` (excluded),
    by conversation and in order. An empty or new store gives ``[]``."""
    engine = shared_engine(store)
    with engine.connect() as connection:
        if not sa.inspect(connection).has_table("events"):
            return []
        rows = connection.execute(_SELECT, {"since": since, "until": until}).all()
    events = []
    for row in rows:
        try:
            data = json.loads(row.data)
        except (TypeError, ValueError):
            continue  # a row Rasa could not read either
        if isinstance(data, dict) and data.get("event") in _TYPES:
            events.append(StoredEvent(str(row.sender_id), float(row.timestamp or 0.0), data))
    return events
