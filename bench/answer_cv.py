"""Choosing the answer model's settings by cross-validation: ``python -m bench.answer_cv``.

The development answer cases (``tests/data/eval/development/answers_*.yml``) are cut into
``--folds`` parts (every n-th case); for each part an answer model is trained on the example
questions and the other parts, as set-up trains it, and scores the messages of the part it never
saw. Then every development case is played through the whole engine (the trained NLU model, the
reading rules, the nearest examples, the urgency model) with those out-of-fold scores, once for
each setting tried and once without the model, and the table shows how many cases pass. The
settings of ``unit_examples.yml`` (``model:``) are chosen from this table, never from a check or
held-out set. Writes ``reports/answer_cv.json``. Takes a few minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional, Sequence, Tuple

from bot.engine.answer_model import Scores, Settings, load_settings, trying
from bot.engine.answer_training import case_files, from_case, from_examples, train
from bot.engine.linear_models import Embeddings
from bot.engine.retrieval import BUILD_DIR, ENCODER_FILE, load_examples
from bot.engine.knowledge import load_knowledge, load_yaml

ROOT = Path(__file__).resolve().parents[1]
THRESHOLDS = (0.2, 0.25, 0.3, 0.4, 0.5, 0.6)
MOST_ADDED = (1, 2, 3)
NEVER = 1.1  # a threshold no probability reaches: the rules alone


def fold_of(case_id: str, folds: int) -> int:
    """A case's part: stable across runs and files (the digits of its id, else its letters)."""
    import zlib

    return zlib.crc32(case_id.encode("utf-8")) % folds


Scorer = Callable[[str], Scores]


def out_of_fold_scores(cases: Sequence[Tuple[Path, Dict[str, Any]]], folds: int,
                       embed: Embeddings, settings: Settings) -> Dict[str, Scorer]:
    """For every case, the scores of a model that never saw it (for any text of the case: the
    whole message or one of its questions), each text scored once."""
    from bot.engine.answer_model import AnswerModel

    kb = load_knowledge()
    examples = from_examples(load_examples())
    scorers: Dict[str, Scorer] = {}
    for part in range(folds):
        inside = [(path, case) for path, case in cases
                  if fold_of(f"{path.stem}/{case['id']}", folds) != part]
        items = examples + [from_case(path.stem, case, kb) for path, case in inside]
        linear, keys = train(items, settings.training, embed)
        scorer = _remembering(AnswerModel(linear, keys, embed).scores)
        for path, case in cases:
            if fold_of(f"{path.stem}/{case['id']}", folds) == part:
                scorers[f"{path.stem}/{case['id']}"] = scorer
        print(f"fold {part + 1}/{folds} trained on {len(items)} items", flush=True)
    return scorers


def _remembering(score: Scorer) -> Scorer:
    known: Dict[str, Scores] = {}

    def once(text: str) -> Scores:
        if text not in known:
            known[text] = score(text)
        return known[text]
    return once


def cached(parse: Callable[[str], Awaitable[Dict]]) -> Callable[[str], Awaitable[Dict]]:
    """``parse`` asked once per text (the NLU model does not change between settings)."""
    known: Dict[str, Dict] = {}

    async def parse_once(text: str) -> Dict:
        if text not in known:
            known[text] = await parse(text)
        return known[text]
    return parse_once


def play(parse: Callable[[str], Awaitable[Dict]], cases: Sequence[Tuple[Path, Dict[str, Any]]],
         scorers: Dict[str, Scorer], settings: Settings) -> Tuple[int, List[str]]:
    """How many cases pass with the out-of-fold scores and ``settings``; the ids that fail."""
    from bench.evaluation import run_answer_cases

    passed, failed = 0, []
    for path, case in cases:
        key = f"{path.stem}/{case['id']}"
        with trying(scorers[key], settings):
            result = asyncio.run(run_answer_cases(parse, [case])).results[0]
        passed += result.passed
        failed += [] if result.passed else [key]
    return passed, failed


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--regularisation", type=float,
                        help="try another `model: regularisation` than the content file's")
    parser.add_argument("--thresholds", type=float, nargs="+", default=THRESHOLDS,
                        help="the thresholds to try")
    parser.add_argument("--most-added", type=int, nargs="+", default=MOST_ADDED,
                        help="the numbers of answers added at most to try")
    parser.add_argument("--each-question", choices=("both", "yes", "no"), default="both",
                        help="read a message of several questions question by question too")
    parser.add_argument("--out", default=str(ROOT / "reports" / "answer_cv.json"))
    args = parser.parse_args(argv)

    from bench.evaluation import load_agent
    from bot.sentence_model.minilm_onnx import OnnxMiniLM

    model_path = ROOT / "models" / "bme.tar.gz"
    if not (BUILD_DIR / ENCODER_FILE.name).exists() or not model_path.exists():
        print("The sentence model or the Rasa model is missing: run `make setup` first.",
              file=sys.stderr)
        return 2
    settings = load_settings()
    if args.regularisation:
        settings = replace(settings, training=replace(settings.training,
                                                      regularisation=args.regularisation))
    cases = [(path, case) for path in case_files()
             for case in (load_yaml(path.read_text(encoding="utf-8")) or {})["cases"]]
    embed = Embeddings(OnnxMiniLM(BUILD_DIR / ENCODER_FILE.name).encode)
    scores = out_of_fold_scores(cases, args.folds, embed, settings)
    parse = cached(load_agent(model_path).parse_message)
    rows: List[Dict[str, Any]] = []
    each = {"both": (False, True), "yes": (True,), "no": (False,)}[args.each_question]
    trials = [replace(settings, threshold=NEVER)] + \
        [replace(settings, threshold=t, most_added=m, each_question=e) for e in each
         for m in args.most_added for t in args.thresholds] + [settings]
    for trial in trials:
        passed, failed = play(parse, cases, scores, trial)
        rows.append({"threshold": trial.threshold, "most_added": trial.most_added,
                     "each_question": trial.each_question,
                     "min_words": trial.min_words, "passed": passed, "total": len(cases),
                     "failed": failed})
        shown = "rules only" if trial.threshold > 1 else \
            f"threshold {trial.threshold} most_added {trial.most_added}" + \
            (" each question" if trial.each_question else "")
        print(f"{shown:<32} {passed}/{len(cases)}", flush=True)
    Path(args.out).write_text(json.dumps({"folds": args.folds, "training": vars(settings.training),
                                          "rows": rows, "current": rows[-1]}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
