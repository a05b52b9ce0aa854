"""Run the action server: rasa_sdk's own, plus ``/health/live``, ``/health/ready`` and the log
format of ``BME_LOG_FORMAT``.

``python -m bot.deploy.actions_server --port 5055 --actions actions`` takes rasa_sdk's arguments
(``python -m rasa_sdk --help``) and starts as ``python -m rasa_sdk`` does (its logging, CORS,
workers), with the log format set after rasa_sdk's logging; the routes come in through
rasa_sdk's public plugin hook ``attach_sanic_app_extensions``, which it calls with the app before
serving. Like ``python -m rasa_sdk``, this never imports Rasa.

Ready means the content files load (:func:`bot.engine.knowledge.load_knowledge`,
:func:`bot.engine.replies.load_replies`): every answer comes from them; and the index of example
questions, the urgency model and the answer model set-up built are there
(:func:`bot.engine.retrieval.load_retriever`, :func:`bot.engine.urgency.load_urgency`,
:func:`bot.engine.answer_model.load_answer_model`).
"""

from __future__ import annotations

import logging
import os
from typing import Dict, Optional, Sequence

import pluggy
from sanic import Sanic

from bot.settings import SettingsError, care_team, log_format
from bot.ops.health import Check, calls
from bot.ops.logs import use_format
from bot.ops.sanic_routes import add_health_routes

hookimpl = pluggy.HookimplMarker("rasa_sdk")


def content_checks() -> Dict[str, Check]:
    """The action server's readiness: the knowledge, the replies and the retrieval index load
    (cached after the first time; a broken file fails every time, naming the error's type)."""
    from bot.engine.answer_model import load_answer_model
    from bot.engine.replies import load_replies
    from bot.engine.retrieval import load_retriever
    from bot.engine.urgency import load_urgency
    from bot.engine.knowledge import load_knowledge

    return {"knowledge": calls(load_knowledge), "replies": calls(load_replies),
            "retrieval": calls(lambda: (load_retriever(), load_urgency(), load_answer_model()))}


class Routes:
    """The rasa_sdk plugin that adds the health routes to its app."""

    @hookimpl
    def attach_sanic_app_extensions(self, app: Sanic) -> None:
        add_health_routes(app, lambda _: content_checks())


def one_matrix_thread() -> None:
    """One thread for NumPy's matrix library, set before NumPy loads (nothing imported so far
    loads it): the answer engine's products are small, and OpenBLAS's idle threads spin on the
    core the Rasa server needs (`make bench`: the action server's CPU a message fell from 12.8 to
    2.6 ms, and 50 conversations went from 150 to 187 messages a second). An operator's value is
    kept."""
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")


def main(argv: Optional[Sequence[str]] = None) -> None:
    """rasa_sdk's ``main_from_args``, with the log format set once rasa_sdk has set up its
    logging (and before, for the warnings of the imports), and the plugin :class:`Routes`."""
    one_matrix_thread()
    try:
        chosen_format = log_format()
        care_team()  # read again with each answer: a bad one must stop the start, not the answers
    except SettingsError as error:
        raise SystemExit(f"error: {error}") from None
    use_format(chosen_format)
    from rasa_sdk import utils
    from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
    from rasa_sdk.endpoint import create_argument_parser, run
    from rasa_sdk.plugin import plugin_manager

    args = create_argument_parser().parse_args(argv)
    logging.getLogger("matplotlib").setLevel(logging.WARN)
    utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(logging.getLogger(APPLICATION_ROOT_LOGGER_NAME), args.log_file,
                                 args.loglevel, args.logging_config_file)
    utils.update_sanic_log_level()
    use_format(chosen_format)
    plugin_manager().register(Routes())
    run(args.actions, args.port, args.cors, args.ssl_certificate, args.ssl_keyfile,
        args.ssl_password, args.auto_reload)


if __name__ == "__main__":
    main()
