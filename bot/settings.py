"""Deployment settings, read from environment variables, turned into what Rasa runs with.

Rasa's own ``${VAR}`` substitution in endpoints.yml fails when a variable is unset, so the launcher
(:mod:`bot.deploy.serve`) writes the effective endpoints file from the committed ``endpoints.yml`` plus
these settings. With none set, the assistant runs on one machine with embedded defaults.

========================  =====================================================================
``BME_DATABASE_URL``      ``postgresql://user:password@host:5432/db``: PostgreSQL tracker store.
                          Unset: SQLite file ``BME_SQLITE_PATH`` (default ``var/conversations.db``).
``BME_REDIS_URL``         ``redis://host:6379/0``: Redis lock store, needed by several Rasa
                          processes. Unset: in-memory locks (one process only).
``BME_API_TOKEN``         Turns Rasa's HTTP API on, protected by this token.
``BME_JWT_SECRET``        Turns Rasa's HTTP API on, protected by JWTs signed with this secret.
``BME_LOG_MESSAGES``      ``1``: debug logs that include message text (health information!).
``BME_LOG_FORMAT``        ``json`` (default): the servers log one JSON object a line, exceptions
                          as frames without their messages (docs/operators/operations.md); ``text``: the
                          frameworks' own lines, for a person reading them. With
                          ``BME_LOG_MESSAGES=1`` the default is ``text``, as before.
``BME_STAFF_PASSWORD_HASH`` The staff dashboard's password, hashed (``make staff-password``).
                          Unset: the dashboard is off (its login page says so).
``BME_STAFF_SESSION_MINUTES`` Minutes a staff login lasts (default 30).
``BME_DASHBOARD_TEXT``    ``1``: the dashboard shows the redacted words of unanswered messages
                          (default ``0``: figures only, no patient text).
``BME_PUBLIC_URL``        The web server's address as patients reach it (``https://...``), for
                          take-home summary links sent on messaging channels and their QR codes;
                          unset: the address each page was loaded from (channels:
                          ``http://localhost:8080``).
``BME_STORE_TEXT``        ``0``: the tracker store keeps no text, only intents, answer ids, slots
                          and channels (default ``1``: redacted text is kept).
``BME_MAX_MESSAGE_CHARS`` Longest message processed (default 2000); longer ones get a reply
                          saying so and are not stored.
``BME_EMBED_ORIGINS``     Other sites (origins, space-separated: ``https://clinic.example``) whose
                          pages may embed the widget, i.e. talk to Rasa from the browser; our own
                          web server's pages always may. Read by ``make run``, the cluster and the
                          socket.io channel alike (its old name ``BME_SOCKETIO_ORIGINS`` stops
                          the start with an error that says to rename it).
``BME_RASA_SPEEDUPS``     Which changes of :mod:`bot.rasa_patches.main` are on: ``all`` (default),
                          ``none``, or a comma-separated list of their names.
``BME_TRACKER_CACHE``     Conversations each Rasa process keeps in memory (default 100: twice
                          the benchmark's 50 patients, about 80 KB each). ``0``: none.
``BME_TRACKER_CACHE_IDLE_S`` Seconds a cached conversation may stay unused (default 600).
``BME_LOCK_POLL_S``       How often a waiting turn checks its conversation's lock (default
                          0.05 s; Rasa's 1 s would delay a quick second message).
``BME_CONTENT_REVIEWS``   A clinic's own sign-off file of the answers (the format of
                          ``bot/content/reviews.yml``, the default; docs/reviewers/review-workflow.md).
``BME_CARE_TEAM_NAME``    The care team's name on its contact card (:mod:`bot.clinic.care_team`), which
                          follows every reply that sends the patient to their own doctor or nurse
                          and the reply to "talk to a person", never an urgent-care message.
                          Needed when any of the three below is set, with a phone or a portal.
                          None of the four set: the card says to call the clinic that ordered
                          the scan.
``BME_CARE_TEAM_PHONE``   Its phone number: digits, spaces and ``+ ( ) - .``, 3 to 15 digits.
``BME_CARE_TEAM_HOURS``   When it answers, in words ("Monday to Friday, 8 am to 5 pm").
``BME_CARE_TEAM_PORTAL``  Its patient portal, an ``https://`` link. Each of the four: at most 80
                          characters.
========================  =====================================================================

Read by the tests only: ``BME_ARTICLE_DIR`` (the folder of FACTS.md, default
``../shared/article``) and ``BME_UPDATE_SCREENSHOTS`` (``make screenshots``). Channel credentials
(``TELEGRAM_TOKEN`` ...) are read by :mod:`bot.channels.credentials`, which lists them.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import AbstractSet, Any, Dict, FrozenSet, List, Mapping, Optional, Tuple
from urllib.parse import unquote, urlparse

import yaml

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SQLITE = "var/conversations.db"
TRACKER_STORE = "bot.stores.tracker_store.ResilientSQLTrackerStore"
REDIS_LOCK_STORE = "bot.stores.lock_store.AtomicRedisLockStore"
MEMORY_LOCK_STORE = "bot.stores.lock_store.QuickInMemoryLockStore"
DEFAULT_CONTENT_REVIEWS = ROOT / "bot" / "content" / "reviews.yml"


class SettingsError(RuntimeError):
    """A setting is wrong or points at something unreachable; the message names the setting."""


def _number(env: Mapping[str, str], name: str, default: float, *, whole: bool = False,
            minimum: float = 0.0) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw) if whole else float(raw)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        kind = "a whole number" if whole else "a number"
        raise SettingsError(f"{name} must be {kind} of at least {minimum:g}, not {raw!r}")
    return value


def max_message_chars(env: Mapping[str, str] = os.environ) -> int:
    """``BME_MAX_MESSAGE_CHARS``: the longest message processed."""
    return int(_number(env, "BME_MAX_MESSAGE_CHARS", 2000, whole=True, minimum=1))


def store_text(env: Mapping[str, str] = os.environ) -> bool:
    """``BME_STORE_TEXT``: whether the tracker store keeps the (redacted) text of messages."""
    raw = env.get("BME_STORE_TEXT", "1").strip()
    if raw not in ("0", "1"):
        raise SettingsError(f"BME_STORE_TEXT must be 1 (keep redacted text) or 0 (no text), not {raw!r}")
    return raw == "1"


def public_url(env: Mapping[str, str] = os.environ) -> Optional[str]:
    """``BME_PUBLIC_URL``: the web server's public address, without a trailing slash."""
    raw = env.get("BME_PUBLIC_URL", "").strip().rstrip("/")
    if raw and not _url(env, "BME_PUBLIC_URL", ("https", "http")):
        raise SettingsError(f"BME_PUBLIC_URL must look like https://host, not {raw!r}")
    return raw or None


