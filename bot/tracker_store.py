"""Rasa's SQL tracker store, made safe against a database restart, and cheaper per message.

Rasa wraps every tracker store in a fail-safe layer that answers a failed lookup with "no such
conversation". With Rasa's own engine, the first lookup after a PostgreSQL restart meets a stale
pooled connection and fails, so the patient's conversation silently starts over and its context
is lost. Here the pool checks each connection before handing it out (``pool_pre_ping``) and
replaces dead ones, so a restart costs nothing.

Rasa loads the conversation's events for every message as ORM objects, one per row, only to read
each row's ``data`` column; building those objects was a tenth of the server's time under load
(py-spy, reports/benchmark.md). Here the same query selects just that column.
"""

from __future__ import annotations

from typing import Any, Dict

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from sqlalchemy.orm import Query, Session


class ResilientSQLTrackerStore(SQLTrackerStore):
    """:class:`SQLTrackerStore` with connections checked before use."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url),
                                       **_sqlite_pool(url))
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    def _event_query(self, session: Session, sender_id: str,
                     fetch_events_from_all_sessions: bool) -> Query:
        """Rasa's query (same rows, same order) selecting only ``data``: its rows are tuples
        whose ``.data`` Rasa reads, and counting them needs no other column."""
        return super()._event_query(session, sender_id, fetch_events_from_all_sessions
                                    ).with_entities(self.SQLEvent.data)


def _sqlite_pool(url: Any) -> Dict[str, Any]:
    """Keep SQLite connections open between messages (SQLAlchemy 1.4 opens and closes one per
    query on a file database). Opening costs a schema read each time, and closing the last
    connection of a write-ahead-log database checkpoints it; both showed up high in the Rasa
    server's profile under load (reports/benchmark.md). Connections are used by one session at a
    time; ``check_same_thread`` is off because a pooled connection may be checked out from
    another thread than the one that opened it."""
    if url.get_backend_name() != "sqlite":
        return {}
    return {"poolclass": sa.pool.QueuePool, "pool_size": 5,
            "connect_args": {"check_same_thread": False}}
