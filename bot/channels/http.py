"""One way for the channels to call a platform API: a described request, then :func:`post`.

Connectors build :class:`ApiCall` values with pure functions (easy to test), and send them here.
A platform that is down or refuses a call is logged, never raised into the conversation: the
other messages of the turn are still tried.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import aiohttp

logger = logging.getLogger(__name__)
TIMEOUT_S = 10.0


@dataclass(frozen=True)
class ApiCall:
    """One POST to a platform API.

    Attributes:
        name: what the call does, for logs ("telegram sendMessage"); URLs may hold secrets.
        url: the full URL.
        json: a JSON body, or ``None``.
        form: a form body (``application/x-www-form-urlencoded``), or ``None``.
        headers: extra request headers (such as ``Authorization``).
        auth: HTTP basic-auth user and password, or ``None``.
    """

    name: str
    url: str
    json: Optional[Dict[str, Any]] = None
    form: Optional[Dict[str, str]] = None
    headers: Mapping[str, str] = field(default_factory=dict)
    auth: Optional[Tuple[str, str]] = None


def _refused(status: int, body: Any) -> Optional[str]:
    """Why the platform refused the call, or ``None`` if it accepted it."""
    if status >= 300:
        return f"HTTP {status}: {str(body)[:300]}"
    if isinstance(body, dict) and body.get("ok") is False:  # Telegram and Slack say 200 + ok=false
        return str(body.get("description") or body.get("error") or body)[:300]
    return None


async def post(calls: Sequence[ApiCall], timeout: float = TIMEOUT_S) -> List[Any]:
    """Send ``calls`` in order.

    Returns:
        One item per call: the platform's answer (parsed JSON, else text) if it accepted the
        call, ``None`` if it refused it or could not be reached (then the error is logged).
    """
    answers: List[Any] = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session:
        for call in calls:
            auth = aiohttp.BasicAuth(*call.auth) if call.auth else None
            try:
                async with session.post(call.url, json=call.json, data=call.form,
                                        headers=dict(call.headers), auth=auth) as response:
                    try:
                        body: Any = await response.json(content_type=None)
                    except ValueError:
                        body = await response.text()
                    problem = _refused(response.status, body)
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                problem = f"{type(error).__name__}: {error}"
            if problem:
                logger.error("%s failed: %s", call.name, problem)
            answers.append(None if problem else body)
    return answers
