"""The urgency model's parts (bot.engine.urgency_model): features, probabilities, saving."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from bot.engine.linear_models import NGRAMS, TOKEN, Tfidf, fingerprint, ngrams
from bot.engine.urgency_model import UrgencyModel

from typing import Callable, List

Encode = Callable[[List[str]], np.ndarray]

TEXTS = ["he can't stand up now", "she can't stand, she can't walk", "no fever at all",
         "can't stand the waiting", "now he is fine"]


def test_ngrams_are_words_pairs_and_triples() -> None:
    assert ngrams("He can't stand!") == ["he", "can't", "stand", "he can't", "can't stand",
                                         "he can't stand"]


def test_the_tfidf_vectors_are_scikit_learns() -> None:
    trained = TfidfVectorizer(ngram_range=(1, NGRAMS), sublinear_tf=True,
                              token_pattern=TOKEN.pattern).fit(TEXTS)
    ours = Tfidf({str(g): int(i) for g, i in trained.vocabulary_.items()}, trained.idf_)
    new = ["he can't stand, can't walk", "a text of unknown words"]
    assert np.allclose(ours.transform(new), trained.transform(new).toarray(), atol=1e-6)
    assert not ours.transform(["unknown words only"]).any()


def test_a_saved_model_loads_the_same(tiny_urgency_model: UrgencyModel, tmp_path: Path,
                                     keyword_encoder: Encode) -> None:
    path = tiny_urgency_model.save(tmp_path / "urgency.npz", "abc")
    loaded = UrgencyModel.load(path, "abc", keyword_encoder)
    text = "my dad is slumped and grey"
    before, _ = tiny_urgency_model.clause_scores([text])
    after, vectors = loaded.clause_scores([text])
    assert np.allclose(before, after) and np.isclose(before.sum(), 1.0)
    assert loaded.message_score(text) == pytest.approx(tiny_urgency_model.message_score(text))
    assert loaded.nearest_reference(vectors[0], "emergency") == "he is slumped and will not wake"
    assert loaded.nearest_reference(vectors[0], "crisis") == ""


def test_a_model_from_other_data_or_none_says_how_to_rebuild(
        tiny_urgency_model: UrgencyModel, tmp_path: Path, keyword_encoder: Encode) -> None:
    path = tiny_urgency_model.save(tmp_path / "urgency.npz", "abc")
    with pytest.raises(RuntimeError, match="run `make setup`"):
        UrgencyModel.load(path, "other", keyword_encoder)
    with pytest.raises(RuntimeError, match="is missing: run `make setup`"):
        UrgencyModel.load(tmp_path / "none.npz", "abc", keyword_encoder)


def test_the_fingerprint_follows_the_data() -> None:
    assert fingerprint(("a", 1)) == fingerprint(("a", 1)) != fingerprint(("a", 2))
