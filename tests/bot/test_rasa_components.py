"""The NLU components on Rasa Message objects, with the built spaCy pipeline."""

from __future__ import annotations

from typing import Any, Dict, List

import numpy as np
import pytest
import scipy.sparse
from rasa.nlu.constants import SPACY_DOCS
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message

from bot.nlp.build import build_pipeline
from bot.rasa_components import (EntityIdNormalizer, NoKnownWordFallback, RedFlagGuard,
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


def test_the_sentence_embedding_is_one_scaled_sentence_feature_per_text() -> None:
    featurizer = SentenceEmbeddingFeaturizer(
        "embeddings", {**SentenceEmbeddingFeaturizer.get_default_config(), "weight": 10.0})
    texts = [Message(data={"text": "is it serious"}), Message(data={"text": "hi"})]
    empty = Message()
    featurizer.process([*texts, empty])
    for msg in texts:
        sequence, sentence = msg.get_dense_features("text")
        # Two pooled layers (bot.nlp.minilm.SENTENCE_LAYERS), each of unit length, times 10.
        assert sequence is None and sentence.features.shape == (1, 768)
        for half in (sentence.features[0, :384], sentence.features[0, 384:]):
            assert np.linalg.norm(half) == pytest.approx(10.0, rel=1e-4)
        assert [f.origin for f in msg.features] == ["embeddings"]
    assert not empty.features


@pytest.mark.parametrize("weight", [0, -1, "10", None])
def test_the_sentence_embedding_refuses_a_weight_that_is_not_a_positive_number(weight: Any) -> None:
    with pytest.raises(ValueError, match="weight must be a positive number"):
        SentenceEmbeddingFeaturizer(
            "embeddings", {**SentenceEmbeddingFeaturizer.get_default_config(), "weight": weight})


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
