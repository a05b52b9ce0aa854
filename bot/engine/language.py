"""Which language a conversation is held in: chosen by the patient, never guessed.

A conversation starts in English, or in the language its channel names (the widget and the
kiosk send the browser's language in the message's metadata; Telegram the user's language code).
Typing "español" or "english" (``switch:`` of ``bot/content/es/vocabulary.yml``) switches it, on
every channel, and the choice lasts for the conversation. Language identification on short
messages is unreliable, so :func:`offer_for` only *offers* a switch, in the other language, when a
message of several words is clearly written in it; it never switches by itself. Pure functions.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, FrozenSet, Mapping, Optional, Tuple

from bot.engine.knowledge import CONTENT_DIR, ContentError, load_yaml

ENGLISH, SPANISH = "en", "es"
LANGUAGES = (ENGLISH, SPANISH)
LANGUAGE_NAMES = {ENGLISH: "English", SPANISH: "Español"}  # each in its own language
VOCABULARY_FILE = CONTENT_DIR / "es" / "vocabulary.yml"
METADATA_KEY = "language"  # in a message's metadata: "es", "es-MX", "en-US" ...
_WORD = re.compile(r"[a-z0-9']+")


def fold(text: str) -> str:
    """Lower case, accents and ñ folded (á -> a, ñ -> n), ¿ and ¡ removed, spaces collapsed: how
    Spanish messages are matched (patients often type without accents)."""
    plain = unicodedata.normalize("NFD", text.lower().replace("’", "'"))
    plain = "".join(c for c in plain if unicodedata.category(c) != "Mn")
    return " ".join(plain.replace("¿", " ").replace("¡", " ").split())


def words(text: str) -> Tuple[str, ...]:
    return tuple(_WORD.findall(fold(text)))


@dataclass(frozen=True)
class Vocabulary:
    """The switch words, the common words that tell the languages apart, and when to offer."""

    switch: Mapping[str, FrozenSet[str]]
    common: Mapping[str, FrozenSet[str]]
    min_words: int
    margin: int
    raw: Mapping[str, Any]  # the rest of the file, for the Spanish reading


@lru_cache(maxsize=None)
def load_vocabulary(path: Path = VOCABULARY_FILE) -> Vocabulary:
    with open(path, encoding="utf-8") as handle:
        raw: Dict[str, Any] = load_yaml(handle) or {}
    switch, detect = raw.get("switch") or {}, raw.get("detect") or {}
    common = detect.get("words") or {}
    if set(switch) != set(LANGUAGES) or set(common) != set(LANGUAGES):
        raise ContentError(f"{path}: give `switch:` and `detect: words:` for each of {LANGUAGES}")
    try:
        min_words, margin = int(detect["min_words"]), int(detect["margin"])
    except (KeyError, TypeError, ValueError) as error:
        raise ContentError(f"{path}: detect: give `min_words` and `margin`, whole numbers ({error})")
    return Vocabulary({k: frozenset(" ".join(words(str(w))) for w in v) for k, v in switch.items()},
                      {k: frozenset(fold(str(w)) for w in v) for k, v in common.items()},
                      min_words, margin, raw)


def switch_asked(text: str, vocabulary: Optional[Vocabulary] = None) -> Optional[str]:
    """The language a message asks for when it is only a switch word ("español", "English")."""
    vocabulary = vocabulary or load_vocabulary()
    said = " ".join(words(text))
    return next((language for language in LANGUAGES if said in vocabulary.switch[language]), None)


def from_metadata(metadata: Optional[Mapping[str, Any]]) -> Optional[str]:
    """The language a channel names in a message's metadata (``{"language": "es-MX"}``), if one
    this assistant speaks."""
    value = str((metadata or {}).get(METADATA_KEY) or "").strip().lower()
    primary = value.split("-")[0].split("_")[0]
    return primary if primary in LANGUAGES else None


def written_in(text: str, vocabulary: Optional[Vocabulary] = None) -> Optional[str]:
    """The language a message is clearly written in, or ``None`` when it is short or unclear."""
    vocabulary = vocabulary or load_vocabulary()
    found = words(text)
    if len(found) < vocabulary.min_words:
        return None
    counts = {language: sum(w in vocabulary.common[language] for w in found)
              for language in LANGUAGES}
    best = max(LANGUAGES, key=lambda language: counts[language])
    rest = max(counts[language] for language in LANGUAGES if language != best)
    return best if counts[best] - rest >= vocabulary.margin else None


def offer_for(text: str, current: str) -> Optional[str]:
    """The language to offer a switch to, when ``text`` is clearly written in another one."""
    found = written_in(text)
    return found if found is not None and found != current else None


def chosen(slot: Optional[str], metadata: Optional[Mapping[str, Any]]) -> str:
    """The conversation's language: the one chosen in it (slot ``language``), else the channel's
    (metadata), else English."""
    if slot in LANGUAGES:
        return str(slot)
    return from_metadata(metadata) or ENGLISH
