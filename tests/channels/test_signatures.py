"""Request verification for Telegram, Messenger and Twilio: pure checks, no server.

The expected signatures are computed here independently, the way each platform documents them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Dict

import pytest

from bot.channels.signatures import hub_signature_ok, secret_token_ok, twilio_signature_ok

BODY = b'{"object":"page","entry":[]}'
SECRET = "app-secret"
URL = "https://bme.example.org/webhooks/twilio/webhook"
FORM = {"From": "+15550001111", "To": "+15550002222", "Body": "1", "MessageSid": "SM1"}


def _twilio(token: str, url: str, params: Dict[str, str]) -> str:
    """Twilio's scheme: HMAC-SHA1 of the URL followed by each sorted key and its value."""
    data = url + "".join(key + params[key] for key in sorted(params))
    return base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def _hub(body: bytes, secret: str = SECRET, algorithm: str = "sha256") -> str:
    return f"{algorithm}=" + hmac.new(secret.encode(), body, algorithm).hexdigest()


@pytest.mark.parametrize("received, ok", [
    ("s3cret-token", True),
    ("s3cret-tokeN", False),
    ("", False),
    (None, False),
])
def test_telegram_secret_token(received: str, ok: bool) -> None:
    assert secret_token_ok("s3cret-token", received) is ok


def test_telegram_check_fails_closed_without_a_configured_secret() -> None:
    assert not secret_token_ok("", "")


@pytest.mark.parametrize("headers, ok", [
    ({"X-Hub-Signature-256": _hub(BODY)}, True),
    ({"X-Hub-Signature": _hub(BODY, algorithm="sha1")}, True),  # the older header
    ({"X-Hub-Signature-256": _hub(BODY, secret="other")}, False),
    ({"X-Hub-Signature-256": _hub(BODY + b" ")}, False),  # body changed after signing
    ({"X-Hub-Signature-256": "sha256=" + "0" * 64}, False),
    ({"X-Hub-Signature-256": "garbage"}, False),
    ({}, False),
])
def test_messenger_hub_signature(headers: Dict[str, str], ok: bool) -> None:
    assert hub_signature_ok(SECRET, BODY, headers) is ok


def test_messenger_check_fails_closed_without_a_configured_secret() -> None:
    assert not hub_signature_ok("", BODY, {"X-Hub-Signature-256": _hub(BODY, secret="")})


def test_twilio_signature_of_the_public_url_and_form() -> None:
    assert twilio_signature_ok("tok", URL, FORM, _twilio("tok", URL, FORM))


@pytest.mark.parametrize("token, url, form", [
    ("other", URL, FORM),  # signed with another account's token
    ("tok", "http://127.0.0.1:5005/webhooks/twilio/webhook", FORM),  # not the registered URL
    ("tok", URL, {**FORM, "Body": "2"}),  # body changed after signing
])
def test_twilio_signature_rejects_anything_else(token: str, url: str, form: Dict[str, str]) -> None:
    assert not twilio_signature_ok("tok", URL, FORM, _twilio(token, url, form))


@pytest.mark.parametrize("received", [None, "", "bm90LWEtc2lnbmF0dXJl"])
def test_twilio_missing_or_wrong_header(received: str) -> None:
    assert not twilio_signature_ok("tok", URL, FORM, received)
