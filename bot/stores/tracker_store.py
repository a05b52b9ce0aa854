"""Rasa's SQL tracker store, made safe against a database restart, and cheaper per message.

Rasa wraps every tracker store in a fail-safe layer that answers a failed lookup with "no such
conversation". With Rasa's own engine, the first lookup after a PostgreSQL restart meets a stale
pooled connection and fails, so the patient's conversation silently starts over and its context
is lost. Here the pool checks each connection before handing it out (``pool_pre_ping``) and
replaces dead ones, so a restart costs nothing.

Rasa loads the conversation's events for every message as ORM objects, one per row, only to read
each row's ``data`` column; building those objects was a tenth of the server's time under load
(py-spy, reports/benchmark.md). Here the same query selects just that column.

Rasa also rebuilds the whole conversation from all its stored events for every message, and
counts the stored events again before saving the new ones: together about a third of the
server's time. With ``cache_size`` set, the store keeps the conversations it last loaded or saved
(:class:`_Cached`) and, for each message, only asks the database for the events stored since; a
cached conversation is used only if that answer proves it current, so several processes sharing
one database stay correct, and a conversation deleted by retention is never brought back.

With ``BME_STORE_TEXT=0`` every event is stored without what anyone wrote
(:func:`bot.clinic.privacy.text_free`): intents, answer ids, slots and channels only. The conversation in
memory keeps the text of the current message while it is answered; nothing written is stored.
"""

from __future__ import annotations

import itertools
import json
import time
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Text, Tuple

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SessionStarted, deserialise_events
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.orm import Query, Session

from bot.settings import store_text, tracker_cache
from bot.clinic.privacy import text_free

#: Conversations kept in memory per process when the cache is on (``bot.rasa_patches.main``), and how
#: long one may stay unused before it is dropped (settings ``BME_TRACKER_CACHE`` and
#: ``BME_TRACKER_CACHE_IDLE_S``). About 80 KB each (a nine-turn conversation): the default 100
#: hold twice the benchmark's 50 concurrent patients in 8 MB, where 2000 took over 100 MB under
#: load. A conversation that no longer fits is loaded from the database as Rasa does.
CACHE_SIZE, CACHE_IDLE_S = tracker_cache()
#: The stores of this process, so that "delete my chat" can drop a conversation from their caches.
_STORES: "weakref.WeakSet[ResilientSQLTrackerStore]" = weakref.WeakSet()


def forget_cached(sender_id: Text) -> None:
    """Drop a deleted conversation from the memory of every store of this process (it would
    never be served again anyway, but it should not stay in memory either)."""
    for store in list(_STORES):
        store._cache.pop(sender_id, None)


@dataclass
class _Cached:
    """A conversation as this process last loaded or saved it: the tracker object, how many of
    its events are stored, and the id and stored text of the newest stored one (SQLite may give a
    deleted row's id to a new row, so the id alone does not prove the row is the same)."""

    tracker: DialogueStateTracker
    stored: int
    last_id: int
    last_data: str
    used: float = field(default_factory=time.monotonic)

    def clean(self) -> bool:
        """Whether the tracker holds only stored events (a turn that failed before saving
        leaves events the database does not have; Rasa would drop them, so do we)."""
        return len(self.tracker.events) == self.stored


