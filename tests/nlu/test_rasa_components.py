"""The NLU components on Rasa Message objects, with the built spaCy pipeline."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

import numpy as np
import pytest
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.constants import SPACY_DOCS
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.build import build_pipeline
from bot.sentence_model.minilm import MiniLM
from bot.nlu.components import (EntityIdNormalizer, NoKnownWordFallback, RedFlagGuard,
                                 SentenceEmbeddingFeaturizer)

NLP = build_pipeline()


def message(text: str, intent: str = "ask_treatment", confidence: float = 0.9,
            entities: List[Dict[str, Any]] = ()) -> Message:  # type: ignore[assignment]
    msg = Message(data={"text": text})
    msg.set("intent", {"name": intent, "confidence": confidence})
    msg.set("intent_ranking", [{"name": intent, "confidence": confidence},
                               {"name": "emergency", "confidence": 0.01}])
    msg.set("entities", list(entities))
    msg.set(SPACY_DOCS["text"], NLP(text))
    return msg


@pytest.mark.parametrize("intent, confidence", [
    ("ask_treatment", 0.99),   # a confident wrong topic
    ("nlu_fallback", 0.4),     # the fallback classifier was unsure
    ("greet", 0.7),
])
def test_red_flag_overrides_whatever_was_predicted(intent: str, confidence: float) -> None:
    [msg] = RedFlagGuard().process([message("I fell and can't stand up", intent, confidence)])
    assert msg.get("intent") == {"name": "emergency", "confidence": 1.0}
    assert msg.get("intent_ranking")[0]["name"] == "emergency"
    assert [r["name"] for r in msg.get("intent_ranking")].count("emergency") == 1
    flag = [e for e in msg.get("entities") if e["entity"] == "red_flag"]
    assert flag and flag[0]["value"] == "emergency" and flag[0]["rule"] == "fall_cannot_bear_weight"
    assert "intent" in msg.as_dict(only_output_properties=True)


def test_ordinary_message_is_left_alone() -> None:
    [msg] = RedFlagGuard().process([message("how long does it last?", "ask_duration", 0.8)])
    assert msg.get("intent") == {"name": "ask_duration", "confidence": 0.8}
    assert msg.get("entities") == []


def test_entity_values_become_pattern_ids() -> None:
    text = "my Knees and a torn ACL"
    spacy_entities = [
        {"entity": "BODY_PART", "value": "Knees", "start": 3, "end": 8},
        {"entity": "CAUSE", "value": "torn ACL", "start": 15, "end": 23},
        {"entity": "OTHER", "value": "x", "start": 0, "end": 2},  # not from the ruler: unchanged
    ]
    [msg] = EntityIdNormalizer().process([message(text, entities=spacy_entities)])
    assert [e["value"] for e in msg.get("entities")] == ["knee", "acl_tear", "x"]


def featurizer(tmp_path: Path, constructor: str = "create",
               **config: Any) -> SentenceEmbeddingFeaturizer:
    """The featurizer as Rasa's graph makes it: before training, or loaded from its storage."""
    return getattr(SentenceEmbeddingFeaturizer, constructor)(
        {**SentenceEmbeddingFeaturizer.get_default_config(), "weight": 10.0, **config},
        LocalModelStorage(tmp_path), Resource("embeddings"),
        ExecutionContext(GraphSchema({}), node_name="embeddings"))


def sentence_vectors(component: SentenceEmbeddingFeaturizer, texts: List[str]) -> np.ndarray:
    messages = component.process([Message(data={"text": text}) for text in texts])
    return np.vstack([m.get_dense_features("text")[1].features for m in messages])


EXAMPLES = {"ask_duration": ["how long does it last", "when will it go away",
                             "how many months until it heals"],
            "ask_serious": ["is it serious", "should i be worried", "is it dangerous"]}


def trained(tmp_path: Path, epochs: int) -> SentenceEmbeddingFeaturizer:
    """Trained on six examples (and a story's text, which has no intent), then loaded."""
    data = TrainingData([Message(data={"text": text, "intent": intent})
                         for intent, texts in EXAMPLES.items() for text in texts]
                        + [Message(data={"text": "a story's text"})])
    tmp_path.mkdir(parents=True, exist_ok=True)
    featurizer(tmp_path, fine_tune={"epochs": epochs}).train(data)
    return featurizer(tmp_path, "load", fine_tune={"epochs": epochs})


@pytest.mark.slow  # the exported sentence model (make setup)
def test_the_sentence_embedding_is_one_scaled_sentence_feature_per_text(tmp_path: Path) -> None:
    texts = [Message(data={"text": "is it serious"}), Message(data={"text": "hi"})]
    empty = Message()
    trained(tmp_path, epochs=1).process([*texts, empty])
    for msg in texts:
        sequence, sentence = msg.get_dense_features("text")
        # Two pooled layers (bot.sentence_model.minilm.SENTENCE_LAYERS), each of unit length, times 10.
        assert sequence is None and sentence.features.shape == (1, 768)
        for half in (sentence.features[0, :384], sentence.features[0, 384:]):
            assert np.linalg.norm(half) == pytest.approx(10.0, rel=1e-4)
        assert [f.origin for f in msg.features] == ["embeddings"]
    assert not empty.features


