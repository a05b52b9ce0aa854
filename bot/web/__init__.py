"""The web chat widget and the clinic kiosk: a small aiohttp server for their pages and files.

``python -m bot.web --port 8080 --rasa-port 5005`` runs it; ``make run`` starts it together with
the Rasa and action servers (``bot.deploy.serve``).
"""

from bot.web.app import WebConfig, create_app

__all__ = ["WebConfig", "create_app"]
