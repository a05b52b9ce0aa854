"""JSON log lines (bot.ops.logs): the fields of a line, exceptions as frames without their
messages, and a whole process whose every line is one JSON object."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from bot.ops.logs import JsonFormatter, use_format, where_raised

ROOT = Path(__file__).resolve().parents[2]
SECRET = "my knee hurts since the fall"  # stands for a patient's words


def record_of(error: BaseException) -> logging.LogRecord:
    try:
        raise error
    except BaseException as raised:
        return logging.LogRecord("bot.channels.guard", logging.ERROR, __file__, 1,
                                 "Could not handle a %s message", ("rest",), (type(raised), raised,
                                                                              raised.__traceback__))


def lookup(table: dict, key: str) -> str:
    return table[key]


def test_a_line_has_time_level_logger_and_message() -> None:
    record = logging.LogRecord("rasa.core", logging.INFO, __file__, 1, "Loaded %d things", (3,), None)
    line = json.loads(JsonFormatter().format(record))
    assert line.keys() == {"time", "level", "logger", "process", "message"}
    assert line["level"] == "INFO" and line["logger"] == "rasa.core"
    assert line["message"] == "Loaded 3 things" and line["process"] == os.getpid()
    assert line["time"].endswith("Z") and line["time"][10] == "T"  # 2026-01-02T03:04:05.678Z


def test_an_exception_gives_its_frames_and_types_but_never_its_message() -> None:
    try:
        try:
            lookup({}, SECRET)
        except KeyError as error:
            raise RuntimeError(f"while reading {SECRET!r}") from error
    except RuntimeError as error:
        record = record_of(error)
    text = JsonFormatter().format(record)
    line = json.loads(text)
    assert SECRET not in text
    assert line["message"] == "Could not handle a rest message"
    assert line["error"].startswith("builtins.RuntimeError, raised at:")
    assert "builtins.KeyError, raised at:" in line["error"]
    assert ", in lookup\n" in line["error"] and "return table[key]" in line["error"]
    assert line["error"] == where_raised(record.exc_info[1])  # type: ignore[index]


@pytest.fixture
def logging_state() -> Iterator[logging.Logger]:
    """The root logger's handlers, the last resort and warnings capture, restored after."""
    root = logging.getLogger()
    saved = (list(root.handlers), [h.formatter for h in root.handlers], logging.lastResort)
    yield root
    root.handlers[:] = saved[0]
    for handler, formatter in zip(saved[0], saved[1]):
        handler.setFormatter(formatter)
    logging.lastResort = saved[2]
    logging.captureWarnings(False)


def test_json_replaces_the_formatter_of_every_handler(logging_state: logging.Logger) -> None:
    handler = logging.StreamHandler()
    logging_state.addHandler(handler)
    use_format("json")
    assert isinstance(handler.formatter, JsonFormatter)
    assert isinstance(logging.lastResort.formatter, JsonFormatter)  # type: ignore[union-attr]


def test_text_leaves_the_frameworks_formats(logging_state: logging.Logger) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    logging_state.addHandler(handler)
    last_resort = logging.lastResort
    use_format("text")
    assert type(handler.formatter) is logging.Formatter and logging.lastResort is last_resort


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown log format 'xml'"):
        use_format("xml")


PROCESS = """
import logging, sys, warnings
import coloredlogs
coloredlogs.install(level="INFO")  # as Rasa and rasa_sdk set up their logging
sanic = logging.getLogger("sanic.error")
sanic.propagate = False  # as Rasa leaves Sanic's loggers: no handler of their own
from bot.ops.logs import use_format
use_format("json")
logging.getLogger("rasa.core").info("server up")
warnings.warn("an old API")
sanic.error("Exception occurred while handling uri: %r", "http://x/webhooks/rest/webhook")
try:
    {}["SECRET"]
except KeyError:
    logging.getLogger("bot.channels.guard").exception("Could not handle a rest message")
"""


def test_every_line_of_a_process_is_one_json_object() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", PROCESS.replace("SECRET", SECRET)], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    assert [(line["logger"], line["level"]) for line in lines] == [
        ("rasa.core", "INFO"), ("py.warnings", "WARNING"), ("sanic.error", "ERROR"),
        ("bot.channels.guard", "ERROR")]
    assert "builtins.KeyError, raised at:" in lines[-1]["error"]
    assert SECRET not in result.stderr
