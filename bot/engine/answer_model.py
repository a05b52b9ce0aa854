"""The answer model: which answers a whole message asks for, learned from labelled messages.

The reading rules (:mod:`bot.engine.selection`) choose by structure and by the words they know;
real messages often ask in words no rule names ("will he be back for the season" is the return to
sport; "the pain is in my skin, not deep" is not bone marrow edema). This model reads the whole
message as a person would, by meaning and by its words: one yes/no logistic regression per answer
(:mod:`bot.engine.linear_models`), over the sentence model's embedding and word n-grams.

It learns, at `make setup` (``python -m bot.engine.answer_training``), from the reviewed example
questions of each answer (``bot/content/unit_examples.yml``) and from the development answer cases
(``tests/data/eval/development/``: whole messages and the answers a reply to each must hold). A
topic's overview is learned as ``topic/<topic>`` and given in the patient's context.

:func:`learned` adds to the rules' choice the answers the model is sure of that the rules
missed, never more than ``most_added``; each says why ("answer model 0.83"). It never removes what
the rules chose, and never speaks for urgency (that is :mod:`bot.engine.urgency`). Deterministic
and offline.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from bot.engine.linear_models import Linear, TrainingSettings
from bot.engine.reading import Reading
from bot.engine.retrieval import EXAMPLES_FILE, TOPIC_KEY
from bot.engine.scope import NOT_BME, keep_to_bme, tells_bme
from bot.engine.selection import BODY_PREFIX, CAUSE_PREFIX, MAX_UNITS, Selection
from bot.engine.knowledge import ContentError, KnowledgeBase, load_yaml
from bot.engine.safety import normalise

MODEL_FILE = "answers.npz"
Scores = Tuple[Tuple[str, float], ...]  # (answer key, probability), best first
ONE_OF_EACH = ("duration/", BODY_PREFIX)
OTHER_REGION = BODY_PREFIX + "other"  # "the article does not talk about that part of the body"  # the model adds none of these beside one already chosen


@dataclass(frozen=True)
class Settings:
    """When the model's answers are added (``model:`` of unit_examples.yml)."""

    training: TrainingSettings
    threshold: float  # an answer is added when the model gives it at least this
    most_added: int  # at most this many answers added to a reply
    min_words: int  # shorter messages (follow-ups: "and for arthritis?") are left to the rules
    # a message of several questions is also read question by question: an answer counts with
    # the best probability the whole message or any one of its questions gives it
    each_question: bool = False


@lru_cache(maxsize=None)
def load_settings(path: Path = EXAMPLES_FILE) -> Settings:
    """The ``model:`` settings, checked."""
    with open(path, encoding="utf-8") as handle:
        raw = (load_yaml(handle) or {}).get("model") or {}
    try:
        settings = Settings(TrainingSettings(float(raw["regularisation"]), int(raw["min_count"])),
                            float(raw["threshold"]), int(raw["most_added"]),
                            int(raw["min_words"]), bool(raw.get("each_question", False)))
    except (KeyError, TypeError, ValueError) as error:
        raise ContentError(f"{path}: model: give `regularisation` (a number above 0), `min_count`,"
                           f" `threshold` (0 to 1), `most_added` and `min_words` ({error})")
    if not 0 < settings.threshold <= 1 or settings.training.regularisation <= 0:
        raise ContentError(f"{path}: model: need 0 < threshold <= 1 and regularisation > 0")
    return settings


@dataclass(frozen=True)
class AnswerModel:
    """One yes/no model per answer key, and the encoder that embeds messages for it."""

    linear: Linear
    keys: Tuple[str, ...]
    encode: Callable[[List[str]], np.ndarray]

    def scores(self, text: str) -> Scores:
        """Every answer key with its probability for ``text`` (normalised), best first."""
        found = self.linear.each_label(self.encode([text]), [text])[0]
        order = np.argsort(-found, kind="stable")
        return tuple((self.keys[i], round(float(found[i]), 4)) for i in order)

    def save(self, path: Path, made_from: str) -> Path:
        np.savez(path, fingerprint=np.array(made_from), keys=np.array(self.keys),
                 **self.linear.arrays("answers"))
        return path

    @classmethod
    def load(cls, path: Path, made_from: str,
             encode: Callable[[List[str]], np.ndarray]) -> "AnswerModel":
        """The model set-up trained; an error that says how to rebuild it."""
        if not path.exists():
            raise RuntimeError(f"{path} is missing: run `make setup` (it trains the answer model).")
        data = dict(np.load(path, allow_pickle=False))
        if str(data["fingerprint"]) != made_from:
            raise RuntimeError(f"{path} was trained on other examples or cases: run `make setup` "
                               "to train it again.")
        return cls(Linear.from_arrays(data, "answers"), tuple(str(k) for k in data["keys"]),
                   encode)


# For the cross-validation (bench/answer_cv.py): scores from a model that never saw the message,
# and settings to try.
_TRYING: ContextVar[Optional[Tuple[Callable[[str], Scores], Settings]]] = \
    ContextVar("answer_model_trying", default=None)


