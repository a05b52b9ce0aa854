"""Small linear models over a message's meaning and its words, shared by the urgency model and the
answer model.

Both learn logistic regressions over the same two kinds of features: the sentence model's
embedding (all-MiniLM-L6-v2, the whole pretrained model, 8-bit, as for the example questions) and
the TF-IDF of word 1- to 3-grams (they see the small words an embedding blurs: "can't", "now",
"no", "won't"). scikit-learn trains them at `make setup`; at run time only numpy is needed: the
weights and vocabularies are saved as arrays (no pickles).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Dict, List, Sequence, Tuple

import numpy as np

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

NGRAMS = 3
TOKEN = re.compile(r"[a-z0-9']+")
DIMENSIONS = 384  # of the sentence model's embedding


def ngrams(text: str, n: int = NGRAMS) -> List[str]:
    """The word 1- to ``n``-grams of a (normalised) text, as TF-IDF counts them."""
    words = TOKEN.findall(text.lower())
    return [" ".join(words[i:i + k]) for k in range(1, n + 1) for i in range(len(words) - k + 1)]


@dataclass(frozen=True)
class Tfidf:
    """A fixed vocabulary of n-grams with their inverse document frequencies; a text's vector is
    its sublinear term frequencies times the IDF, of unit length (as scikit-learn's
    ``TfidfVectorizer(sublinear_tf=True)``, which trains it)."""

    vocabulary: Dict[str, int]
    idf: np.ndarray

    def rows(self, texts: Sequence[str]) -> List[Tuple[np.ndarray, np.ndarray]]:
        """Each text's vector, sparse: the columns of its n-grams and their values."""
        found = []
        for text in texts:
            counts: Dict[int, int] = {}
            for gram in ngrams(text):
                column = self.vocabulary.get(gram)
                if column is not None:
                    counts[column] = counts.get(column, 0) + 1
            columns = np.fromiter(counts, dtype=np.int64, count=len(counts))
            values = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float32,
                                               count=len(counts)))) * self.idf[columns]
            norm = float(np.linalg.norm(values))
            found.append((columns, values / norm if norm else values))
        return found

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        """The vectors as one dense array (texts × vocabulary)."""
        out = np.zeros((len(texts), len(self.idf)), dtype=np.float32)
        for row, (columns, values) in enumerate(self.rows(texts)):
            out[row, columns] = values
        return out


@dataclass(frozen=True)
class Linear:
    """A logistic regression over [embedding, TF-IDF]: one row of weights per class (softmax), or
    one row for a yes/no model (sigmoid), or one row per label of a one-vs-rest model
    (:meth:`each_label`)."""

    tfidf: Tfidf
    weights: np.ndarray  # classes × (384 + vocabulary)
    bias: np.ndarray

    def logits(self, vectors: np.ndarray, texts: Sequence[str]) -> np.ndarray:
        dims = vectors.shape[1]
        logits = vectors @ self.weights[:, :dims].T + self.bias
        for row, (columns, values) in enumerate(self.tfidf.rows(texts)):
            logits[row] += self.weights[:, dims + columns] @ values
        return logits

    def probabilities(self, vectors: np.ndarray, texts: Sequence[str]) -> np.ndarray:
        """Per text, the probability of each class (two columns for a yes/no model)."""
        if not texts:
            return np.zeros((0, max(2, len(self.bias))), dtype=np.float32)
        logits = self.logits(vectors, texts)
        if logits.shape[1] == 1:
            yes = 1.0 / (1.0 + np.exp(-logits[:, 0]))
            return np.stack([1.0 - yes, yes], axis=1)
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)

    def each_label(self, vectors: np.ndarray, texts: Sequence[str]) -> np.ndarray:
        """Per text, the probability of each label on its own (one-vs-rest: they need not sum
        to one)."""
        if not texts:
            return np.zeros((0, len(self.bias)), dtype=np.float32)
        return 1.0 / (1.0 + np.exp(-self.logits(vectors, texts)))

    def arrays(self, prefix: str) -> Dict[str, np.ndarray]:
        grams = sorted(self.tfidf.vocabulary, key=self.tfidf.vocabulary.__getitem__)
        return {f"{prefix}_weights": self.weights.astype(np.float32),
                f"{prefix}_bias": self.bias.astype(np.float32),
                f"{prefix}_grams": np.array(grams), f"{prefix}_idf": self.tfidf.idf.astype(np.float32)}

    @classmethod
    def from_arrays(cls, data: Dict[str, np.ndarray], prefix: str) -> "Linear":
        grams = [str(g) for g in data[f"{prefix}_grams"]]
        return cls(Tfidf({g: i for i, g in enumerate(grams)}, data[f"{prefix}_idf"]),
                   data[f"{prefix}_weights"], data[f"{prefix}_bias"])


