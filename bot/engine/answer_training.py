"""Training the answer model (:mod:`bot.engine.answer_model`) at `make setup`.

``python -m bot.engine.answer_training`` learns from two reviewed sources:

- ``bot/content/unit_examples.yml``: example questions, each labelled with the one answer it asks
  for (a unit id, or ``topic/<topic>`` for a topic's overview);
- the development answer cases (``tests/data/eval/development/answers_*.yml``): the first message
  of each case, labelled with every answer its reply must hold (each of the alternatives of
  ``a|b``). Later turns are left out: what they ask depends on the turns before.

Never the held-out or check sets (a test guards it). scikit-learn's L-BFGS solver is deterministic:
the same files give the same weights.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from bot.engine.answer_model import MODEL_FILE, AnswerModel, load_settings
from bot.engine.linear_models import (Embeddings, Linear, TrainingSettings, fingerprint,
                                       fit_each_label)
from bot.engine.retrieval import TOPIC_KEY, load_examples
from bot.engine.knowledge import ContentError, KnowledgeBase, load_knowledge, load_yaml
from bot.engine.safety import normalise

DEVELOPMENT_DIR = Path(__file__).resolve().parents[2] / "tests" / "data" / "eval" / "development"


@dataclass(frozen=True)
class Labelled:
    """A message and the answer keys it asks for."""

    id: str
    text: str  # normalised
    keys: Tuple[str, ...]


def key_of(kb: KnowledgeBase, answer_id: str) -> Optional[str]:
    """The model's key for an answer id of a case (``serious/injury`` -> ``topic/serious``);
    ``None`` for what the model does not choose (a reply of replies.yml, an urgent message)."""
    if answer_id not in kb.units or answer_id.startswith("urgent/"):
        return None
    return TOPIC_KEY + kb.units[answer_id].topic if kb.is_overview(answer_id) else answer_id


def from_case(source: str, case: Dict[str, Any], kb: KnowledgeBase) -> Labelled:
    """The first message of an answer case, with the keys its reply must hold (``source``: the
    file's name, which makes the id unique)."""
    turns = case.get("turns") or []
    if not turns or not str(turns[0].get("text", "")).strip():
        raise ContentError(f"{source}: case {case.get('id')!r}: give `turns:` with a `text`")
    keys = [key_of(kb, a) for need in turns[0].get("must") or () for a in need.split("|")]
    return Labelled(f"{source}/{case['id']}", normalise(turns[0]["text"]),
                    tuple(dict.fromkeys(k for k in keys if k)))


def from_cases(paths: Sequence[Path], kb: KnowledgeBase) -> List[Labelled]:
    """The first message of each answer case in ``paths``, labelled (:func:`from_case`)."""
    found: List[Labelled] = []
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            raw = load_yaml(handle) or {}
        found += [from_case(path.stem, case, kb) for case in raw.get("cases") or []]
    return found


def from_examples(examples: Dict[str, Tuple[str, ...]]) -> List[Labelled]:
    return [Labelled(f"{key}#{n}", normalise(text), (key,))
            for key, texts in examples.items() for n, text in enumerate(texts)]


def case_files(folder: Path = DEVELOPMENT_DIR) -> List[Path]:
    return sorted(folder.glob("answers_*.yml"))


def training_set() -> List[Labelled]:
    """Everything the model learns from, examples first."""
    return from_examples(load_examples()) + from_cases(case_files(), load_knowledge())


def made_from() -> str:
    """The fingerprint of what the model learns from (not the thresholds beside the settings)."""
    return fingerprint(training_set(), load_settings().training)


def train(items: Sequence[Labelled], settings: TrainingSettings,
          embed: Embeddings) -> Tuple[Linear, Tuple[str, ...]]:
    """The one-vs-rest model and its keys (every key some item asks for)."""
    keys = tuple(sorted({k for item in items for k in item.keys}))
    column = {k: i for i, k in enumerate(keys)}
    labels = np.zeros((len(items), len(keys)), dtype=np.int64)
    for row, item in enumerate(items):
        labels[row, [column[k] for k in item.keys]] = 1
    texts = [item.text for item in items]
    return fit_each_label(texts, labels, embed(texts), settings), keys


def build(folder: Optional[Path] = None) -> Path:
    """Train on the reviewed examples and the development cases; save where the engine loads it."""
    from bot.engine.retrieval import BUILD_DIR, ENCODER_FILE
    from bot.sentence_model.minilm_onnx import OnnxMiniLM

    folder = folder or BUILD_DIR
    if not (folder / ENCODER_FILE.name).exists():
        raise RuntimeError("the sentence model is missing: run `python -m bot.engine.retrieval`")
    embed = Embeddings(OnnxMiniLM(folder / ENCODER_FILE.name).encode)
    items = training_set()
    print(f"Training the answer model on {len(items)} example questions and messages", flush=True)
    linear, keys = train(items, load_settings().training, embed)
    return AnswerModel(linear, keys, embed).save(folder / MODEL_FILE, made_from())


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    print(f"Wrote {build(Path(args[0]) if args else None)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