@contextmanager
def trying(score: Callable[[str], Scores], settings: Settings) -> Iterator[None]:
    """Within this block, the engine asks ``score`` instead of the built model, with ``settings``
    instead of those of unit_examples.yml."""
    token = _TRYING.set((score, settings))
    try:
        yield
    finally:
        _TRYING.reset(token)


@lru_cache(maxsize=1)
def load_answer_model() -> AnswerModel:
    """The model set-up trained (an error says how to build it)."""
    from bot.engine.answer_training import made_from
    from bot.engine.retrieval import BUILD_DIR, shared_encoder

    return AnswerModel.load(BUILD_DIR / MODEL_FILE, made_from(), shared_encoder())


@lru_cache(maxsize=1)
def built_answer_model() -> Optional[AnswerModel]:
    """The model if set-up trained it (looked for once a process)."""
    from bot.engine.retrieval import if_built

    return if_built(MODEL_FILE, load_answer_model)


def scores_for(text: str) -> Scores:
    """The answer model's scores for a normalised message; none without a model."""
    trial = _TRYING.get()
    if trial is not None:
        return trial[0](text)
    model = built_answer_model()
    return model.scores(text) if model is not None else ()


def settings_in_use() -> Settings:
    trial = _TRYING.get()
    return trial[1] if trial is not None else load_settings()


def answer_of(kb: KnowledgeBase, key: str, context: str) -> Optional[str]:
    """The unit or overview a key names, in the patient's context."""
    if key.startswith(TOPIC_KEY):
        topic = key[len(TOPIC_KEY):]
        return kb.answer(topic, context).answer_id if topic in kb.topics else None
    return key if key in kb.units else None


def learned(units: Sequence[str], context: str, scores: Scores, kb: KnowledgeBase,
            settings: Settings, most: int) -> Tuple[List[str], Dict[str, str]]:
    """``units`` (the rules' choice) with the answers the model is sure of that the rules missed,
    and why each was added.

    An answer is added when the model gives it at least the threshold, best first, at most
    ``most_added`` of them and ``most`` units in all, after the rules' units (it never removes
    one). An overview is added only for a topic nothing chosen answers, and no second answer of
    how long or of a region (``ONE_OF_EACH``)."""
    chosen = list(units)
    why: Dict[str, str] = {}
    for key, probability in scores:
        if probability < settings.threshold or len(why) >= settings.most_added or \
                len(chosen) >= most:
            break
        answer = answer_of(kb, key, context)
        if answer is None or answer in chosen:
            continue
        if any(answer.startswith(one) and any(u.startswith(one) for u in chosen)
               for one in ONE_OF_EACH):
            continue  # one answer of how long (or of the patient's own time), one of the region
        topic = kb.units[answer].topic
        if key.startswith(TOPIC_KEY) and \
                any(u in kb.units and kb.units[u].topic == topic for u in chosen):
            continue  # that kind of question is answered already
        chosen.append(answer)
        why[answer] = f"{answer}: answer model {probability:.2f}"
    return chosen, why


def best_of(*found: Scores) -> Scores:
    """Each answer key with the best probability any of ``found`` gives it, best first."""
    best: Dict[str, float] = {}
    for scores in found:
        for key, probability in scores:
            best[key] = max(probability, best.get(key, 0.0))
    return tuple(sorted(best.items(), key=lambda item: -item[1]))


def complete(selection: Selection, reading: Reading, text: str, kb: KnowledgeBase) -> Selection:
    """The rules' selection for ``text`` with what the answer model adds (:func:`learned`);
    messages shorter than ``min_words`` are left to the rules."""
    settings = settings_in_use()
    if settings.threshold > 1 or len(text.split()) < settings.min_words:
        return selection
    scores = scores_for(normalise(text))
    if settings.each_question and len(reading.questions) > 1:
        scores = best_of(scores, *(scores_for(normalise(q.text)) for q in reading.questions))
    if tells_bme(reading):  # the edema was found: what else the story names is not what is asked
        scores = tuple(score for score in scores if score[0] != NOT_BME)
    if {s for c in reading.clauses for s in c.subjects} & set(kb.body_parts):
        # a region the article names (the sacrum is the spine): never "it does not name that part"
        scores = tuple(score for score in scores if score[0] != OTHER_REGION)
    kept = [u for u in selection.told if not u.startswith(CAUSE_PREFIX)]  # a cause gives way
    answers = [u for u in selection.units if u not in selection.told]
    units, why = learned(answers, selection.context, scores, kb, settings, MAX_UNITS - len(kept))
    if not why:
        return selection
    causes = [u for u in selection.told if u.startswith(CAUSE_PREFIX) and u not in units]
    units += causes[:max(MAX_UNITS - len(units) - len(kept), 0)] + \
        [u for u in kept if u not in units]
    units = keep_to_bme(kb, reading, units)
    reasons = {line.split(":", 1)[0]: line for line in selection.why}
    reasons.update(why)
    return replace(selection, units=tuple(units),
                   why=tuple(reasons.get(u, f"{u}: reading rules") for u in units))
