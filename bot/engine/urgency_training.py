"""Training the urgency model (:mod:`bot.engine.urgency_model`) at `make setup`.

``python -m bot.engine.urgency_training`` learns from:

- ``bot/content/urgent_examples.yml``: clauses, each labelled ``emergency``, ``crisis``,
  ``overdose`` or calm;
- ``bot/content/urgency_stories.yml``: whole messages, each labelled with its urgent message or
  ``"no"``;
- the example questions of the answers and the messages of the development answer cases, calm
  unless a case says its reply must be urgent (:func:`everyday_messages`).

Every clause of a calm story is a calm example (so the clause model learns the near misses: told as
past, negated, hypothetical, figurative). An urgent story says only that *some* clause is urgent,
not which: a few rounds of multiple-instance learning take, in each urgent story, the clause the
model so far finds most urgent of the story's kind, and train again. The message model learns from
the whole stories. scikit-learn's L-BFGS solver is deterministic: the same files give the same
weights.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from bot.engine.linear_models import Embeddings, Linear, TrainingSettings, fit
from bot.engine.urgency_model import CLASSES, UrgencyModel
from bot.engine.urgency import STORIES_FILE
from bot.engine.knowledge import ContentError, load_yaml
from bot.engine.urgency import URGENT_FILE, load_urgent_examples, made_from, MODEL_FILE, units
from bot.engine.safety import normalise

ROUNDS = 3  # multiple-instance rounds: the urgent clause of each story is chosen again each round
NOT_URGENT = "no"


@dataclass(frozen=True)
class Story:
    id: str
    kind: str  # one of CLASSES ("calm" for a story labelled "no")
    text: str


def load_stories(path: Path = STORIES_FILE) -> List[Story]:
    """The labelled stories, checked (an error names the story and says how to fix it)."""
    with open(path, encoding="utf-8") as handle:
        raw = load_yaml(handle) or {}
    stories, seen = [], set()
    for item in raw.get("stories") or []:
        label = str(item.get("urgent", ""))
        kind = "calm" if label == NOT_URGENT else label
        if kind not in CLASSES or not str(item.get("text", "")).strip() or item.get("id") in seen:
            raise ContentError(f"{path}: story {item.get('id')!r}: give a new `id`, `urgent:` one "
                               f"of {list(CLASSES[1:])} or \"{NOT_URGENT}\", and the `text`")
        seen.add(item["id"])
        stories.append(Story(str(item["id"]), kind, " ".join(str(item["text"]).split())))
    if not stories:
        raise ContentError(f"{path}: write `stories:`, a list of labelled messages")
    return stories


def load_training_settings(path: Path = STORIES_FILE) -> TrainingSettings:
    with open(path, encoding="utf-8") as handle:
        raw = (load_yaml(handle) or {}).get("training") or {}
    try:
        return TrainingSettings(float(raw["regularisation"]), int(raw["min_count"]))
    except (KeyError, TypeError, ValueError) as error:
        raise ContentError(f"{path}: training: give `regularisation` (a number above 0) and "
                           f"`min_count` (a whole number) ({error})")


def reference_clauses(references: Dict[str, Tuple[str, ...]]) -> List[Tuple[str, str]]:
    """(kind, normalised clause) of the reference clauses (``urgent/<kind>`` or ``calm``)."""
    return [(key.split("/", 1)[-1], normalise(clause))
            for key, clauses in references.items() for clause in clauses]


def train(references: Dict[str, Tuple[str, ...]], stories: Sequence[Story],
          settings: TrainingSettings, embed: Embeddings) -> Tuple[Linear, Linear]:
    """The clause model and the message model (the example questions of the answers come in as
    stories: :func:`everyday_messages`)."""
    base = reference_clauses(references)
    base += [("calm", unit) for story in stories if story.kind == "calm"
             for unit, _ in units(story.text)]
    urgent = [(story.kind, [unit for unit, _ in units(story.text)] or [normalise(story.text)])
              for story in stories if story.kind != "calm"]
    vocabulary = [t for _, t in base] + [u for _, found in urgent for u in found]
    clause: Optional[Linear] = None
    for _ in range(ROUNDS):
        chosen = [(kind, found[0] if clause is None else found[int(np.argmax(
            clause.probabilities(embed(found), found)[:, CLASSES.index(kind)]))])
            for kind, found in urgent]
        examples = base + chosen
        texts = [t for _, t in examples]
        clause = fit(texts, [CLASSES.index(k) for k, _ in examples], embed(texts), settings,
                     vocabulary)
    messages = [normalise(story.text) for story in stories]
    message = fit(messages, [int(story.kind != "calm") for story in stories], embed(messages),
                  settings, messages)
    assert clause is not None
    return clause, message


def calm_questions() -> List[Story]:
    """The reviewed example questions of the answers (``unit_examples.yml``), as calm stories: the
    everyday questions about pain relief, a collapsed vertebra or a pop in the knee that must be
    answered, not escalated."""
    from bot.engine.retrieval import load_examples

    return [Story(f"{key}#{n}", "calm", question)
            for key, questions in load_examples().items() for n, question in enumerate(questions)]


def answer_case_messages() -> List[Story]:
    """Every message of the development answer cases (``tests/data/eval/development/``), as a
    story: calm, unless its reply must be an urgent message (then of that kind). They are the
    everyday stories real patients tell (a collapsed vertebra in an older parent, a torn ACL, a
    request for an appointment) that must be answered, not escalated."""
    from bot.engine.answer_training import case_files

    found: List[Story] = []
    for path in case_files():
        with open(path, encoding="utf-8") as handle:
            cases = (load_yaml(handle) or {}).get("cases") or []
        for case in cases:
            for n, turn in enumerate(case.get("turns") or []):
                urgent = [a.split("/", 1)[1] for need in turn.get("must") or ()
                          for a in need.split("|") if a.startswith("urgent/")]
                kind = urgent[0] if urgent and urgent[0] in CLASSES else "calm"
                found.append(Story(f"{path.stem}/{case['id']}#{n}", kind,
                                   " ".join(str(turn["text"]).split())))
    return found


def everyday_messages() -> List[Story]:
    """What the model learns from beside the urgency stories: the example questions and the
    development answer cases."""
    return calm_questions() + answer_case_messages()


def build(folder: Optional[Path] = None) -> Path:
    """Train on the content files and save the model where the engine loads it."""
    from bot.engine.retrieval import BUILD_DIR, ENCODER_FILE
    from bot.sentence_model.minilm_onnx import OnnxMiniLM

    folder = folder or BUILD_DIR
    if not (folder / ENCODER_FILE.name).exists():
        raise RuntimeError("the sentence model is missing: run `python -m bot.engine.retrieval`")
    encoder = OnnxMiniLM(folder / ENCODER_FILE.name)
    references, stories = load_urgent_examples(URGENT_FILE), load_stories() + everyday_messages()
    embed = Embeddings(encoder.encode)
    print(f"Training the urgency model on {len(stories)} stories and questions and "
          f"{sum(map(len, references.values()))} reference clauses", flush=True)
    clause, message = train(references, stories, load_training_settings(), embed)
    kept = [(k, t) for k, t in reference_clauses(references) if k != "calm"]
    model = UrgencyModel(clause, message, embed, tuple(kept), embed([t for _, t in kept]))
    return model.save(folder / MODEL_FILE, made_from())


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    print(f"Wrote {build(Path(args[0]) if args else None)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
