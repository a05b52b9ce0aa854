"""``make bench``: ``python -m bench`` (all of it) or ``--serve-only MODEL`` (one serving
measurement, for trying a change; written to ``reports/experiments/<label>.json``).

Every step is bounded: training and ``rasa test`` have timeouts, each load level runs for
``--duration`` seconds, and the whole run prints a progress line per step.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import rasa

from bench import nlu, recipes, report, serving
from bench.loadgen import spanish_script
from bot.deploy.serve import ROOT

WORK_DIR = ROOT / "var" / "bench"
REPORTS = ROOT / "reports"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"


class Progress:
    """Progress lines with the minutes since the start."""

    def __init__(self) -> None:
        self.started = time.monotonic()

    def __call__(self, text: str) -> None:
        elapsed = time.monotonic() - self.started
        print(f"[{int(elapsed // 60):02d}:{int(elapsed % 60):02d}] {text}", flush=True)

    @property
    def minutes(self) -> float:
        return (time.monotonic() - self.started) / 60


def _redis_reachable(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


def quiet_rasa() -> None:
    """Warnings only from the Rasa agents this process loads (scoring, cost breakdown)."""
    import logging

    from rasa.utils.log_utils import configure_structlog

    logging.getLogger().setLevel(logging.WARNING)
    configure_structlog(logging.WARNING)


def _commit() -> str:
    result = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True, check=False)
    return result.stdout.strip() or "unknown"


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per load level")
    parser.add_argument("--levels", default="1,10,50", help="concurrent conversations per level")
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds (0: none)")
    parser.add_argument("--workers", type=int, default=2,
                        help="Sanic workers of the scaled set-up (with Redis locks); 1: skip it")
    parser.add_argument("--redis-url", default=os.environ.get("BME_REDIS_URL", DEFAULT_REDIS))
    parser.add_argument("--skip-default", action="store_true", help="leave out the default recipe")
    parser.add_argument("--skip-spanish", action="store_true",
                        help="leave out the Spanish conversation (its cost and memory)")
    parser.add_argument("--serve-only", type=Path, metavar="MODEL",
                        help="only serve MODEL and measure it (no training, no NLU tests)")
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                        help="with --serve-only: environment of the servers (repeatable)")
    parser.add_argument("--label", default="experiment", help="with --serve-only: file name")
    parser.add_argument("--serving-only", action="store_true",
                        help="keep the trained models and NLU figures of the last full run "
                             "(var/bench, reports/benchmark.json); measure serving again")
    parser.add_argument("--out", type=Path, default=REPORTS)
    return parser.parse_args(argv)


def serve_only(args: argparse.Namespace, say: Progress) -> int:
    env = dict(item.split("=", 1) for item in args.env)
    levels = [int(x) for x in args.levels.split(",")]
    say(f"serving {args.serve_only} with {env or 'no extra settings'}")
    figures = serving.measure(args.serve_only, env, levels, args.duration,
                              WORK_DIR / f"serve-{args.label}", say)
    figures.update(label=args.label, model=str(args.serve_only), load_after=_load(),
                   started=time.strftime("%Y-%m-%d %H:%M"), commit=_commit())
    out = args.out / "experiments" / f"{args.label}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    say(f"wrote {report.relative(out)}")
    return 0


def serving_setups(args: argparse.Namespace, say: Progress) -> Dict[str, Dict[str, Any]]:
    """Which serving set-ups to measure: (recipe, label, environment)."""
    setups = {"ours": {"recipe": "ours", "label": "ours, 1 worker (make run)", "env": {}}}
    if args.workers > 1:
        if _redis_reachable(args.redis_url):
            # No TensorFlow thread settings: our model has no TensorFlow component, and Rasa
            # imports TensorFlow (270 MB per worker) to apply them when they are set.
            setups["ours_workers"] = {
                "recipe": "ours", "label": f"ours, {args.workers} workers + Redis locks",
                "env": {"SANIC_WORKERS": str(args.workers), "BME_REDIS_URL": args.redis_url}}
        else:
            say(f"Redis is not reachable at {args.redis_url}: skipping the {args.workers}-worker set-up")
    if not args.skip_spanish:
        # the same serving as "ours", the conversation in Spanish: the Spanish path's cost, and
        # (from the action server's memory) what the extra language holds
        setups["ours_spanish"] = {"recipe": "ours", "label": "ours, 1 worker, in Spanish",
                                  "env": {}, "script": "es"}
    if not args.skip_default:
        setups["default"] = {"recipe": "default", "label": "default recipe, 1 worker", "env": {}}
    return setups


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    say = Progress()
    quiet_rasa()
    if args.serve_only:
        return serve_only(args, say)
    levels: List[int] = [int(x) for x in args.levels.split(",")]
    started, load_before = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), _load()
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    logs = WORK_DIR / "logs"
    logs.mkdir(exist_ok=True)
    chosen = recipes.recipes(WORK_DIR)
    if args.skip_default:
        chosen.pop("default")
    figures: Dict[str, Any] = {"recipes": {}, "serving": {}}
    if args.serving_only:
        last = json.loads((args.out / "benchmark.json").read_text(encoding="utf-8"))
        figures["recipes"] = {k: v for k, v in last["recipes"].items() if k in chosen}
        figures["nlu_run"] = last.get("nlu_run") or last["run"]
        say(f"serving only: models and NLU figures of the run of {figures['nlu_run']['started']}")
        chosen = {}
    for name, recipe in chosen.items():
        say(f"training {name} ({recipe.config.name}) from an empty cache")
        trained = recipes.train(recipe, WORK_DIR / "models", logs / f"train-{name}.log")
        say(f"  trained in {trained['train_s']:.1f} s")
        entry: Dict[str, Any] = {"title": recipe.title, "config": report.relative(recipe.config),
                                 "training": trained}
        say(f"rasa test nlu on the held-out messages ({name})")
        entry["heldout"] = nlu.heldout(recipe, Path(str(trained["model"])), args.out / "nlu", logs)
        say(f"  held-out accuracy {entry['heldout']['accuracy']:.3f}")
        if args.folds > 1:
            say(f"{args.folds}-fold cross-validation ({name})")
            entry["cross_validation"] = nlu.cross_validation(recipe, args.folds, args.out / "nlu", logs)
            say(f"  cross-validation accuracy {entry['cross_validation'].get('accuracy')}")
        figures["recipes"][name] = entry
    for key, setup in serving_setups(args, say).items():
        model = Path(figures["recipes"][setup["recipe"]]["training"]["model"])
        say(f"serving: {setup['label']}")
        # The breakdown runs in this process, whatever the servers' workers: once per recipe.
        script = spanish_script() if setup.get("script") == "es" else None
        measured = serving.measure(model, setup["env"], levels, args.duration, WORK_DIR / f"serve-{key}",
                                   say, breakdown=key == "ours" or key == "default", script=script)
        figures["serving"][key] = {"label": setup["label"], "recipe": setup["recipe"], **measured}
    figures["run"] = {"started": started, "cpus": os.cpu_count(), "load_before": load_before,
                      "load_after": _load(), "rasa": rasa.__version__, "commit": _commit(),
                      "duration_s": args.duration, "minutes": round(say.minutes, 1),
                      "args": " ".join(sys.argv[1:] if argv is None else argv)}
    path = report.write(figures, args.out)
    say(f"wrote {report.relative(path)}, benchmark.json and {report.PLOT_NAME}")
    for key in report.ours_setups(figures):
        say(f"targets, {figures['serving'][key]['label']}:")
        for name, _, value, check in report.targets(figures, key):
            say(f"  {'met    ' if check(value) else 'NOT met'}  {name}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
