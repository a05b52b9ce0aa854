"""The web chat widget and the clinic kiosk: a small aiohttp server for their pages and files.

``python -m bot.web --port 8080 --rasa-port 5005`` runs it; ``make run`` starts it together with
the Rasa and action servers (``bot.deploy.serve``).
"""

from typing import Any

__all__ = ["WebConfig", "create_app"]


def __getattr__(name: str) -> Any:
    """``WebConfig`` and ``create_app`` of :mod:`bot.web.app`, imported when first asked for, so
    ``python -m bot.web`` can set the log format before the app's imports log anything."""
    if name in __all__:
        from bot.web import app

        return getattr(app, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
