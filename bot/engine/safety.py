"""The deterministic red-flag check, run on every message before any topic answer.

Rules are data (``bot/content/red_flags.yml``); this module compiles them once and matches
messages against them. It is pure: text in, the matched rule (or ``None``) out, so it is tested
without a server and runs inside the NLU pipeline (``bot.nlu.components.RedFlagGuard``), which
means every channel gets it.

Patients often tell a past, settled injury as a story ("I fell skiing in January and couldn't walk
for two days, the MRI last week showed edema, how long until it heals?"). A rule that allows it
(``may_be_settled: true``; never crisis or overdose) is set aside when none of the words it matched
is going on now (an ongoing marker in its clause, a present-tense word next to it) and the words
outside *settled* clauses (a clear past or resolved marker of the ``settled:`` section) do not
make the rule on their own. The header of the YAML file gives the exact reading.

A crisis or an overdose is never set aside by the rules alone. When every word such a rule
matched is told as settled ("two years ago I took an overdose ... I'm in a good place now"), the
flag says so (:attr:`RedFlag.told` ``settled``), and only the urgency model may then set it aside
(:func:`bot.engine.urgency.decide`): the answer is given with that kind's note (the crisis line,
Poison Help) instead of the urgent message. An emergency whose every matched sign is told as
going on now (``now``: "... chest pain and felt faint, still having it now") is set aside by the
model only when it is very sure the message is calm.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Mapping, Match, Optional, Pattern, Set, Tuple


from bot.engine.knowledge import CONTENT_DIR, ContentError, content_file, load_yaml

RED_FLAGS_FILE = CONTENT_DIR / "red_flags.yml"
# The entity the NLU guard adds when a rule matches; the answer action reads it. Kept here, not in
# bot.nlu.components, so the action server imports neither Rasa nor TensorFlow.
RED_FLAG_ENTITY = "red_flag"
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})
_SPACE = re.compile(r"\s+")
# Where a clause ends. A sentence end (group `stop`) also ends the reach of a past marker; a comma,
# colon, bracket, "but"/"though"/... or the "and" of "and now" only starts a new clause.
# (Spanish too: "pero", "aunque", "sin embargo"; "sin fiebre", "ni fiebre" said absent.)
_BREAK = re.compile(r"(?P<stop>[.!?;]+)|[,:()]|\b(?:but|though|although|however|whereas|pero|aunque|"
                    r"sin embargo)\b"
                    r"|\band(?= now\b)")
_STOP = re.compile(r"[.!?;]+")
_NEVER = re.compile(r"(?!)")
_PRESENT_REACH = 2  # words before a warning sign that can put it in the present tense
# A warning sign said to be absent does not count: "no fever", "not swollen", "without any numbness",
# "isn't red or swollen or hot"; a comma ends the reach ("I don't know, he can't stand" escalates).
_NEGATED = re.compile(r"(?<![\w'])(?:no|not|without|nor|never|zero|denies|isn't|isnt|aren't|arent|"
                      r"wasn't|wasnt|don't|dont|doesn't|doesnt|didn't|didnt|nothing|sin|ni|nada de)\s+"
                      r"(?:(?:[\w']+\s+){0,2}|(?:[\w']+,?\s+(?:or|and|nor)\s+){1,3})$")
_SETTLED_LISTS = ("past", "then", "resolved", "not_yet", "ongoing", "recurring", "present",
                  "set_aside")
_RULE_KEYS = {"id", "message", "all", "may_be_settled"}
# Never set aside as a settled story: "I've wanted to die for weeks" and "I took too many pills an
# hour ago" are going on, whatever past words they use.
NEVER_SETTLED = frozenset({"crisis", "overdose"})


# How a matched word reads in time (StoryMarkers.read): told as over, unmarked, or going on now.
SETTLED, UNMARKED, NOW = "settled", "unmarked", "now"


@dataclass(frozen=True)
class RedFlag:
    """A red-flag rule that matched: its id, the urgent message it calls for, and how it was told
    (``told``): ``settled`` for a crisis or an overdose every word of which is in a settled clause,
    ``now`` for a sign every group of which has a word told as going on now, else ``None``."""

    id: str
    message: str
    told: Optional[str] = None

    @property
    def settled(self) -> bool:
        return self.told == SETTLED

    @property
    def value(self) -> str:
        """The value of the NLU guard's ``red_flag`` entity: the message kind, and how it was told
        ("crisis/settled", "emergency/now")."""
        return f"{self.message}/{self.told}" if self.told else self.message


def read_flag_value(value: Optional[str]) -> Tuple[Optional[str], Optional[str]]:
    """The message kind and how it was told, from a ``red_flag`` entity value."""
    if not value:
        return None, None
    kind, _, told = value.partition("/")
    return kind, told if told in (SETTLED, NOW) else None




@dataclass(frozen=True)
class StoryMarkers:
    """The compiled ``settled:`` lists that tell a settled past from a warning sign going on."""

    past: Pattern[str] = _NEVER
    then: Pattern[str] = _NEVER
    resolved: Pattern[str] = _NEVER
    not_yet: Pattern[str] = _NEVER
    ongoing: Pattern[str] = _NEVER
    recurring: Pattern[str] = _NEVER
    present: Pattern[str] = _NEVER
    set_aside: Pattern[str] = _NEVER  # not about the writer now: "what if ...", "my cat has ..."

    def _blank_resolved(self, text: str) -> str:
        """``text`` with its resolved markers blanked out (same length, so offsets hold).

        Blanked, "now it's fine" no longer reads as "now". A marker does not count after a not-yet
        word ("hasn't fully healed", "until it is healed") nor in a question ("is it healed?").
        """
        chars = list(text)
        for found in self.resolved.finditer(text):
            before = text[max(0, found.start() - 60):found.start()].split()[-2:]
            stop = _STOP.search(text, found.end())
            if not any(self.not_yet.fullmatch(word) for word in before) and \
                    not (stop and stop.group().startswith("?")):
                chars[found.start():found.end()] = " " * (found.end() - found.start())
        return "".join(chars)

    def read(self, text: str) -> "_Reading":
        """Cut normalised ``text`` into clauses and say when each one is set.

        An ongoing marker makes a clause NOW; failing that, a past or resolved marker (or a then
        marker, in a message with a past one) makes it SETTLED; failing both, it keeps the state
        of the clause before it in the same sentence, so "In March I fell, I couldn't walk for
        days" is one settled story. Sentences start UNMARKED. A recurring marker ("..., it's
        back") makes NOW all of its sentence and the one before. A resolved marker also settles
        the unmarked clauses before it in its sentence, unless one of them is NOW. A set-aside marker ("what
        if ...", "my dog has ...", "as always") makes only its own clause SETTLED, whatever the
        tense of its words.
        """
        blanked = self._blank_resolved(text)
        starts: List[int] = []
        states: List[str] = []
        aside: List[bool] = []
        firsts = [0, 0]  # the first clauses of the sentence before and of this one
        start, state = 0, UNMARKED
        dated = bool(self.past.search(text))  # "at the time" is past only in a dated story
        for found in [*_BREAK.finditer(text), None]:
            end = len(text) if found is None else found.start()
            clause, clean = text[start:end], blanked[start:end]
            if self.ongoing.search(clean):
                state = NOW
            elif self.past.search(clause) or (dated and self.then.search(clause)) or \
                    clean != clause:  # changed by blanking: it has a resolved marker
                state = SETTLED
            starts.append(start)
            states.append(state)
            aside.append(bool(self.set_aside.search(clean)))
            if self.recurring.search(clean):
                states[firsts[0]:] = [NOW] * (len(states) - firsts[0])
                state = NOW
            if clean != clause and NOW not in states[firsts[1]:]:
                # "knee locked at training, then now it's straight again": the sentence told
                # before the resolved marker is over too
                states[firsts[1]:] = [SETTLED if s == UNMARKED else s for s in states[firsts[1]:]]
            if found is not None:
                start = found.end()
                if found.group("stop"):
                    state, firsts = UNMARKED, [firsts[1], len(states)]
        return _Reading(blanked, self.present, tuple(starts), tuple(states), tuple(aside))


@dataclass(frozen=True)
class _Reading:
    """One message read by :meth:`StoryMarkers.read`: where its clauses start and their states."""

    blanked: str
    present: Pattern[str]
    starts: Tuple[int, ...]
    states: Tuple[str, ...]
    aside: Tuple[bool, ...] = ()

    @property
    def told_states(self) -> Tuple[str, ...]:
        """Each clause's state, a set-aside clause counting as SETTLED."""
        return tuple(SETTLED if self.aside and self.aside[i] else state
                     for i, state in enumerate(self.states))

    def state(self, found: Match[str], aside_settles: bool = True) -> str:
        """The state of a matched word: its clause's, or NOW when the word is in the present tense.

        The tense is read from the match and the words just before it, so "I fell in March and
        *can't* walk" and "he *has* chest pain" are going on whatever time the clause names. A
        set-aside clause ("my cat has ...", "the doctor said ...") counts as SETTLED unless
        ``aside_settles`` is false (for a crisis or an overdose, only a time told settles).
        """
        index = bisect_right(self.starts, found.start()) - 1
        if aside_settles and self.aside and self.aside[index]:
            return SETTLED
        before = self.blanked[self.starts[index]:found.start()].rsplit(None, _PRESENT_REACH)
        near = " ".join(before[-_PRESENT_REACH:] + [self.blanked[found.start():found.end()]])
        return NOW if self.present.search(near) else self.states[index]


@dataclass(frozen=True)
class _Rule:
    id: str
    message: str
    groups: Tuple[Pattern[str], ...]
    may_be_settled: bool = False

    def matches(self, text: str) -> bool:
        """Every group has a match that is not said to be absent ("no fever")."""
        return all(any(not _NEGATED.search(text, max(0, found.start() - 40), found.start())
                       for found in group.finditer(text)) for group in self.groups)

    def is_settled(self, text: str, reading: _Reading) -> bool:
        """Whether this rule's match in ``text`` is a settled past story, so it may be set aside.

        It is not when any matched word is going on NOW ("I fell in March, and now I can't walk"),
        nor when the words outside settled clauses make the rule on their own (the old check, for
        messages with no time said). So a settled story may still name its event unmarked later:
        "... couldn't stand last winter. Is that from the fall?"
        """
        if not self.may_be_settled:
            return False
        states = self._states(text, reading, with_absent=True)
        return not any(NOW in group for group in states) and \
            not all(UNMARKED in group for group in states)

    def told_only_as_past(self, text: str, reading: _Reading) -> bool:
        """Whether every word this rule matched is in a settled clause (the stricter reading for a
        crisis or an overdose, which the urgency model must also find calm to set aside)."""
        return all(group == {SETTLED} for group in self._states(text, reading, past_only=True))

    def told_as_going_on(self, text: str, reading: _Reading) -> bool:
        """Whether every group of this rule has a matched word told as going on now."""
        return all(NOW in group for group in self._states(text, reading))

    def _states(self, text: str, reading: _Reading, with_absent: bool = False,
                past_only: bool = False) -> List[Set[str]]:
        """For each group, how its matched words read in time (with ``with_absent``, those said to
        be absent too; with ``past_only``, a set-aside clause does not settle)."""
        return [{reading.state(found, not past_only) for found in group.finditer(text)
                 if with_absent or not _NEGATED.search(text, max(0, found.start() - 40),
                                                       found.start())}
                for group in self.groups]


@dataclass(frozen=True)
class RedFlagRules:
    """The compiled rules, the urgent messages they lead to and the settled-story markers."""

    rules: Tuple[_Rule, ...]
    messages: Mapping[str, str]
    markers: StoryMarkers = field(default_factory=StoryMarkers)

    def check(self, text: str) -> Optional[RedFlag]:
        """The first rule that ``text`` matches and does not tell as a settled past; else the first
        crisis or overdose told only as a settled past (:attr:`RedFlag.settled`); else ``None``."""
        normalised = normalise(text)
        reading: Optional[_Reading] = None
        settled: Optional[RedFlag] = None
        for rule in self.rules:
            if not rule.matches(normalised):
                continue
            reading = reading or self.markers.read(normalised)
            if rule.may_be_settled and rule.is_settled(normalised, reading):
                continue
            if rule.message in NEVER_SETTLED and rule.told_only_as_past(normalised, reading):
                settled = settled or RedFlag(rule.id, rule.message, SETTLED)
                continue
            now = rule.told_as_going_on(normalised, reading)
            return RedFlag(rule.id, rule.message, NOW if now else None)
        return settled


def normalise(text: str) -> str:
    """Lower case, straight apostrophes, single spaces: the form rules are written against."""
    return _SPACE.sub(" ", text.translate(_APOSTROPHES).lower()).strip()


def _compile(patterns: Any, where: str, path: Path, may_be_empty: bool = False) -> Pattern[str]:
    """One whole-word pattern matching any of ``patterns`` (a list of regular expressions)."""
    if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns) or \
            not (patterns or may_be_empty):
        at_least = "" if may_be_empty else " (at least one)"
        raise ContentError(f"{path}: {where}: write a list of quoted patterns{at_least}")
    if not patterns:
        return _NEVER
    alternatives = "|".join(f"(?:{p})" for p in patterns)
    try:
        return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")
    except re.error as error:
        raise ContentError(f"{path}: {where}: bad pattern in {patterns}: {error}")