def staff_password_hash(env: Mapping[str, str] = os.environ) -> Optional[str]:
    """``BME_STAFF_PASSWORD_HASH``: the staff dashboard's hashed password (``None``: off)."""
    value = env.get("BME_STAFF_PASSWORD_HASH", "").strip()
    if value and not value.startswith("pbkdf2_sha256$"):
        raise SettingsError("BME_STAFF_PASSWORD_HASH must be a hash made by `make staff-password` "
                            "(it starts with pbkdf2_sha256$), never the password itself")
    return value or None


def staff_session_minutes(env: Mapping[str, str] = os.environ) -> float:
    """``BME_STAFF_SESSION_MINUTES``: how long a staff login lasts."""
    return _number(env, "BME_STAFF_SESSION_MINUTES", 30.0, minimum=1.0)


def dashboard_text(env: Mapping[str, str] = os.environ) -> bool:
    """``BME_DASHBOARD_TEXT``: whether the dashboard shows redacted words of unanswered messages."""
    return env.get("BME_DASHBOARD_TEXT", "0").strip() == "1"


_ORIGIN = re.compile(r"https?://[^/\s?#]+")


def embed_origins(env: Mapping[str, str] = os.environ) -> Tuple[str, ...]:
    """``BME_EMBED_ORIGINS``: the other sites whose pages may embed the widget, in order."""
    if env.get("BME_SOCKETIO_ORIGINS"):
        raise SettingsError("BME_SOCKETIO_ORIGINS is now BME_EMBED_ORIGINS (one setting for the "
                            "sites that embed the widget): rename it")
    origins = tuple(dict.fromkeys(env.get("BME_EMBED_ORIGINS", "").split()))
    for origin in origins:
        if not _ORIGIN.fullmatch(origin):
            raise SettingsError(f"BME_EMBED_ORIGINS: {origin!r} is not an origin; write each as "
                                f"scheme://host[:port] with no path, like https://clinic.example")
    return origins


