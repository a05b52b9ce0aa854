"""Rasa's lock stores: the Redis one with every change to a lock made atomically, and both
checking a waiting turn's ticket every 50 ms instead of every second.

Rasa serialises the messages of one conversation with a ticket lock kept in Redis. Its
``RedisLockStore`` changes a lock by reading it, changing it in Python and writing it back, with
nothing stopping another process in between. With several Rasa processes (``make cluster``), two
of them can read the same lock and both issue the *same* ticket number, so two turns of one
conversation run at once; the tracker store then keeps only one of them (the stored conversation
loses a question and its answer). Cleaning up has the same flaw: a process can delete the lock
just after another process issued a ticket on it.

Here each read-change-write runs as a Redis transaction on the lock's key (``WATCH`` /
``MULTI`` / ``EXEC``): if another process changed the lock meanwhile, the change is computed again
from the new value. An emptied lock is deleted in the same transaction.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Optional, TypeVar

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, InMemoryLockStore, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

from bot.settings import lock_poll_seconds

T = TypeVar("T")

#: How often a waiting turn checks whether it may go on. Rasa's default is one second, which a
#: patient who sends two messages quickly would feel; a Redis read is far cheaper than that.
#: Setting ``BME_LOCK_POLL_S`` (default 0.05 s).
POLL_SECONDS = lock_poll_seconds()


class QuickInMemoryLockStore(InMemoryLockStore):
    """:class:`InMemoryLockStore` (one Rasa process) polled every :data:`POLL_SECONDS`.

    Rasa builds a custom lock store as ``cls(endpoint_config=...)``; this one has no settings.
    """

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None) -> None:
        super().__init__()

    def lock(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME,
             wait_time_in_seconds: float = POLL_SECONDS) -> Any:
        """Rasa's ticket lock, polled every :data:`POLL_SECONDS` while waiting."""
        return super().lock(conversation_id, lock_lifetime, wait_time_in_seconds)


class AtomicRedisLockStore(RedisLockStore):
    """:class:`RedisLockStore` whose ticket changes are atomic across processes.

    Rasa builds a custom lock store as ``cls(endpoint_config=...)``; tests may pass
    :class:`RedisLockStore`'s own keyword arguments instead.
    """

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **kwargs: Any) -> None:
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs}
        super().__init__(**kwargs)

    def lock(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME,
             wait_time_in_seconds: float = POLL_SECONDS) -> Any:
        """Rasa's ticket lock, polled every :data:`POLL_SECONDS` while waiting."""
        return super().lock(conversation_id, lock_lifetime, wait_time_in_seconds)

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """Issue the next ticket for ``conversation_id``, creating its lock if needed."""
        try:
            ticket = self._change(conversation_id, lambda lock: lock.issue_ticket(lock_lifetime),
                                  create=True)
        except Exception as error:  # Rasa's own contract: any failure here is a LockError
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error
        assert ticket is not None
        return ticket

    def update_lock(self, conversation_id: str) -> None:
        """Drop expired tickets (deleting the lock when none is left)."""
        self._change(conversation_id, lambda lock: lock.remove_expired_tickets())

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        """Remove ``ticket_number`` (deleting the lock when no one else is waiting)."""
        self._change(conversation_id, lambda lock: lock.remove_ticket_for(ticket_number))

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Same as :meth:`finish_serving`: the emptied lock is deleted in the same transaction,
        never after another process has queued on it."""
        self.finish_serving(conversation_id, ticket_number)

    def _change(self, conversation_id: str, change: Callable[[TicketLock], T],
                create: bool = False) -> Optional[T]:
        """Apply ``change`` to the stored lock atomically and return its result.

        A missing lock is created when ``create`` is set and otherwise left missing (``None`` is
        returned). A lock left with no tickets is deleted.
        """
        key = self.key_prefix + conversation_id

        def transaction(pipe: Any) -> Optional[T]:
            raw = pipe.get(key)
            if raw is None and not create:
                pipe.multi()
                return None
            lock = (TicketLock.from_dict(json.loads(raw)) if raw is not None
                    else self.create_lock(conversation_id))
            result = change(lock)
            lock.remove_expired_tickets()
            pipe.multi()
            if lock.is_someone_waiting():
                pipe.set(key, lock.dumps())
            else:
                pipe.delete(key)
            return result

        return self.red.transaction(transaction, key, value_from_callable=True)
