"""Memory and CPU time of a server process and its children (Sanic workers), read from /proc."""

from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import Dict, List, Optional, Set

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


PAGE = os.sysconf("SC_PAGE_SIZE")
_PRESENT, _PFN = 1 << 63, (1 << 55) - 1


def _resident_ranges(pid: int) -> List[range]:
    """Page ranges of the mappings of ``pid`` that have pages in memory (``/proc/<pid>/smaps``):
    the others may be huge reservations that are not worth reading page by page."""
    ranges, current = [], None
    for line in (PROC / str(pid) / "smaps").read_text().splitlines():
        head = line.split()[0]
        if "-" in head and not head.endswith(":"):
            start, end = (int(x, 16) // PAGE for x in head.split("-"))
            current = range(start, end)
        elif head == "Rss:" and current is not None and int(line.split()[1]) > 0:
            ranges.append(current)
    return ranges


def resident_pages(pid: int) -> Optional[Set[int]]:
    """The physical page frames ``pid`` has in memory, from ``/proc/<pid>/pagemap``; ``None``
    when they cannot be read (frame numbers are shown to root only, as zeros to others)."""
    frames: Set[int] = set()
    try:
        with open(PROC / str(pid) / "pagemap", "rb") as pagemap:
            for pages in _resident_ranges(pid):
                pagemap.seek(pages.start * 8)
                for (entry,) in struct.iter_unpack("<Q", pagemap.read(len(pages) * 8)):
                    if entry & _PRESENT:
                        frames.add(entry & _PFN)
    except OSError:
        return None
    return None if 0 in frames else frames


def memory_mb(pid: int) -> Dict[str, Optional[float]]:
    """Resident memory of ``pid`` and its descendants.

    - ``rss``: VmRSS summed. A page that forked workers share counts once per process.
    - ``pss``: proportional set size summed. A shared page is split between the processes that
      share it, including processes outside the tree (other servers, libraries).
    - ``unique``: each physical page that a process of the tree has in memory, counted once.
      This is the memory the tree takes from the machine. It is ``None`` when the frame
      numbers cannot be read (not root).
    """
    members = tree(pid)
    rss = sum(_kib(PROC / str(p) / "status", "VmRSS") for p in members)
    pss = sum(_kib(PROC / str(p) / "smaps_rollup", "Pss") for p in members)
    frames: Optional[Set[int]] = set()
    for member in members:
        pages = resident_pages(member)
        frames = None if pages is None or frames is None else frames | pages
    unique = None if frames is None else round(len(frames) * PAGE / 2**20, 1)
    return {"rss": round(rss / 1024, 1), "pss": round(pss / 1024, 1), "unique": unique,
            "processes": len(members)}
