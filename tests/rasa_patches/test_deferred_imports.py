"""A deferred module is imported only when one of its names is used, and then behaves as itself."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from bot.rasa_patches import deferred_imports
from bot.rasa_patches.deferred_imports import Deferred, DeferredModule, class_by_path, defer, is_deferred

ROOT = Path(__file__).resolve().parents[2]
HEAVY = '''
import sys
sys.bme_heavy_runs = getattr(sys, "bme_heavy_runs", 0) + 1

class Thing:
    size = 3

    def __init__(self, n=1):
        self.n = n
'''


@pytest.fixture()
def heavy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A module that counts its runs (``sys.bme_heavy_runs``), deferred, under a fresh name."""
    name = f"bme_heavy_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(HEAVY, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "bme_heavy_runs", 0, raising=False)
    defer([name])
    yield name
    sys.modules.pop(name, None)
    deferred_imports._FINDER.deferred.discard(name)


def test_importing_a_name_does_not_run_the_module(heavy: str) -> None:
    thing = getattr(importlib.import_module(heavy), "Thing")  # from heavy import Thing
    assert isinstance(sys.modules[heavy], DeferredModule) and isinstance(thing, Deferred)
    assert sys.bme_heavy_runs == 0  # type: ignore[attr-defined]


def test_type_questions_need_no_import_while_deferred(heavy: str) -> None:
    thing = getattr(importlib.import_module(heavy), "Thing")
    assert not isinstance(object(), thing) and not issubclass(int, thing)
    assert is_deferred(heavy) and sys.bme_heavy_runs == 0  # type: ignore[attr-defined]


def test_first_use_runs_the_real_module_once(heavy: str) -> None:
    thing = getattr(importlib.import_module(heavy), "Thing")
    made = thing(n=5)
    real = sys.modules[heavy].Thing
    assert made.n == 5 and type(made) is real and thing.size == 3
    assert isinstance(made, thing) and issubclass(real, thing)
    assert thing(n=6).n == 6 and importlib.import_module(heavy).Thing is real
    assert sys.bme_heavy_runs == 1  # type: ignore[attr-defined]


def test_a_subclass_gets_the_real_class(heavy: str) -> None:
    thing = getattr(importlib.import_module(heavy), "Thing")

    class Bigger(thing):  # type: ignore[misc, valid-type]
        size = 4

    assert Bigger.__mro__[1] is sys.modules[heavy].Thing and Bigger(n=2).n == 2


def test_lookup_by_path_gets_the_real_class(heavy: str) -> None:
    importlib.import_module(heavy)  # the stand-in is in place
    lookup = class_by_path(lambda path, _lookup=None: getattr(
        importlib.import_module(path.rpartition(".")[0]), path.rpartition(".")[2]))
    assert lookup(f"{heavy}.Thing") is sys.modules[heavy].Thing
    assert not is_deferred(heavy) and sys.bme_heavy_runs == 1  # type: ignore[attr-defined]


@pytest.fixture()
def heavy_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A package with a deferred module (``kind``) and one that is not (``other``)."""
    name = f"bme_pkg_{tmp_path.name.replace('-', '_')}"
    (tmp_path / name).mkdir()
    (tmp_path / name / "__init__.py").write_text("from .kind import Thing\n", encoding="utf-8")
    (tmp_path / name / "kind.py").write_text(HEAVY, encoding="utf-8")
    (tmp_path / name / "other.py").write_text("VALUE = 7\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "bme_heavy_runs", 0, raising=False)
    defer([name, f"{name}.kind"])
    yield name
    for module in [m for m in sys.modules if m.split(".")[0] == name]:
        sys.modules.pop(module)
    deferred_imports._FINDER.deferred -= {name, f"{name}.kind"}


def test_a_deferred_packages_module_loads_the_package_first(heavy_package: str) -> None:
    thing = getattr(importlib.import_module(f"{heavy_package}.kind"), "Thing")
    assert is_deferred(heavy_package) and sys.bme_heavy_runs == 0  # type: ignore[attr-defined]
    assert thing(n=2).n == 2 and sys.bme_heavy_runs == 1  # type: ignore[attr-defined]
    assert sys.modules[heavy_package].Thing is sys.modules[f"{heavy_package}.kind"].Thing


def test_a_module_of_a_deferred_package_that_is_not_deferred_is_imported(
        heavy_package: str) -> None:
    importlib.import_module(f"{heavy_package}.kind")
    assert importlib.import_module(f"{heavy_package}.other").VALUE == 7
    assert not is_deferred(heavy_package) and not is_deferred(f"{heavy_package}.kind")


def test_a_module_already_imported_is_left_as_it_is() -> None:
    defer(["json"])
    assert not isinstance(sys.modules["json"], DeferredModule)


SERVE = """
import sys
from bot.rasa_patches import main as rasa_main
rasa_main.install(rasa_main.SPEEDUPS)
import asyncio, rasa.core.run
from rasa.core.agent import Agent
agent = Agent.load(sys.argv[1])
parsed = asyncio.run(agent.parse_message("how long does it last"))
from bot.rasa_patches.deferred_imports import is_deferred
print(parsed["intent"]["name"], *(name in sys.modules and not is_deferred(name)
                                  for name in ("tensorflow", "matplotlib", "pymongo", "h5py")))
from rasa.shared.utils.common import class_from_module_path
diet = class_from_module_path("rasa.nlu.classifiers.diet_classifier.DIETClassifier")
print(diet.__name__, diet.__module__, "tensorflow" in sys.modules)
"""


@pytest.mark.slow
def test_the_model_is_served_without_unused_libraries_until_a_model_needs_them(
        trained_model: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", SERVE, str(trained_model)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.splitlines()[-2:] == [
        "ask_duration False False False False",
        "DIETClassifier rasa.nlu.classifiers.diet_classifier True"]