def rasa_speedups(known: AbstractSet[str], env: Mapping[str, str] = os.environ) -> FrozenSet[str]:
    """``BME_RASA_SPEEDUPS``: the changes of :mod:`bot.rasa_patches.main` to install, out of ``known``."""
    raw = env.get("BME_RASA_SPEEDUPS", "").strip().lower()
    if raw in ("", "all"):
        return frozenset(known)
    names = frozenset(n.strip() for n in raw.split(",") if n.strip() and n.strip() != "none")
    unknown = names - set(known)
    if unknown:
        raise SettingsError(f"BME_RASA_SPEEDUPS: unknown {sorted(unknown)}; use all, none or "
                            f"some of {sorted(known)}")
    return names


def tracker_cache(env: Mapping[str, str] = os.environ) -> Tuple[int, float]:
    """(``BME_TRACKER_CACHE``, ``BME_TRACKER_CACHE_IDLE_S``): conversations kept in memory per
    process, and seconds one may stay unused."""
    return (int(_number(env, "BME_TRACKER_CACHE", 100, whole=True)),
            _number(env, "BME_TRACKER_CACHE_IDLE_S", 600.0))


def lock_poll_seconds(env: Mapping[str, str] = os.environ) -> float:
    """``BME_LOCK_POLL_S``: how often a waiting turn checks its conversation's lock."""
    return _number(env, "BME_LOCK_POLL_S", 0.05, minimum=0.001)


def content_reviews_path(env: Mapping[str, str] = os.environ) -> Path:
    """``BME_CONTENT_REVIEWS``: the file recording which answers a clinician signed
    (:mod:`bot.clinic.reviews`); a relative path is taken from the repository's folder."""
    raw = env.get("BME_CONTENT_REVIEWS", "").strip()
    if not raw:
        return DEFAULT_CONTENT_REVIEWS
    path = Path(raw) if Path(raw).is_absolute() else ROOT / raw
    if not path.is_file():
        raise SettingsError(f"BME_CONTENT_REVIEWS points at {path}, which is not a file: copy "
                            f"{DEFAULT_CONTENT_REVIEWS} there, or unset BME_CONTENT_REVIEWS to use it")
    return path


@dataclass(frozen=True)
class CareTeam:
    """The clinic's contact details for the care team's card (:mod:`bot.clinic.care_team`); ``None``:
    not set."""

    name: Optional[str] = None
    phone: Optional[str] = None
    hours: Optional[str] = None
    portal: Optional[str] = None


#: The settings of the care team's card, by field of :class:`CareTeam`.
CARE_TEAM_SETTINGS = {"name": "BME_CARE_TEAM_NAME", "phone": "BME_CARE_TEAM_PHONE",
                      "hours": "BME_CARE_TEAM_HOURS", "portal": "BME_CARE_TEAM_PORTAL"}
CARE_TEAM_MAX_CHARS = 80
_PHONE = re.compile(r"\+?[0-9 ().-]+")


