"""The Rasa server's Prometheus metrics and the two calls that record them.

Every message passes :func:`bot.channels.guard.guard`, which calls :func:`observe_turn` once per
message with its channel, its outcome and the seconds until its replies were sent, and
:func:`count_error` when the assistant could not answer. Metrics (labels in brackets):

- ``bme_messages_total`` [channel, outcome]: messages handled; ``outcome`` is one of
  :data:`OUTCOMES`.
- ``bme_reply_seconds`` [channel]: histogram of the time from a message's arrival to its last
  reply sent.
- ``bme_fallbacks_total`` [channel] and ``bme_urgent_escalations_total`` [channel]: the messages
  whose outcome was ``fallback`` and ``urgent``, counted by :func:`observe_turn` from the outcome,
  so they always equal those series of ``bme_messages_total`` (kept apart for simple alerts).
- ``bme_errors_total`` [channel]: turns that failed (the "can't answer right now" reply).

Labels never hold message text or sender ids: a channel is its name, and a name that does not
look like one is counted as ``other``. Recording a turn touches memory only (in multi-process
mode, a memory-mapped file per process): no I/O waits in the hot path.

Several Sanic workers: prometheus_client's multi-process mode, switched on by
``PROMETHEUS_MULTIPROC_DIR`` before it is imported (:mod:`bot.ops.metrics_folder`, which the Rasa
server's launcher calls, empties that folder at every start); :func:`exposition` then sums the
files of every worker. Without it (one process, or the quick tests) the values live in this
process.
"""

from __future__ import annotations

import os
import re
from typing import Mapping, Optional, Tuple

from prometheus_client import (CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram,
                               disable_created_metrics, generate_latest, multiprocess)

from bot.ops.metrics_folder import MULTIPROC_ENV
from bot.reply_kinds import KINDS

OUTCOMES = frozenset(KINDS)  # a turn is counted by the kind of its reply
#: Reply times: a quiet server answers in about 10 ms, a busy one in some hundreds (README).
BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
OTHER_CHANNEL = "other"
_CHANNEL_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")

disable_created_metrics()  # the same series with and without multi-process mode

REGISTRY = CollectorRegistry(auto_describe=True)
MESSAGES = Counter("bme_messages", "Messages handled, by channel and outcome.",
                   ("channel", "outcome"), registry=REGISTRY)
REPLY_SECONDS = Histogram("bme_reply_seconds", "Seconds from a message's arrival to its replies "
                          "sent, by channel.", ("channel",), buckets=BUCKETS_S, registry=REGISTRY)
FALLBACKS = Counter("bme_fallbacks", "Messages answered with the fallback (outcome fallback).",
                    ("channel",), registry=REGISTRY)
URGENT = Counter("bme_urgent_escalations", "Messages answered with urgent-care advice "
                 "(outcome urgent).", ("channel",), registry=REGISTRY)
ERRORS = Counter("bme_errors", "Turns that failed and got the can't-answer-now reply.",
                 ("channel",), registry=REGISTRY)


def channel_label(channel: Optional[str]) -> str:
    """``channel`` when it looks like a channel's name (``rest``, ``socketio``), else ``other``."""
    return channel if channel and _CHANNEL_NAME.fullmatch(channel) else OTHER_CHANNEL


def observe_turn(channel: Optional[str], outcome: str, seconds: float) -> None:
    """Count one message of ``channel`` with its ``outcome`` (one of :data:`OUTCOMES`), and the
    ``seconds`` its turn took.

    Raises:
        ValueError: ``outcome`` is not one of :data:`OUTCOMES` (a label must stay a small set).
    """
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}; use one of {sorted(OUTCOMES)}")
    name = channel_label(channel)
    MESSAGES.labels(name, outcome).inc()
    REPLY_SECONDS.labels(name).observe(max(0.0, seconds))
    if outcome == "fallback":
        FALLBACKS.labels(name).inc()
    elif outcome == "urgent":
        URGENT.labels(name).inc()


def count_error(channel: Optional[str]) -> None:
    """Count a turn of ``channel`` that failed (the user got the can't-answer-now reply)."""
    ERRORS.labels(channel_label(channel)).inc()


def exposition(env: Mapping[str, str] = os.environ) -> Tuple[bytes, str]:
    """The metrics in Prometheus' text format and its content type: summed over every process of
    this server in multi-process mode, else this process's."""
    folder = env.get(MULTIPROC_ENV)
    if folder:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=folder)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
