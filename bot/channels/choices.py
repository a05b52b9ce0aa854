"""The options last offered to a user, read from the tracker store, so that a reply of "2" (SMS,
WhatsApp) or a button's title (Telegram reply keyboards) is understood as that option.

Nothing is kept in the process: any of several Rasa processes sharing one tracker store gives the
same answer. Reading never creates a conversation.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional

from rasa.shared.core.events import BotUttered, UserUttered

from bot.channels.text import resolve_choice

logger = logging.getLogger(__name__)


def last_buttons(events: Any) -> List[Dict[str, str]]:
    """Buttons of the bot's messages since the user's last message (``[]`` if none).

    Only the latest bot message with buttons counts: those are the options on screen.
    """
    for event in reversed(list(events)):
        if isinstance(event, UserUttered):
            return []
        if isinstance(event, BotUttered) and (event.data or {}).get("buttons"):
            return [b for b in event.data["buttons"] if "payload" in b]
    return []


async def offered(agent: Any, sender_id: str) -> List[Dict[str, str]]:
    """The buttons last offered to ``sender_id``, from the agent's tracker store."""
    store = getattr(agent, "tracker_store", None)
    if store is None:
        return []
    try:
        tracker = await store.retrieve(sender_id)
    except Exception:  # a store outage must not stop the message itself
        logger.exception("Could not read the conversation of %s to map a choice", sender_id)
        return []
    return last_buttons(tracker.events) if tracker is not None else []


async def chosen_text(
    agent: Any, sender_id: str, text: Optional[str], numbered: bool
) -> Optional[str]:
    """``text``, or the payload of the offered option it names (``None`` stays ``None``).

    Args:
        agent: the Rasa agent (``request.app.ctx.agent``).
        sender_id: the conversation id.
        text: what the user sent.
        numbered: whether the channel showed the options as numbers.
    """
    if not text:
        return text
    buttons = await offered(agent, sender_id)
    payload = resolve_choice(text, buttons, numbered) if buttons else None
    return payload if payload is not None else text
