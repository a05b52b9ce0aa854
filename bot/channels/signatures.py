"""Pure checks that a webhook request really comes from the platform.

Slack's signature is checked by Rasa's own ``SlackInput.is_request_from_slack_authentic``; the
other three platforms are checked here. Every check is constant-time and fails closed: a missing
header, an empty secret or a malformed value is "not verified".
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Mapping, Optional

from twilio.request_validator import RequestValidator

HUB_SIGNATURE_256 = "X-Hub-Signature-256"
HUB_SIGNATURE = "X-Hub-Signature"
TELEGRAM_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
TWILIO_SIGNATURE_HEADER = "X-Twilio-Signature"


def secret_token_ok(expected: str, received: Optional[str]) -> bool:
    """Telegram: the ``X-Telegram-Bot-Api-Secret-Token`` header equals the secret we set."""
    return bool(expected) and bool(received) and hmac.compare_digest(
        expected.encode("utf-8"), str(received).encode("utf-8"))


def hub_signature(secret: str, body: bytes, algorithm: str = "sha256") -> str:
    """Messenger: the ``<algorithm>=<hex HMAC of the body>`` value Meta sends."""
    digest = hmac.new(secret.encode("utf-8"), body, getattr(hashlib, algorithm)).hexdigest()
    return f"{algorithm}={digest}"


def hub_signature_ok(secret: str, body: bytes, headers: Mapping[str, str]) -> bool:
    """Messenger: ``X-Hub-Signature-256`` (or the older SHA-1 ``X-Hub-Signature``) matches.

    Args:
        secret: the Meta app secret.
        body: the raw request body, exactly as received.
        headers: the request headers (a case-insensitive mapping, as Sanic's).
    """
    for header, algorithm in ((HUB_SIGNATURE_256, "sha256"), (HUB_SIGNATURE, "sha1")):
        received = headers.get(header)
        if received:
            return bool(secret) and hmac.compare_digest(
                hub_signature(secret, body, algorithm), str(received))
    return False


def twilio_signature_ok(
    auth_token: str, url: str, params: Mapping[str, str], received: Optional[str]
) -> bool:
    """Twilio: ``X-Twilio-Signature`` matches the public ``url`` and the POSTed form ``params``.

    Args:
        auth_token: the Twilio account's auth token.
        url: the webhook URL exactly as registered with Twilio (the public one, not the address
            this server sees behind a proxy).
        params: the form fields, one value each.
        received: the ``X-Twilio-Signature`` header.
    """
    if not auth_token or not received:
        return False
    return RequestValidator(auth_token).validate(url, dict(params), received)