def _parse_markers(raw: Any, path: Path) -> StoryMarkers:
    """Compile the ``settled:`` section; with none, no story is ever read as settled."""
    if raw is None:
        return StoryMarkers()
    if not isinstance(raw, dict) or set(raw) - set(_SETTLED_LISTS):
        raise ContentError(f"{path}: settled: use only the lists {list(_SETTLED_LISTS)}")
    return StoryMarkers(**{name: _compile(raw.get(name) or [], f"settled: {name}", path, True)
                           for name in _SETTLED_LISTS})


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
        if not isinstance(body, dict):
            raise ContentError(f"{path}: rules[{index}]: write a mapping with id, message, all")
        rule_id = body.get("id") or f"rules[{index}]"
        if set(body) - _RULE_KEYS:
            raise ContentError(f"{path}: {rule_id}: unknown key(s) {sorted(set(body) - _RULE_KEYS)}"
                               f"; a rule has only {sorted(_RULE_KEYS)}")
        if body.get("message") not in messages:
            raise ContentError(f"{path}: {rule_id}: `message:` must be one of {sorted(messages)}")
        may_be_settled = body.get("may_be_settled", False)
        if not isinstance(may_be_settled, bool):
            raise ContentError(f"{path}: {rule_id}: `may_be_settled:` must be true or false")
        if may_be_settled and body["message"] in NEVER_SETTLED:
            raise ContentError(f"{path}: {rule_id}: a `{body['message']}` rule must not set "
                               "`may_be_settled: true`; such a warning sign is never in the past")
        groups = [_compile(group, rule_id, path) for group in body.get("all") or ()]
        if not groups:
            raise ContentError(f"{path}: {rule_id}: add at least one pattern group under `all:`")
        rules.append(_Rule(rule_id, body["message"], tuple(groups), may_be_settled))
    return RedFlagRules(tuple(rules), messages, _parse_markers(raw.get("settled"), path))


