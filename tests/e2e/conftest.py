"""Fixtures of the end-to-end tests: a PostgreSQL server of a test's own (the fault test restarts
it; the operations test stops and starts it)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Iterator

import pytest

from postgres_server import PrivatePostgres


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    # not under pytest's temporary folders: those are private to this user, and the server
    # runs as the postgres user when the tests run as root
    folder = Path(tempfile.mkdtemp(prefix="bme-postgres-"))
    try:
        server = PrivatePostgres(folder)
        server.pg_ctl("start")
        try:
            yield server
        finally:
            server.pg_ctl("stop")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
