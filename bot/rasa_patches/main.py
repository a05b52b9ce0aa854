"""Rasa's command line with per-message work removed; ``bot.deploy.serve`` runs the Rasa server through it
(``python -m bot.rasa_patches.main run ...`` takes the same arguments as ``rasa run``).

Profiling the server under load (py-spy; figures in reports/benchmark.md) showed work that Rasa
3.6 repeats for every message although it could be done once, or not at all. :func:`install`
changes thirteen things, each keeping Rasa's behaviour:

1. **Action responses.** Rasa checks every action-server response with
   ``jsonschema.validate(result, schema)``, which first checks the schema itself against the
   JSON-Schema meta-schema and builds a new validator, every time, although the schema never
   changes: about half of the server's CPU time. Here the validator is built once; the same
   schema, the same checks, the same ``ValidationError`` on a bad response. A response that
   passed is remembered (by its JSON text), as the same answers come back again and again.
2. **SQLite commits.** Rasa commits the conversation after every message; in SQLite's default
   journal mode each commit waits for the disk while blocking the server's event loop. Here SQLite
   connections use a write-ahead log synced at checkpoints (``synchronous=NORMAL``): the database
   stays consistent after a crash, and a power cut can lose the last moments of conversations,
   never corrupt them. WAL also lets several processes read while one writes, and
   ``busy_timeout`` makes a writer wait its turn instead of failing. PostgreSQL is left alone.
3. **Button payloads.** Rasa runs the whole NLU pipeline (spaCy, featurizers, classifier) on a
   payload such as ``/ask_duration`` and then lets its last step, ``RegexMessageHandler``,
   replace the prediction with the payload's intent. Here a payload that names an intent of the
   domain is read by that same function without running the pipeline; anything else (free
   text, unknown intents) goes through the pipeline as before.

4. **Action-server connections.** Rasa opens a new HTTP session, and so a new TCP connection,
   for every call to the action server, and closes it after the reply. Here each endpoint keeps
   one session per event loop, so calls reuse open connections (HTTP keep-alive); the requests,
   headers and timeouts are Rasa's own.

5. **Event types.** Rasa rebuilds every stored event of the conversation for every message, and
   finds each event's class by walking all subclasses of ``Event`` (``resolve_by_type``), which
   took a tenth of the server's time. Here the classes are looked up in a table built from that
   same walk; an unknown name walks again, then falls back to Rasa's own function.

6. **Memory.** TensorFlow's Lite converter imports JAX when it is installed (TensorFlow 2.12
   requires it), for a JAX-to-Lite conversion Rasa never does: 66 MB of every server process.
   Here ``jax`` is marked missing before TensorFlow loads; TensorFlow expects that it may be
   and goes on without it. TensorFlow's oneDNN kernels are switched off: 17–20 MB less, the same
   CPU time per message and the same held-out accuracy and misses. The client library
   of the Webex Teams channel (9 MB), which Rasa imports with all its channels although this
   assistant does not offer it, is replaced by a stand-in that says how to get it back. And once
   the model is loaded, the memory that loading freed is given back to the system
   (``malloc_trim``) instead of staying reserved by the C allocator.

7. **Conversations.** Rasa rebuilds the whole conversation from the database for every message
   and counts its stored events again before saving. Here each process keeps the conversations it
   handled and asks the database only for events stored since (by another process), using the
   kept one only when the database proves it current (:mod:`bot.stores.tracker_store`).
8. **Model graph.** Rasa hands the model graph to dask's scheduler for every message, which works
   out again the same order of the same nodes. Here the order is worked out once and the nodes
   are called in it (:mod:`bot.rasa_patches.graph_runner`).
9. **TensorFlow.** Rasa imports TensorFlow in every server process, although this model has no
   TensorFlow component: about 270 MB of each (and matplotlib, pymongo and h5py: 20 MB). Here the
   modules that import them are loaded only when something uses them
   (:mod:`bot.rasa_patches.deferred_imports`); a model with DIET loads them.
   Only for ``rasa run``: other commands (training) get Rasa's imports as they are.
10. **Classifier input.** The logistic-regression classifier builds each message's row of
    features with six scipy operations; here it is built in one step, the same matrix
    (:mod:`bot.rasa_patches.feature_rows`).
11. **Action calls.** Rasa sends the action server every event of the conversation for every
    action; here it sends those of the current turn, which is all our actions read
    (:mod:`bot.rasa_patches.action_calls`).
12. **Workers' connections.** With several Sanic workers, one worker took most of the
    connections that arrived together and kept them; here each worker listens on a socket of
    its own and the kernel shares connections out evenly (:mod:`bot.rasa_patches.sanic_workers`).
13. **Garbage collection.** Python's full collection walked the loaded model's objects every few
    seconds, pausing all replies in progress for 170-190 ms. Here the objects alive once the
    model is loaded are frozen (``gc.freeze``): collections walk only what messages create.

``BME_RASA_SPEEDUPS`` picks them: by default all thirteen (``all``); ``none`` turns them all off (for
the benchmark's before-and-after comparisons), or a comma-separated list names some. Each is
registered with the Rasa and Sanic names it touches and the versions it was written for
(:mod:`bot.rasa_patches.registry`); start-up leaves out, with a log line naming it, a change whose
versions or names do not match (docs/developers/rasa-patches.md). (``payloads``
was once off by default: it made a race in Rasa's Redis ticket lock show up across processes,
which :mod:`bot.stores.lock_store` has since fixed.)

For ``rasa run``, :func:`main` also adds what is not a speed-up and is always on: the health
routes, ``/metrics`` and the log format (:mod:`bot.rasa_patches.operations`).
"""