def care_team(env: Mapping[str, str] = os.environ) -> CareTeam:
    """``BME_CARE_TEAM_NAME``, ``BME_CARE_TEAM_PHONE``, ``BME_CARE_TEAM_HOURS`` and
    ``BME_CARE_TEAM_PORTAL``: the care team's contact details (all ``None`` when none is set)."""
    found = {field: " ".join(env.get(name, "").split()) or None
             for field, name in CARE_TEAM_SETTINGS.items()}
    for field, value in found.items():
        if value is not None and len(value) > CARE_TEAM_MAX_CHARS:
            raise SettingsError(f"{CARE_TEAM_SETTINGS[field]} must be at most "
                                f"{CARE_TEAM_MAX_CHARS} characters, not {len(value)}")
    phone, portal = found["phone"], found["portal"]
    if phone is not None and not (_PHONE.fullmatch(phone)
                                  and 3 <= sum(c.isdigit() for c in phone) <= 15):
        raise SettingsError("BME_CARE_TEAM_PHONE must be a phone number: digits, spaces and "
                            f"+ ( ) - . only, 3 to 15 digits, like +44 20 7946 0000; not {phone!r}")
    if portal is not None and (urlparse(portal).scheme != "https"
                               or not urlparse(portal).hostname or " " in portal):
        raise SettingsError("BME_CARE_TEAM_PORTAL must be an https:// link, like "
                            f"https://portal.clinic.example; not {portal!r}")
    others = [CARE_TEAM_SETTINGS[f] for f, value in found.items() if value and f != "name"]
    if others and found["name"] is None:
        raise SettingsError(f"{', '.join(others)} set without BME_CARE_TEAM_NAME: set the care "
                            "team's name too, like 'Knee clinic, St Mary's Hospital'")
    if found["name"] is not None and phone is None and portal is None:
        raise SettingsError("BME_CARE_TEAM_NAME is set without BME_CARE_TEAM_PHONE or "
                            "BME_CARE_TEAM_PORTAL: set at least one, so patients can reach the team")
    return CareTeam(**found)


def _url(env: Mapping[str, str], name: str, schemes: tuple) -> Optional[Any]:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    parsed = urlparse(raw)
    if parsed.scheme not in schemes or not parsed.hostname:
        raise SettingsError(f"{name} must look like {schemes[0]}://host:port/..., not {raw!r}")
    return parsed


def tracker_store(env: Mapping[str, str] = os.environ) -> Dict[str, Any]:
    """Rasa's ``tracker_store`` endpoint: PostgreSQL when ``BME_DATABASE_URL`` is set, else SQLite."""
    db = _url(env, "BME_DATABASE_URL", ("postgresql", "postgres"))
    if db is None:
        path = Path(env.get("BME_SQLITE_PATH", DEFAULT_SQLITE))
        path = path if path.is_absolute() else ROOT / path
        return {"type": TRACKER_STORE, "dialect": "sqlite", "db": str(path)}
    return {"type": TRACKER_STORE, "dialect": "postgresql", "url": db.hostname,
            "port": db.port or 5432, "db": db.path.lstrip("/") or "postgres", "username": unquote(db.username or ""),
            "password": unquote(db.password or "")}


def lock_store(env: Mapping[str, str] = os.environ) -> Dict[str, Any]:
    """Rasa's ``lock_store`` endpoint: Redis when ``BME_REDIS_URL`` is set, else in memory
    (:class:`bot.stores.lock_store.QuickInMemoryLockStore`: Rasa's, checking waiting turns more often).

    Redis locks use :class:`bot.stores.lock_store.AtomicRedisLockStore`, not Rasa's ``redis`` type,
    whose tickets can be issued twice when several processes take them at once."""
    redis = _url(env, "BME_REDIS_URL", ("redis",))
    if redis is None:
        return {"type": MEMORY_LOCK_STORE}
    return {"type": REDIS_LOCK_STORE, "url": redis.hostname, "port": redis.port or 6379,
            "db": int(redis.path.lstrip("/") or 0), "key_prefix": "bme"}


