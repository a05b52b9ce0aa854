"""The benchmark's pure parts: /proc readings, the cross-validation log parser, the report."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict

import pytest

from bench import procs, report
from bench.nlu import _CV_LINE
from bench.recipes import rasa_init_config, recipes


def test_own_process_has_memory_and_cpu_time() -> None:
    pid = os.getpid()
    assert pid in procs.tree(pid)
    memory = procs.memory_mb(pid)
    assert memory["rss"] > 10 and memory["pss"] > 0 and memory["processes"] >= 1
    assert procs.cpu_seconds(pid) > 0


def test_pages_that_forked_processes_share_count_once() -> None:
    import multiprocessing

    block = bytearray(os.urandom(64 * 2**20))  # 64 MB in memory, then shared by the fork
    child = multiprocessing.get_context("fork").Process(target=__import__("time").sleep,
                                                        args=(30,), daemon=True)
    child.start()
    try:
        memory = procs.memory_mb(os.getpid())
    finally:
        child.kill()
        child.join()
    if memory["unique"] is None:
        pytest.skip("page frame numbers are shown to root only")
    assert memory["processes"] >= 2 and len(block) == 64 * 2**20
    assert memory["rss"] - memory["unique"] > 50  # the block counts twice in the RSS sum only


def test_default_recipe_is_what_rasa_init_writes(tmp_path: Path) -> None:
    chosen = recipes(tmp_path)
    assert chosen["default"].config.read_text() == rasa_init_config().read_text()
    assert chosen["ours"].config.name == "config.yml"


def test_cross_validation_lines_are_read_from_rasas_log() -> None:
    log = ("2026-11-24 09:41:24 INFO rasa.nlu.test - test Accuracy: 0.836 (0.017)\n"
           "2026-11-24 09:41:24 INFO rasa.nlu.test - test F1-score: 0.835 (0.015)\n")
    assert _CV_LINE.findall(log) == [("Accuracy", "0.836", "0.017"), ("F1-score", "0.835", "0.015")]


def _level(conversations: int, msg_s: float, p95: float, errors: int = 0) -> Dict[str, Any]:
    return {"conversations": conversations, "sent": 100, "errors": errors, "misrouted": 0,
            "throughput_msg_s": msg_s, "p50_ms": p95 / 2, "p95_ms": p95, "p99_ms": p95 * 1.2,
            "cpu_ms_per_message": {"rasa": 10.0, "actions": 1.0, "load_generator": 0.5}}


def _serving(label: str, msg_s_50: float, rss: float) -> Dict[str, Any]:
    memory = {"rasa": {"rss": rss, "pss": rss, "processes": 1},
              "actions": {"rss": 40.0, "pss": 30.0, "processes": 1}}
    stage = {"ms_per_message": 1.0, "calls_per_message": 1.0, "ms_per_call": 1.0}
    return {"label": label, "recipe": "ours", "env": {}, "ready_s": 12.0,
            "memory_mb": {"after_start": memory, "after_load": memory},
            "levels": [_level(1, 50.0, 30.0), _level(50, msg_s_50, 900.0)],
            "breakdown": {"messages": 10, "total_ms_per_message": 5.0, "median_ms_per_message": 5.0,
                          "stages": {s: stage for s in ("nlu", "policies", "action", "tracker_store")},
                          "other_ms_per_message": 1.0}}


FIGURES = {
    "recipes": {
        "ours": {"title": "ours", "training": {"train_s": 55.0},
                 "heldout": {"messages": 200, "correct": 192, "accuracy": 0.96, "fallbacks": 3,
                             "rasa_test_nlu": {"macro_f1": 0.95}, "misses": [],
                             "report_dir": "nlu/ours/heldout"}},
        "default": {"title": "default", "training": {"train_s": 200.0},
                    "heldout": {"messages": 200, "correct": 180, "accuracy": 0.90, "fallbacks": 9,
                                "rasa_test_nlu": {"macro_f1": 0.9}, "misses": [],
                                "report_dir": "nlu/default/heldout"}}},
    "serving": {"ours": _serving("ours", 160.0, 650.0), "default": {**_serving("default", 40.0, 800.0), "recipe": "default"}},
    "run": {"started": "now", "cpus": 2, "load_before": "1", "load_after": "1", "rasa": "3.6",
            "commit": "abc", "duration_s": 20, "minutes": 1.0, "args": ""},
}


def test_targets_are_checked_against_the_figures() -> None:
    results = {name: check(value) for name, _, value, check in report.targets(FIGURES, "ours")}
    assert results["≥ 150 msg/s at 50 conversations"] is True
    assert results["p95 ≤ 300 ms at 50 conversations"] is False  # 900 ms
    assert results["held-out accuracy ≥ default recipe's"] is True
    assert results["Rasa server memory ≤ 700 MB"] is True


def test_server_memory_counts_each_page_once_when_it_can() -> None:
    workers = _serving("workers", 160.0, 800.0)  # summed RSS over the limit ...
    workers["memory_mb"]["after_load"]["rasa"] = {"rss": 800.0, "pss": 560.0, "unique": 580.0,
                                                  "processes": 3}  # ... pages once: within it
    figures = {**FIGURES, "serving": {**FIGURES["serving"], "workers": workers}}
    [(_, _, value, check)] = [t for t in report.targets(figures, "workers") if "memory" in t[0]]
    assert value == 580.0 and check(value)
    old = {**FIGURES["serving"]["default"], "recipe": "ours"}  # a run without page counts
    figures = {**FIGURES, "serving": {**FIGURES["serving"], "old": old}}
    [(_, _, value, check)] = [t for t in report.targets(figures, "old") if "memory" in t[0]]
    assert value == 800.0 and not check(value)


def test_report_files_are_written(tmp_path: Path) -> None:
    path = report.write(FIGURES, tmp_path)
    text = path.read_text()
    assert "| ≥ 150 msg/s at 50 conversations | answered messages / s | 160.0 ✓ |" in text
    assert "| p95 ≤ 300 ms at 50 conversations | REST, whole reply | 900.0 **✗** |" in text
    assert "4.00×" in text  # throughput ratio ours / default at 50 conversations
    assert (tmp_path / "benchmark.json").exists()
    assert (tmp_path / report.PLOT_NAME).stat().st_size > 10_000


@pytest.mark.parametrize("value, shown", [(None, "–"), (float("nan"), "–"), (1.25, "1.2"), (3, "3")])
def test_missing_figures_are_shown_as_a_dash(value, shown) -> None:
    assert report._fmt(value) == shown
