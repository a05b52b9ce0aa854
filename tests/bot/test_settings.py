"""Deployment settings from environment variables, without any server."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot import settings

from bot.settings import (REDIS_LOCK_STORE, ROOT, TRACKER_STORE, SettingsError, check_reachable,
                          endpoints, lock_store, log_warning, rasa_run_args, tracker_store)


def test_defaults_are_embedded_sqlite_and_in_memory_locks() -> None:
    assert tracker_store({}) == {"type": TRACKER_STORE, "dialect": "sqlite",
                                 "db": str(ROOT / "var" / "conversations.db")}
    assert lock_store({}) == {"type": "bot.stores.lock_store.QuickInMemoryLockStore"}
    assert rasa_run_args({}) == []  # HTTP API off, no debug logs


def test_postgres_and_redis_from_urls() -> None:
    env = {"BME_DATABASE_URL": "postgresql://bme:s%40cret@db.local:6543/clinic",
           "BME_REDIS_URL": "redis://cache.local:6380/2"}
    assert tracker_store(env) == {"type": TRACKER_STORE, "dialect": "postgresql",
                                  "url": "db.local", "port": 6543, "db": "clinic", "username": "bme",
                                  "password": "s@cret"}
    assert lock_store(env) == {"type": REDIS_LOCK_STORE, "url": "cache.local", "port": 6380,
                               "db": 2, "key_prefix": "bme"}


def test_effective_endpoints_keep_the_committed_file_and_set_the_action_url() -> None:
    config = endpoints("http://127.0.0.1:6000/webhook", {"BME_SQLITE_PATH": "/tmp/x.db"})
    assert config["action_endpoint"] == {"url": "http://127.0.0.1:6000/webhook"}
    assert config["tracker_store"]["db"] == "/tmp/x.db"


@pytest.mark.parametrize("name, value", [
    ("BME_DATABASE_URL", "mysql://db/x"), ("BME_DATABASE_URL", "not a url"),
    ("BME_REDIS_URL", "http://cache:6379"),
])
def test_bad_urls_name_the_setting(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        endpoints("http://x/webhook", {name: value})


def test_unreachable_postgres_names_the_setting_to_fix() -> None:
    config = endpoints("http://x/webhook", {"BME_DATABASE_URL": "postgresql://u@127.0.0.1:1/x"})
    with pytest.raises(SettingsError, match="Start PostgreSQL or fix BME_DATABASE_URL"):
        check_reachable(config)


def test_unreachable_redis_names_the_setting_to_fix(tmp_path: Path) -> None:
    config = endpoints("http://x/webhook", {"BME_REDIS_URL": "redis://127.0.0.1:1/0",
                                            "BME_SQLITE_PATH": str(tmp_path / "c.db")})
    with pytest.raises(SettingsError, match="Start Redis or fix BME_REDIS_URL"):
        check_reachable(config)


def test_sqlite_folder_is_created(tmp_path: Path) -> None:
    check_reachable(endpoints("http://x/webhook", {"BME_SQLITE_PATH": str(tmp_path / "a" / "c.db")}))
    assert (tmp_path / "a").is_dir()


def test_api_needs_a_token_or_jwt_secret_and_a_long_token() -> None:
    assert rasa_run_args({"BME_API_TOKEN": "x" * 20}) == ["--enable-api", "--auth-token", "x" * 20]
    assert rasa_run_args({"BME_JWT_SECRET": "k"}) == ["--enable-api", "--jwt-secret", "k"]
    with pytest.raises(SettingsError, match="at least 16"):
        rasa_run_args({"BME_API_TOKEN": "short"})


def test_message_logging_is_opt_in_with_a_warning() -> None:
    assert log_warning({}) is None
    assert "--debug" in rasa_run_args({"BME_LOG_MESSAGES": "1"})
    assert "health information" in str(log_warning({"BME_LOG_MESSAGES": "1"}))


@pytest.mark.parametrize("name, value", [
    ("BME_MAX_MESSAGE_CHARS", "0"), ("BME_MAX_MESSAGE_CHARS", "lots"), ("BME_TRACKER_CACHE", "-1"),
    ("BME_TRACKER_CACHE", "1.5"), ("BME_LOCK_POLL_S", "0"), ("BME_TRACKER_CACHE_IDLE_S", "soon"),
])
def test_a_bad_number_is_refused_naming_the_setting(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        {"BME_MAX_MESSAGE_CHARS": settings.max_message_chars, "BME_TRACKER_CACHE": settings.tracker_cache,
         "BME_TRACKER_CACHE_IDLE_S": settings.tracker_cache,
         "BME_LOCK_POLL_S": settings.lock_poll_seconds}[name]({name: value})


def test_numbers_have_documented_defaults_and_can_be_set() -> None:
    assert settings.max_message_chars({}) == 2000 and settings.max_message_chars({"BME_MAX_MESSAGE_CHARS": "500"}) == 500
    assert settings.tracker_cache({}) == (100, 600.0)
    assert settings.tracker_cache({"BME_TRACKER_CACHE": "0", "BME_TRACKER_CACHE_IDLE_S": "30"}) == (0, 30.0)
    assert settings.lock_poll_seconds({}) == 0.05


def test_the_sites_that_embed_the_widget_are_one_setting_checked_as_origins() -> None:
    assert settings.embed_origins({}) == ()
    assert settings.embed_origins({"BME_EMBED_ORIGINS": "https://a.example http://b.example:8080 "
                                                        "https://a.example"}) == \
        ("https://a.example", "http://b.example:8080")
    with pytest.raises(settings.SettingsError, match="no path, like https://clinic.example"):
        settings.embed_origins({"BME_EMBED_ORIGINS": "https://a.example/chat"})
    with pytest.raises(settings.SettingsError, match="now BME_EMBED_ORIGINS"):
        settings.embed_origins({"BME_SOCKETIO_ORIGINS": "https://a.example"})


def test_every_setting_is_read_in_the_settings_module_and_listed_there() -> None:
    root = Path(settings.__file__).resolve().parents[1]
    read = re.compile(r"""(?:environ(?:\.get)?[\[(]|getenv\()\s*["'](BME_[A-Z_]+)""")
    elsewhere = {f"{path.relative_to(root)}: {name}" for path in (root / "bot").rglob("*.py")
                 if path.name != "settings.py" and "bench" not in path.parts
                 for name in read.findall(path.read_text(encoding="utf-8"))}
    assert elsewhere == set()
    source = Path(settings.__file__).read_text(encoding="utf-8")
    documented = set(re.findall(r"``(BME_[A-Z_]+)``", settings.__doc__ or ""))
    assert set(re.findall(r'"(BME_[A-Z_]+)"', source)) <= documented


def test_logs_are_json_unless_a_person_asks_for_text() -> None:
    assert settings.log_format({}) == "json"
    assert settings.log_format({"BME_LOG_FORMAT": "TEXT"}) == "text"
    assert settings.log_format({"BME_LOG_MESSAGES": "1"}) == "text"  # debug logs as before
    assert settings.log_format({"BME_LOG_MESSAGES": "1", "BME_LOG_FORMAT": "json"}) == "json"
    with pytest.raises(SettingsError, match="BME_LOG_FORMAT must be one of json, text"):
        settings.log_format({"BME_LOG_FORMAT": "xml"})


@pytest.mark.parametrize("name, value", [
    ("BME_MAX_MESSAGE_CHARS", "many"), ("BME_EMBED_ORIGINS", "clinic.example"),
    ("BME_STORE_TEXT", "yes"), ("BME_CARE_TEAM_PHONE", "call us"), ("BME_LOG_FORMAT", "xml")])
def test_one_bad_setting_stops_the_start_named(name: str, value: str) -> None:
    settings.check_all({})  # the defaults are all good
    with pytest.raises(settings.SettingsError, match=name):
        settings.check_all({name: value})