class ResilientSQLTrackerStore(SQLTrackerStore):
    """:class:`SQLTrackerStore` with connections checked before use, and optionally a cache of
    conversations checked against the database for every message.

    Args:
        cache_size: Conversations to keep; ``None`` takes :attr:`default_cache_size` (0, no cache,
            unless :mod:`bot.rasa_patches.main` turned the cache on), as Rasa passes only the endpoint's
            settings.
    """

    default_cache_size = 0

    def __init__(self, *args: Any, cache_size: Optional[int] = None,
                 keep_text: Optional[bool] = None, **kwargs: Any) -> None:
        self._cache: "OrderedDict[Text, _Cached]" = OrderedDict()
        self.cache_size = self.default_cache_size if cache_size is None else cache_size
        self.keep_text = store_text() if keep_text is None else keep_text
        super().__init__(*args, **kwargs)
        _STORES.add(self)
        engine: Any = getattr(self, "engine")  # set by SQLTrackerStore.__init__ (untyped there)
        url = engine.url
        engine.dispose()
        self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url),
                                       **_sqlite_pool(url))
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        table = self.SQLEvent.__table__
        self._since = (sa.select(table.c.id, table.c.data)
                       .where(table.c.sender_id == sa.bindparam("sender"),
                              table.c.id >= sa.bindparam("last_id"))
                       .order_by(table.c.id))

    @property
    def domain(self) -> Domain:
        return self._domain

    @domain.setter
    def domain(self, domain: Optional[Domain]) -> None:
        """A new model may bring new slots: cached trackers were built with the old ones."""
        self._domain = domain or Domain.empty()
        if hasattr(self, "_cache"):
            self._cache.clear()

    def _event_query(self, session: Session, sender_id: str,
                     fetch_events_from_all_sessions: bool) -> Query:
        """Rasa's query (same rows, same order) selecting only ``id`` and ``data``: its rows are
        tuples whose ``.data`` Rasa reads, and counting them needs no other column."""
        return super()._event_query(session, sender_id, fetch_events_from_all_sessions
                                    ).with_entities(self.SQLEvent.id, self.SQLEvent.data)

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        """The conversation's latest session: the cached tracker brought up to date when the
        database shows it is current, else Rasa's full load."""
        if self.cache_size <= 0:
            return await super().retrieve(sender_id)
        current = self._current(sender_id)
        if current is not None:
            return current
        self._cache.pop(sender_id, None)
        with self.session_scope() as session:
            rows = self._event_query(session, sender_id, False).all()
        if not rows or not self.domain:
            return None
        tracker = DialogueStateTracker.from_dict(sender_id, [json.loads(r.data) for r in rows],
                                                 self.domain.slots)
        self._remember(_Cached(tracker, len(rows), rows[-1].id, rows[-1].data))
        return tracker

    def _current(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        """The cached tracker plus the events stored since (by another process), or ``None``
        when there is none or it cannot be proven current: its newest stored event is gone
        (deleted), a new session started, or it holds unsaved events."""
        cached = self._cache.get(sender_id)
        if cached is None or not cached.clean() or time.monotonic() - cached.used > CACHE_IDLE_S:
            return None
        with self.engine.connect() as connection:
            rows = connection.execute(self._since, {"sender": sender_id,
                                                    "last_id": cached.last_id}).all()
        if not rows or (rows[0].id, rows[0].data) != (cached.last_id, cached.last_data):
            return None
        newer = [json.loads(row.data) for row in rows[1:]]
        if any(event.get("event") == SessionStarted.type_name for event in newer):
            return None
        for event in deserialise_events(newer):
            cached.tracker.update(event)
        cached.stored = len(cached.tracker.events)
        cached.last_id, cached.last_data = rows[-1].id, rows[-1].data
        self._remember(cached)
        return cached.tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Store the tracker's new events, and keep the conversation as Rasa would load it next.

        For the tracker object this store handed out, it knows which events are new; for any
        other, it counts the stored ones as Rasa's ``save`` does."""
        if self.cache_size <= 0 and self.keep_text:
            return await super().save(tracker)
        cached = self._cache.pop(tracker.sender_id, None)
        await self.stream_events(tracker)
        if cached is not None and cached.tracker is tracker and len(tracker.events) >= cached.stored:
            new = list(itertools.islice(tracker.events, cached.stored, None))
            last: Optional[Tuple[int, str]] = (cached.last_id, cached.last_data)
        else:
            with self.session_scope() as session:
                new = list(self._additional_events(session, tracker))
            last = None
        if new:
            insert = self.SQLEvent.__table__.insert()
            rows = [self._row(tracker.sender_id, event) for event in new]
            with self.engine.begin() as connection:
                if len(rows) > 1:  # one statement for all rows but the last (executemany)
                    connection.execute(insert, rows[:-1])
                # the last alone, for its id: the next retrieve asks only for events after it
                last = (connection.execute(insert, rows[-1]).inserted_primary_key[0],
                        rows[-1]["data"])
        latest = _latest_session(tracker, self.domain.slots)
        if last is not None and latest is not None and self.cache_size > 0:
            self._remember(_Cached(latest, len(latest.events), *last))

    def _row(self, sender_id: Text, event: Event) -> Dict[str, Any]:
        """The columns Rasa's ``save`` writes for an event (without text when none is kept)."""
        data = event.as_dict() if self.keep_text else text_free(event.as_dict())
        return {"sender_id": sender_id, "type_name": event.type_name,
                "timestamp": data.get("timestamp"),
                "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                "action_name": data.get("name"), "data": json.dumps(data)}

    def _remember(self, cached: _Cached) -> None:
        cached.used = time.monotonic()
        self._cache[cached.tracker.sender_id] = cached
        self._cache.move_to_end(cached.tracker.sender_id)
        while self._cache and (len(self._cache) > self.cache_size or
                               cached.used - next(iter(self._cache.values())).used > CACHE_IDLE_S):
            self._cache.popitem(last=False)


def _latest_session(tracker: DialogueStateTracker, slots: Any) -> Optional[DialogueStateTracker]:
    """The tracker as Rasa's load would rebuild it from the database: the events from the latest
    session start on (the same object when that is all of them), or ``None`` when the tracker has
    no session start, so it may lack stored events of an earlier one."""
    starts = [event.timestamp for event in tracker.events if isinstance(event, SessionStarted)]
    if not starts:
        return None
    events = [event for event in tracker.events if event.timestamp >= max(starts)]
    if len(events) == len(tracker.events):
        return tracker
    return DialogueStateTracker.from_events(tracker.sender_id, events, slots)


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
