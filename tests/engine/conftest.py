"""Shared fixtures of the answer engine's tests."""

from __future__ import annotations

from typing import Callable, List, Sequence, Tuple

import numpy as np
import pytest

from bot.engine.retrieval import Retriever

KeywordRetriever = Callable[[Sequence[str], Sequence[Tuple[str, str]], float], Retriever]


@pytest.fixture
def keyword_retriever() -> KeywordRetriever:
    """Builds a :class:`Retriever` over (key, text) examples whose vectors say which of ``words``
    a text holds, plus ``bias``: the nearest example is known without the sentence model."""

    def make(words: Sequence[str], examples: Sequence[Tuple[str, str]], bias: float) -> Retriever:
        def encode(texts: List[str]) -> np.ndarray:
            vectors = np.array([[1.0 if w in t.lower() else 0.0 for w in words] + [bias]
                                for t in texts])
            return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

        texts = [text for _, text in examples]
        return Retriever(encode(texts), [key for key, _ in examples], texts, encode)

    return make


URGENCY_WORDS = ("slumped", "pills", "wobbly", "sunny", "fell", "can't")


def keyword_encoder(texts: List[str]) -> np.ndarray:
    """Vectors that say which of :data:`URGENCY_WORDS` a text holds (plus a constant), of unit
    length: a stand-in for the sentence model in the urgency model's tests."""
    vectors = np.array([[1.0 if w in t.lower() else 0.0 for w in URGENCY_WORDS] + [0.3]
                        for t in texts], dtype=np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.fixture(scope="session")
def tiny_urgency_model():
    """An urgency model trained, as set-up trains it, on a handful of clauses and stories with
    :func:`keyword_encoder` instead of the sentence model."""
    from bot.engine.urgency_model import UrgencyModel
    from bot.engine.linear_models import Embeddings, TrainingSettings
    from bot.engine.urgency_training import Story, train

    references = {
        "urgent/emergency": ("he is slumped and will not wake", "she is slumped in her chair",
                             "slumped over the table and not answering"),
        "urgent/overdose": ("swallowed the pills", "took all the pills", "ate the pills"),
        "urgent/crisis": ("i want to end it all", "no point going on", "wrote my goodbye letters"),
        "calm": ("a bit wobbly after the gym", "a sunny day", "how long does it take to heal",
                 "the scan showed edema", "is it serious"),
    }
    stories = [Story("s1", "emergency", "the mri showed edema, now my dad is slumped and grey"),
               Story("s2", "calm", "a bit wobbly today, sunny walk, how long to heal"),
               Story("s3", "overdose", "my toddler got into the cupboard and ate the pills"),
               Story("s4", "calm", "is it serious, the scan showed edema in the knee")]
    embed = Embeddings(keyword_encoder)
    clause, message = train(references, stories, TrainingSettings(1.0, 1), embed)
    kept = [("emergency", "he is slumped and will not wake"), ("overdose", "swallowed the pills")]
    return UrgencyModel(clause, message, embed, tuple(kept), embed([t for _, t in kept]))


@pytest.fixture(name="keyword_encoder")
def keyword_encoder_fixture() -> Callable[[List[str]], np.ndarray]:
    """:func:`keyword_encoder`, for tests that embed without the sentence model."""
    return keyword_encoder
