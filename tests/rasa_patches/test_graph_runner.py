"""The sequential graph runner gives what Rasa's dask runner gives, on the trained model."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

import pytest
from rasa.engine.exceptions import GraphRunError
from rasa.engine.loader import load_predict_graph_runner
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.core.channels.channel import UserMessage

from bot.rasa_patches.graph_runner import SequentialGraphRunner

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = Domain.load(str(ROOT / "domain.yml"))
TEXTS = ["is bone marrow edema serious?", "how long does it last", "my leg is numb and cold",
         "qwzx plorb vint", "/ask_duration"]


@pytest.fixture(scope="module")
def runners(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Any]:
    loaded = {}
    for cls in (DaskGraphRunner, SequentialGraphRunner):
        metadata, runner = load_predict_graph_runner(
            tmp_path_factory.mktemp(cls.__name__), trained_model, LocalModelStorage, cls)
        loaded[cls.__name__] = runner
    loaded["metadata"] = metadata
    return loaded


def tracker(text: str) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("p", [
        ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen"),
        UserUttered(text, {"name": "ask_duration", "confidence": 0.9})], DOMAIN.slots)


def parse(runner: Any, target: str, text: str) -> Dict[str, Any]:
    result = runner.run(inputs={"__message__": [UserMessage(text, message_id="m1")],
                                "__tracker__": tracker(text)}, targets=[target])
    return result[target][0].as_dict(only_output_properties=True)


@pytest.mark.parametrize("text", TEXTS)
def test_messages_are_understood_as_with_dask(runners: Dict[str, Any], text: str) -> None:
    target = runners["metadata"].nlu_target
    ours = parse(runners["SequentialGraphRunner"], target, text)
    assert ours == parse(runners["DaskGraphRunner"], target, text)
    assert ours["intent"]["name"]


def test_next_action_is_predicted_as_with_dask(runners: Dict[str, Any]) -> None:
    target = runners["metadata"].core_target

    def predict(runner: Any) -> List[Any]:
        prediction = runner.run(inputs={"__tracker__": tracker("how long")},
                                targets=[target])[target]
        return [prediction.policy_name, prediction.max_confidence, prediction.probabilities]

    assert predict(runners["SequentialGraphRunner"]) == predict(runners["DaskGraphRunner"])


def test_the_order_is_worked_out_once_per_targets(runners: Dict[str, Any]) -> None:
    ours = runners["SequentialGraphRunner"]
    target = runners["metadata"].nlu_target
    parse(ours, target, "hello")
    plans = dict(ours._plans)
    parse(ours, target, "bye")
    assert ours._plans == plans
    steps = [name for name, _ in ours.plan((target,), frozenset({"__message__", "__tracker__"}))]
    assert steps[-1] == target and len(steps) == len(set(steps))
    for position, (name, needs) in enumerate(
            ours.plan((target,), frozenset({"__message__", "__tracker__"}))):
        assert all(need in steps[:position] or need.startswith("__") for need in needs)


def test_an_input_named_like_a_node_is_refused_as_by_dask(runners: Dict[str, Any]) -> None:
    target = runners["metadata"].nlu_target
    for name in ("DaskGraphRunner", "SequentialGraphRunner"):
        with pytest.raises(GraphRunError, match="clashes"):
            runners[name].run(inputs={"__message__": target}, targets=[target])
