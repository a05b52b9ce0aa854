"""Which answer a question is nearest to, learned from reviewed example questions.

``bot/content/unit_examples.yml`` holds, for each answer unit and each topic's overview
(``topic/<topic>``), questions that this answer answers, written the way patients write. At set-up
(`make setup`, ``python -m bot.engine.retrieval``) the sentence model all-MiniLM-L6-v2 (the whole
pretrained model, 8-bit, not the copy tuned on intents) embeds every example into an index. At run
time a question's nearest examples name the answers it is most like, each with its score and the
example that chose it, so every choice can be explained to a clinician ("nearest to the reviewed
example 'does it hurt all the time'"). Deterministic and offline; :mod:`bot.engine.selection`
decides when a nearest answer is used.
"""

from __future__ import annotations

import hashlib
import sys
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import (TYPE_CHECKING, Callable, Dict, Iterator, List, Optional, Sequence, Tuple,
                    TypeVar)

import numpy as np

from bot.engine.knowledge import CONTENT_DIR, ContentError, KnowledgeBase, load_yaml

if TYPE_CHECKING:
    from bot.sentence_model.minilm_onnx import OnnxMiniLM

EXAMPLES_FILE = CONTENT_DIR / "unit_examples.yml"
BUILD_DIR = Path(__file__).resolve().parents[2] / "build" / "retrieval"
ENCODER_FILE = BUILD_DIR / "model-int8.onnx"
INDEX_FILE = BUILD_DIR / "index.npz"
TOPIC_KEY = "topic/"  # "topic/serious": the overview of the topic, in the patient's context
TOP = 5


@dataclass(frozen=True)
class Hit:
    """An answer a question is near: its key (a unit id or ``topic/<topic>``), the cosine
    similarity of the nearest example, and that example."""

    key: str
    score: float
    example: str


@dataclass(frozen=True)
class Settings:
    """When a nearest answer is used (``retrieval:`` of unit_examples.yml)."""

    threshold: float = 1.1  # never, unless the file says
    margin: float = 0.0
    adds: Tuple[str, ...] = ()
    declines: Tuple[str, ...] = ()  # added beside what the rules chose, when very near
    declines_threshold: float = 1.1

    def answer(self, hits: Sequence[Hit]) -> Optional[Hit]:
        """The answer these hits give a question, if any: the nearest, when it is one retrieval
        may add, near enough and clearly nearer than the next answer."""
        return self._nearest_of(hits, self.adds, self.threshold)

    def decline(self, hits: Sequence[Hit]) -> Optional[Hit]:
        """A part the rules answered with something else that the article does not cover ("any
        vitamins that help?", "is it normal to feel this low"): the nearest, when it is a decline
        and very near."""
        return self._nearest_of(hits, self.declines, self.declines_threshold)

    def _nearest_of(self, hits: Sequence[Hit], keys: Sequence[str],
                    threshold: float) -> Optional[Hit]:
        if not hits:
            return None
        best = hits[0]
        runner_up = hits[1].score if len(hits) > 1 else 0.0
        if best.key in keys and best.score >= threshold and best.score - runner_up >= self.margin:
            return best
        return None


@lru_cache(maxsize=None)
def load_settings(path: Path = EXAMPLES_FILE) -> Settings:
    """The ``retrieval:`` settings, checked."""
    with open(path, encoding="utf-8") as handle:
        raw = (load_yaml(handle) or {}).get("retrieval") or {}
    try:
        return Settings(float(raw["threshold"]), float(raw.get("margin", 0.0)),
                        tuple(raw.get("adds") or ()), tuple(raw.get("declines") or ()),
                        float(raw.get("declines_threshold", 1.1)))
    except (KeyError, TypeError, ValueError) as error:
        raise ContentError(f"{path}: retrieval: give `threshold` and `margin` (numbers from 0 to "
                           f"1) and the list `adds` ({error})")


def load_examples(path: Path = EXAMPLES_FILE) -> Dict[str, Tuple[str, ...]]:
    """The example questions by key, as written."""
    with open(path, encoding="utf-8") as handle:
        raw = load_yaml(handle)
    examples = (raw or {}).get("examples")
    if not isinstance(examples, dict) or not examples:
        raise ContentError(f"{path}: write `examples:`, a mapping of answer id to questions")
    bad = [k for k, v in examples.items() if not isinstance(v, list) or not v
           or not all(isinstance(q, str) and q.strip() for q in v)]
    if bad:
        raise ContentError(f"{path}: examples.{bad[0]}: write a list of questions (quoted if needed)")
    return {str(k): tuple(" ".join(q.split()) for q in v) for k, v in examples.items()}


