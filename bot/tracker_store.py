"""Rasa's SQL tracker store, made safe against a database restart.

Rasa wraps every tracker store in a fail-safe layer that answers a failed lookup with "no such
conversation". With Rasa's own engine, the first lookup after a PostgreSQL restart meets a stale
pooled connection and fails, so the patient's conversation silently starts over and its context
is lost. Here the pool checks each connection before handing it out (``pool_pre_ping``) and
replaces dead ones, so a restart costs nothing.
"""

from __future__ import annotations

from typing import Any, Dict

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs


class ResilientSQLTrackerStore(SQLTrackerStore):
    """:class:`SQLTrackerStore` with connections checked before use."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url),
                                       **_sqlite_pool(url))
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)


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
