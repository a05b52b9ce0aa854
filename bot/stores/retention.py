"""Delete conversations from the tracker store: those older than N days, or one on request.

A conversation is deleted whole when its latest event is older than the cut-off, so an ongoing
conversation is never cut in half. The store is the one the assistant runs with (the same
environment variables, :mod:`bot.settings`): SQLite by default, PostgreSQL when
``BME_DATABASE_URL`` is set.

Usage: ``python -m bot.stores.retention --days 30 [--dry-run]`` (``make retention DAYS=30``).
:func:`delete_conversation` is the patient's "delete my chat" (:mod:`bot.channels.guard`).
"""

from __future__ import annotations

import argparse
import time
from functools import lru_cache
from typing import Any, Mapping, Optional, Sequence, Tuple

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore

from bot import settings

_OLD_SENDERS = sa.text(
    "SELECT sender_id FROM events GROUP BY sender_id HAVING MAX(timestamp) < :cutoff")
_DELETE = sa.text(
    "DELETE FROM events WHERE sender_id IN "
    "(SELECT sender_id FROM events GROUP BY sender_id HAVING MAX(timestamp) < :cutoff)")


def engine_for(store: Mapping[str, Any]) -> sa.engine.Engine:
    """An SQLAlchemy engine for a ``tracker_store`` endpoint of :func:`bot.settings.tracker_store`."""
    url = SQLTrackerStore.get_db_url(
        store["dialect"], store.get("url"), store.get("port"), store["db"],
        store.get("username") or None, store.get("password") or None)
    return sa.create_engine(url)


_DELETE_ONE = sa.text("DELETE FROM events WHERE sender_id = :sender")


@lru_cache(maxsize=4)
def _engine_of(store: Tuple[Tuple[str, Any], ...]) -> sa.engine.Engine:
    return engine_for(dict(store))


def shared_engine(store: Mapping[str, Any]) -> sa.engine.Engine:
    """One engine (and connection pool) per store and process, for requests that must not wait
    for a new pool: "delete my chat", the staff dashboard."""
    return _engine_of(tuple(sorted(store.items())))


def delete_conversation(store: Mapping[str, Any], sender_id: str) -> int:
    """Delete every stored event of one conversation at once; returns how many rows went.

    The engine is kept per process (a patient's request must not wait for a new connection
    pool). A process's tracker cache (:mod:`bot.stores.tracker_store`) never serves a
    conversation whose stored events are gone, so nothing deleted comes back.
    """
    with shared_engine(store).begin() as connection:
        if not sa.inspect(connection).has_table("events"):
            return 0
        return int(connection.execute(_DELETE_ONE, {"sender": sender_id}).rowcount or 0)


def delete_older_than(store: Mapping[str, Any], days: float, now: Optional[float] = None,
                      dry_run: bool = False) -> int:
    """Delete (or, with ``dry_run``, count) the conversations idle for more than ``days``.

    Returns:
        How many conversations were (or would be) deleted.
    """
    if days < 0:
        raise ValueError("--days must be 0 or more")
    cutoff = (time.time() if now is None else now) - days * 86400
    engine = engine_for(store)
    try:
        with engine.begin() as connection:
            if not sa.inspect(connection).has_table("events"):
                return 0
            count = len(connection.execute(_OLD_SENDERS, {"cutoff": cutoff}).fetchall())
            if count and not dry_run:
                connection.execute(_DELETE, {"cutoff": cutoff})
            return count
    finally:
        engine.dispose()


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Delete conversations older than N days.")
    parser.add_argument("--days", type=float, required=True,
                        help="delete conversations whose last message is older than this")
    parser.add_argument("--dry-run", action="store_true", help="only count them")
    args = parser.parse_args(argv)
    try:
        store = settings.tracker_store()
        count = delete_older_than(store, args.days, dry_run=args.dry_run)
    except (settings.SettingsError, ValueError, sa.exc.SQLAlchemyError) as error:
        print(f"error: {error}")
        return 2
    where = store["db"] if store["dialect"] == "sqlite" else f"{store['url']}/{store['db']}"
    verb = "would delete" if args.dry_run else "deleted"
    print(f"{verb} {count} conversation(s) idle for more than {args.days:g} days from {where}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
