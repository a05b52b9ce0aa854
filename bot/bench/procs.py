"""Memory and CPU time of a server process and its children (Sanic workers), read from /proc."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, List

_TICKS = os.sysconf("SC_CLK_TCK")
PROC = Path("/proc")


def _stat_fields(pid: int) -> List[str]:
    # The command name (field 2) may hold spaces; the fields after its ")" are plain.
    return (PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()


def tree(pid: int) -> List[int]:
    """``pid`` and all its descendants that are alive."""
    children: Dict[int, List[int]] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            try:
                parent = int(_stat_fields(int(entry.name))[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` and its descendants, in seconds."""
    total = 0
    for member in tree(pid):
        try:
            fields = _stat_fields(member)
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / _TICKS


def _kib(path: Path, key: str) -> int:
    try:
        for line in path.read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def memory_mb(pid: int) -> Dict[str, float]:
    """Resident memory of ``pid`` and its descendants: ``rss`` (VmRSS summed; pages shared by
    forked workers count once per process) and ``pss`` (proportional set size: shared pages split
    between the processes that share them, so the sum is what the tree really uses)."""
    members = tree(pid)
    rss = sum(_kib(PROC / str(p) / "status", "VmRSS") for p in members)
    pss = sum(_kib(PROC / str(p) / "smaps_rollup", "Pss") for p in members)
    return {"rss": round(rss / 1024, 1), "pss": round(pss / 1024, 1), "processes": len(members)}
