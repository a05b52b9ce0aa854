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
