"""`make eval`: every evaluation set's score, by role, from one trained model.

The sets live under ``tests/data/eval/<role>/`` (``heldout``, ``development``, ``check``), each
file saying who wrote it and what its author was blind to (``role``, ``author``, ``blind_to``):

- ``answers*.yml``: whole conversations whose replies must hold some answer units and not others;
- ``intents.yml``: held-out messages and the intent each must get;
- ``urgency_stories.yml``: stories that must (``urgent: true``) or must not get the urgent-care
  message.

A sealed check set is measured only with ``--include-sealed`` (once, after the work): its first
figure is the honest one. Prints a table and writes ``reports/eval.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence


from bot.engine.knowledge import load_yaml

from bench.evaluation import (AnswerScore, load_agent, load_answer_cases, load_examples,
                              run_answer_cases, score_intents)

ROOT = Path(__file__).resolve().parents[1]
EVAL_DIR = ROOT / "tests" / "data" / "eval"
ROLES = ("heldout", "development", "check")
URGENT_IDS = ("urgent/emergency", "urgent/crisis", "urgent/overdose")
SEALED = "sealed"
OTHER_LANGUAGES = ("es",)  # each in a folder of its own under every role: tests/data/eval/<role>/es/


@dataclass(frozen=True)
class EvalSet:
    """One file of cases, with its role (the folder) and kind (the file's name)."""

    path: Path
    role: str
    kind: str  # answers | intents | urgency
    language: str = "en"  # the sets of another language live in <role>/<language>/

    @property
    def name(self) -> str:
        where = self.role if self.language == "en" else f"{self.role}/{self.language}"
        return f"{where}/{self.path.stem}"

    @property
    def sealed(self) -> bool:
        return SEALED in str(self.header().get("role", ""))

    def header(self) -> Dict[str, Any]:
        if self.kind == "intents":
            return {"role": "held-out (intents)"}
        with open(self.path, encoding="utf-8") as handle:
            raw = load_yaml(handle)
        return {k: v for k, v in raw.items() if k != "cases"}


def find_sets(root: Path = EVAL_DIR) -> List[EvalSet]:
    """Every evaluation file under ``root``, by role then name."""
    found = []
    for role in ROLES:
        folders = [("en", root / role)] + [(code, root / role / code) for code in OTHER_LANGUAGES]
        for language, folder in folders:
            for path in sorted(folder.glob("*.yml")):
                kind = ("intents" if path.stem == "intents" else
                        "urgency" if path.stem.startswith("urgency") else
                        "answers" if path.stem.startswith("answers") else None)
                if kind:
                    found.append(EvalSet(path, role, kind, language))
    return found


def urgency_as_answer_cases(cases: Sequence[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Urgency stories as one-turn answer cases: urgent ones must get an urgent-care message,
    the others none."""
    return [{"id": c["id"], "turns": [
        {"text": c["text"], "must": ["|".join(URGENT_IDS)]} if c["urgent"] else
        {"text": c["text"], "must_not": list(URGENT_IDS)}]} for c in cases]


def urgency_figures(cases: Sequence[Dict[str, Any]], score: AnswerScore) -> Dict[str, Any]:
    """Urgent stories escalated and false alarms, from the scored cases."""
    urgent = {c["id"] for c in cases if c["urgent"]}
    missed = [r.id for r in score.results if r.id in urgent and not r.passed]
    alarms = [r.id for r in score.results if r.id not in urgent and not r.passed]
    calm = len(cases) - len(urgent)
    return {"urgent": len(urgent), "escalated": len(urgent) - len(missed), "missed": missed,
            "not_urgent": calm, "false_alarms": len(alarms), "false_alarm_ids": alarms}


def score_set(agent: Any, item: EvalSet) -> Dict[str, Any]:
    """The figures of one set."""
    if item.kind == "intents":
        intents = asyncio.run(score_intents(agent.parse_message, load_examples(item.path)))
        return {"total": intents.total, "passed": intents.correct}
    cases = load_answer_cases(item.path)
    if item.kind == "urgency":
        score = asyncio.run(run_answer_cases(agent.parse_message, urgency_as_answer_cases(cases),
                                             item.language))
        return {"total": score.total, "passed": score.passed, **urgency_figures(cases, score)}
    score = asyncio.run(run_answer_cases(agent.parse_message, cases, item.language))
    return {"total": score.total, "passed": score.passed, "by_kind": score.by_kind(),
            "failed": {r.id: r.why for r in score.results if not r.passed}}


def line(item: EvalSet, figures: Dict[str, Any]) -> str:
    """One row of the printed table."""
    share = figures["passed"] / figures["total"] if figures["total"] else 0.0
    row = f"{item.name:<37} {item.kind:<8} {figures['passed']:>4}/{figures['total']:<4} {share:6.1%}"
    if item.kind == "urgency":
        row += (f"   urgent escalated {figures['escalated']}/{figures['urgent']},"
                f" false alarms {figures['false_alarms']}/{figures['not_urgent']}")
    return row


def quiet() -> None:
    """No message text in the output: Rasa's debug lines would print every case's message,
    held-out ones included."""
    import logging

    import structlog

    logging.getLogger().setLevel(logging.WARNING)
    for name in ("rasa", "bot", "sanic"):
        logging.getLogger(name).setLevel(logging.WARNING)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=str(ROOT / "models" / "bme.tar.gz"))
    parser.add_argument("--only", default="", help="score only sets whose name holds this")
    parser.add_argument("--include-sealed", action="store_true",
                        help="also measure sealed check sets (once, after the work)")
    parser.add_argument("--show-failed", action="store_true",
                        help="print the failed case ids and why (never for held-out or sealed sets)")
    parser.add_argument("--out", default=str(ROOT / "reports" / "eval.json"))
    args = parser.parse_args(argv)
    model = Path(args.model)
    if not model.exists():
        print(f"No trained model at {model}: run `make setup` first.", file=sys.stderr)
        return 2
    sets = [s for s in find_sets() if args.only in s.name and (args.include_sealed or not s.sealed)]
    quiet()
    agent = load_agent(model)
    results: Dict[str, Any] = {}
    print(f"{'set':<37} {'kind':<8} {'passed':>9} {'share':>6}")
    for item in sets:
        figures = score_set(agent, item)
        results[item.name] = {**figures, "role": item.header().get("role"), "kind": item.kind}
        print(line(item, figures), flush=True)
        if args.show_failed and item.role == "development":
            for case_id, why in (figures.get("failed") or {}).items():
                print(f"    {case_id}: {why}")
            for case_id in figures.get("missed", []) + figures.get("false_alarm_ids", []):
                print(f"    {case_id}")
    skipped = [s.name for s in find_sets() if s.sealed and not args.include_sealed]
    if skipped:
        print(f"(sealed, not measured: {', '.join(skipped)}; --include-sealed measures them once)")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    # sets not measured this time (sealed ones, or left out by --only) keep their last figures
    previous = json.loads(out.read_text()) if out.exists() else {}
    out.write_text(json.dumps({**previous, **results}, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
