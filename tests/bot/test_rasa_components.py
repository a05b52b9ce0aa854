"""The NLU components on Rasa Message objects, with the built spaCy pipeline."""

from __future__ import annotations

from typing import Any, Dict, List

import numpy as np
import pytest
from rasa.nlu.constants import SPACY_DOCS
from rasa.shared.nlu.training_data.message import Message

from bot.nlp.build import build_pipeline
from bot.rasa_components import EntityIdNormalizer, RedFlagGuard, SentenceEmbeddingFeaturizer

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


def test_the_sentence_embedding_is_one_scaled_sentence_feature_per_text() -> None:
    featurizer = SentenceEmbeddingFeaturizer(
        "embeddings", {**SentenceEmbeddingFeaturizer.get_default_config(), "weight": 10.0})
    texts, empty = [Message(data={"text": "is it serious"}), Message(data={"text": "hi"})], Message()
    featurizer.process([*texts, empty])
    for msg in texts:
        sequence, sentence = msg.get_dense_features("text")
        assert sequence is None and sentence.features.shape == (1, 384)
        assert np.linalg.norm(sentence.features) == pytest.approx(10.0, rel=1e-4)
        assert [f.origin for f in msg.features] == ["embeddings"]
    assert not empty.features


@pytest.mark.parametrize("layers", [-1, 7, None])
def test_the_sentence_embedding_refuses_a_layer_count_the_model_lacks(layers: Any) -> None:
    with pytest.raises(ValueError, match="layers must be 0 to 6"):
        SentenceEmbeddingFeaturizer("embeddings", {**SentenceEmbeddingFeaturizer.get_default_config(),
                                                   "layers": layers})
