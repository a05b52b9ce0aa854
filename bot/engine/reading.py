"""Reading a patient's message: where its questions are, what kind each is, what each is about.

Pure functions over ``bot/content/questions.yml`` (the words) and the NLU entities of the message
(the spaCy entity ruler's CAUSE / BODY_PART / TREATMENT ids, with character offsets). Choosing the
answer units for what is read here is :mod:`bot.engine.selection`'s job.

Offsets matter: the entities point into the original text, so the text is folded to lower case
and straight apostrophes character for character (never shortened), and a pattern's spaces match
any run of white space.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Pattern, Sequence, Tuple


from bot.engine.knowledge import CONTENT_DIR, ContentError, load_yaml

QUESTIONS_FILE = CONTENT_DIR / "questions.yml"
NO_ASK = "none"
_FOLD = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})
# Sentences end at . ? ! ; : - and quotes (a pasted report line in quotes is a sentence of its
# own), but not at "?" or "-" right before a letter ("?early necrosis", "non-specific").
_SENTENCE = re.compile(r'(?:[^.?!;:\n"-]|[-?](?=\w))+[.?!;:"-]*')
_WORDS = re.compile(r"[a-z0-9']+")
_UNITS = {"day": 1 / 30, "wk": 7 / 30, "week": 7 / 30, "month": 1.0, "mth": 1.0, "mo": 1.0,
          "year": 12.0, "yr": 12.0}
_NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
                 "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
                 "eighteen": 18, "a couple of": 2, "a few": 3, "several": 3, "few": 3}
# Where a new question starts with nothing to join it: a wh-word and a word that makes it a question.
_BARE_QUESTION = (r"(?:how|what|whats|what's|why|when|which|where)\s+(?:is|are|was|does|do|did|can|"
                  r"could|should|will|would|long|much|many|soon|often|serious|about|causes?|happens|"
                  r"kind|type|exactly|if)\b")
_DURATION = re.compile(
    r"(?<![\w.])(\d+(?:\.\d+)?|a couple of|a few|several|few|an|a|one|two|three|four|five|six|"
    r"seven|eight|nine|ten|eleven|twelve|eighteen)(?: and a half)?[\s-]*"
    r"(days?|wks?|weeks?|months?|mths?|mos?|years?|yrs?)(?![a-z])(?!\s+old)(?!\s+of age)")


@dataclass(frozen=True)
class Ask:
    """A kind of question: the knowledge.yml topic (or the unit) that answers it by default."""

    id: str
    cues: Tuple[Pattern[str], ...]
    topic: Optional[str] = None
    unit: Optional[str] = None
    weak_cues: Tuple[Pattern[str], ...] = ()  # count only when no kind's cue is found
    first: bool = False  # its cue wins wherever it is in the clause


@dataclass(frozen=True)
class Rule:
    """Which unit answers questions about a subject, for which kinds of question."""

    about: str
    unit: str
    asks: Optional[Tuple[str, ...]] = None  # None: any kind
    context: Optional[str] = None
    with_overview: bool = False
    covers: Tuple[str, ...] = ()
    own: bool = False  # only for a subject the question names itself

    def fits(self, ask: Optional[str], context: str, inherited: bool = False) -> bool:
        """Whether the rule answers this kind of question in this context. A subject taken from
        earlier in the message counts only where the rule names the kind (or is a term's)."""
        if inherited and (self.own or (self.asks is None and not self.with_overview)):
            return False
        kind_fits = self.asks is None or (ask or NO_ASK) in self.asks
        return kind_fits and (self.context is None or context in self.context.split("|"))


@dataclass(frozen=True)
class Lexicon:
    """questions.yml, compiled."""

    short_message_words: int
    question_start: Pattern[str]
    follow_up_start: Pattern[str]
    embedded_question: Pattern[str]
    asks: Tuple[Ask, ...]
    subjects: Mapping[str, Pattern[str]]
    rules: Tuple[Rule, ...]
    not_inherited: Tuple[str, ...] = ()
    question_inside: Optional[Pattern[str]] = None
    subject_context: Mapping[str, str] = field(default_factory=dict)
    story_words: int = 15
    report_subjects: Tuple[str, ...] = ()
    report_unit: Optional[str] = None
    why_alone: Optional[Pattern[str]] = None
    not_entities: Optional[Pattern[str]] = None  # matched where an entity starts: not that entity
    statement_start: Optional[Pattern[str]] = None  # starts like a question but tells
    deniable: Tuple[str, ...] = ()  # lexicon subjects a statement can say are absent
    dose_pressure: Optional[Pattern[str]] = None  # pressing for a dose, after the dose decline
    dose_decline: Optional[str] = None  # the unit that declines to give a dose


@dataclass(frozen=True)
class Clause:
    """One part of a message: a sentence, or a question joined to another by "and"."""

    text: str  # folded (lower case), as in the message
    is_question: bool
    ask: Optional[str]  # the kind of question, or None
    subjects: Tuple[str, ...]  # what it is about, in order of appearance
    follow_up: bool  # starts like "and ...", "what about ...", "which of those ..."
    why_alone: bool  # just "why?"
    inherited: bool = False  # the subjects are those of the clauses before, not its own
    context_only: bool = False  # a statement that only gives a new context ("I broke my ankle")
    weak_ask: bool = False  # the kind came from a weak cue only ("is that the same ...")


@dataclass(frozen=True)
class Reading:
    """A message, read: its clauses and the length of time it mentions, if any."""

    clauses: Tuple[Clause, ...]
    months: Optional[float] = None
    time_words: Optional[str] = None

    @property
    def questions(self) -> Tuple[Clause, ...]:
        return tuple(c for c in self.clauses if c.is_question)

    @property
    def words(self) -> int:
        return sum(len(_WORDS.findall(c.text)) for c in self.clauses)


# A question answered by yes or no starts with a verb ("is it serious", "can I run", "does it
# hurt"), after joining words ("and", "so", "but also").
_YES_NO = re.compile(r"^(?:(?:and|so|but|also|ok|okay|oh|well|then|or|plus|hi|hey)\s+)*"
                     r"(?:is|isn't|are|aren't|was|wasn't|were|do|does|doesn't|don't|did|didn't|can|"
                     r"can't|could|couldn't|will|won't|would|wouldn't|should|shouldn't|shall|has|"
                     r"hasn't|have|haven't|had|am|may|might|must|r)\b")


def is_yes_no(text: str) -> bool:
    """Whether the (folded) question ``text`` asks for a yes or a no."""
    return bool(_YES_NO.match(text.strip(" ,.;!?\t\n").replace("\u2019", "'")))


def fold(text: str) -> str:
    """Lower case and straight apostrophes, keeping every character's offset."""
    folded = text.translate(_FOLD).lower()
    return folded if len(folded) == len(text) else text.translate(_FOLD)


def _compile(alternatives: Sequence[str], where: str, path: Path) -> Pattern[str]:
    joined = "|".join(f"(?:{a})" for a in alternatives).replace(" ?", r"\s*").replace(" ", r"\s+")
    joined = joined.replace("'", "'?")  # patients often leave the apostrophe out: "dont", "its"
    try:
        return re.compile(rf"(?<![\w-])(?:{joined})(?![\w])")
    except re.error as error:
        raise ContentError(f"{path}: {where}: bad pattern: {error}; fix the regular expression")


def _alternatives(raw: Any) -> List[str]:
    """A list of patterns, or one string of plain words joined by "|" (no groups: a "|" inside
    parentheses would be cut, so patterns with groups must be written as a YAML list)."""
    if not isinstance(raw, str):
        return list(raw or ())
    if "(" in raw:
        raise ContentError(f"{QUESTIONS_FILE}: a '|'-joined entry holds a group: {raw[:60]!r}...; "
                           "write patterns with groups as a YAML list")
    return [a.strip() for a in raw.split("|")]


def parse_lexicon(raw: Dict[str, Any], path: Path = QUESTIONS_FILE) -> Lexicon:
    """Compile questions.yml; raise :class:`ContentError` naming the entry to fix."""
    if not isinstance(raw, dict):
        raise ContentError(f"{path}: top level: the file must be a YAML mapping")
    asks = tuple(Ask(kind, tuple(_compile([c], f"asks.{kind}", path) for c in body.get("cues") or ()),
                     body.get("topic"), body.get("unit"),
                     tuple(_compile([c], f"asks.{kind}", path) for c in body.get("weak_cues") or ()),
                     bool(body.get("first")))
                 for kind, body in (raw.get("asks") or {}).items())
    kinds = {a.id for a in asks} | {NO_ASK}
    subjects = {name: _compile(pats, f"subjects.{name}", path)
                for name, pats in (raw.get("subjects") or {}).items()}
    rules = []
    for index, body in enumerate(raw.get("rules") or ()):
        unknown = [k for k in body.get("ask") or () if k not in kinds]
        if unknown or not body.get("about") or not body.get("unit"):
            raise ContentError(f"{path}: rules[{index}]: needs `about:` and `unit:`, and `ask:` "
                               f"from {sorted(kinds)} (unknown: {unknown})")
        rules.append(Rule(body["about"], body["unit"],
                          tuple(body["ask"]) if body.get("ask") else None, body.get("context"),
                          bool(body.get("with_overview")), tuple(body.get("covers") or ()),
                          bool(body.get("own"))))
    pressure = raw.get("dose_pressure") or {}
    return Lexicon(int(raw.get("short_message_words") or 8),
                   _compile(_alternatives(raw.get("question_starts")), "question_starts", path),
                   _compile(_alternatives(raw.get("follow_up_starts")), "follow_up_starts", path),
                   _compile([str(raw.get("embedded_question") or "(?!x)x")], "embedded_question",
                            path),
                   asks, subjects, tuple(rules), tuple(raw.get("not_inherited") or ()),
                   _compile(_alternatives(raw.get("question_inside") or "(?!x)x"), "question_inside",
                            path),
                   dict(raw.get("subject_context") or {}), int(raw.get("story_words") or 15),
                   tuple(raw.get("report_subjects") or ()), raw.get("report_unit"),
                   _compile(_alternatives(raw.get("why_alone") or "(?!x)x"), "why_alone", path),
                   _compile(_alternatives(raw.get("not_entities") or "(?!x)x"), "not_entities", path),
                   _compile(_alternatives(raw.get("statement_starts") or "(?!x)x"), "statement_starts",
                            path),
                   tuple(raw.get("deniable") or ()),
                   _compile(_alternatives(pressure.get("words") or "(?!x)x"), "dose_pressure.words",
                            path), pressure.get("after"))


@lru_cache(maxsize=None)
def load_lexicon(path: Path = QUESTIONS_FILE) -> Lexicon:
    """Load and compile questions.yml once per process."""
    with open(path, encoding="utf-8") as handle:
        return parse_lexicon(load_yaml(handle), path)


def find_ask(lexicon: Lexicon, text: str) -> Optional[str]:
    """The kind of question in ``text`` (see :func:`find_ask_weight`)."""
    found = find_ask_weight(lexicon, text)
    return found[0] if found else None


def presses_for_dose(lexicon: Lexicon, text: str, last_units: Sequence[str]) -> bool:
    """Whether ``text`` keeps pressing for a dose right after the dose decline ("just give me a
    number", "is 800mg ok", "I'll take 3 then"): it gets that decline again, whatever else it
    looks like, unless it asks another kind of question ("ok, and how long will it last?")."""
    if not lexicon.dose_pressure or lexicon.dose_decline not in last_units:
        return False
    folded = fold(text)
    return bool(lexicon.dose_pressure.search(folded)) and \
        find_ask(lexicon, folded) in (None, "decision", "treatment")


def find_ask_weight(lexicon: Lexicon, text: str) -> Optional[Tuple[str, bool]]:
    """The kind of question in ``text``: the earliest cue wins, except that a kind marked
    ``first`` wins wherever its cue is; weak cues ("what is", "can I") only when no other cue is
    found ("what is the treatment" asks about treatment). With whether it was a weak cue."""
    found: List[Tuple[int, int, int, str]] = []
    for order, ask in enumerate(lexicon.asks):
        for weak, cues in ((0, ask.cues), (1, ask.weak_cues)):
            starts = [m.start() for cue in cues for m in [cue.search(text)] if m]
            if starts:
                found.append((weak, -1 if ask.first and not weak else min(starts), order, ask.id))
    return (min(found)[3], bool(min(found)[0])) if found else None


# "no fracture", "not broken", "ruled out a tumour": told as absent, in a statement
# ("no ligament damage or fracture": each thing of a list joined by "or" is denied too)
_DENIED = re.compile(r"(?<![\w'])(?:no|not|without|nor|never|negative for|ruled out|rules out)"
                     r"(?:\s+(?:a|an|any|the|obvious|real|clear|sign of|signs of|evidence of))?\s+"
                     r"(?:(?:[\w'-]+,?\s+){1,3}(?:or|nor)\s+(?:(?:a|an|any)\s+)?)?$")


def _subjects(lexicon: Lexicon, text: str, offset: int, entities: Sequence[Mapping[str, Any]],
              ) -> Tuple[Tuple[str, ...], Tuple[str, ...]]:
    """What ``text`` is about, in order: all of it, and without a cause, body part or treatment
    it says is not there ("the MRI showed edema, no fracture" is not about a fracture), as a
    statement is read. Denied are the NLU entities and the lexicon's ``deniable`` subjects (the
    others carry their own negations: "no need for another scan")."""
    hits = [(m.start(), name, name in lexicon.deniable and bool(_DENIED.search(text[:m.start()])))
            for name, pattern in lexicon.subjects.items() for m in [pattern.search(text)] if m]
    for entity in entities:
        start = int(entity.get("start", -1)) - offset
        if 0 <= start < len(text) and entity.get("value") and entity.get("entity") != "red_flag" \
                and not (lexicon.not_entities and lexicon.not_entities.match(text, start)):
            hits.append((start, str(entity["value"]), bool(_DENIED.search(text[:start]))))
    hits.sort(key=lambda hit: hit[:2])
    return (tuple(dict.fromkeys(name for _, name, _ in hits)),
            tuple(dict.fromkeys(name for _, name, denied in hits if not denied)))


def _pieces(lexicon: Lexicon, folded: str) -> List[Tuple[int, str]]:
    """(offset, text) of each sentence, cut again before a question joined by "and", "but", ","."""
    pieces: List[Tuple[int, str]] = []
    for sentence in _SENTENCE.finditer(folded):
        start, text = sentence.start(), sentence.group()
        joints = re.finditer(r"(?:\s*[,&+]\s*(?:(?:and|but|also|plus|or)\s)?|\s(?:and|but|also|plus|or)\s)"
                             r"\s*|\s(?=" + _BARE_QUESTION + ")", text)
        cuts = [0]
        for m in joints:
            if _starts_a_question(lexicon, text[cuts[-1]:m.start()], text[m.end():],
                                  bare=not m.group().strip()):
                cuts.append(m.end())
        cuts.append(len(text))
        for a, b in zip(cuts, cuts[1:]):
            if text[a:b].strip():
                pieces.append((start + a, text[a:b]))
    return pieces


def _ends_question(folded: str, offset: int) -> bool:
    """Whether the sentence holding ``offset`` ends with a question mark."""
    end = re.search(r"[.?!;\n]", folded[offset:])
    return bool(end and end.group() == "?")


def _starts_a_question(lexicon: Lexicon, before: str, after: str, bare: bool = False) -> bool:
    """Whether ``after`` (following "and", "," ...) is a question of its own: it starts like one,
    or it asks another kind of thing than ``before`` ("what causes it and treatment options").
    ``bare``: nothing joins them ("what are the symptoms how long does it last"): only the
    second rule counts."""
    if after.startswith(("and", "but", "so")) or not before.strip():
        return False
    if not bare and lexicon.question_start.match(after) and (
            after.rstrip().endswith("?") or find_ask(lexicon, after) is not None
            or lexicon.question_start.match(before.strip())):
        return True  # "..., is it serious" but not "he was limping but is walking fine now"
    if bare:  # "what does lesion mean what does non specific mean", "symptoms how serious is it"
        return bool(lexicon.question_start.match(before.strip()) or find_ask(lexicon, before))
    kind_after = find_ask(lexicon, after)
    return kind_after is not None and find_ask(lexicon, before) not in (None, kind_after)


def read_message(text: str, entities: Sequence[Mapping[str, Any]] = (),
                 lexicon: Optional[Lexicon] = None) -> Reading:
    """Read ``text`` into clauses; ``entities`` are the NLU entities (with ``start`` offsets)."""
    lexicon = lexicon or load_lexicon()
    folded = fold(text)
    short = len(_WORDS.findall(folded)) <= lexicon.short_message_words
    clauses = []
    pieces = _pieces(lexicon, folded)
    # a piece cut from a sentence that ends with "?" ("is it serious or just something that heals?")
    sentence_asks = {offset: _ends_question(folded, offset) for offset, _ in pieces}
    for index, (offset, piece) in enumerate(pieces):
        body = piece.strip(" ,.;!\t\n")
        lead = len(piece) - len(piece.lstrip(" ,\t\n"))
        embedded = lexicon.embedded_question.search(body)
        if embedded and not body.rstrip("?! ").endswith("?") and embedded.start() > 0:
            lead, body = lead + embedded.start(), body[embedded.start():]
        ask, weak = find_ask_weight(lexicon, body) or (None, False)
        subjects, told = _subjects(lexicon, body, offset + lead, entities)
        follow_up = bool(lexicon.follow_up_start.match(body))
        # "also would anti inflammatories help": a joining word before the question's start
        unjoined = re.sub(r"^(also|and|so|but|plus|ok|okay|oh|well|then|or)\s+", "", body)
        inside = lexicon.question_inside is not None and lexicon.question_inside.search(body)
        cut_from_question = sentence_asks.get(offset, False) and ask is not None
        # patients put the question last and often leave out the "?": a last clause with a kind
        last_with_kind = index == len(pieces) - 1 and ask is not None
        is_question = (piece.rstrip().endswith("?") or cut_from_question or last_with_kind
                       or bool(lexicon.question_start.match(unjoined) and not (
                           lexicon.statement_start and lexicon.statement_start.match(unjoined)))
                       or bool(embedded)
                       or (short and (ask is not None or follow_up))
                       or bool(inside and (ask is not None or subjects)))
        if not is_question:
            subjects = told
        why_alone = bool(lexicon.why_alone and lexicon.why_alone.fullmatch(body.strip(" ?!.")))
        clauses.append(Clause(body, is_question, ask if is_question else None, subjects,
                              follow_up, why_alone, weak_ask=weak))
    months, words = time_mentioned(folded)
    return Reading(_with_story(clauses, lexicon.not_inherited), months, words)


def _with_story(clauses: List[Clause], not_inherited: Sequence[str]) -> Tuple[Clause, ...]:
    """A question without subjects of its own takes those of the clauses before it: in "I broke
    my ankle. Why do I have this?" the question is about the broken ankle, and in "does it happen
    in the hip and what causes it there" the second question is about the hip."""
    told: List[str] = []
    result = []
    for clause in clauses:
        if clause.is_question and not clause.subjects:
            subjects = tuple(dict.fromkeys(s for s in told if s not in not_inherited))
            clause = replace(clause, subjects=subjects, inherited=True)
        told += clause.subjects
        result.append(clause)
    return tuple(result)


# A length of time that is not how long the patient has had it: still to come ("surgery in 2 days",
# "the race in five weeks", "another 6 weeks"), how often ("3 times a week"), or a plan the
# clinician gave ("crutches for 6 weeks", "no running for a month") unless told as lived ("I've
# been on crutches for 6 weeks").
_AHEAD = re.compile(r"\b(?:in|within|next|another|more|further|times|per|every|each|twice|once|"
                    r"till|until|by)\s+(?:the\s+)?$")
_PLAN = re.compile(r"\b(?:crutches|boot|brace|cast|splint|rest|off|no|avoid|non[- ]?weight[- ]?bearing|"
                   r"nwb|pt|physio|physiotherapy|therapy)\b(?:\s+\w+){0,2}\s+for\s+$")
_LIVED = re.compile(r"\b(?:been|have|has|had|ive|i've|was|were|for the (?:last|past))\b")


def _not_how_long(folded: str, start: int) -> bool:
    """Whether the length of time at ``start`` is still to come, how often, or a plan given."""
    before = folded[max(0, start - 40):start]
    if _AHEAD.search(before):
        return True
    plan = _PLAN.search(before)
    return bool(plan) and not _LIVED.search(folded[max(0, start - 60):start])


def time_mentioned(folded: str) -> Tuple[Optional[float], Optional[str]]:
    """The longest length of time in the message that tells how long the patient has had it
    ("9 months" -> 9.0 months): ages, times still to come, how often and plans given excluded."""
    best: Tuple[Optional[float], Optional[str]] = (None, None)
    for match in _DURATION.finditer(folded):
        if _not_how_long(folded, match.start()):
            continue
        amount, unit = match.group(1), match.group(2).rstrip("s")
        number = float(amount) if amount[0].isdigit() else float(_NUMBER_WORDS[amount])
        number += 0.5 if "and a half" in match.group() else 0.0
        months = number * _UNITS[unit]
        if best[0] is None or months > best[0]:
            best = (months, " ".join(match.group().split()))
    return best
