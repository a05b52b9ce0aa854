"""The house (docs/architecture.md): rooms on floors, every import going to the same room or a
lower floor, no two modules of one name, and only the package's front doors in ``bot/`` itself.

Read from the code's import lines (module level and inside functions), nothing is imported.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Set, Tuple

ROOT = Path(__file__).resolve().parent.parent
IMPORTS = re.compile(r"^\s*(?:from\s+([\w.]+)\s+import\s+\(?([\w\s,]+)|import\s+([\w.]+))", re.M)

#: The floors, from the ground up; a room may import its own modules and those of lower floors.
FLOORS: Tuple[Tuple[str, ...], ...] = (
    ("bot.settings", "bot.reply_kinds"),  # the ground floor: settings, the kinds of reply
    ("bot.ops",),  # logs, metrics, health checks
    ("bot.sentence_model",),  # the sentence model (MiniLM, run with ONNX)
    ("bot.engine",),  # the answer engine: content, reading, red flags, selection, replies
    ("bot.clinic",),  # the clinic's features: feedback, care team, take-home, reviews, privacy
    ("bot.stores",),  # tracker and lock stores, retention
    ("bot.nlu",),  # Rasa's NLU components and policy, and our spaCy pipeline
    ("bot.channels",),  # messaging channels and the message guard
    ("bot.web",),  # the web server: widget, kiosk, take-home page, staff side
    ("bot.rasa_patches",),  # changes to Rasa's internals, gated and listed
    ("bot.deploy",),  # starting the servers
    ("actions",),  # the custom actions (thin)
)
FRONT_DOORS = {"__init__.py", "settings.py", "reply_kinds.py"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def room_of(module: str) -> Tuple[int, str]:
    """(floor, room) of a module: the longest room name it starts with."""
    found = [(len(room), floor, room) for floor, rooms in enumerate(FLOORS) for room in rooms
             if module == room or module.startswith(room + ".")]
    assert found, f"{module} is in no room: add its room to FLOORS (and docs/architecture.md)"
    _, floor, room = max(found)
    return floor, room


def product_modules() -> Dict[str, Path]:
    paths = [*(ROOT / "bot").rglob("*.py"), *(ROOT / "actions").rglob("*.py")]
    return {module_name(p): p for p in paths}


def imports_of(path: Path, known: Dict[str, Path]) -> Set[str]:
    """The product modules a file imports (``from bot.x import y`` counts ``bot.x.y`` when that
    is one of the ``known`` modules)."""
    found = set()
    for source, names, plain in IMPORTS.findall(path.read_text(encoding="utf-8")):
        if plain:
            found.add(plain)
            continue
        found.add(source)
        found.update(f"{source}.{n.strip()}" for n in names.split(",")
                     if f"{source}.{n.strip()}" in known)
    return {m for m in found if m.split(".")[0] in ("bot", "actions") and m not in ("bot", "actions")}


def test_no_import_runs_back_up() -> None:
    upward: List[str] = []
    known = product_modules()
    for module, path in known.items():
        if module in ("bot", "actions"):
            continue  # the packages' own __init__.py: empty front doors
        floor, room = room_of(module)
        for imported in imports_of(path, known):
            to_floor, to_room = room_of(imported)
            if to_floor > floor or (to_floor == floor and to_room != room and floor != 0):
                upward.append(f"{module} ({room}) imports {imported} ({to_room})")
    assert upward == []


def test_no_two_modules_share_a_name() -> None:
    by_name: Dict[str, List[str]] = defaultdict(list)
    for module, path in product_modules().items():
        if path.name not in ("__init__.py", "__main__.py"):
            by_name[path.name].append(module)
    assert {name: modules for name, modules in by_name.items() if len(modules) > 1} == {}


def test_the_package_itself_holds_only_its_front_doors() -> None:
    assert {p.name for p in (ROOT / "bot").glob("*.py")} <= FRONT_DOORS


def test_the_product_never_imports_the_benchmark() -> None:
    assert [m for m, p in product_modules().items()
            if any(i == "bench" or i.startswith("bench.") for i in _all_imports(p))] == []


def _all_imports(path: Path) -> Set[str]:
    return {s or p for s, _, p in IMPORTS.findall(path.read_text(encoding="utf-8"))}
