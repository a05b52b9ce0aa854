"""The urgency model: how likely a message tells a warning sign going on now, learned from stories.

Two logistic regressions over the same two kinds of features, the sentence model's embedding
(all-MiniLM-L6-v2, the whole pretrained model, as for the example questions) and the TF-IDF of
word 1- to 3-grams (they see the small words an embedding blurs: "can't", "now", "no", "won't"):

- the **clause model** scores each clause of a message, and each clause joined to the next, as
  ``calm``, ``emergency``, ``crisis`` or ``overdose``. A warning sign is often one clause buried in a
  long story, so a message is as urgent as its most urgent clause told as going on;
- the **message model** scores the whole message, urgent or not, so that the story around that
  clause counts too ("... when I was nine", "what if ...", "the doctor said to keep off it").

Trained at `make setup` (``python -m bot.engine.urgency_training``) on the reviewed reference
clauses (``bot/content/urgent_examples.yml``) and stories (``bot/content/urgency_stories.yml``);
the weights, vocabularies and the reference clauses' vectors are saved in one ``.npz`` (no
pickles), with a fingerprint of the files they were learned from. Deterministic and offline.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Sequence, Tuple

import numpy as np

CLASSES = ("calm", "emergency", "crisis", "overdose")
NGRAMS = 3
TOKEN = re.compile(r"[a-z0-9']+")


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
    one row for a yes/no model (sigmoid)."""

    tfidf: Tfidf
    weights: np.ndarray  # classes × (384 + vocabulary)
    bias: np.ndarray

    def probabilities(self, vectors: np.ndarray, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, max(2, len(self.bias))), dtype=np.float32)
        dims = vectors.shape[1]
        logits = vectors @ self.weights[:, :dims].T + self.bias
        for row, (columns, values) in enumerate(self.tfidf.rows(texts)):
            logits[row] += self.weights[:, dims + columns] @ values
        if logits.shape[1] == 1:
            yes = 1.0 / (1.0 + np.exp(-logits[:, 0]))
            return np.stack([1.0 - yes, yes], axis=1)
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)

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
class UrgencyModel:
    """The clause and message models, the encoder that embeds texts for both, and the urgent
    reference clauses (texts, kinds and vectors) that explain a choice."""

    clause: Linear
    message: Linear
    encode: Callable[[List[str]], np.ndarray]
    references: Tuple[Tuple[str, str], ...] = ()  # (kind, clause)
    reference_vectors: np.ndarray = np.zeros((0, 384), dtype=np.float32)

    def clause_scores(self, clauses: Sequence[str]) -> Tuple[np.ndarray, np.ndarray]:
        """Per clause, the probabilities of :data:`CLASSES`; and the clauses' vectors."""
        vectors = self.encode(list(clauses)) if clauses else np.zeros((0, 384), np.float32)
        return self.clause.probabilities(vectors, clauses), vectors

    def message_score(self, text: str) -> float:
        """How likely the whole message is urgent."""
        return float(self.message.probabilities(self.encode([text]), [text])[0, 1])

    def nearest_reference(self, vector: np.ndarray, kind: str) -> str:
        """The urgent reference clause of ``kind`` nearest to a clause's vector (for the audit)."""
        rows = [i for i, (k, _) in enumerate(self.references) if k == kind]
        if not rows:
            return ""
        best = rows[int(np.argmax(self.reference_vectors[rows] @ vector))]
        return self.references[best][1]

    def save(self, path: Path, made_from: str) -> Path:
        np.savez(path, fingerprint=np.array(made_from),
                 reference_kinds=np.array([k for k, _ in self.references]),
                 reference_texts=np.array([t for _, t in self.references]),
                 reference_vectors=self.reference_vectors.astype(np.float32),
                 **self.clause.arrays("clause"), **self.message.arrays("message"))
        return path

    @classmethod
    def load(cls, path: Path, made_from: str,
             encode: Callable[[List[str]], np.ndarray]) -> "UrgencyModel":
        """The model set-up trained; an error that says how to rebuild it."""
        if not path.exists():
            raise RuntimeError(f"{path} is missing: run `make setup` (it trains the urgency model).")
        data = dict(np.load(path, allow_pickle=False))
        if str(data["fingerprint"]) != made_from:
            raise RuntimeError(f"{path} was trained on other stories or reference clauses: run "
                               "`make setup` to train it again.")
        references = tuple(zip((str(k) for k in data["reference_kinds"]),
                               (str(t) for t in data["reference_texts"])))
        return cls(Linear.from_arrays(data, "clause"), Linear.from_arrays(data, "message"), encode,
                   references, data["reference_vectors"])


def fingerprint(*learned_from: object) -> str:
    """A short digest of what a model was learned from (anything ``repr`` spells the same way
    each run: tuples, dicts, dataclasses)."""
    return hashlib.sha256(repr(learned_from).encode("utf-8")).hexdigest()[:16]
