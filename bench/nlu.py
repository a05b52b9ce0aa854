"""Understanding: ``rasa test nlu`` on the held-out messages, and a k-fold cross-validation on the
training messages, for one recipe. Reports go to ``reports/nlu/<recipe>/{heldout,cross-validation}``.

The held-out accuracy is the one the test suite asserts (:func:`bench.evaluation.score_model`: a
message predicted ``nlu_fallback`` counts as a miss); ``rasa test nlu`` writes the per-intent report
and the confusion matrix of the same messages.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any, Dict

from bench.recipes import Recipe, rasa_cli, rasa_env
from bench.evaluation import (ANSWER_CASES_FILE, HELDOUT_FILE, load_agent, load_answer_cases,
                            load_examples, run_answer_cases, score_intents)
from bot.deploy.serve import ROOT

TEST_TIMEOUT_S = 600
CV_TIMEOUT_S = 2400
# Files of `rasa test nlu` kept in reports/ (the rest, e.g. per-extractor entity reports, are not
# meaningful here: entities come from rules, not from learning).
KEEP = ("intent_report.json", "intent_confusion_matrix.png", "intent_errors.json",
        "intent_histogram.png")


def _tidy(out: Path) -> None:
    for path in out.iterdir():
        if path.name not in KEEP:
            shutil.rmtree(path) if path.is_dir() else path.unlink()


def _run(args: list, log: Path, timeout: int, cache: Path) -> float:
    started = time.monotonic()
    with open(log, "wb") as output:
        result = subprocess.run([rasa_cli(), *args], cwd=ROOT, env=rasa_env(cache), stdout=output,
                                stderr=subprocess.STDOUT, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"`rasa {' '.join(args[:2])}` failed, see {log}")
    return time.monotonic() - started


def _intent_report(out: Path) -> Dict[str, Any]:
    report = json.loads((out / "intent_report.json").read_text())
    return {"accuracy": round(report["accuracy"], 4),
            "macro_f1": round(report["macro avg"]["f1-score"], 4),
            "weighted_f1": round(report["weighted avg"]["f1-score"], 4)}


def heldout(recipe: Recipe, model: Path, reports: Path, log_dir: Path) -> Dict[str, Any]:
    """``rasa test nlu`` on the held-out file, plus the suite's own accuracy and misses."""
    out = reports / recipe.name / "heldout"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    seconds = _run(["test", "nlu", "--model", str(model), "--nlu", str(ROOT / HELDOUT_FILE),
                    "--out", str(out)], log_dir / f"test-nlu-{recipe.name}.log", TEST_TIMEOUT_S,
                   log_dir / "cache-test")
    _tidy(out)
    agent = load_agent(model)  # once for both scores
    score = asyncio.run(score_intents(agent.parse_message, load_examples(ROOT / HELDOUT_FILE)))
    answers = asyncio.run(run_answer_cases(agent.parse_message,
                                           load_answer_cases(ROOT / ANSWER_CASES_FILE)))
    return {"answer_cases": {"cases": answers.total, "passed": answers.passed,
                             "accuracy": round(answers.accuracy, 4),
                             "by_kind": {k: f"{p}/{n}" for k, (p, n) in answers.by_kind().items()},
                             "failed": [r.id for r in answers.results if not r.passed]},
            "messages": score.total, "correct": score.correct,
            "accuracy": round(score.accuracy, 4), "rasa_test_nlu": _intent_report(out),
            "fallbacks": sum(1 for _, _, p in score.misses if p == "nlu_fallback"),
            "misses": [{"text": t, "expected": e, "predicted": p} for t, e, p in score.misses],
            "report_dir": str(out.relative_to(reports.parent)), "seconds": round(seconds, 1)}


_CV_LINE = re.compile(r"test (accuracy|f1-score): ([0-9.]+) \(([0-9.]+)\)", re.IGNORECASE)


def cross_validation(recipe: Recipe, folds: int, reports: Path, log_dir: Path) -> Dict[str, Any]:
    """k-fold cross-validation of the recipe's NLU pipeline on data/nlu.yml."""
    out = reports / recipe.name / "cross-validation"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    log = log_dir / f"cross-validation-{recipe.name}.log"
    cache = log_dir / f"cache-cv-{recipe.name}"
    seconds = _run(["test", "nlu", "--nlu", str(ROOT / "data" / "nlu.yml"), "--config",
                    str(recipe.config), "--cross-validation", "--folds", str(folds),
                    "--out", str(out)], log, CV_TIMEOUT_S, cache)
    shutil.rmtree(cache, ignore_errors=True)
    _tidy(out)
    # The intent lines come first in Rasa's log; entity extractors log the same keys after.
    found: Dict[str, Any] = {}
    for name, mean, std in _CV_LINE.findall(log.read_text(errors="replace")):
        found.setdefault(name.lower().replace("-", "_"), {"mean": float(mean), "std": float(std)})
    return {"folds": folds, **found, "pooled": _intent_report(out),
            "report_dir": str(out.relative_to(reports.parent)), "seconds": round(seconds, 1)}
