"""Which messaging channels are on: the credentials file Rasa runs with, made from the
environment.

The committed ``credentials.yml`` holds the channels that need no secret (REST, socket.io). Each
messaging channel is added when all its required environment variables are set, and left out
otherwise, so the assistant starts with any subset (Rasa's own ``${VAR}`` substitution would
fail on an unset variable instead). The file holds secrets: it is written to ``var/run/``
(ignored by git), readable by its owner only.

Usage: ``python -m bot.channels.credentials [--out var/run/credentials.yml]`` prints which
channels are on; ``bot.deploy.serve`` calls :func:`write_credentials` itself.
"""

from __future__ import annotations

import argparse
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import yaml

from bot.engine.knowledge import load_yaml

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "credentials.yml"
DEFAULT_OUT = ROOT / "var" / "run" / "credentials.yml"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Channel:
    """A messaging channel and the environment variables behind its credentials.

    Attributes:
        name: short name, used in messages and the README.
        connector: module path of the input channel class (the key in the credentials file).
        required: credentials key -> environment variable; the channel is on when all are set.
        optional: credentials key -> environment variable, used when set.
    """

    name: str
    connector: str
    required: Mapping[str, str]
    optional: Mapping[str, str]


CHANNELS: Tuple[Channel, ...] = (
    Channel("telegram", "bot.channels.telegram.TelegramInput",
            {"access_token": "TELEGRAM_TOKEN", "verify": "TELEGRAM_VERIFY",
             "webhook_url": "TELEGRAM_WEBHOOK_URL", "secret_token": "TELEGRAM_SECRET_TOKEN"},
            {"api_url": "TELEGRAM_API_URL", "max_chars": "TELEGRAM_MAX_CHARS"}),
    Channel("slack", "bot.channels.slack.SlackInput",
            {"slack_token": "SLACK_TOKEN", "slack_signing_secret": "SLACK_SIGNING_SECRET"},
            {"api_url": "SLACK_API_URL", "max_chars": "SLACK_MAX_CHARS"}),
    Channel("facebook", "bot.channels.facebook.MessengerInput",
            {"verify": "FACEBOOK_VERIFY", "secret": "FACEBOOK_SECRET",
             "page-access-token": "FACEBOOK_PAGE_ACCESS_TOKEN"},
            {"api_url": "FACEBOOK_API_URL", "max_chars": "FACEBOOK_MAX_CHARS"}),
    Channel("sms", "bot.channels.twilio.TwilioInput",
            {"account_sid": "TWILIO_ACCOUNT_SID", "auth_token": "TWILIO_AUTH_TOKEN",
             "twilio_number": "TWILIO_NUMBER", "webhook_url": "TWILIO_WEBHOOK_URL"},
            {"api_url": "TWILIO_API_URL", "max_chars": "TWILIO_MAX_CHARS"}),
    Channel("whatsapp", "bot.channels.twilio.WhatsAppInput",
            {"account_sid": "TWILIO_ACCOUNT_SID", "auth_token": "TWILIO_AUTH_TOKEN",
             "twilio_number": "TWILIO_WHATSAPP_NUMBER",
             "webhook_url": "TWILIO_WHATSAPP_WEBHOOK_URL"},
            {"api_url": "TWILIO_API_URL", "max_chars": "TWILIO_WHATSAPP_MAX_CHARS"}),
)


def channel_credentials(
    env: Mapping[str, str], channels: Sequence[Channel] = CHANNELS
) -> Tuple[Dict[str, Dict[str, Any]], List[str]]:
    """The credentials of each channel whose required variables are all set.

    Args:
        env: the environment (blank values count as unset).
        channels: the channels to consider.

    Returns:
        ``{connector: credentials}`` for the channels that are on, and one note per channel that
        is half set up (one of its own variables set, another missing), naming what is missing.
        Variables shared with another channel (Twilio's account) do not count as set up.
    """
    found: Dict[str, Dict[str, Any]] = {}
    notes: List[str] = []
    for channel in channels:
        values = {key: env.get(var, "").strip() for key, var in channel.required.items()}
        missing = [channel.required[key] for key, value in values.items() if not value]
        if missing:
            shared = {var for other in channels if other is not channel
                      for var in other.required.values()}
            if any(env.get(var, "").strip() for var in set(channel.required.values()) - shared):
                notes.append(f"{channel.name} is off: {', '.join(missing)} not set")
            continue
        for key, var in channel.optional.items():
            if env.get(var, "").strip():
                values[key] = env[var].strip()
        found[channel.connector] = values
    return found, notes


def write_credentials(
    out: Path = DEFAULT_OUT, env: Optional[Mapping[str, str]] = None, base: Path = BASE
) -> Path:
    """Write ``base`` plus the channels set up in ``env`` (default: ``os.environ``) to ``out``.

    Half set-up channels are reported as warnings in the log. Returns ``out``.
    """
    credentials = load_yaml(base.read_text(encoding="utf-8")) or {}
    channels, notes = channel_credentials(os.environ if env is None else env)
    for note in notes:
        logger.warning("Messaging channel %s", note)
    credentials.update(channels)
    out.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        yaml.safe_dump(credentials, handle, sort_keys=False)
    os.chmod(out, 0o600)
    return out


def enabled(env: Mapping[str, str]) -> List[str]:
    """Names of the messaging channels that ``env`` turns on."""
    channels, _ = channel_credentials(env)
    return [c.name for c in CHANNELS if c.connector in channels]


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Write the credentials file from the environment.")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    logging.basicConfig(format="%(levelname)s %(message)s")
    path = write_credentials(args.out)
    print(f"Wrote {path}; messaging channels on: {', '.join(enabled(os.environ)) or 'none'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
