"""A PostgreSQL server of a test's own, for the end-to-end tests that stop or restart the database
(the fixture ``private_postgres`` is in tests/e2e/conftest.py)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from bot.deploy.serve import free_port


class PrivatePostgres:
    """A PostgreSQL server of this test's own (initdb in a temporary folder, on a free port), so
    restarting it disturbs nothing else on the machine."""

    def __init__(self, folder: Path) -> None:
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
        if not bins:
            pytest.fail("PostgreSQL's server programs are not in /usr/lib/postgresql/*/bin: "
                        "install the postgresql package")
        self.bin, self.data, self.port = bins[-1], folder / "data", free_port()
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:  # initdb refuses root; the server runs as the postgres user
            subprocess.run(["chown", "-R", "postgres", str(folder)], check=True)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, timeout=120, capture_output=True)

    def pg_ctl(self, action: str) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.folder / "log"),
                  "-w", "-m", "fast", action)
