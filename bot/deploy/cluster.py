"""Several Rasa processes behind nginx, all on loopback: ``python -m bot.deploy.cluster`` (``make cluster``).

Each instance is a :class:`bot.deploy.serve.Servers` pair (Rasa server + its own stateless action
server). They share the PostgreSQL tracker store and the Redis lock store, which are required
here: the lock store serialises the messages of one conversation across processes, and the
tracker store lets any instance continue any conversation.

nginx routes REST and messaging webhooks round robin (any instance can answer; a dead one is
skipped), and socket.io with ``ip_hash``: Rasa's socket.io channel keeps per-connection state in
its process, so a browser must keep talking to the same instance.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import List, Optional, Sequence

from bot import settings
from bot.deploy.serve import DEFAULT_MODEL, RUN_DIR, Servers, _answers, free_port

NGINX_TEMPLATE = """\
worker_processes 1;
pid {run_dir}/nginx.pid;
error_log {run_dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {run_dir}/body;
  proxy_temp_path {run_dir}/proxy;
  fastcgi_temp_path {run_dir}/fastcgi;
  uwsgi_temp_path {run_dir}/uwsgi;
  scgi_temp_path {run_dir}/scgi;
  client_max_body_size 1m;
  upstream rasa {{
{servers}
  }}
  upstream rasa_sticky {{
    ip_hash;
{servers}
  }}
  server {{
    listen 127.0.0.1:{port};
    proxy_http_version 1.1;
    proxy_set_header Host $host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_connect_timeout 2s;
    proxy_read_timeout 60s;
    proxy_next_upstream error timeout http_502 http_503;
    location /socket.io/ {{
      proxy_pass http://rasa_sticky;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection "upgrade";
    }}
    location / {{
      proxy_pass http://rasa;
    }}
  }}
}}
"""


def nginx_config(port: int, rasa_ports: Sequence[int], run_dir: Path) -> str:
    """The nginx configuration for ``rasa_ports`` behind ``port``."""
    servers = "\n".join(f"    server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;" for p in rasa_ports)
    return NGINX_TEMPLATE.format(port=port, servers=servers, run_dir=run_dir)


class Cluster:
    """``instances`` Rasa processes (each with its action server) behind nginx on ``port``."""

    def __init__(self, port: int = 8000, instances: int = 2, model: Path = DEFAULT_MODEL,
                 log_dir: Optional[Path] = None) -> None:
        if instances < 1:
            raise ValueError("--instances must be 1 or more")
        self.port = port
        self.log_dir = log_dir
        self.run_dir = RUN_DIR / f"nginx-{port}"
        self.instances = [Servers(free_port(), free_port(), model, log_dir=log_dir)
                          for _ in range(instances)]
        self.nginx: Optional[subprocess.Popen] = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 180) -> "Cluster":
        """Check the shared stores, start every instance, then nginx in front of them."""
        config = settings.endpoints("http://unused/webhook")
        if (config["tracker_store"]["dialect"] != "postgresql"
                or config["lock_store"]["type"] != settings.REDIS_LOCK_STORE):
            raise settings.SettingsError(
                "A cluster needs a shared tracker store and lock store: set BME_DATABASE_URL "
                "(PostgreSQL) and BME_REDIS_URL (Redis), e.g. "
                "BME_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres "
                "BME_REDIS_URL=redis://127.0.0.1:6379/0")
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(nginx).exists():
            raise RuntimeError("nginx is not installed: apt-get install nginx-light")
        try:
            for number, instance in enumerate(self.instances, 1):
                print(f"Starting instance {number} of {len(self.instances)}...", flush=True)
                instance.start(timeout)
            self.run_dir.mkdir(parents=True, exist_ok=True)
            conf = self.run_dir / "nginx.conf"
            conf.write_text(nginx_config(self.port, [i.rasa_port for i in self.instances],
                                         self.run_dir), encoding="utf-8")
            self.nginx = subprocess.Popen([nginx, "-c", str(conf), "-p", str(self.run_dir),
                                           "-g", "daemon off;"], start_new_session=True)
            deadline = time.monotonic() + 20
            while not _answers(f"{self.url}/"):
                if self.nginx.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"nginx did not start (see {self.run_dir}/error.log)")
                time.sleep(0.2)
        except BaseException:
            self.stop()
            raise
        print(f"  nginx ready at {self.url}", flush=True)
        return self

    def stop(self) -> None:
        if self.nginx is not None and self.nginx.poll() is None:
            self.nginx.send_signal(signal.SIGQUIT)
            try:
                self.nginx.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.nginx.kill()
        for instance in self.instances:
            instance.stop()

    def __enter__(self) -> "Cluster":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Run several Rasa processes behind nginx.")
    parser.add_argument("--port", type=int, default=8000, help="nginx port on 127.0.0.1")
    parser.add_argument("--instances", type=int, default=2)
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    args = parser.parse_args(argv)
    cluster = Cluster(args.port, args.instances, args.model)
    try:
        cluster.start()
        print(f"Ready: {cluster.url}/webhooks/rest/webhook (and socket.io at {cluster.url}). "
              "Press Ctrl-C to stop.", flush=True)
        while cluster.nginx is not None and cluster.nginx.poll() is None:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    except (settings.SettingsError, RuntimeError, ValueError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    finally:
        cluster.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