def check_keys(examples: Dict[str, Tuple[str, ...]], kb: KnowledgeBase,
               replies: Sequence[str] = (), path: Path = EXAMPLES_FILE) -> None:
    """Every key names a unit, a reply of replies.yml or ``topic/<a topic>``."""
    known = set(kb.units) | set(replies) | {TOPIC_KEY + t for t in kb.topics}
    unknown = sorted(set(examples) - known)
    if unknown:
        raise ContentError(f"{path}: examples: unknown answer ids {unknown}; use a unit id of "
                           "answer_units.yml, a reply of replies.yml or topic/<topic>")


def fingerprint(path: Path = EXAMPLES_FILE) -> str:
    """What the index was built from: the example questions (not the settings beside them; the
    sentence model is pinned by hash)."""
    return hashlib.sha256(repr(sorted(load_examples(path).items())).encode("utf-8")).hexdigest()[:16]


class Retriever:
    """The index of example vectors and the encoder for new questions."""

    def __init__(self, vectors: np.ndarray, keys: Sequence[str], texts: Sequence[str],
                 encode: Callable[[List[str]], np.ndarray]) -> None:
        # grouped by answer, so each answer's best example is one reduction per question
        order = np.argsort(np.array(keys), kind="stable")
        self.vectors = np.ascontiguousarray(vectors[order])
        self.keys = [keys[i] for i in order]
        self.texts = [texts[i] for i in order]
        self.encode = encode
        self._starts = np.array([i for i, key in enumerate(self.keys)
                                 if i == 0 or self.keys[i - 1] != key])

    @classmethod
    def load(cls, folder: Path = BUILD_DIR, examples: Path = EXAMPLES_FILE,
             index_name: str = INDEX_FILE.name) -> "Retriever":
        """The index set-up built; an error that says how to rebuild it when it is missing or was
        built from other examples."""
        from bot.sentence_model.minilm_onnx import OnnxMiniLM

        index = folder / index_name
        if not index.exists():
            raise RuntimeError(f"{index} is missing: run `make setup` (it builds the index of "
                               f"{examples.name}).")
        data = np.load(index, allow_pickle=False)
        if str(data["fingerprint"]) != fingerprint(examples):
            raise RuntimeError(f"{index} was built from another {examples.name}: run `make setup` "
                               "to rebuild it.")
        encode = shared_encoder() if folder == BUILD_DIR else \
            OnnxMiniLM(folder / ENCODER_FILE.name).encode
        return cls(data["vectors"], [str(k) for k in data["keys"]],
                   [str(t) for t in data["texts"]], encode)

    def nearest(self, questions: Sequence[str], top: int = TOP) -> List[Tuple[Hit, ...]]:
        """For each question, the ``top`` nearest answers, best first, one hit per answer."""
        if not questions:
            return []
        scores = self.encode(list(questions)) @ self.vectors.T
        found = []
        for row in scores:
            best = np.maximum.reduceat(row, self._starts)  # each answer's nearest example
            found.append(tuple(self._hit(row, int(group)) for group in np.argsort(-best)[:top]))
        return found

    def _hit(self, row: np.ndarray, group: int) -> Hit:
        start = int(self._starts[group])
        end = int(self._starts[group + 1]) if group + 1 < len(self._starts) else len(self.keys)
        i = start + int(np.argmax(row[start:end]))
        return Hit(self.keys[i], round(float(row[i]), 4), self.texts[i])


class NearestByClause(Sequence[Tuple[Hit, ...]]):
    """The nearest answers of each clause, found only for the clauses selection asks about (one
    pass of the sentence model each): most questions are answered by the rules alone, and a
    message's other clauses cost nothing."""

    def __init__(self, retriever: Retriever, clauses: Sequence[str]) -> None:
        self._retriever, self._clauses = retriever, list(clauses)
        self._found: Dict[int, Tuple[Hit, ...]] = {}

    def __len__(self) -> int:
        return len(self._clauses)

    def __getitem__(self, position: int) -> Tuple[Hit, ...]:  # type: ignore[override]
        if not isinstance(position, int):
            raise TypeError("look up one clause at a time")
        if position not in self._found:
            self._found[position] = self._retriever.nearest([self._clauses[position]])[0]
        return self._found[position]

    @property
    def looked_up(self) -> int:
        """How many clauses were embedded."""
        return len(self._found)


