"""What the connectors share: an output channel that sends :class:`ApiCall` lists, the size
limit setting, the credentials check, and the reply to an unverified request.

Every connector hands messages to Rasa through :func:`bot.channels.guard.guard` (the message
guard of all channels: size cap, empty or non-text messages, never silence)."""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Mapping, Optional, cast

from rasa.core.channels.channel import OutputChannel
from sanic import response
from sanic.response import HTTPResponse

from bot.channels.http import ApiCall, post

logger = logging.getLogger(__name__)


class PlatformOutput(OutputChannel):
    """An output channel whose messages are rendered by :meth:`calls` and sent by
    :func:`bot.channels.http.post`. Subclasses only render."""

    def calls(
        self, recipient_id: str, text: str, buttons: List[Dict[str, Any]]
    ) -> List[ApiCall]:
        """The API calls that show ``text`` (and ``buttons``, if any) to ``recipient_id``."""
        raise NotImplementedError

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """Send a text, split under the platform's limit."""
        await post(self.calls(recipient_id, text, []))

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: List[Dict[str, Any]], **kwargs: Any
    ) -> None:
        """Send a text with the platform's kind of buttons."""
        await post(self.calls(recipient_id, text, buttons))


def max_chars(credentials: Mapping[str, Any], platform_max: int) -> int:
    """The message size limit: the platform's, or a lower ``max_chars`` from the credentials."""
    value = credentials.get("max_chars")
    if value in (None, ""):
        return platform_max
    limit = int(cast(Any, value))
    if not 1 <= limit <= platform_max:
        raise ValueError(f"max_chars must be between 1 and {platform_max}, not {value}")
    return limit


def required(credentials: Optional[Mapping[str, Any]], channel: str, *keys: str) -> None:
    """Raise a clear error if one of ``keys`` is missing from a channel's credentials."""
    missing = [key for key in keys if not (credentials or {}).get(key)]
    if missing:
        raise ValueError(f"The {channel} channel needs {', '.join(missing)} in its credentials; "
                         "set its environment variables (README: Messaging channels).")


def unauthorized(platform: str) -> HTTPResponse:
    """The answer to a request whose signature or secret is missing or wrong."""
    logger.warning("Rejected a %s webhook request: missing or invalid signature", platform)
    return response.text("invalid or missing signature", status=401)
