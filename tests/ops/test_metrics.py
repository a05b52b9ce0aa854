"""The metrics API (bot.ops.metrics): what one turn adds to which series, the labels it refuses,
and the sum over several processes in prometheus_client's multi-process mode."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Optional

import pytest

from bot.ops import metrics
from bot.ops.metrics_folder import MULTIPROC_ENV, prepare_multiprocess_dir

ROOT = Path(__file__).resolve().parents[2]


def value(name: str, **labels: str) -> float:
    found: Optional[float] = metrics.REGISTRY.get_sample_value(name, labels)
    return found or 0.0


def test_a_turn_counts_its_channel_outcome_and_time() -> None:
    before = (value("bme_messages_total", channel="rest", outcome="answer"),
              value("bme_reply_seconds_count", channel="rest"),
              value("bme_reply_seconds_sum", channel="rest"),
              value("bme_reply_seconds_bucket", channel="rest", le="0.05"))
    metrics.observe_turn("rest", "answer", 0.04)
    after = (value("bme_messages_total", channel="rest", outcome="answer"),
             value("bme_reply_seconds_count", channel="rest"),
             value("bme_reply_seconds_sum", channel="rest"),
             value("bme_reply_seconds_bucket", channel="rest", le="0.05"))
    assert [b - a for a, b in zip(before, after)] == pytest.approx([1, 1, 0.04, 1])


@pytest.mark.parametrize("outcome, counter", [("fallback", "bme_fallbacks_total"),
                                              ("urgent", "bme_urgent_escalations_total")])
def test_fallbacks_and_escalations_follow_the_outcome(outcome: str, counter: str) -> None:
    other = ({"bme_fallbacks_total", "bme_urgent_escalations_total"} - {counter}).pop()
    before = value(counter, channel="telegram"), value(other, channel="telegram")
    metrics.observe_turn("telegram", outcome, 0.01)
    metrics.observe_turn("telegram", "answer", 0.01)  # counts in neither
    assert value(counter, channel="telegram") - before[0] == 1
    assert value(other, channel="telegram") - before[1] == 0


def test_errors_are_counted_by_channel() -> None:
    before = value("bme_errors_total", channel="socketio")
    metrics.count_error("socketio")
    assert value("bme_errors_total", channel="socketio") - before == 1


def test_an_unknown_outcome_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown outcome 'maybe'"):
        metrics.observe_turn("rest", "maybe", 0.1)


@pytest.mark.parametrize("channel, label", [
    ("rest", "rest"), ("socketio", "socketio"), (None, "other"), ("", "other"),
    ("+441234567890", "other"), ("patient@example.org", "other"), ("my knee hurts", "other"),
    ("x" * 40, "other"),
])
def test_a_channel_label_is_a_channel_name_or_other(channel: Optional[str], label: str) -> None:
    assert metrics.channel_label(channel) == label


def test_the_exposition_names_every_metric() -> None:
    metrics.observe_turn("rest", "refused", 0.001)
    body, content_type = metrics.exposition({})
    text = body.decode()
    assert content_type.startswith("text/plain")
    for line in ("# TYPE bme_messages_total counter", "# TYPE bme_reply_seconds histogram",
                 "# TYPE bme_fallbacks_total counter", "# TYPE bme_urgent_escalations_total counter",
                 "# TYPE bme_errors_total counter"):
        assert line in text.splitlines()
    assert 'bme_messages_total{channel="rest",outcome="refused"}' in text
    assert "_created" not in text


def test_the_folder_is_made_empty_and_named_in_the_environment(tmp_path: Path) -> None:
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "counter_123.db").write_bytes(b"stale")
    (folder / "keep.txt").write_text("not ours")
    env = {MULTIPROC_ENV: str(folder)}
    assert prepare_multiprocess_dir(env) == folder
    assert sorted(p.name for p in folder.iterdir()) == ["keep.txt"]
    fresh: dict = {}
    made = prepare_multiprocess_dir(fresh)
    assert made.is_dir() and fresh[MULTIPROC_ENV] == str(made)
    made.rmdir()


WORKERS = """
import os, sys
from bot.ops.metrics_folder import prepare_multiprocess_dir
prepare_multiprocess_dir()  # as the Rasa server's launcher does, before the import below
from bot.ops import metrics
metrics.observe_turn("rest", "answer", 0.02)  # in the main process, before the fork
children = []
for worker in range(2):
    pid = os.fork()
    if pid == 0:
        for _ in range(worker + 2):
            metrics.observe_turn("rest", "urgent", 0.2)
        metrics.count_error("rest")
        os._exit(0)
    children.append(pid)
for pid in children:
    os.waitpid(pid, 0)
sys.stdout.write(metrics.exposition()[0].decode())
"""


def test_several_processes_are_summed(tmp_path: Path) -> None:
    stale = tmp_path / "counter_1.db"
    stale.write_bytes(b"\0" * 16)  # an earlier run's file: deleted at start, not summed
    env = {**os.environ, "PYTHONPATH": str(ROOT), MULTIPROC_ENV: str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", WORKERS], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    lines = set(result.stdout.splitlines())
    assert 'bme_messages_total{channel="rest",outcome="answer"} 1.0' in lines
    assert 'bme_messages_total{channel="rest",outcome="urgent"} 5.0' in lines  # 2 + 3
    assert 'bme_urgent_escalations_total{channel="rest"} 5.0' in lines
    assert 'bme_errors_total{channel="rest"} 2.0' in lines
    assert 'bme_reply_seconds_count{channel="rest"} 6.0' in lines
    assert 'bme_reply_seconds_bucket{channel="rest",le="0.025"} 1.0' in lines
