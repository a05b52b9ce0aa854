"""The folder where the Rasa server's processes keep their metrics (prometheus_client's
multi-process mode), prepared before prometheus_client is imported: the library picks its mode
from ``PROMETHEUS_MULTIPROC_DIR`` once, at import. This module does not import it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import MutableMapping

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare_multiprocess_dir(env: MutableMapping[str, str] = os.environ) -> Path:
    """Make ``PROMETHEUS_MULTIPROC_DIR`` (a new temporary folder when unset) an empty folder, and
    set it in ``env``.

    Call it once per server start, in the process whose workers will count (Sanic forks them
    after), before anything imports prometheus_client. The files of an earlier run are deleted:
    counts start at zero with the server, as Prometheus expects of a restarted target.
    """
    raw = env.get(MULTIPROC_ENV, "").strip()
    folder = Path(raw) if raw else Path(tempfile.mkdtemp(prefix="bme-metrics-"))
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()
    env[MULTIPROC_ENV] = str(folder)
    return folder
