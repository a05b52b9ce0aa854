"""The registry of bot.rasa_patches.main's changes to Rasa's and Sanic's internals: the versions they
were written for, the names each touches, and the check that says which to leave out
(docs/developers/rasa-patches.md). Nothing here imports Rasa until a name is looked up."""

from __future__ import annotations

import importlib
from typing import Any, Callable, Dict, Iterable, List, Mapping, Tuple

#: The versions every change was written for and tested with (docs/developers/rasa-patches.md).
WRITTEN_FOR = {"rasa": "3.6.21", "sanic": "21.12.2"}
#: The private (or replaced) names of Rasa, Sanic and SQLAlchemy each change relies on. At start-up
#: each must exist, in the versions above, or the change is left out with a log line naming it.
TOUCHES: Dict[str, Tuple[str, ...]] = {
    "validator": ("rasa.core.actions.action.RemoteAction._validate_action_result",),
    "sqlite": ("sqlalchemy.engine.Engine",),
    "payloads": ("rasa.core.processor.MessageProcessor._parse_message_with_graph",
                 "rasa.shared.core.training_data.story_reader.yaml_story_reader."
                 "YAMLStoryReader.unpack_regex_message"),
    "keepalive": ("rasa.utils.endpoints.EndpointConfig.session",),
    "events": ("rasa.shared.core.events.Event.resolve_by_type",),
    "memory": ("rasa.core.run.load_agent_on_start",),
    "trackers": ("rasa.core.tracker_store.SQLTrackerStore._event_query",
                 "rasa.core.tracker_store.SQLTrackerStore.session_scope"),
    "graph": ("rasa.core.processor.DaskGraphRunner",),
    "tensorflow": ("rasa.shared.utils.common.class_from_module_path",),
    "features": ("rasa.nlu.classifiers.logistic_regression_classifier."
                 "LogisticRegressionClassifier._create_X",),
    "action_turn": ("rasa.core.actions.action.RemoteAction._action_call_format",),
    "reuseport": ("sanic.server.runners.serve", "sanic.server.runners.bind_socket"),
    "gc": ("rasa.core.run.load_agent_on_start",),
}
#: Changes that are not speed-ups, installed whatever ``BME_RASA_SPEEDUPS`` says, and the names
#: they rely on. They are needed in production, so a missing name stops the start, naming it,
#: instead of leaving the change out (:mod:`bot.rasa_patches.operations`).
ALWAYS_ON: Dict[str, Tuple[str, ...]] = {
    "operations": ("rasa.core.run.configure_app", "rasa.core.agent.Agent.is_ready",
                   "rasa.core.tracker_store.FailSafeTrackerStore",
                   "rasa.core.lock_store.RedisLockStore"),
}


def _resolves(dotted: str) -> bool:
    """Whether ``dotted`` (``package.module.Class.attribute``) names something that exists."""
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            found: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            if not hasattr(found, name):
                return False
            found = getattr(found, name)
        return True
    return False


def installed_versions() -> Dict[str, str]:
    from importlib.metadata import version

    return {package: version(package) for package in WRITTEN_FOR}


def version_differences(versions: Mapping[str, str]) -> List[str]:
    """How the installed ``versions`` differ from those the changes were written for."""
    return [f"{package} {versions.get(package)} (written for {wanted})"
            for package, wanted in WRITTEN_FOR.items() if versions.get(package) != wanted]


def missing_names(which: Iterable[str], resolves: Callable[[str], bool] = _resolves,
                  touches: Mapping[str, Tuple[str, ...]] = TOUCHES) -> Dict[str, str]:
    """The changes of ``which`` that touch a name that does not exist, with those names
    (``touches``: :data:`TOUCHES`, or :data:`ALWAYS_ON`)."""
    missing = {name: [d for d in touches.get(name, ()) if not resolves(d)] for name in sorted(which)}
    return {name: "; ".join(f"{d} is missing" for d in gone) for name, gone in missing.items() if gone}


def refusals(which: Iterable[str], versions: Mapping[str, str],
             resolves: Callable[[str], bool] = _resolves) -> Dict[str, str]:
    """Why each change of ``which`` must be left out (none when the versions are those it was
    written for and every name it touches exists)."""
    differing, missing = version_differences(versions), missing_names(which, resolves)
    reasons = {name: "; ".join(differing + ([missing[name]] if name in missing else []))
               for name in sorted(which)}
    return {name: reason for name, reason in reasons.items() if reason}
