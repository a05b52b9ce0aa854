"""Delete conversations older than N days from the tracker store.

A conversation is deleted whole when its latest event is older than the cut-off, so an ongoing
conversation is never cut in half. The store is the one the assistant runs with (the same
environment variables, :mod:`bot.deploy.settings`): SQLite by default, PostgreSQL when
``BME_DATABASE_URL`` is set.

Usage: ``python -m bot.stores.retention --days 30 [--dry-run]`` (``make retention DAYS=30``).
"""

from __future__ import annotations

import argparse
import time
from typing import Any, Mapping, Optional, Sequence

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore

from bot.deploy import settings

_OLD_SENDERS = sa.text(
    "SELECT sender_id FROM events GROUP BY sender_id HAVING MAX(timestamp) < :cutoff")
_DELETE = sa.text(
    "DELETE FROM events WHERE sender_id IN "
    "(SELECT sender_id FROM events GROUP BY sender_id HAVING MAX(timestamp) < :cutoff)")


def engine_for(store: Mapping[str, Any]) -> sa.engine.Engine:
    """An SQLAlchemy engine for a ``tracker_store`` endpoint of :func:`bot.deploy.settings.tracker_store`."""
    url = SQLTrackerStore.get_db_url(
        store["dialect"], store.get("url"), store.get("port"), store["db"],
        store.get("username") or None, store.get("password") or None)
    return sa.create_engine(url)


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