_TURN: ContextVar[Optional[Dict[str, np.ndarray]]] = ContextVar("embedded_this_turn", default=None)


@contextmanager
def one_turn() -> Iterator[None]:
    """Within it, the shared encoder embeds each text once (the example questions' nearest and the
    urgency model often read the same clause); nothing is kept after the turn."""
    token = _TURN.set({})
    try:
        yield
    finally:
        _TURN.reset(token)


@lru_cache(maxsize=1)
def shared_encoder() -> Callable[[List[str]], np.ndarray]:
    """The set-up's sentence model, loaded once a process for the example questions and the
    urgency model, embedding each text once a turn (:func:`one_turn`)."""
    from bot.sentence_model.minilm_onnx import OnnxMiniLM

    model = OnnxMiniLM(BUILD_DIR / ENCODER_FILE.name)

    def encode(texts: List[str]) -> np.ndarray:
        seen = _TURN.get()
        if seen is None:
            return model.encode(texts)
        new = list(dict.fromkeys(t for t in texts if t not in seen))
        if new:
            seen.update(zip(new, model.encode(new)))
        return np.array([seen[t] for t in texts], dtype=np.float32).reshape(len(texts), -1)

    return encode


@lru_cache(maxsize=1)
def load_retriever() -> Retriever:
    """The set-up's retriever, loaded once per process (an error says how to build it)."""
    return Retriever.load()


Built = TypeVar("Built")


def if_built(index_name: str, load: Callable[[], Built]) -> Optional[Built]:
    """``load()`` when set-up has built the index ``index_name``, else ``None`` (the rules alone
    decide: the quick tests, which run without `make setup`). The servers check the indexes are
    there before they say they are ready (:mod:`bot.deploy.actions_server`)."""
    return load() if (BUILD_DIR / index_name).exists() else None


@lru_cache(maxsize=1)
def built_retriever() -> Optional[Retriever]:
    """The retriever of the example questions if set-up built it (looked for once a process,
    not at every message)."""
    return if_built(INDEX_FILE.name, load_retriever)


def build(folder: Path = BUILD_DIR, examples_path: Path = EXAMPLES_FILE) -> Path:
    """Export the pretrained sentence model (its own sentence embedding, the mean of the last
    layer) and embed every example question into ``folder`` (the urgency model,
    :mod:`bot.engine.urgency_training`, is trained next with the same sentence model)."""
    from bot.engine.replies import load_replies
    from bot.engine.knowledge import load_knowledge
    from bot.sentence_model.minilm import LAYERS
    from bot.sentence_model.minilm_onnx import OnnxMiniLM, export

    examples = load_examples(examples_path)
    check_keys(examples, load_knowledge(), list(load_replies().replies), examples_path)
    encoder_path = folder / ENCODER_FILE.name
    print(f"Exporting the sentence model for retrieval -> {encoder_path}", flush=True)
    export(encoder_path, pooled=(LAYERS,))
    index = embed(OnnxMiniLM(encoder_path), examples, folder / INDEX_FILE.name,
                  fingerprint(examples_path))
    print(f"Embedded {sum(map(len, examples.values()))} example questions of {len(examples)} "
          "answers", flush=True)
    return index


def embed(encoder: "OnnxMiniLM", examples: Dict[str, Tuple[str, ...]], index: Path,
          made_from: str) -> Path:
    """Embed ``examples`` (texts by key) into the index file ``index``."""
    keys = [k for k, qs in examples.items() for _ in qs]
    texts = [q for qs in examples.values() for q in qs]
    np.savez(index, vectors=encoder.encode(texts).astype(np.float32), keys=np.array(keys),
             texts=np.array(texts), fingerprint=np.array(made_from))
    return index


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    folder = Path(args[0]) if args else BUILD_DIR
    print(f"Wrote {build(folder)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
