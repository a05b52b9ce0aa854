"""Pure text helpers shared by the messaging channels.

Splitting long answers under a platform's size limit, writing buttons as numbered options for
SMS and WhatsApp, and mapping a user's reply ("2", or a button's title) back to the payload of
the options last offered.
"""

from __future__ import annotations

from typing import List, Mapping, Optional, Sequence

NUMBERED_PROMPT = "Reply with a number:"
ELLIPSIS = "…"


def utf16_len(text: str) -> int:
    """Length as the platforms count it (UTF-16 code units): an emoji counts as two."""
    return len(text.encode("utf-16-le")) // 2


def _cut(text: str, limit: int) -> int:
    """Where to cut ``text`` (longer than ``limit``): at the last whitespace that keeps the first
    part within ``limit``; inside a word only when there is no such whitespace."""
    fits = units = 0
    for index, char in enumerate(text):
        units += utf16_len(char)
        if units > limit:
            break
        fits = index + 1
    for index in range(fits, 0, -1):
        if text[index].isspace():
            return index
    return max(fits, 1)


def split_text(text: str, limit: int) -> List[str]:
    """Split ``text`` into messages of at most ``limit`` UTF-16 units without breaking words.

    Paragraphs (separated by a blank line) are packed together while they fit; a paragraph that
    is too long is cut at the last whitespace before the limit. A single word longer than the
    limit (a long link) is the only thing ever cut in the middle.

    Args:
        text: the message.
        limit: the platform's maximum message length, at least 1.

    Returns:
        The parts, in order, each stripped and non-empty (``[]`` for blank text).
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    parts: List[str] = []
    current = ""
    for paragraph in (p.strip() for p in text.strip().split("\n\n")):
        if not paragraph:
            continue
        joined = f"{current}\n\n{paragraph}" if current else paragraph
        if utf16_len(joined) <= limit:
            current = joined
            continue
        if current:
            parts.append(current)
        while utf16_len(paragraph) > limit:
            cut = _cut(paragraph, limit)
            parts.append(paragraph[:cut].rstrip())
            paragraph = paragraph[cut:].lstrip()
        current = paragraph
    if current:
        parts.append(current)
    return parts


def numbered_options(titles: Sequence[str]) -> str:
    """Buttons as text, for channels without buttons: a prompt, then "1. Title" per line."""
    return "\n".join([NUMBERED_PROMPT] + [f"{n}. {title}" for n, title in enumerate(titles, 1)])


def shorten(title: str, limit: int) -> str:
    """``title`` if it fits in ``limit`` characters, else its first words and an ellipsis."""
    if len(title) <= limit:
        return title
    head = title[:limit - len(ELLIPSIS) + 1]
    cut = head.rfind(" ")
    head = head[:cut] if cut > 0 else head[:-1]
    return head.rstrip(" ,.;:-") + ELLIPSIS


def resolve_choice(
    text: str, buttons: Sequence[Mapping[str, str]], numbered: bool
) -> Optional[str]:
    """The payload the user chose from the options last offered, if the reply names one.

    Args:
        text: what the user sent.
        buttons: the last offered buttons (``{"title": ..., "payload": ...}``), in order.
        numbered: whether the options were shown as numbers (then "2" picks the second one).

    Returns:
        The chosen button's payload, or ``None`` if the reply is not one of the options
        (a number out of range, or any other text, is left for the NLU).
    """
    reply = " ".join(text.split())
    if numbered and reply.rstrip(".)").isdigit():
        number = int(reply.rstrip(".)"))
        return buttons[number - 1]["payload"] if 1 <= number <= len(buttons) else None
    for button in buttons:
        if reply.casefold() == " ".join(str(button.get("title", "")).split()).casefold():
            return button["payload"]
    return None