def endpoints(actions_url: str, env: Mapping[str, str] = os.environ,
              base: Path = ROOT / "endpoints.yml") -> Dict[str, Any]:
    """The effective endpoints: the committed file, the action server URL, and the stores."""
    config = yaml.safe_load(base.read_text(encoding="utf-8")) or {}
    config["action_endpoint"] = {"url": actions_url}
    config["tracker_store"] = tracker_store(env)
    config["lock_store"] = lock_store(env)
    return config


def check_reachable(config: Mapping[str, Any]) -> None:
    """Fail fast, naming the setting, when a store cannot be reached. (Rasa itself would fall
    back to an in-memory store with only a warning, and lose every conversation on restart.)"""
    store = config["tracker_store"]
    if store["dialect"] == "sqlite":
        Path(store["db"]).parent.mkdir(parents=True, exist_ok=True)
    else:
        import psycopg2

        try:
            psycopg2.connect(host=store["url"], port=store["port"], dbname=store["db"],
                             user=store["username"] or None, password=store["password"] or None,
                             connect_timeout=3).close()
        except psycopg2.Error as error:
            raise SettingsError(
                f"Cannot reach the PostgreSQL tracker store at {store['url']}:{store['port']}/"
                f"{store['db']} ({str(error).strip()}). Start PostgreSQL or fix BME_DATABASE_URL.")
    locks = config["lock_store"]
    if locks["type"] == REDIS_LOCK_STORE:
        import redis

        try:
            redis.Redis(host=locks["url"], port=locks["port"], db=locks["db"],
                        socket_connect_timeout=3).ping()
        except redis.RedisError as error:
            raise SettingsError(f"Cannot reach the Redis lock store at {locks['url']}:"
                                f"{locks['port']} ({error}). Start Redis or fix BME_REDIS_URL.")


def rasa_run_args(env: Mapping[str, str] = os.environ) -> List[str]:
    """Extra ``rasa run`` arguments: the HTTP API (off unless a token or JWT secret is set) and
    debug logging (off unless asked for, because it writes message text)."""
    args: List[str] = []
    token, jwt_secret = env.get("BME_API_TOKEN", ""), env.get("BME_JWT_SECRET", "")
    if token and len(token) < 16:
        raise SettingsError("BME_API_TOKEN must be at least 16 characters long")
    if token or jwt_secret:
        args.append("--enable-api")
        args += ["--auth-token", token] if token else []
        args += ["--jwt-secret", jwt_secret] if jwt_secret else []
    if env.get("BME_LOG_MESSAGES") == "1":
        args.append("--debug")
    return args


LOG_FORMATS = ("json", "text")


def log_format(env: Mapping[str, str] = os.environ) -> str:
    """``BME_LOG_FORMAT``: ``json`` or ``text``; unset, ``json`` unless ``BME_LOG_MESSAGES=1``
    asked for today's debug logs with message text (those stay Rasa's text lines)."""
    raw = env.get("BME_LOG_FORMAT", "").strip().lower()
    if not raw:
        return "text" if env.get("BME_LOG_MESSAGES") == "1" else "json"
    if raw not in LOG_FORMATS:
        raise SettingsError(f"BME_LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, not {raw!r}")
    return raw


def log_warning(env: Mapping[str, str] = os.environ) -> Optional[str]:
    """The warning to print when message text will reach the logs."""
    if env.get("BME_LOG_MESSAGES") == "1":
        return ("WARNING: BME_LOG_MESSAGES=1 writes patients' messages to the logs. They may be "
                "health information: use this for debugging only, and delete the logs after.")
    return None


def check_all(env: Mapping[str, str] = os.environ) -> None:
    """Read every setting once, so that a bad value stops the start, named, before any server
    starts (each server reads the ones it uses again, from the same functions).

    Raises:
        SettingsError: the first setting that is wrong, with how to fix it.
    """
    for read in (max_message_chars, store_text, public_url, staff_password_hash,
                 staff_session_minutes, embed_origins, tracker_cache, lock_poll_seconds,
                 content_reviews_path, care_team, tracker_store, lock_store, rasa_run_args,
                 log_format):
        read(env)
