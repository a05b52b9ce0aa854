"""The urgency model: how likely a message tells a warning sign going on now, learned from stories.

Two logistic regressions (:mod:`bot.engine.linear_models`) over the sentence model's embedding
and the TF-IDF of word 1- to 3-grams:

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

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, List, Sequence, Tuple

import numpy as np

from bot.engine.linear_models import DIMENSIONS, Linear

CLASSES = ("calm", "emergency", "crisis", "overdose")


@dataclass(frozen=True)
class UrgencyModel:
    """The clause and message models, the encoder that embeds texts for both, and the urgent
    reference clauses (texts, kinds and vectors) that explain a choice."""

    clause: Linear
    message: Linear
    encode: Callable[[List[str]], np.ndarray]
    references: Tuple[Tuple[str, str], ...] = ()  # (kind, clause)
    reference_vectors: np.ndarray = np.zeros((0, DIMENSIONS), dtype=np.float32)

    def clause_scores(self, clauses: Sequence[str]) -> Tuple[np.ndarray, np.ndarray]:
        """Per clause, the probabilities of :data:`CLASSES`; and the clauses' vectors."""
        vectors = self.encode(list(clauses)) if clauses else np.zeros((0, DIMENSIONS), np.float32)
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
