"""Shared fixtures: the article, the trained model, the running assistant, raw REST requests,
and temporary PostgreSQL databases."""

from __future__ import annotations

import contextlib
import json
import os
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Callable, ContextManager, Iterator, List, Mapping, Optional, Tuple

import psycopg2
import pytest

from bot.deploy.serve import free_port
from bot.web.staff.auth import hash_password

ROOT = Path(__file__).resolve().parent.parent
ARTICLE_DIR = Path(os.environ.get("BME_ARTICLE_DIR", ROOT.parent / "shared" / "article"))
MODEL = ROOT / "models" / "bme.tar.gz"
# Fixtures that need what the quick loop (`pytest -m "not slow"`) does without: a trained model,
# a running server, PostgreSQL or Redis. A test that uses one is marked slow here.
SERVICE_FIXTURES = {"trained_model", "assistant", "running_servers", "temporary_database", "redis_prefix",
                    "staff_get"}


def pytest_collection_modifyitems(items: List[pytest.Item]) -> None:
    for item in items:
        if SERVICE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def article_dir() -> Path:
    if not (ARTICLE_DIR / "FACTS.md").exists():
        pytest.fail(f"FACTS.md not found in {ARTICLE_DIR}: check out shared/ beside the repo, "
                    "or set BME_ARTICLE_DIR to the folder that holds it.")
    return ARTICLE_DIR


@pytest.fixture(scope="session")
def trained_model() -> Path:
    if not MODEL.exists():
        pytest.fail(f"No trained model at {MODEL}: run `make setup` (or `make test`) first.")
    return MODEL


@contextlib.contextmanager
def _running_servers(model: Path, log_dir: Path, env: Optional[Mapping[str, str]] = None,
                     **options: Any) -> Iterator[Any]:
    """The real Rasa and action servers (and the web server with ``web_port=``) on free ports,
    with a SQLite tracker store of their own in ``log_dir`` and ``env`` set for them."""
    from bot.deploy.serve import Servers

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BME_SQLITE_PATH", str(log_dir / "conversations.db"))
        for name, value in (env or {}).items():
            patch.setenv(name, value)
        with Servers(free_port(), free_port(), model, log_dir=log_dir, **options) as servers:
            servers.db_path = log_dir / "conversations.db"
            yield servers


@pytest.fixture(scope="session")
def running_servers() -> Callable[..., ContextManager[Any]]:
    return _running_servers


#: The staff dashboard's password in the tests (a cheap hash: tests need no slow login).
STAFF_PASSWORD = "staff password of the tests"
STAFF_ENV = {"BME_STAFF_PASSWORD_HASH": hash_password(STAFF_PASSWORD, iterations=1000)}


@pytest.fixture(scope="session")
def outside_origin() -> str:
    """The origin of another site that embeds the widget (tests/web: rasa-webchat), allowed by
    the session's ``assistant`` through ``BME_EMBED_ORIGINS``."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture(scope="session")
def assistant(trained_model: Path, tmp_path_factory: pytest.TempPathFactory, outside_origin: str):
    """The real Rasa server, action server and web server (widget, kiosk, staff dashboard with
    :data:`STAFF_PASSWORD`), started once on free ports, with their own SQLite tracker store; the
    pages of ``outside_origin`` may embed the widget."""
    with _running_servers(trained_model, tmp_path_factory.mktemp("server-logs"),
                          {**STAFF_ENV, "BME_EMBED_ORIGINS": outside_origin},
                          web_port=free_port()) as servers:
        yield servers


def _staff_get(web_url: str, path: str, password: str = STAFF_PASSWORD) -> Tuple[int, str]:
    """Log in to the staff dashboard at ``web_url`` as a browser would, then GET ``path``."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    login = urllib.parse.urlencode({"password": password}).encode()
    try:
        opener.open(f"{web_url}/staff/login", data=login, timeout=30).read()
        with opener.open(f"{web_url}{path}", timeout=30) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


@pytest.fixture(scope="session")
def staff_env() -> Mapping[str, str]:
    """The environment that switches the staff dashboard on with :data:`STAFF_PASSWORD`."""
    return STAFF_ENV


@pytest.fixture(scope="session")
def staff_get() -> Callable[..., Tuple[int, str]]:
    """``staff_get(web_url, "/staff/export.csv?from=2000-01-01")``: (status, body) after login."""
    return _staff_get


def _post_rest(url: str, body: bytes) -> Tuple[int, Any]:
    """POST raw bytes to the REST webhook: (status, parsed JSON reply or error text)."""
    request = urllib.request.Request(f"{url}/webhooks/rest/webhook", data=body,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


@pytest.fixture(scope="session")
def post_rest() -> Callable[[str, bytes], Tuple[int, Any]]:
    return _post_rest


def _admin() -> Any:
    connection = psycopg2.connect(host="127.0.0.1", port=5432, dbname="postgres", user="postgres")
    connection.autocommit = True
    return connection


@contextlib.contextmanager
def _temporary_database(prefix: str = "bme_test") -> Iterator[str]:
    """A new, empty PostgreSQL database on the local server; yields its BME_DATABASE_URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with contextlib.closing(_admin()) as admin:
        admin.cursor().execute(f"CREATE DATABASE {name}")
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with contextlib.closing(_admin()) as admin:
            admin.cursor().execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def temporary_database() -> Callable[..., ContextManager[str]]:
    """Factory: ``with temporary_database("prefix") as url: ...`` (usable from any scope)."""
    return _temporary_database
