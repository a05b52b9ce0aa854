"""Choosing the urgency model's thresholds by cross-validation: ``python -m bench.urgency_cv``.

The stories of ``bot/content/urgency_stories.yml`` are cut into ``--folds`` parts (every n-th
story); for each part a model is trained on the rest (with all the reference clauses and example
questions, as set-up trains it) and reads the part it never saw. Each story then has an
out-of-fold reading, and the red-flag rules' finding; this prints, for each threshold and for the
level below which a rule's emergency is set aside, how many urgent stories would be escalated and
how many calm ones would raise an alarm, per kind and in all. The thresholds in the content file
are chosen from this table, never from a sealed check set. Takes a few minutes (the sentence model
embeds each text once); writes ``reports/urgency_cv.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from bot.engine.retrieval import BUILD_DIR, ENCODER_FILE
from bot.engine.urgency import (KINDS, MIN_WORDS, STORIES_FILE, URGENT_FILE, Settings,
                                UrgentByModel, assess, decide, load_settings,
                                load_urgent_examples)
from bot.engine.urgency_model import UrgencyModel
from bot.engine.linear_models import Embeddings, TrainingSettings
from bot.engine.urgency_training import (Story, everyday_messages,
                                         load_stories, load_training_settings, train)
from bot.engine.safety import RedFlag, find_red_flag

ROOT = Path(__file__).resolve().parents[1]
THRESHOLDS = (0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85)
SET_ASIDE = (0.0, 0.4, 0.5, 0.6)
MESSAGE_FLOORS = (0.0, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4)
NOW_SET_ASIDE = (0.0, 0.2, 0.3, 0.35, 0.4, 0.45, 0.5)


Reading = Tuple[Story, Optional[RedFlag], Optional[UrgentByModel], bool]


def out_of_fold(stories: Sequence[Story], folds: int, embed: Embeddings,
                settings: TrainingSettings, progress: Any = print) -> List[Reading]:
    """Each story with the rules' kind and the reading of the model that did not see it."""
    references, calm = load_urgent_examples(URGENT_FILE), everyday_messages()
    found: List[Reading] = []
    for fold in range(folds):
        progress(f"fold {fold + 1}/{folds}: training on {len(stories) - len(stories) // folds} "
                 "stories")
        seen = [s for i, s in enumerate(stories) if i % folds != fold]
        clause, message = train(references, list(seen) + calm, settings, embed)
        model = UrgencyModel(clause, message, embed)
        for i, story in enumerate(stories):
            if i % folds == fold:
                rule = find_red_flag(story.text)
                read = len(story.text.split()) >= MIN_WORDS
                found.append((story, rule, assess(story.text, model) if read else None, read))
    return found


def figures(readings: Sequence[Reading], settings: Settings) -> Dict[str, Any]:
    """Per kind of story, how many raised an alarm (for calm ones: false alarms) of how many."""
    row: Dict[str, Any] = {"thresholds": dict(settings.thresholds),
                           "sets_aside_below": settings.sets_aside_below,
                           "message_floor": settings.message_floor,
                           "now_sets_aside_below": settings.now_sets_aside_below}
    for kind in KINDS + ("calm",):
        found = [(rule, reading, read) for story, rule, reading, read in readings
                 if story.kind == kind]
        row[kind] = [sum(bool(decide(reading, rule.message if rule else None, read, settings,
                                     rule.told if rule else None).kind)
                         for rule, reading, read in found), len(found)]
    return row


def table(readings: Sequence[Reading]) -> List[Dict[str, Any]]:
    """The figures for each setting (one threshold for every kind), then for each floor of the
    whole message's score at the content file's thresholds, then for the content file's."""
    rows = [figures(readings, Settings({k: threshold for k in KINDS},
                                       min(aside, threshold - 0.01)))
            for aside in SET_ASIDE for threshold in THRESHOLDS]
    content = load_settings()
    rows += [figures(readings, replace(content, message_floor=floor)) for floor in MESSAGE_FLOORS]
    rows += [figures(readings, replace(content, now_sets_aside_below=below))
             for below in NOW_SET_ASIDE if below <= content.sets_aside_below]
    return rows + [figures(readings, content)]


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--out", default=str(ROOT / "reports" / "urgency_cv.json"))
    parser.add_argument("--regularisation", type=float,
                        help="try another `training: regularisation` than the content file's")
    parser.add_argument("--min-count", type=int,
                        help="try another `training: min_count` than the content file's")
    args = parser.parse_args(argv)
    training = load_training_settings(STORIES_FILE)
    training = TrainingSettings(args.regularisation or training.regularisation,
                                args.min_count or training.min_count)
    from bot.sentence_model.minilm_onnx import OnnxMiniLM

    if not (BUILD_DIR / ENCODER_FILE.name).exists():
        print("The sentence model is missing: run `make setup` first.", file=sys.stderr)
        return 2
    embed = Embeddings(OnnxMiniLM(BUILD_DIR / ENCODER_FILE.name).encode)
    print(f"training with {training}", flush=True)
    readings = out_of_fold(load_stories(), args.folds, embed, training)
    print("out-of-fold readings done; the table:", flush=True)
    rows = table(readings)
    print(f"{'threshold':>9} {'set aside':>9} {'floor':>5} {'now':>4}  "
          + "  ".join(f"{k:>13}" for k in KINDS)
          + "  calm (false alarms); the last row is the content file's settings")
    for row in rows:
        thresholds = sorted(set(row["thresholds"].values()))
        shown = str(thresholds[0]) if len(thresholds) == 1 else "by kind"
        now = row["now_sets_aside_below"]
        print(f"{shown:>9} {row['sets_aside_below']:>9} {row['message_floor']:>5} "
              f"{'-' if now is None else now:>4}  "
              + "  ".join(f"{row[k][0]:>6}/{row[k][1]:<6}" for k in KINDS)
              + f"  {row['calm'][0]}/{row['calm'][1]}")
    stories = [{"id": story.id, "kind": story.kind, "rule": rule.value if rule else None,
                "words": len(story.text.split()),
                "model": [reading.kind, reading.score] if reading else None}
               for story, rule, reading, _ in readings]
    Path(args.out).write_text(json.dumps({"folds": args.folds, "training": vars(training),
                                          "stories": stories, "rows": rows,
                                          "current": rows[-1]}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
