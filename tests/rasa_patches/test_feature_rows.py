"""sentence_rows builds the matrix Rasa's LogisticRegressionClassifier builds, in one step."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message

from bot.rasa_patches.feature_rows import sentence_rows

RASA_CREATE_X = LogisticRegressionClassifier.__dict__["_create_X"]  # before any speed-up
TEXTS = ["how long does it last", "hi", "is bone marrow edema serious for my knee",
         "qwzx plorb", "my mri report says bone marrow oedema in the medial femoral condyle"]


def featured(words: list, pieces: list, embedding: list) -> Message:
    """A message with two sparse sentence features, one dense one and a sequence feature."""
    message = Message(data={"text": "x"})
    message.add_features(Features(scipy.sparse.coo_matrix([words]), FEATURE_TYPE_SENTENCE,
                                  "text", "words"))
    message.add_features(Features(np.ones((2, 3)), FEATURE_TYPE_SEQUENCE, "text", "other"))
    message.add_features(Features(np.array([embedding], dtype=np.float32), FEATURE_TYPE_SENTENCE,
                                  "text", "embeddings"))
    message.add_features(Features(scipy.sparse.coo_matrix([pieces], dtype=np.int64),
                                  FEATURE_TYPE_SENTENCE, "text", "pieces"))
    return message


def assert_same(ours: scipy.sparse.csr_matrix, rasas: scipy.sparse.csr_matrix) -> None:
    assert ours.shape == rasas.shape and ours.dtype == rasas.dtype
    assert np.array_equal(ours.toarray(), rasas.toarray())


def test_columns_are_sparse_features_then_dense_ones_in_featurizer_order() -> None:
    messages = [featured([0, 2.0, 0], [1, 0], [0.5, 0.0, -1.5]),
                featured([1.0, 0, 0], [0, 3], [0.0, 0.25, 0.0])]
    rows = sentence_rows(messages)
    assert_same(rows, RASA_CREATE_X(None, messages))
    assert rows.toarray()[0].tolist() == [0, 2, 0, 1, 0, 0.5, 0, -1.5]


def test_messages_with_different_feature_widths_are_refused() -> None:
    with pytest.raises(ValueError, match="different numbers of feature columns"):
        sentence_rows([featured([0, 1], [1], [1.0]), featured([0, 1, 1], [1], [1.0])])


@pytest.mark.slow
def test_the_trained_models_rows_are_rasas(trained_model: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    from rasa.core.agent import Agent

    built = []

    def both(self: LogisticRegressionClassifier, messages: list) -> scipy.sparse.csr_matrix:
        built.append((sentence_rows(messages), RASA_CREATE_X(self, messages)))
        return built[-1][1]

    monkeypatch.setattr(LogisticRegressionClassifier, "_create_X", both)
    agent = Agent.load(str(trained_model))
    for text in TEXTS:
        asyncio.run(agent.parse_message(text))
    assert len(built) == len(TEXTS)
    for ours, rasas in built:
        assert_same(ours, rasas)