from __future__ import annotations

import asyncio
import ctypes
import gc
import json
import logging
import os
import sqlite3
import sys
import types
from functools import lru_cache
from typing import Any, Callable, Dict, FrozenSet, Iterable, List, Mapping, Text

from bot.rasa_patches.registry import installed_versions, missing_names, version_differences

SQLITE_PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL",
                  "PRAGMA busy_timeout=10000")
SPEEDUPS = frozenset({"validator", "sqlite", "payloads", "keepalive", "events", "memory",
                      "trackers", "graph", "tensorflow", "features", "action_turn", "reuseport", "gc"})
_INSTALLED: Dict[str, Any] = {"done": False}

#: Seconds an idle kept connection stays open. Below the 5 s after which the action server
#: (Sanic) closes an idle connection, so the client never reuses one that the server is closing.
KEEPALIVE_S = 2.0
_EVENT_TYPES: Dict[str, Any] = {}  # event type name -> Event subclass, as resolve_by_type finds
_RASA_RESOLVE: Dict[str, Any] = {}  # Rasa's own Event.resolve_by_type, once replaced
#: Client libraries of Rasa channels this assistant does not offer (README: Messaging channels),
#: left out of the server by ``memory``: library -> channel.
UNUSED_CHANNEL_LIBRARIES = {"webexteamssdk": "Webex Teams"}


@lru_cache(maxsize=1)
def action_response_validator() -> Any:
    """The validator of action-server responses, built once (the schema is checked here, once)."""
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


@lru_cache(maxsize=1024)
def _check_response(document: str) -> None:
    """Validate a response given as JSON text. The answers repeat (the same answer for the same
    question), and a document that passed once passes again, so passes are remembered; a failure
    raises, is not remembered, and is checked again next time."""
    action_response_validator().validate(json.loads(document))


