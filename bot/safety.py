"""The deterministic red-flag check, run on every message before any topic answer.

Rules are data (``bot/content/red_flags.yml``); this module compiles them once and matches
messages against them. It is pure: text in, the matched rule (or ``None``) out, so it is tested
without a server and runs inside the NLU pipeline (``bot.rasa_components.RedFlagGuard``), which
means every channel gets it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Pattern, Tuple

import yaml

from bot.knowledge import CONTENT_DIR, ContentError

RED_FLAGS_FILE = CONTENT_DIR / "red_flags.yml"
# The entity the NLU guard adds when a rule matches; the answer action reads it. Kept here, not in
# bot.rasa_components, so the action server imports neither Rasa nor TensorFlow.
RED_FLAG_ENTITY = "red_flag"
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class RedFlag:
    """A red-flag rule that matched: its id and the urgent message it calls for."""

    id: str
    message: str


@dataclass(frozen=True)
class _Rule:
    id: str
    message: str
    groups: Tuple[Pattern[str], ...]

    def matches(self, text: str) -> bool:
        return all(group.search(text) for group in self.groups)


@dataclass(frozen=True)
class RedFlagRules:
    """The compiled rules and the urgent messages they lead to."""

    rules: Tuple[_Rule, ...]
    messages: Mapping[str, str]

    def check(self, text: str) -> Optional[RedFlag]:
        """The first rule that ``text`` matches, or ``None``."""
        normalised = normalise(text)
        for rule in self.rules:
            if rule.matches(normalised):
                return RedFlag(rule.id, rule.message)
        return None


def normalise(text: str) -> str:
    """Lower case, straight apostrophes, single spaces: the form rules are written against."""
    return _SPACE.sub(" ", text.translate(_APOSTROPHES).lower()).strip()


def parse_red_flags(raw: Dict[str, Any], path: Path = RED_FLAGS_FILE) -> RedFlagRules:
    """Compile the YAML rules; raise :class:`ContentError` naming the rule to fix."""
    numbers = {k: str(v) for k, v in (raw.get("numbers") or {}).items()}
    try:
        messages = {k: " ".join(str(v).split()).format(**numbers)
                    for k, v in (raw.get("messages") or {}).items()}
    except KeyError as missing:
        raise ContentError(f"{path}: messages: {missing} is used but not defined under `numbers:`")
    rules = []
    for index, body in enumerate(raw.get("rules") or ()):
        rule_id = body.get("id") or f"rules[{index}]"
        if body.get("message") not in messages:
            raise ContentError(f"{path}: {rule_id}: `message:` must be one of {sorted(messages)}")
        groups = []
        for group in body.get("all") or ():
            alternatives = "|".join(f"(?:{p})" for p in group)
            try:
                groups.append(re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)"))
            except re.error as error:
                raise ContentError(f"{path}: {rule_id}: bad pattern in {group}: {error}")
        if not groups:
            raise ContentError(f"{path}: {rule_id}: add at least one pattern group under `all:`")
        rules.append(_Rule(rule_id, body["message"], tuple(groups)))
    return RedFlagRules(tuple(rules), messages)


@lru_cache(maxsize=None)
def load_red_flags(path: Path = RED_FLAGS_FILE) -> RedFlagRules:
    """Load and compile the rules once per process."""
    with open(path, encoding="utf-8") as handle:
        return parse_red_flags(yaml.safe_load(handle), path)


def find_red_flag(text: str) -> Optional[RedFlag]:
    """The red flag in ``text``, if any, using the project's rules."""
    return load_red_flags().check(text)


def urgent_message(kind: str) -> str:
    """The fixed urgent-care message of a kind (``emergency``, ``crisis``, ``overdose``)."""
    messages = load_red_flags().messages
    return messages.get(kind, messages["emergency"])
