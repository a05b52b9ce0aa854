"""The speed-ups of bot.rasa_patches.main keep Rasa's behaviour: same validation, same parse results."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain

from bot.rasa_patches import main as rasa_main
from bot.settings import SettingsError

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = Domain.load(str(ROOT / "domain.yml"))
VALID = {"events": [{"event": "slot", "name": "answer_id", "value": "serious/general"}],
         "responses": [{"text": "hello", "buttons": []}]}
INVALID = [{"events": [{"event": "no_such_event"}], "responses": []},
           {"events": "not a list", "responses": []},
           {"events": [], "responses": ["not an object"]}]


def test_valid_action_response_passes_like_rasa() -> None:
    assert rasa_main.validate_action_result(None, VALID) is True
    hits = rasa_main._check_response.cache_info().hits
    assert rasa_main.validate_action_result(None, dict(reversed(VALID.items()))) is True
    assert rasa_main._check_response.cache_info().hits == hits + 1  # remembered, any key order
    assert RemoteAction(
        "action_answer", None)._validate_action_result(VALID) is True  # Rasa's own, unpatched


@pytest.mark.parametrize("response", INVALID)
def test_invalid_action_response_fails_like_rasa(response) -> None:
    for _ in range(2):  # a failure is not remembered as a pass
        with pytest.raises(ValidationError) as ours:
            rasa_main.validate_action_result(None, response)
    with pytest.raises(ValidationError) as theirs:
        RemoteAction("action_answer", None)._validate_action_result(response)
    assert ours.value.message == theirs.value.message
    assert "Failed to validate Action server response" in ours.value.message


def test_sqlite_connections_get_the_write_ahead_log(tmp_path: Path) -> None:
    connection = sqlite3.connect(tmp_path / "conversations.db")
    rasa_main.sqlite_pragmas(connection, None)
    assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert connection.execute("PRAGMA synchronous").fetchone() == (1,)  # NORMAL
    connection.close()


def test_other_connections_are_left_alone() -> None:
    class OtherConnection:  # e.g. psycopg2's: no pragma may reach it
        def __init__(self) -> None:
            self.calls: List[str] = []

        def cursor(self) -> None:
            self.calls.append("cursor")

    connection = OtherConnection()
    rasa_main.sqlite_pragmas(connection, None)
    assert connection.calls == []


@pytest.mark.parametrize("text, intent", [
    ("/ask_serious", "ask_serious"),
    ("  /ask_duration", "ask_duration"),
    ('/inform{"CAUSE": "osteoarthritis"}', "inform"),
])
def test_payloads_are_read_without_the_pipeline(text: str, intent: str) -> None:
    parsed = rasa_main.parse_payload(text, DOMAIN)
    assert parsed.get("intent") == {"name": intent, "confidence": 1.0}


@pytest.mark.parametrize("text", ["is it serious?", "/no_such_intent", "/", "", None])
def test_everything_else_goes_to_the_pipeline(text) -> None:
    assert rasa_main.parse_payload(text, DOMAIN) is None


def test_no_domain_means_the_pipeline() -> None:
    assert rasa_main.parse_payload("/ask_serious", None) is None


@pytest.mark.slow
def test_payload_parse_equals_the_pipelines_on_the_trained_model(trained_model: Path) -> None:
    from rasa.core.agent import Agent
    from rasa.core.channels.channel import UserMessage
    from rasa.core.processor import MessageProcessor
    from rasa.shared.core.trackers import DialogueStateTracker

    agent = Agent.load(str(trained_model))
    texts = ["/ask_serious", '/inform{"CAUSE": "osteoarthritis"}', "/ask_duration@0.4",
             "/no_such_intent", "what is bone marrow edema?"]

    def parse_all() -> list:
        return [agent.processor._parse_message_with_graph(UserMessage(t), DialogueStateTracker("t", []))
                for t in texts]

    pipeline = parse_all()
    original = MessageProcessor._parse_message_with_graph
    rasa_main._install_payload_shortcut()
    try:
        assert parse_all() == pipeline
    finally:
        MessageProcessor._parse_message_with_graph = original
    assert asyncio.run(agent.parse_message("/ask_serious"))["intent"]["name"] == "ask_serious"


@pytest.mark.parametrize("value, expected", [
    (None, rasa_main.SPEEDUPS),  # unset: all of them
    ("all", {"validator", "sqlite", "payloads", "keepalive", "events", "memory", "trackers",
             "graph", "tensorflow", "features", "action_turn", "reuseport", "gc"}),
    ("none", set()),                               # stock Rasa, for the benchmark's comparison
    ("validator, sqlite", {"validator", "sqlite"}),
])
def test_speedups_chosen_from_the_environment(value, expected) -> None:
    env = {} if value is None else {"BME_RASA_SPEEDUPS": value}
    assert rasa_main.chosen(env) == expected


def test_unknown_speedup_is_refused_with_the_known_ones() -> None:
    with pytest.raises(SettingsError, match="BME_RASA_SPEEDUPS: unknown.*payloads"):
        rasa_main.chosen({"BME_RASA_SPEEDUPS": "turbo"})


def test_an_endpoint_keeps_one_open_session_per_event_loop() -> None:
    from rasa.utils.endpoints import EndpointConfig

    endpoint = EndpointConfig("http://127.0.0.1:9/webhook", headers={"X-Clinic": "north"},
                              basic_auth={"username": "bot", "password": "pw"})

    async def two_calls() -> object:
        async with rasa_main.kept_session(endpoint) as first:
            pass
        async with rasa_main.kept_session(endpoint) as second:
            assert second is first and not first.closed  # reused, left open
        assert first.headers["X-Clinic"] == "north" and first.auth.login == "bot"  # as Rasa's
        assert first.connector._keepalive_timeout < 5  # below the action server's 5 s
        await first.close()
        async with rasa_main.kept_session(endpoint) as third:  # a closed one is replaced
            assert third is not first
        await third.close()
        return first

    assert asyncio.run(two_calls()) is not asyncio.run(two_calls())  # each loop its own


def test_event_types_resolve_as_rasas_own_walk(monkeypatch: pytest.MonkeyPatch) -> None:
    from rasa.shared.core.events import Event, UserUttered
    from rasa.shared.utils.common import all_subclasses

    monkeypatch.setitem(rasa_main._RASA_RESOLVE, "resolve", Event.resolve_by_type)
    for cls in all_subclasses(Event):
        assert rasa_main.resolve_event_type(cls.type_name) is Event.resolve_by_type(cls.type_name)
    assert rasa_main.resolve_event_type("user") is UserUttered
    assert rasa_main.resolve_event_type("topic") is None  # Rasa's backwards compatibility
    assert rasa_main.resolve_event_type("no_such", default=UserUttered) is UserUttered
    with pytest.raises(ValueError, match="Unknown event name 'no_such'"):
        rasa_main.resolve_event_type("no_such")


def test_an_event_class_imported_later_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    from rasa.shared.core.events import Event, SlotSet

    monkeypatch.setitem(rasa_main._RASA_RESOLVE, "resolve", Event.resolve_by_type)
    rasa_main.resolve_event_type("user")  # table built

    class LateEvent(SlotSet):
        type_name = "bme_late_event"

    assert rasa_main.resolve_event_type("bme_late_event") is LateEvent


@pytest.mark.slow
def test_the_running_server_has_neither_tensorflow_nor_jax(assistant) -> None:
    rasa = next(p for p in assistant.processes if "bot.rasa_patches.main" in p.args)
    maps = Path(f"/proc/{rasa.pid}/maps").read_text(encoding="utf-8")
    assert "libtensorflow" not in maps and "jaxlib" not in maps
    assert "onnxruntime" in maps  # the maps are those of the process that serves the model


def test_an_unused_library_imports_but_says_how_to_get_it_back() -> None:
    stand_in = rasa_main.unused_library("webexteamssdk", "Webex Teams")
    api = getattr(stand_in, "WebexTeamsAPI")  # what `from webexteamssdk import ...` does
    with pytest.raises(RuntimeError, match="Webex Teams.*leave 'memory' out of BME_RASA_SPEEDUPS"):
        api(access_token="t")
    with pytest.raises(AttributeError):
        stand_in.__path__  # not a package: the import system must not look inside it


@pytest.mark.slow
def test_the_memory_savers_leave_rasas_channels_importable() -> None:
    code = ("import os, sys; from bot.rasa_patches import main as rasa_main; rasa_main.install({'memory'}); "
            "import rasa.core.channels as c; import tensorflow; "
            "print(c.BUILTIN_CHANNELS['webexteams'].__name__, sys.modules['jax'], "
            "sys.modules['webexteamssdk'].__doc__.split()[0], os.environ['TF_ENABLE_ONEDNN_OPTS'])")
    env = {k: v for k, v in os.environ.items() if k != "TF_ENABLE_ONEDNN_OPTS"}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["WebexTeamsInput", "None", "Stand-in", "0"]


AFTER_LOAD = """
import asyncio, gc, sys, types
from bot.rasa_patches import main as rasa_main
rasa_main.install(["gc"])
import rasa.core.run
from rasa.core.utils import AvailableEndpoints
app = types.SimpleNamespace(ctx=types.SimpleNamespace())
before = gc.get_freeze_count()
loop = asyncio.new_event_loop()
agent = loop.run_until_complete(
    rasa.core.run.load_agent_on_start(sys.argv[1], AvailableEndpoints(), None, app, loop))
print(before, gc.get_freeze_count(), app.ctx.agent is agent, agent.is_ready())
"""


def test_rasas_own_model_loading_freezes_what_it_loaded(trained_model: Path) -> None:
    """The after-load step runs when Rasa's server loads the model (its own
    load_agent_on_start, as `rasa run` calls it), and freezes the loaded objects."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", AFTER_LOAD, str(trained_model)], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    before, after, same_agent, ready = result.stdout.split()[-4:]
    assert before == "0" and int(after) > 10000 and same_agent == "True" and ready == "True"