def validate_action_result(self: Any, result: Dict[Text, Any]) -> bool:
    """``RemoteAction._validate_action_result`` with the validator built once."""
    from jsonschema import ValidationError
    from rasa.shared.constants import DOCS_BASE_URL

    try:
        _check_response(json.dumps(result, sort_keys=True))
        return True
    except ValidationError as e:  # the message Rasa's own method gives
        e.message += (
            ". Failed to validate Action server response from API, "
            "make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise e


def sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """SQLAlchemy ``connect`` listener: WAL and checkpoint syncing for SQLite connections."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()


def parse_payload(text: Text, domain: Any) -> Any:
    """The parse result of a button payload (``/ask_duration``) without the NLU pipeline, or
    ``None`` when ``text`` is not a payload naming an intent of ``domain``.

    It is what the pipeline's last step (``RegexMessageHandler``) would have made of it.
    """
    from rasa.shared.constants import INTENT_MESSAGE_PREFIX
    from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
    from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, TEXT
    from rasa.shared.nlu.training_data.message import Message

    if domain is None or not (text or "").strip().startswith(INTENT_MESSAGE_PREFIX):
        return None
    message = YAMLStoryReader.unpack_regex_message(
        Message(data={TEXT: text}), domain, entity_extractor_name="RegexMessageHandler")
    if not (message.get(INTENT) or {}).get(INTENT_NAME_KEY):
        return None
    return message


def _install_payload_shortcut() -> None:
    from rasa.core.processor import MessageProcessor

    pipeline = MessageProcessor._parse_message_with_graph

    def _parse_message_with_graph(self: Any, message: Any, tracker: Any,
                                  only_output_properties: bool = True) -> Dict[Text, Any]:
        parsed = parse_payload(message.text, self.domain)
        if parsed is None:
            return pipeline(self, message, tracker, only_output_properties)
        return parsed.as_dict(only_output_properties=only_output_properties)

    MessageProcessor._parse_message_with_graph = _parse_message_with_graph


class _Borrowed:
    """``async with`` on a kept session: hands it out and leaves it open afterwards."""

    def __init__(self, session: Any) -> None:
        self.session = session

    async def __aenter__(self) -> Any:
        return self.session

    async def __aexit__(self, *_: Any) -> None:
        return None


def kept_session(self: Any) -> _Borrowed:
    """``EndpointConfig.session`` that keeps one session per endpoint and event loop (a session
    belongs to the loop it was made in; each Sanic worker has its own). Rasa only ever uses it as
    ``async with endpoint.session() as session``. The session is made as Rasa makes it (headers,
    basic auth, timeout), with idle connections kept :data:`KEEPALIVE_S` seconds."""
    sessions = vars(self).setdefault("_kept_sessions", {})
    loop = asyncio.get_running_loop()
    session = sessions.get(loop)
    if session is None or session.closed:
        import aiohttp
        from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT

        auth = (aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
                if self.basic_auth else None)
        session = sessions[loop] = aiohttp.ClientSession(
            headers=self.headers, auth=auth,
            timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_S))
    return _Borrowed(session)


def resolve_event_type(type_name: Text, default: Any = None) -> Any:
    """``Event.resolve_by_type`` from a table: the first subclass with that ``type_name``, in the
    order of Rasa's own walk. A name not in the table rebuilds it (a subclass may have been
    imported since); one still missing gets Rasa's own answer (``None``, ``default`` or
    ``ValueError``)."""
    cls = _EVENT_TYPES.get(type_name)
    if cls is None:
        from rasa.shared.core.events import Event
        from rasa.shared.utils.common import all_subclasses

        _EVENT_TYPES.clear()
        for subclass in all_subclasses(Event):
            _EVENT_TYPES.setdefault(subclass.type_name, subclass)
        cls = _EVENT_TYPES.get(type_name)
    return cls if cls is not None else _RASA_RESOLVE["resolve"](type_name, default)


def release_free_memory() -> None:
    """Give memory that the C allocator keeps for reuse back to the system (glibc only)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # another C library: nothing to do
        pass


def freeze_loaded_objects() -> None:
    """Move every object alive now (the model, Rasa, the libraries) out of the garbage collector's
    reach. Python's full collection walks all tracked objects, and under load it ran every 4-5 s
    per worker for 170-190 ms, holding up every reply in progress. The model lives as long as the
    process, so nothing is lost; a model replaced later through Rasa's HTTP API would stay in
    memory (this assistant loads its model once, at start)."""
    gc.collect()
    gc.freeze()


def _after_model_load(steps: List[Callable[[], None]]) -> None:
    """Run ``steps`` in each server process once Rasa has loaded the model there."""
    import rasa.core.run

    load = rasa.core.run.load_agent_on_start

    async def load_agent_on_start(*args: Any, **kwargs: Any) -> Any:
        agent = await load(*args, **kwargs)
        for step in steps:
            step()
        return agent

    rasa.core.run.load_agent_on_start = load_agent_on_start


def unused_library(name: str, channel: str) -> types.ModuleType:
    """A stand-in for the client library ``name``: Rasa's channel module can import names from
    it, and using any of them raises an error that says how to get the real library back."""

    def unavailable(*_: Any, **__: Any) -> None:
        raise RuntimeError(f"The {channel} channel is not part of this assistant: its client "
                           f"library ({name}) is left out of the Rasa server to save memory. To "
                           f"use it, leave 'memory' out of BME_RASA_SPEEDUPS.")

    def attribute(attr: str) -> Any:  # PEP 562: what `from name import attr` gets
        if attr.startswith("__"):
            raise AttributeError(attr)
        return unavailable

    module = types.ModuleType(name, f"Stand-in for {name} (bot.rasa_patches.main, speed-up 'memory').")
    module.__getattr__ = attribute  # type: ignore[method-assign]
    return module


