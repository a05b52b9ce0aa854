"""Start the Rasa server, the action server and (optionally) the web server of the chat widget and
kiosk together, wait until all answer, stop all cleanly.

``make run`` uses this (``python -m bot.deploy.serve``), and so do the end-to-end tests (on free ports),
so there is one way to start the assistant.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import date
from pathlib import Path
from typing import IO, List, Optional, Sequence

import yaml

from bot.clinic import reviews
from bot import settings
from bot.channels.credentials import write_credentials

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MODEL = ROOT / "models" / "bme.tar.gz"
RUN_DIR = ROOT / "var" / "run"
READY_TIMEOUT_S = 180.0
# The Rasa server runs through bot.rasa_patches.main (Rasa's CLI with a per-message cost removed, see
# there); the action server runs on rasa_sdk alone (bot.deploy.actions_server adds the health
# routes), without importing Rasa and TensorFlow, so it starts in about a second and uses a
# fraction of the memory (reports/benchmark.md).
RASA_COMMAND = (sys.executable, "-m", "bot.rasa_patches.main")
ACTIONS_COMMAND = (sys.executable, "-m", "bot.deploy.actions_server")
#: What start() waits for: every server's readiness (docs/operators/operations.md).
READY_PATH = "/health/ready"


def _bin(name: str) -> str:
    """A console script of the running virtual environment (``rasa``)."""
    return str(Path(sys.executable).parent / name)


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now (tests, benchmarks)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback only)
            return response.status == 200
    except OSError:
        return False


def write_endpoints(actions_port: int, path: Path) -> Path:
    """The effective endpoints file: endpoints.yml, the action server on ``actions_port``, and the
    tracker and lock stores chosen by the environment (:mod:`bot.settings`), checked reachable."""
    config = settings.endpoints(f"http://127.0.0.1:{actions_port}/webhook")
    settings.check_reachable(config)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    path.chmod(0o600)  # may hold the database password
    return path


class Servers:
    """The server processes of one assistant.

    Args:
        rasa_port: port of the Rasa server (REST and socket.io channels).
        actions_port: port of the action server.
        model: trained model archive.
        log_dir: where each server's output goes (``rasa-<port>.log``); ``None`` inherits stdout.
        extra_args: more arguments for ``rasa run``.
        web_port: port of the web server of the chat widget and kiosk (``bot.web``); ``None``: none.
    """

    def __init__(
        self,
        rasa_port: int = 5005,
        actions_port: int = 5055,
        model: Path = DEFAULT_MODEL,
        log_dir: Optional[Path] = None,
        extra_args: Sequence[str] = (),
        web_port: Optional[int] = None,
    ) -> None:
        self.rasa_port = rasa_port
        self.actions_port = actions_port
        self.model = Path(model)
        self.log_dir = log_dir
        self.extra_args = list(extra_args)
        self.web_port = web_port
        self.processes: List[subprocess.Popen] = []
        self._logs: List[IO[bytes]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def metrics_dir(self) -> Path:
        """Where the Rasa server's processes keep their metrics; emptied by the Rasa server at
        every start (:mod:`bot.ops.metrics_folder`)."""
        return RUN_DIR / f"metrics-{self.rasa_port}"

    def _cors_args(self) -> List[str]:
        """``--cors`` for the pages that talk to Rasa's socket.io channel from the browser.

        The widget is made to be embedded in other sites, so it talks to Rasa cross-origin by
        design (a reverse proxy would only hide that on our own demo page). Rasa turns off
        python-socketio's own origin check and lets Sanic-CORS answer instead, so the origins
        named here are the ones whose pages may use the channel's HTTP long-polling transport.
        We name them one by one (never ``*``): our web server's, plus ``BME_EMBED_ORIGINS``.
        """
        origins = self.origins()
        return ["--cors", *origins] if origins else []

    def origins(self) -> List[str]:
        """The web origins allowed to talk to Rasa from a browser (CORS and socket.io): our web
        server's and the sites of ``BME_EMBED_ORIGINS``."""
        origins = list(settings.embed_origins())
        if self.web_port is not None:
            origins = [f"http://localhost:{self.web_port}", self.web_url, *origins]
        return origins

    def _spawn(self, name: str, args: List[str], **extra_env: str) -> None:
        output = None
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            output = open(self.log_dir / f"{name}.log", "wb")
            self._logs.append(output)
        env = {**os.environ, "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false",
               "TF_CPP_MIN_LOG_LEVEL": "2", **extra_env}
        self.processes.append(subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT if output else None,
            start_new_session=True))

    def start_actions(self) -> subprocess.Popen:
        """Start the action server (also used to bring it back after :meth:`stop_actions`)."""
        self._spawn(f"actions-{self.actions_port}", [
            *ACTIONS_COMMAND, "--port", str(self.actions_port), "--actions", "actions"])
        self.actions_process = self.processes[-1]
        return self.actions_process

    def stop_actions(self) -> None:
        """Kill the action server, as a crash would (fault tests)."""
        os.killpg(self.actions_process.pid, signal.SIGKILL)
        self.actions_process.wait()
        self.processes.remove(self.actions_process)

    def start(self, timeout: float = READY_TIMEOUT_S) -> "Servers":
        """Start the servers and wait until each is ready (``/health/ready``); raise with the log's
        path if one is not."""
        if not self.model.exists():
            raise FileNotFoundError(f"No trained model at {self.model}: run `make setup` first.")
        settings.check_all()  # a bad setting stops here, named, not in each server
        endpoints = write_endpoints(self.actions_port, RUN_DIR / f"endpoints-{self.rasa_port}.yml")
        credentials = write_credentials(RUN_DIR / f"credentials-{self.rasa_port}.yml")
        self.start_actions()
        self._spawn(f"rasa-{self.rasa_port}", [
            *RASA_COMMAND, "run", "--model", str(self.model), "--port", str(self.rasa_port),
            "--credentials", str(credentials), "--endpoints", str(endpoints),
            *self._cors_args(), *settings.rasa_run_args(), *self.extra_args],
            BME_EMBED_ORIGINS=" ".join(self.origins()),  # the channel's check: ours included
            PROMETHEUS_MULTIPROC_DIR=str(self.metrics_dir))
        checks = {"action server": f"http://127.0.0.1:{self.actions_port}",
                  "Rasa server": self.url}
        if self.web_port is not None:
            self._spawn(f"web-{self.web_port}", [
                sys.executable, "-m", "bot.web", "--port", str(self.web_port),
                "--rasa-port", str(self.rasa_port)])
            checks["web server"] = self.web_url
        deadline = time.monotonic() + timeout
        while checks:
            for name, url in list(checks.items()):
                if _answers(url + READY_PATH):
                    print(f"  {name} ready at {url}", flush=True)
                    del checks[name]
            dead = [p for p in self.processes if p.poll() is not None]
            if dead or time.monotonic() > deadline:
                self.stop()
                where = f" (see {self.log_dir})" if self.log_dir else ""
                why = "exited early" if dead else f"not ready after {timeout:.0f} s"
                raise RuntimeError(f"{', '.join(checks)} {why}{where}")
            time.sleep(0.5)
        return self

    def stop(self) -> None:
        """Ask the servers to stop; kill whatever is left after 15 seconds."""
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        for log in self._logs:
            log.close()
        self.processes, self._logs = [], []

    def __enter__(self) -> "Servers":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Run the bone marrow edema assistant.")
    parser.add_argument("--rasa-port", type=int, default=5005)
    parser.add_argument("--actions-port", type=int, default=5055)
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--web-port", type=int, default=8080,
                        help="port of the chat widget demo page and kiosk; 0: no web server")
    args = parser.parse_args(argv)
    servers = Servers(args.rasa_port, args.actions_port, args.model,
                      web_port=args.web_port or None)
    print("Starting the action server and the Rasa server (this takes about 20 seconds)...",
          flush=True)
    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    if settings.log_warning():
        print(settings.log_warning(), file=sys.stderr, flush=True)
    if review_warning := reviews.startup_warning(date.today()):  # answers no clinician signed
        print(review_warning, file=sys.stderr, flush=True)
    try:
        servers.start()
        if servers.web_port is not None:
            print(f"Chat widget demo: http://localhost:{servers.web_port}/  |  "
                  f"kiosk: http://localhost:{servers.web_port}/kiosk", flush=True)
        print(f"Ready. REST: POST {servers.url}/webhooks/rest/webhook  |  socket.io: {servers.url}\n"
              "Talk to it in another terminal with `make chat`. Press Ctrl-C to stop.", flush=True)
        while not stop["now"] and all(p.poll() is None for p in servers.processes):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    except (settings.SettingsError, RuntimeError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr, flush=True)
        return 2
    finally:
        print("\nStopping...", flush=True)
        servers.stop()
        print("Stopped.", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
