"""The rooms of the code (docs/architecture.md): the product never imports the benchmark, and
the product core never imports the changes to Rasa's internals."""

from __future__ import annotations

import re
from pathlib import Path
from typing import List

ROOT = Path(__file__).resolve().parents[2]
IMPORTS = re.compile(r"^\s*(?:from|import)\s+([\w.]+)", re.M)


def imported_by(paths: List[Path]) -> set:
    return {(str(p.relative_to(ROOT)), name) for p in paths
            for name in IMPORTS.findall(p.read_text(encoding="utf-8"))}


def test_the_product_never_imports_the_benchmark() -> None:
    product = list((ROOT / "bot").rglob("*.py")) + list((ROOT / "actions").rglob("*.py"))
    assert {(p, n) for p, n in imported_by(product) if n == "bench" or n.startswith("bench.")} == set()


def test_the_core_does_not_depend_on_changes_to_rasa() -> None:
    core = [*(ROOT / "bot").glob("*.py"), *(ROOT / "bot" / "engine").glob("*.py"),
            *(ROOT / "actions").rglob("*.py")]
    assert {(p, n) for p, n in imported_by(core) if n.startswith("bot.rasa_patches")} == set()
