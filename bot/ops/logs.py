"""Log lines as JSON objects, one a line, without exception messages.

Every server installs :func:`use_format` once, after its framework set up logging (Rasa and
rasa_sdk install coloured handlers on the root logger, Rasa adds a file handler for
``--log-file``): the handlers stay where they are and only their formatter changes. A line holds
the time (ISO 8601, UTC), the level, the logger's name, the process id and the message; a record
with an exception gets its frames as :func:`where_raised` writes them, never the exception's
message, which may quote a patient's words (``KeyError: 'my knee ...'``).

The message itself is written as the code logged it: this project's code never logs message text
or sender ids, and Rasa does so only in debug logs, which ``BME_LOG_MESSAGES=1`` turns on (and
with it, by default, the human-readable ``text`` format; :func:`bot.settings.log_format`).
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Set

JSON, TEXT = "json", "text"
#: The loggers of the web frameworks, which may be set not to pass records on to the root logger
#: (Rasa and rasa_sdk do that for Sanic's): their own handlers get the format too.
FRAMEWORK_LOGGERS = ("sanic.root", "sanic.error", "sanic.access", "aiohttp.access",
                     "aiohttp.server", "aiohttp.web")


def where_raised(error: BaseException) -> str:
    """The traceback of ``error`` and of the errors it came from, as a maintainer needs it (file,
    line, function, source line, exception type), without any exception's message or local value:
    those may hold the patient's words ("KeyError: 'my knee ...'")."""
    lines: List[str] = []
    seen: Set[int] = set()
    current: Optional[BaseException] = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        lines.append(f"{type(current).__module__}.{type(current).__qualname__}, raised at:")
        for frame in traceback.extract_tb(current.__traceback__):
            lines.append(f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}')
            if frame.line:
                lines.append(f"    {frame.line}")
        current = current.__cause__ or current.__context__
        if current is not None:
            lines.append("which came from")
    return "\n".join(lines)


class JsonFormatter(logging.Formatter):
    """One JSON object per record: ``time``, ``level``, ``logger``, ``process``, ``message``, and
    ``error`` (frames and exception types, no messages) when the record carries an exception."""

    def format(self, record: logging.LogRecord) -> str:
        line: Dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc)
            .isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "process": record.process,
            "message": record.getMessage(),
        }
        error = record.exc_info[1] if record.exc_info else None
        if error is not None:
            line["error"] = where_raised(error)
        if record.stack_info:
            line["stack"] = record.stack_info
        return json.dumps(line, ensure_ascii=False, default=str)


def _handlers() -> List[logging.Handler]:
    """The handlers records can reach: the root logger's and the framework loggers' own."""
    found: List[logging.Handler] = list(logging.getLogger().handlers)
    for name in FRAMEWORK_LOGGERS:
        found += [h for h in logging.getLogger(name).handlers if h not in found]
    return found


def use_format(log_format: str) -> None:
    """Write this process's logs in ``log_format``: ``json`` (see the module docstring) or
    ``text`` (the frameworks' own formats, unchanged). Safe to call again (a later call also
    covers handlers added since).

    In ``json``, Python's warnings become log records (``py.warnings``), the root logger gets a
    handler on standard error if it has none, and so does the "last resort" that writes the
    records of loggers without handlers (Sanic's, under Rasa), so no plain-text line is left.
    """
    if log_format == TEXT:
        return
    if log_format != JSON:
        raise ValueError(f"unknown log format {log_format!r}: use {JSON!r} or {TEXT!r}")
    formatter = JsonFormatter()
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.StreamHandler(sys.stderr))
    for handler in _handlers():
        handler.setFormatter(formatter)
    last_resort = logging.StreamHandler(sys.stderr)
    last_resort.setLevel(logging.WARNING)  # as logging.lastResort's
    last_resort.setFormatter(formatter)
    logging.lastResort = last_resort
    logging.captureWarnings(True)
