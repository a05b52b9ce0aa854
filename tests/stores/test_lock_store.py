"""The atomic Redis lock store, against the local Redis, with threads standing in for processes
(each has its own store and connection, as each Rasa process does)."""

from __future__ import annotations

import asyncio
import threading
import uuid
from typing import Callable, Iterator, List, Tuple

import pytest
import redis
from rasa.core.lock_store import LockStore, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

from bot.stores.lock_store import POLL_SECONDS, AtomicRedisLockStore, QuickInMemoryLockStore
from bot.settings import lock_store

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of this test's own; its keys are removed afterwards."""
    name = f"bmetest{uuid.uuid4().hex[:12]}"
    yield name
    client = redis.Redis(host="127.0.0.1", port=6379, db=0)
    for key in client.scan_iter(f"{name}:*"):
        client.delete(key)


def make_store(prefix: str) -> RedisLockStore:
    return AtomicRedisLockStore(host="127.0.0.1", port=6379, db=0, key_prefix=prefix)


def in_threads(count: int, work: Callable[[int], None]) -> None:
    """Run ``work(i)`` for ``i`` in ``range(count)`` at once, in threads started together."""
    start = threading.Barrier(count)
    errors: List[BaseException] = []

    def run(i: int) -> None:
        start.wait()
        try:
            work(i)
        except BaseException as error:  # surfaced below, not lost in the thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors


def test_rasa_builds_it_from_the_settings_endpoint(redis_prefix: str) -> None:
    config = lock_store({"BME_REDIS_URL": REDIS_URL})
    store = LockStore.create(EndpointConfig.from_dict({**config, "key_prefix": redis_prefix}))
    assert isinstance(store, AtomicRedisLockStore)
    assert store.key_prefix == f"{redis_prefix}:lock:"
    assert store.issue_ticket("c") == 0


def test_rasa_builds_the_one_process_store_from_the_default_settings() -> None:
    store = LockStore.create(EndpointConfig.from_dict(lock_store({})))
    assert isinstance(store, QuickInMemoryLockStore)
    assert store.issue_ticket("c") == 0


def test_tickets_taken_at_once_by_many_processes_are_all_different(redis_prefix: str) -> None:
    """Rasa's own RedisLockStore fails this: two processes can read the lock at the same
    time and both take the same number."""
    numbers: List[int] = []

    def take(_: int) -> None:
        store = make_store(redis_prefix)
        numbers.extend(store.issue_ticket("conversation") for _ in range(25))

    in_threads(8, take)
    assert sorted(numbers) == list(range(8 * 25))


def test_turns_of_one_conversation_through_many_processes_never_overlap(redis_prefix: str) -> None:
    log: List[Tuple[str, int]] = []

    def turn(i: int) -> None:
        store = make_store(redis_prefix)

        async def handle() -> None:
            async with store.lock("conversation"):
                log.append(("start", i))
                await asyncio.sleep(0.01)
                log.append(("end", i))

        asyncio.run(handle())

    in_threads(8, turn)
    assert len(log) == 16
    for (start, first), (end, second) in zip(log[::2], log[1::2]):
        assert (start, end, first) == ("start", "end", second)
    assert not make_store(redis_prefix).get_lock("conversation")  # the emptied lock is gone


def test_cleanup_keeps_the_lock_while_someone_waits_and_deletes_it_after(redis_prefix: str) -> None:
    store = make_store(redis_prefix)
    first, second = store.issue_ticket("c"), store.issue_ticket("c")
    store.cleanup("c", first)
    lock = store.get_lock("c")
    assert lock is not None and lock.now_serving == second and not lock.is_locked(second)
    store.cleanup("c", second)
    assert store.get_lock("c") is None


def test_expired_tickets_are_dropped_and_a_missing_lock_stays_missing(redis_prefix: str) -> None:
    store = make_store(redis_prefix)
    store.issue_ticket("c", lock_lifetime=-1)  # already expired
    store.update_lock("c")
    assert store.get_lock("c") is None
    store.finish_serving("nobody", 3)
    assert store.get_lock("nobody") is None


@pytest.mark.parametrize("kind", ["redis", "memory"])
def test_a_waiting_turn_polls_often(redis_prefix: str, kind: str) -> None:
    assert POLL_SECONDS <= 0.1  # Rasa's default of 1 s would delay a quick second message

    async def second_turn_waits_for_the_first() -> float:
        store = make_store(redis_prefix) if kind == "redis" else QuickInMemoryLockStore()
        loop = asyncio.get_running_loop()
        async with store.lock("c"):
            waiting = asyncio.ensure_future(_timed_turn(store))
            await asyncio.sleep(0.05)
        started = loop.time()
        await waiting
        return loop.time() - started

    assert asyncio.run(second_turn_waits_for_the_first()) < 0.5


async def _timed_turn(store: LockStore) -> None:
    async with store.lock("c"):
        pass
