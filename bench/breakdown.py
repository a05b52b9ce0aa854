"""Where the time of one message goes, measured inside one Rasa agent.

The agent is the one ``rasa run`` builds (the same model, the default SQLite tracker store of
:mod:`bot.settings`, the same speed-ups of :mod:`bot.rasa_patches.main`) and calls the running action
server; it handles the load generator's script one message at a time while timers wrap the four
stages Rasa goes through:

- ``nlu``: the NLU pipeline (for every message: Rasa 3.6 runs the whole pipeline on button
  payloads such as ``/ask_duration`` too; its last step then reads the intent off the payload);
- ``policies``: one policy-ensemble prediction (twice a turn: the answer, then ``action_listen``);
- ``action``: a call of the action server (HTTP round trip, action, response validation);
- ``tracker_store``: loading and saving the conversation.

``other`` is the rest of ``Agent.handle_message`` (events, slots, sessions, the output channel).
What the numbers leave out is the HTTP of the REST channel, which the load test's one-conversation
latency includes.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, defaultdict
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List

from bench.loadgen import default_script

STAGES = ("nlu", "policies", "action", "tracker_store")


class _Timers:
    def __init__(self) -> None:
        self.seconds: Dict[str, float] = defaultdict(float)
        self.calls: Counter = Counter()

    def timed_sync(self, stage: str, original: Callable) -> Callable:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[stage] += time.perf_counter() - started
                self.calls[stage] += 1
        return timed

    def timed_async(self, stage: str, original: Callable) -> Callable:
        async def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await original(*args, **kwargs)
            finally:
                self.seconds[stage] += time.perf_counter() - started
                self.calls[stage] += 1
        return timed


@contextmanager
def _instrumented(agent: Any, timers: _Timers) -> Iterator[None]:
    from rasa.core.actions.action import RemoteAction
    from rasa.core.processor import MessageProcessor

    patches = [(MessageProcessor, "_parse_message_with_graph", "nlu", False),
               (MessageProcessor, "_predict_next_with_tracker", "policies", False),
               (RemoteAction, "run", "action", True)]
    originals = [(owner, name, owner.__dict__[name]) for owner, name, _, _ in patches]
    store = agent.processor.tracker_store
    try:
        for owner, name, stage, is_async in patches:
            wrap = timers.timed_async if is_async else timers.timed_sync
            setattr(owner, name, wrap(stage, getattr(owner, name)))
        store.retrieve = timers.timed_async("tracker_store", store.retrieve)
        store.save = timers.timed_async("tracker_store", store.save)
        yield
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)
        del store.retrieve, store.save


async def _converse(agent: Any, patients: int, totals: List[float]) -> None:
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    for patient in range(patients):
        for turn in default_script():
            started = time.perf_counter()
            await agent.handle_message(UserMessage(turn.message, CollectingOutputChannel(),
                                                   f"breakdown-{patient}"))
            totals.append(time.perf_counter() - started)


def per_message_costs(model: Path, actions_url: str, db: Path, patients: int = 12) -> Dict[str, Any]:
    """Mean milliseconds per message of each stage, and per call; ``patients`` run the script."""
    from rasa.core.agent import Agent
    from rasa.core.tracker_store import TrackerStore
    from rasa.utils.endpoints import EndpointConfig

    from bot import settings
    from bot.rasa_patches.main import chosen, install

    install(chosen())
    db.unlink(missing_ok=True)
    # The tracker store the servers use by default (bot.settings), on its own SQLite file.
    store = TrackerStore.create(EndpointConfig(**settings.tracker_store({"BME_SQLITE_PATH": str(db)})))
    agent = Agent.load(str(model), tracker_store=store, action_endpoint=EndpointConfig(actions_url))
    asyncio.run(_converse(agent, 1, []))  # warm up (first graph runs build caches)
    timers, totals = _Timers(), []  # type: _Timers, List[float]
    with _instrumented(agent, timers):
        asyncio.run(_converse(agent, patients, totals))
    messages = len(totals)
    total_ms = 1000 * sum(totals) / messages
    stages = {stage: {"ms_per_message": round(1000 * timers.seconds[stage] / messages, 2),
                      "calls_per_message": round(timers.calls[stage] / messages, 2),
                      "ms_per_call": round(1000 * timers.seconds[stage] / max(1, timers.calls[stage]), 2)}
              for stage in STAGES}
    other = total_ms - sum(s["ms_per_message"] for s in stages.values())
    sorted_totals = sorted(totals)
    return {"messages": messages, "total_ms_per_message": round(total_ms, 2),
            "median_ms_per_message": round(1000 * sorted_totals[messages // 2], 2),
            "stages": stages, "other_ms_per_message": round(other, 2)}
