"""The registry of changes to Rasa's and Sanic's internals (bot.rasa_patches.registry, installed by
bot.rasa_patches.main): each declares the
versions it was written for and the names it touches; start-up leaves out, by name, a change whose
versions or names do not match (docs/developers/rasa-patches.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict

import pytest

from bot.rasa_patches import main as rasa_main, registry as rasa_changes

ROOT = Path(__file__).resolve().parents[2]


def test_every_change_declares_what_it_touches() -> None:
    assert set(rasa_changes.TOUCHES) == set(rasa_main.SPEEDUPS)
    assert all(rasa_changes.TOUCHES[name] for name in rasa_main.SPEEDUPS)


def test_nothing_is_refused_on_the_versions_it_was_written_for() -> None:
    assert rasa_changes.refusals(rasa_main.SPEEDUPS, rasa_changes.installed_versions()) == {}


def test_another_rasa_version_refuses_every_change_naming_the_versions() -> None:
    refused = rasa_changes.refusals(["graph", "events"], {"rasa": "3.7.0", "sanic": "21.12.2"},
                                 resolves=lambda _: True)
    assert set(refused) == {"graph", "events"}
    assert refused["graph"] == "rasa 3.7.0 (written for 3.6.21)"


def test_a_missing_name_refuses_only_the_changes_that_touch_it() -> None:
    versions = dict(rasa_changes.WRITTEN_FOR)
    gone = "rasa.core.processor.DaskGraphRunner"
    refused = rasa_changes.refusals(rasa_main.SPEEDUPS, versions, resolves=lambda name: name != gone)
    assert refused == {"graph": f"{gone} is missing"}


def test_the_version_and_the_names_are_checked_apart() -> None:
    assert rasa_changes.version_differences({"rasa": "3.6.21", "sanic": "22.0.0"}) == \
        ["sanic 22.0.0 (written for 21.12.2)"]
    assert rasa_changes.version_differences(rasa_changes.WRITTEN_FOR) == []
    assert rasa_changes.missing_names(["reuseport", "graph"], lambda name: "sanic" not in name) == {
        "reuseport": "sanic.server.runners.serve is missing; sanic.server.runners.bind_socket is missing"}


def test_names_are_looked_up_for_real() -> None:
    assert rasa_changes._resolves("rasa.core.actions.action.RemoteAction._action_call_format")
    assert not rasa_changes._resolves("rasa.core.actions.action.RemoteAction._no_such_thing")
    assert not rasa_changes._resolves("rasa.no_such_module.Thing")


CHECK = """
import json, logging, sys
logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
from bot.rasa_patches import main as rasa_main
if sys.argv[1] == "other":
    rasa_main.installed_versions = lambda: {"rasa": "3.7.0", "sanic": "21.12.2"}
rasa_main.install(rasa_main.SPEEDUPS)
import sqlalchemy, rasa.core.processor, rasa.core.run, rasa.shared.utils.common
import sanic.server.runners as runners
from sqlalchemy.engine import Engine
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig
from rasa.shared.core.events import Event
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from bot.stores.tracker_store import CACHE_SIZE, ResilientSQLTrackerStore
ours = {
    "validator": RemoteAction._validate_action_result is rasa_main.validate_action_result,
    "sqlite": sqlalchemy.event.contains(Engine, "connect", rasa_main.sqlite_pragmas),
    "payloads": rasa.core.processor.MessageProcessor._parse_message_with_graph.__module__
                == "bot.rasa_patches.main",
    "keepalive": EndpointConfig.session is rasa_main.kept_session,
    "events": Event.resolve_by_type is rasa_main.resolve_event_type,
    "memory": "jax" in sys.modules and sys.modules["jax"] is None,
    "trackers": ResilientSQLTrackerStore.default_cache_size == CACHE_SIZE > 0,
    "graph": rasa.core.processor.DaskGraphRunner.__module__ == "bot.rasa_patches.graph_runner",
    "tensorflow": rasa.shared.utils.common.class_from_module_path.__module__
                  == "bot.rasa_patches.deferred_imports",
    "features": LogisticRegressionClassifier._create_X.__module__ == "bot.rasa_patches.main",
    "action_turn": RemoteAction._action_call_format.__module__ == "bot.rasa_patches.action_calls",
    "reuseport": runners.serve.__module__ == "bot.rasa_patches.sanic_workers",
    "gc": rasa.core.run.load_agent_on_start.__module__ == "bot.rasa_patches.main",
}
print(json.dumps(ours))
"""


def installed(versions: str) -> Dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", CHECK, versions], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    return {"changes": json.loads(result.stdout.strip().splitlines()[-1]), "log": result.stderr}


@pytest.mark.slow  # imports Rasa in two fresh processes (about 20 s)
def test_each_change_is_installed_and_none_on_another_rasa_version() -> None:
    assert installed("current")["changes"] == {name: True for name in rasa_main.SPEEDUPS}
    other = installed("other")
    assert other["changes"] == {name: False for name in rasa_main.SPEEDUPS}
    for name in rasa_main.SPEEDUPS:
        assert f"Rasa change '{name}' left out (stock Rasa behaviour instead): rasa 3.7.0" in other["log"]