@pytest.mark.slow  # the exported sentence model (make setup)
def test_training_tunes_the_top_layers_into_the_graph_the_loaded_model_runs(
        tmp_path: Path) -> None:
    probe = ["how long will this take to heal", "is this something bad", "hi"]
    pretrained = sentence_vectors(trained(tmp_path / "0", epochs=0), probe) / 10
    # No training step: the model's own sentence vectors (8-bit, so close, not equal).
    reference = MiniLM.load().encode(probe)
    assert ((pretrained[:, :384] * reference[:, :384]).sum(axis=1) > 0.97).all()
    tuned = sentence_vectors(trained(tmp_path / "3", epochs=3), probe) / 10
    # The top layers moved, so the last layer's half changed; the third layer's did not.
    assert ((tuned[:, :384] * pretrained[:, :384]).sum(axis=1) < 0.99).any()
    assert np.allclose(tuned[:, 384:], pretrained[:, 384:], atol=0.02)


def test_an_untrained_sentence_embedding_says_to_train(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="make setup"):
        featurizer(tmp_path).process([Message(data={"text": "hi"})])


@pytest.mark.parametrize("config, error", [
    ({"weight": 0}, "weight must be a positive number"),
    ({"weight": -1}, "weight must be a positive number"),
    ({"weight": "10"}, "weight must be a positive number"),
    ({"weight": None}, "weight must be a positive number"),
    ({"fine_tune": {"epoch": 3}}, "fine_tune has no setting epoch; known: batch_size, epochs"),
])
def test_the_sentence_embedding_refuses_a_bad_setting(tmp_path: Path, config: Dict[str, Any],
                                                       error: str) -> None:
    with pytest.raises(ValueError, match=error):
        featurizer(tmp_path, **config)


def test_the_training_cache_key_changes_with_the_starting_graph(tmp_path: Path) -> None:
    graph = tmp_path / "model-int8.onnx"
    graph.write_bytes(b"one graph")
    first = SentenceEmbeddingFeaturizer.fingerprint_addon({"model": str(graph)})
    assert SentenceEmbeddingFeaturizer.fingerprint_addon({"model": str(graph)}) == first
    graph.write_bytes(b"another graph")
    assert SentenceEmbeddingFeaturizer.fingerprint_addon({"model": str(graph)}) != first


def test_retraining_from_the_cache_can_fingerprint_a_restored_featurizer() -> None:
    """A retraining that restores the trained featurizer from Rasa's cache runs a
    PrecomputedValueProvider in its place; Rasa's cache hook fingerprints that node with our class
    and the provider's config, which has no ``model`` (this failed with KeyError: 'model')."""
    from rasa.engine.graph import SchemaNode
    from rasa.engine.training.hooks import TrainingHook

    node = "train_bot.rasa_components.SentenceEmbeddingFeaturizer4"
    schema = GraphSchema({node: SchemaNode(needs={}, uses=SentenceEmbeddingFeaturizer,
                                           constructor_name="create", fn="train", config={})})
    hook = TrainingHook(cache=None, model_storage=None, pruned_schema=schema)  # type: ignore
    out = hook.on_before_node(node, ExecutionContext(schema, "model"),
                              {"output": Resource(node)}, {})
    assert isinstance(out["fingerprint_key"], str) and out["fingerprint_key"]


def counted(text: str, known_words: int, intent: str, confidence: float) -> Message:
    """A message as the word-count featurizer (alias ``words``) and a classifier left it."""
    msg = message(text, intent, confidence)
    counts = scipy.sparse.coo_matrix(np.full((1, 5), 1.0 if known_words else 0.0))
    msg.add_features(Features(counts, FEATURE_TYPE_SENTENCE, "text", "words"))
    return msg


@pytest.mark.parametrize("known_words, intent, confidence, expected", [
    (0, "goodbye", 0.41, "nlu_fallback"),   # "qwzx plorb vint": nothing known, a weak guess
    (0, "affirm", 0.86, "nlu_fallback"),    # "?": still below the bar for unknown words
    (0, "greet", 0.99, "greet"),            # "heyy": a sure guess stands
    (0, "emergency", 0.5, "emergency"),     # "numbness": never talked out of an emergency
    (2, "goodbye", 0.41, "goodbye"),        # known words: the fallback classifier's business
])
def test_a_message_with_no_known_word_gets_did_you_mean_unless_the_guess_is_sure(
        known_words: int, intent: str, confidence: float, expected: str) -> None:
    guessed = counted("x", known_words, intent, confidence)
    [msg] = NoKnownWordFallback("words", 0.9).process([guessed])
    assert msg.get("intent")["name"] == expected
    ranking = [r["name"] for r in msg.get("intent_ranking")]
    assert ranking[0] == expected and intent in ranking and ranking.count("nlu_fallback") <= 1


def test_no_known_word_fallback_needs_the_word_featurizer_named() -> None:
    with pytest.raises(ValueError, match="alias of the word CountVectorsFeaturizer"):
        NoKnownWordFallback.create({}, None, None, None)  # type: ignore[arg-type]
