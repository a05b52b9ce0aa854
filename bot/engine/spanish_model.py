"""The Spanish reading model: which answers, or which conversational reply, a Spanish question asks.

Rasa 3.6 holds one language per NLU pipeline and no Spanish spaCy model can be installed here, so
Spanish messages are read beside the English pipeline, by the engine (``docs/decisions.md``): one
yes/no logistic regression per answer (:mod:`bot.engine.linear_models`, as the English answer
model) over the sentence model's embedding of the folded message and the TF-IDF of its word stems
(the first five letters: "rodillas" and "rodilla" are one) and the four-letter pieces of its longer
words (typos, missing accents). On the example questions alone (5-fold, a single answer each),
stems and pieces found 746 of 1125, stems alone 704, plain words without the embedding 561
(docs/developers/tuning-archive.md, Spanish).

It learns at `make setup` (``python -m bot.engine.spanish_model``) from the reviewed Spanish
example questions of ``bot/content/es/unit_examples.yml`` (``examples:``, a unit id or
``topic/<topic>``; ``replies:``, a reply of replies.yml by name, as ``reply/<name>``) and from the
first message of each Spanish development case (``tests/data/eval/development/es/``), labelled
with every answer its reply must hold. Never the held-out or check sets. Deterministic and
offline; at run time only numpy.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, List, Optional, Sequence, Tuple

import numpy as np

from bot.engine.knowledge import CONTENT_DIR, ContentError, KnowledgeBase, load_knowledge, load_yaml
from bot.engine.language import fold
from bot.engine.linear_models import Embeddings, Linear, TrainingSettings, fingerprint, fit_each_label

EXAMPLES_FILE = CONTENT_DIR / "es" / "unit_examples.yml"
DEVELOPMENT_DIR = Path(__file__).resolve().parents[2] / "tests" / "data" / "eval" / "development" / "es"
TOPIC_KEY = "topic/"
MODEL_FILE = "spanish.npz"
REPLY_KEY = "reply/"  # "reply/greet": the reply of replies.yml named greet
SETTINGS = TrainingSettings(regularisation=30.0, min_count=1)
STEM = 5
PIECE = 4
_WORD = re.compile(r"[a-z0-9']+")
Scores = Tuple[Tuple[str, float], ...]  # (key, probability), best first


def features_text(text: str) -> str:
    """What the TF-IDF reads of a message: its word stems, then the pieces of its longer words."""
    found = _WORD.findall(fold(text))
    pieces = [f"x{w[i:i + PIECE]}" for w in found if len(w) > STEM
              for i in range(len(w) - PIECE + 1)]
    return " ".join([w[:STEM] for w in found] + pieces)


@lru_cache(maxsize=None)
def load_examples(path: Path = EXAMPLES_FILE) -> Tuple[Tuple[str, str], ...]:
    """(text, key) for every Spanish example question and reply example."""
    with open(path, encoding="utf-8") as handle:
        raw = load_yaml(handle) or {}
    examples, replies = raw.get("examples") or {}, raw.get("replies") or {}
    if not examples or not replies:
        raise ContentError(f"{path}: give `examples:` (answer id or topic/<topic> -> questions) "
                           "and `replies:` (reply name -> messages)")
    found = [(str(t), str(k)) for k, texts in examples.items() for t in texts or ()]
    found += [(str(t), REPLY_KEY + str(k)) for k, texts in replies.items() for t in texts or ()]
    return tuple(found)


Labelled = Tuple[str, Tuple[str, ...]]  # a message and the keys it asks for


def key_of(kb: KnowledgeBase, answer_id: str) -> Optional[str]:
    """The model's key for an id a case's reply must hold: ``topic/<topic>`` for an overview, the
    unit id, ``reply/<name>`` for a reply of replies.yml; ``None`` for an urgent message."""
    if answer_id.startswith("urgent/") or answer_id == "fallback":
        return None
    if answer_id in kb.units:
        return TOPIC_KEY + kb.units[answer_id].topic if kb.is_overview(answer_id) else answer_id
    return REPLY_KEY + answer_id


def development_cases(folder: Path = DEVELOPMENT_DIR) -> Tuple[Labelled, ...]:
    """The first message of each Spanish development case with every key its reply must hold."""
    kb = load_knowledge()
    found: List[Labelled] = []
    for path in sorted(folder.glob("answers_*.yml")):
        with open(path, encoding="utf-8") as handle:
            cases = (load_yaml(handle) or {}).get("cases") or []
        for case in cases:
            first = case["turns"][0]
            keys = [key_of(kb, a) for need in first.get("must") or () for a in need.split("|")]
            found.append((str(first["text"]), tuple(dict.fromkeys(k for k in keys if k))))
    return tuple(found)


def training_set() -> Tuple[Labelled, ...]:
    return tuple((text, (key,)) for text, key in load_examples()) + development_cases()


def made_from() -> str:
    return fingerprint(training_set(), SETTINGS, STEM, PIECE)


@dataclass(frozen=True)
class SpanishModel:
    linear: Linear
    keys: Tuple[str, ...]
    encode: Callable[[List[str]], np.ndarray]

    def scores(self, texts: Sequence[str]) -> List[Scores]:
        """For each text, every key with its probability (each on its own), best first."""
        if not texts:
            return []
        features = [features_text(t) for t in texts]
        found = self.linear.each_label(self.encode([fold(t) for t in texts]), features)
        known = [len(columns) > 0 for columns, _ in self.linear.tfidf.rows(features)]
        # a text with no word the examples hold ("xyz") is read as nothing, not as its nearest
        return [tuple((self.keys[i], round(float(row[i]), 4)) for i in np.argsort(-row, kind="stable"))
                if ok else () for row, ok in zip(found, known)]

    def save(self, path: Path) -> Path:
        np.savez(path, fingerprint=np.array(made_from()), keys=np.array(self.keys),
                 **self.linear.arrays("spanish"))
        return path

    @classmethod
    def load(cls, path: Path, encode: Callable[[List[str]], np.ndarray]) -> "SpanishModel":
        if not path.exists():
            raise RuntimeError(f"{path} is missing: run `make setup` (it trains the Spanish model).")
        data = dict(np.load(path, allow_pickle=False))
        if str(data["fingerprint"]) != made_from():
            raise RuntimeError(f"{path} was trained on other Spanish examples: run `make setup`.")
        return cls(Linear.from_arrays(data, "spanish"), tuple(str(k) for k in data["keys"]), encode)


def train(encode: Callable[[List[str]], np.ndarray],
          items: Optional[Sequence[Labelled]] = None) -> SpanishModel:
    """The one-vs-rest model over ``items`` (default: :func:`training_set`)."""
    items = training_set() if items is None else items
    keys = tuple(sorted({key for _, found in items for key in found}))
    column = {k: i for i, k in enumerate(keys)}
    labels = np.zeros((len(items), len(keys)), dtype=np.int64)
    for row, (_, found) in enumerate(items):
        labels[row, [column[k] for k in found]] = 1
    texts = [features_text(t) for t, _ in items]
    vectors = encode([fold(t) for t, _ in items])
    return SpanishModel(fit_each_label(texts, labels, vectors, SETTINGS), keys, encode)


@lru_cache(maxsize=1)
def built_spanish_model() -> Optional[SpanishModel]:
    """The model set-up trained, or ``None`` before set-up (the quick tests)."""
    from bot.engine.retrieval import BUILD_DIR, if_built, shared_encoder

    return if_built(MODEL_FILE, lambda: SpanishModel.load(BUILD_DIR / MODEL_FILE, shared_encoder()))


def main(argv: Optional[Sequence[str]] = None) -> int:
    from bot.engine.retrieval import BUILD_DIR, ENCODER_FILE
    from bot.sentence_model.minilm_onnx import OnnxMiniLM

    args = list(sys.argv[1:] if argv is None else argv)
    folder = Path(args[0]) if args else BUILD_DIR
    if not (folder / ENCODER_FILE.name).exists():
        raise RuntimeError("the sentence model is missing: run `python -m bot.engine.retrieval`")
    print(f"Training the Spanish model on {len(training_set())} examples and messages", flush=True)
    model = train(Embeddings(OnnxMiniLM(folder / ENCODER_FILE.name).encode))
    print(f"Wrote {model.save(folder / MODEL_FILE)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