def _install_memory_savers() -> None:
    sys.modules.setdefault("jax", None)  # type: ignore[arg-type]  # "import jax" -> ImportError
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # read when TensorFlow loads
    for library, channel in UNUSED_CHANNEL_LIBRARIES.items():
        sys.modules.setdefault(library, unused_library(library, channel))


def chosen(env: Mapping[str, str] = os.environ) -> FrozenSet[str]:
    """The speed-ups ``BME_RASA_SPEEDUPS`` names (``all``, ``none``, or a comma-separated list);
    all of them when it is unset (:func:`bot.settings.rasa_speedups`)."""
    from bot.settings import rasa_speedups

    return rasa_speedups(SPEEDUPS, env)


def _leave_out(which: set, refused: Mapping[str, str]) -> None:
    for name, reason in refused.items():
        logging.getLogger(__name__).warning(
            "Rasa change %r left out (stock Rasa behaviour instead): %s. See docs/developers/rasa-patches.md",
            name, reason)
        which.discard(name)
        _INSTALLED.setdefault("refused", {})[name] = reason


def install(which: Iterable[str] = SPEEDUPS) -> None:
    """Apply the changes of the module docstring named in ``which``, each only where the installed
    Rasa and Sanic are the versions it was written for and the names it touches exist; a change
    refused is logged by name and left out (stock behaviour). Once per process."""
    if _INSTALLED["done"]:
        return
    which = set(which)
    versions = installed_versions()
    # the versions first (no import), then the names: looking a name up imports its Rasa module,
    # which the first two changes must come before (the deferred imports, then JAX marked missing)
    differing = "; ".join(version_differences(versions))
    _leave_out(which, {name: differing for name in sorted(which)} if differing else {})
    _leave_out(which, missing_names(which & {"tensorflow"}))
    if "tensorflow" in which:  # first: before anything imports Rasa's TensorFlow modules
        from bot.rasa_patches.deferred_imports import defer_unused_libraries

        defer_unused_libraries()
    if "memory" in which:  # before anything imports TensorFlow (its after-load step is checked below)
        _install_memory_savers()
    _leave_out(which, missing_names(which - {"tensorflow"}))
    from rasa.core.actions.action import RemoteAction
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    if "validator" in which:
        RemoteAction._validate_action_result = validate_action_result
    if "sqlite" in which:
        event.listen(Engine, "connect", sqlite_pragmas)
    if "payloads" in which:
        _install_payload_shortcut()
    if "keepalive" in which:
        from rasa.utils.endpoints import EndpointConfig

        EndpointConfig.session = kept_session
    if "events" in which:
        from rasa.shared.core.events import Event

        _RASA_RESOLVE["resolve"] = Event.resolve_by_type
        Event.resolve_by_type = staticmethod(resolve_event_type)
    if "trackers" in which:
        from bot.stores.tracker_store import CACHE_SIZE, ResilientSQLTrackerStore

        ResilientSQLTrackerStore.default_cache_size = CACHE_SIZE
    if "graph" in which:
        import rasa.core.processor

        from bot.rasa_patches.graph_runner import SequentialGraphRunner

        rasa.core.processor.DaskGraphRunner = SequentialGraphRunner
    if "action_turn" in which:
        from bot.rasa_patches.action_calls import action_call_format

        RemoteAction._action_call_format = action_call_format
    if "features" in which:
        from rasa.nlu.classifiers.logistic_regression_classifier import (
            LogisticRegressionClassifier,
        )

        from bot.rasa_patches.feature_rows import sentence_rows

        LogisticRegressionClassifier._create_X = (
            lambda self, messages: sentence_rows(messages))
    if "reuseport" in which:
        from bot.rasa_patches import sanic_workers

        sanic_workers.install()
    after_load = [step for name, step in (("gc", freeze_loaded_objects),
                                          ("memory", release_free_memory)) if name in which]
    if after_load:
        _after_model_load(after_load)
    _INSTALLED["done"] = True


def main() -> None:
    which = chosen()
    serving = sys.argv[1:2] == ["run"]
    if serving:  # not speed-ups, always on: the health routes, /metrics and the log format
        from bot.settings import log_format
        from bot.rasa_patches import operations

        operations.prepare(log_format())  # before Rasa and prometheus_client are imported
    install(which if serving else which - {"tensorflow"})
    if serving:
        operations.install(log_format())  # after install(): it imports Rasa's modules
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
