"""Run the web server alone: ``python -m bot.web --port 8080 --rasa-port 5005``."""

from __future__ import annotations

import argparse
from typing import Optional, Sequence

from aiohttp import web

from bot.settings import log_format
from bot.ops.logs import use_format


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Parse the command line and serve until stopped."""
    # The log format first (aiohttp sets up no logging of its own): importing the app imports
    # Rasa's tracker store module (the staff pages read it), which warns as it loads.
    use_format(log_format())
    from bot.web.app import DEFAULT_IDLE_S, DEFAULT_WARNING_S, WebConfig, create_app

    parser = argparse.ArgumentParser(description="Serve the chat widget demo page and the kiosk.")
    parser.add_argument("--host", default="0.0.0.0", help="interface to listen on")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--rasa-port", type=int, default=5005,
                        help="Rasa's port, on the host name the browser loaded the page from")
    parser.add_argument("--rasa-url", default=None,
                        help="Rasa's URL as browsers reach it, if not that host and --rasa-port")
    parser.add_argument("--kiosk-idle", type=int, default=DEFAULT_IDLE_S,
                        help="kiosk: seconds without a touch before the warning")
    parser.add_argument("--kiosk-warning", type=int, default=DEFAULT_WARNING_S,
                        help="kiosk: seconds the warning shows before the reset")
    args = parser.parse_args(argv)
    config = WebConfig(rasa_port=args.rasa_port, rasa_url=args.rasa_url,
                       kiosk_idle_s=args.kiosk_idle, kiosk_warning_s=args.kiosk_warning)
    web.run_app(create_app(config), host=args.host, port=args.port, print=None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
