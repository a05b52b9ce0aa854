"""The Rasa server's operations routes and log format, added to the Sanic app that Rasa builds.

Rasa's ``rasa run`` builds its web app in ``rasa.core.run.configure_app`` (after setting up its
logging and the ``--log-file`` handler) and has no hook for more routes. :func:`install` wraps
that function: the app it returns gets ``/health/live``, ``/health/ready`` and ``/metrics``
(:mod:`bot.ops.sanic_routes`), and the process's logs the format of ``BME_LOG_FORMAT``
(:mod:`bot.ops.logs`). This is not a speed-up: :mod:`bot.rasa_patches.main` installs it whatever
``BME_RASA_SPEEDUPS`` says, and a missing Rasa name stops the start instead of leaving it out
(:data:`bot.rasa_patches.registry.ALWAYS_ON`).

Readiness (:func:`agent_checks`) asks what this worker actually runs with: the model Rasa
loaded, the tracker store behind Rasa's fail-safe wrapper (which would otherwise hide a
database that is down by answering "no such conversation"), and the Redis lock store when there
is one.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Dict, Optional

from bot.ops.health import Check, failing, redis_ping, sql_ping
from bot.rasa_patches.registry import ALWAYS_ON, missing_names

logger = logging.getLogger(__name__)
_INSTALLED: Dict[str, Callable[..., Any]] = {}


def agent_checks(agent: Optional[Any]) -> Dict[str, Check]:
    """The readiness checks of a worker whose Rasa agent is ``agent`` (``None`` before loading):

    - ``model``: the model is loaded (``Agent.is_ready``);
    - ``tracker_store``: the database behind the tracker store answers ``SELECT 1`` (a store
      without a database, such as Rasa's in-memory fall-back, fails: conversations would be lost);
    - ``lock_store``, only with a Redis lock store: Redis answers a ping.
    """
    from rasa.core.lock_store import RedisLockStore

    if agent is None or not agent.is_ready():
        reason = "the model is not loaded"
        return {"model": failing(reason), "tracker_store": failing(reason)}
    store = agent.tracker_store
    store = getattr(store, "_tracker_store", store)  # inside Rasa's FailSafeTrackerStore
    engine = getattr(store, "engine", None)
    checks: Dict[str, Check] = {
        "model": lambda: None,
        "tracker_store": sql_ping(engine) if engine is not None else failing(
            f"the tracker store is a {type(store).__name__}, without a database"),
    }
    if isinstance(agent.lock_store, RedisLockStore):
        checks["lock_store"] = redis_ping(agent.lock_store.red)
    return checks


def add_operations(app: Any, log_format: str) -> None:
    """Give Rasa's ``app`` the operations routes, and this process's logs ``log_format``; again
    when the server starts (Rasa sets up Sanic's loggers between building the app and running
    it)."""
    from bot.ops.logs import use_format
    from bot.ops.sanic_routes import add_health_routes, add_metrics_route

    use_format(log_format)
    app.register_listener(lambda *_: use_format(log_format), "main_process_start")
    add_health_routes(app, lambda running: agent_checks(getattr(running.ctx, "agent", None)))
    add_metrics_route(app)


def prepare(log_format: str) -> None:
    """What must happen before Rasa (and prometheus_client) is imported: the metrics folder of
    this server's processes, emptied (:mod:`bot.ops.metrics_folder`), and the log format for the
    lines logged before Rasa sets up its own logging."""
    from bot.ops.logs import use_format
    from bot.ops.metrics_folder import prepare_multiprocess_dir

    prepare_multiprocess_dir()
    use_format(log_format)


def install(log_format: str) -> None:
    """Wrap ``rasa.core.run.configure_app`` so the app it builds gets :func:`add_operations`.

    Raises:
        RuntimeError: a Rasa name this relies on is missing (another Rasa version): the server
            would run without its health checks, which a deployment waits for.
    """
    if _INSTALLED:
        return
    missing = missing_names(ALWAYS_ON, touches=ALWAYS_ON)
    if missing:
        raise RuntimeError(f"The operations routes cannot be added to this Rasa: "
                           f"{'; '.join(missing.values())}. See docs/developers/rasa-patches.md.")
    import rasa.core.run

    configure = _INSTALLED["configure_app"] = rasa.core.run.configure_app

    def configure_app(*args: Any, **kwargs: Any) -> Any:
        app = configure(*args, **kwargs)
        add_operations(app, log_format)
        return app

    rasa.core.run.configure_app = configure_app