@dataclass(frozen=True)
class TrainingSettings:
    regularisation: float  # scikit-learn's C: smaller is simpler
    min_count: int  # an n-gram is in the vocabulary when this many texts hold it


def _features(texts: Sequence[str], vectors: np.ndarray, settings: TrainingSettings,
              vocabulary_texts: Sequence[str]) -> Tuple[Tfidf, "csr_matrix"]:
    from scipy.sparse import csr_matrix, hstack
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectoriser = TfidfVectorizer(ngram_range=(1, NGRAMS), min_df=settings.min_count,
                                 sublinear_tf=True, token_pattern=TOKEN.pattern, dtype=np.float32)
    vectoriser.fit(vocabulary_texts)
    tfidf = Tfidf({str(g): int(i) for g, i in vectoriser.vocabulary_.items()},
                  vectoriser.idf_.astype(np.float32))
    return tfidf, hstack([csr_matrix(vectors), vectoriser.transform(texts)]).tocsr()


def fit(texts: Sequence[str], labels: Sequence[int], vectors: np.ndarray,
        settings: TrainingSettings, vocabulary_texts: Sequence[str]) -> Linear:
    """One logistic regression over [embedding, TF-IDF] (sparse while training)."""
    from sklearn.linear_model import LogisticRegression

    tfidf, features = _features(texts, vectors, settings, vocabulary_texts)
    model = LogisticRegression(C=settings.regularisation, max_iter=5000, class_weight="balanced")
    model.fit(features, list(labels))
    return Linear(tfidf, model.coef_.astype(np.float32), model.intercept_.astype(np.float32))


def fit_each_label(texts: Sequence[str], labels: np.ndarray, vectors: np.ndarray,
                   settings: TrainingSettings) -> Linear:
    """One yes/no logistic regression per column of ``labels`` (texts × labels, 0 or 1), over the
    same features: a text may have several labels, or none."""
    from sklearn.linear_model import LogisticRegression

    tfidf, features = _features(texts, vectors, settings, texts)
    weights = np.zeros((labels.shape[1], features.shape[1]), dtype=np.float32)
    bias = np.full(labels.shape[1], -20.0, dtype=np.float32)  # a label never seen: never
    for column in range(labels.shape[1]):
        if 0 < labels[:, column].sum() < len(texts):
            model = LogisticRegression(C=settings.regularisation, max_iter=5000)
            model.fit(features, labels[:, column])
            weights[column], bias[column] = model.coef_[0], model.intercept_[0]
    return Linear(tfidf, weights, bias)


class Embeddings:
    """Each text embedded once, however many rounds or folds ask for it."""

    def __init__(self, encode: Callable[[List[str]], np.ndarray]) -> None:
        self._encode = encode
        self._known: Dict[str, np.ndarray] = {}

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        new = sorted({t for t in texts if t not in self._known})
        if new:
            self._known.update(zip(new, self._encode(new)))
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        return np.array([self._known[t] for t in texts], dtype=np.float32)


def fingerprint(*learned_from: object) -> str:
    """A short digest of what a model was learned from (anything ``repr`` spells the same way
    each run: tuples, dicts, dataclasses)."""
    return hashlib.sha256(repr(learned_from).encode("utf-8")).hexdigest()[:16]
