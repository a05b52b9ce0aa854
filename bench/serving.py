"""Serving figures of one model: start to ready, memory, latency and throughput under load, CPU
time per message, and the per-message cost breakdown.

The servers are the product's (:class:`bot.deploy.serve.Servers` on free loopback ports) with a fresh
SQLite conversation store per run; ``env`` adds deployment settings such as ``SANIC_WORKERS`` and
``BME_REDIS_URL``. Each load level runs for a bounded time after a short warm-up.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, Mapping, Optional, Sequence

from bench import procs
from bench.breakdown import per_message_costs
from bench.loadgen import Turn, run_load
from bot.deploy.serve import Servers

WARMUP_S = 5.0


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def environment(extra: Mapping[str, str]) -> Iterator[None]:
    """``os.environ`` with ``extra`` set (the servers inherit it), restored afterwards."""
    saved = {key: os.environ.get(key) for key in extra}
    os.environ.update(extra)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def server_pids(servers: Servers) -> Dict[str, int]:
    """The action server's and the Rasa server's process ids, told apart by command line."""
    pids = {}
    for process in servers.processes:
        command = process.args
        args = " ".join(map(str, command)) if isinstance(command, (list, tuple)) else str(command)
        pids["actions" if "rasa_sdk" in args or " actions" in args else "rasa"] = process.pid
    return pids


def _level(servers: Servers, pids: Dict[str, int], conversations: int,
           duration_s: float, script: Optional[Sequence[Turn]] = None) -> Dict[str, Any]:
    before = {name: procs.cpu_seconds(pid) for name, pid in pids.items()}
    client_before = time.process_time()
    result = asyncio.run(run_load(servers.url, conversations, duration_s, script=script))
    figures = result.summary()
    sent = max(1, result.sent)
    cpu = {name: 1000 * (procs.cpu_seconds(pid) - before[name]) / sent for name, pid in pids.items()}
    cpu["load_generator"] = 1000 * (time.process_time() - client_before) / sent
    figures["cpu_ms_per_message"] = {name: round(value, 2) for name, value in cpu.items()}
    return figures


def measure(model: Path, env: Mapping[str, str], levels: Sequence[int], duration_s: float,
            work_dir: Path, say: Callable[[str], None], breakdown: bool = True,
            script: Optional[Sequence[Turn]] = None) -> Dict[str, Any]:
    """Start the servers for ``model`` with ``env``, measure with ``script`` (default: the
    English conversation), stop them."""
    work_dir.mkdir(parents=True, exist_ok=True)
    db = work_dir / "conversations.db"
    for stale in work_dir.glob("conversations.db*"):
        stale.unlink()
    with environment({"BME_SQLITE_PATH": str(db), **env}):
        servers = Servers(free_port(), free_port(), model, log_dir=work_dir / "logs")
        started = time.monotonic()
        servers.start()
        ready_s = time.monotonic() - started
        try:
            pids = server_pids(servers)
            memory = {"after_start": {n: procs.memory_mb(p) for n, p in pids.items()}}
            say(f"ready in {ready_s:.1f} s; warming up for {WARMUP_S:.0f} s")
            asyncio.run(run_load(servers.url, 2, WARMUP_S, script=script))
            results = []
            for conversations in levels:
                figures = _level(servers, pids, conversations, duration_s, script)
                results.append(figures)
                say(f"{conversations:>3} conversations: {figures['throughput_msg_s']:6.1f} msg/s, "
                    f"p50 {figures['p50_ms']:.0f} ms, p95 {figures['p95_ms']:.0f} ms, "
                    f"p99 {figures['p99_ms']:.0f} ms, errors {figures['errors']}, "
                    f"misrouted {figures['misrouted']}, Rasa CPU "
                    f"{figures['cpu_ms_per_message']['rasa']:.1f} ms/msg")
            memory["after_load"] = {n: procs.memory_mb(p) for n, p in pids.items()}
            costs = None
            if breakdown:
                say("per-message cost breakdown (in-process agent, one message at a time)")
                costs = per_message_costs(model, f"http://127.0.0.1:{servers.actions_port}/webhook",
                                          work_dir / "breakdown.db")
        finally:
            servers.stop()
    return {"env": dict(env), "ready_s": round(ready_s, 1), "memory_mb": memory,
            "levels": results, "breakdown": costs}