def load_red_flags(path: Optional[Path] = None) -> RedFlagRules:
    """The rules and urgent messages in the language in use (unless ``path`` is given), compiled
    once per process. Every language uses the phone numbers of ``bot/content/red_flags.yml``."""
    return _load_red_flags(path or content_file(RED_FLAGS_FILE.name))


@lru_cache(maxsize=None)
def _load_red_flags(path: Path) -> RedFlagRules:
    with open(path, encoding="utf-8") as handle:
        raw = load_yaml(handle) or {}
    if path != RED_FLAGS_FILE:
        with open(RED_FLAGS_FILE, encoding="utf-8") as handle:
            raw = {**raw, "numbers": (load_yaml(handle) or {}).get("numbers") or {}}
    return parse_red_flags(raw, path)


def find_red_flag(text: str) -> Optional[RedFlag]:
    """The red flag in ``text``, if any, using the project's rules."""
    return load_red_flags().check(text)


def told_clauses(text: str) -> List[Tuple[str, bool]]:
    """The clauses of ``text`` (normalised) as the settled-story reading cuts them, each with
    whether it is told as settled or set aside ("in March I couldn't walk", "what if ...")."""
    normalised = normalise(text)
    reading = load_red_flags().markers.read(normalised)
    ends = [*reading.starts[1:], len(normalised)]
    return [(normalised[start:end].strip(" ,.;:!?()"), state == SETTLED)
            for start, end, state in zip(reading.starts, ends, reading.told_states)
            if normalised[start:end].strip(" ,.;:!?()")]


def is_settled_story(text: str) -> bool:
    """Whether ``text`` tells only a settled past (a past time or "it's fine now", and nothing
    said to be going on now). Used where no rule matched but the classifier guessed an emergency:
    a story of an old injury is answered, not escalated (issue 19)."""
    reading = load_red_flags().markers.read(normalise(text))
    return SETTLED in reading.told_states and NOW not in reading.told_states


SAFETY_CHECK = "check"
_NOTES = {"crisis": "crisis_note", "overdose": "overdose_note"}  # else SAFETY_CHECK


def safety_check_note(kind: Optional[str] = None) -> str:
    """What to do if a warning sign is happening now, said with an answer: when the classifier
    guessed an emergency that no rule confirmed, or a rule's warning sign was set aside as
    settled. A settled crisis or overdose (``kind``) gets its own note: the crisis line, Poison
    Help."""
    messages = load_red_flags().messages
    return messages[_NOTES.get(kind or "", SAFETY_CHECK)]


def urgent_message(kind: str) -> str:
    """The fixed urgent-care message of a kind (``emergency``, ``crisis``, ``overdose``)."""
    messages = load_red_flags().messages
    return messages.get(kind, messages["emergency"])
