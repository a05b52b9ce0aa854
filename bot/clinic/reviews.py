"""Clinician sign-off of the answers: who approved each one, when, and whether that still holds.

``bot/content/reviews.yml`` (or a clinic's own file, ``BME_CONTENT_REVIEWS``) holds one record per
answer id of :func:`bot.engine.knowledge.load_knowledge`. An approval holds for the exact words signed:
its ``fingerprint`` is the start of the SHA-256 of the answer's full text, so an edited answer is
"changed" until a clinician signs the new words. Nothing here reads the clock; callers pass
``today``, so no test and no CI run depends on the date it runs (docs/reviewers/review-workflow.md).
"""

from __future__ import annotations

import calendar
import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import yaml

from bot import settings
from bot.engine.knowledge import (DEFAULT_LANGUAGE, ContentError, KnowledgeBase, content_file,
                                  language_in_use, load_knowledge)

REVIEWS_NAME = "reviews.yml"

APPROVED, DUE, CHANGED, UNREVIEWED = "approved", "due", "changed", "unreviewed"
STATES = (APPROVED, DUE, CHANGED, UNREVIEWED)
FIELDS = ("reviewer", "approved", "next_review", "version", "fingerprint")
NOTES = (APPROVED, DUE, UNREVIEWED)
FINGERPRINT = re.compile(r"^[0-9a-f]{12}$")
REVIEWER = re.compile(r"^\S.*\(\s*\S.*\)$")  # "Dr Ana Reyes (orthopaedic surgeon)"
EXAMPLE_REVIEWER = "Dr Ana Reyes (orthopaedic surgeon)"
UNSIGNED = "{reviewer: null, approved: null, next_review: null, version: 1, fingerprint: null}"
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
LISTED_IDS = 10  # ids named in the start-up warning before "and N more"

Pending = Tuple[str, str, Optional[date]]  # (answer id, state, next_review)


def fingerprint(text: str) -> str:
    """The first 12 hex digits of the SHA-256 of ``text`` (an answer's ``full_text``)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def long_date(day: date) -> str:
    """``3 December 2026``, whatever the machine's locale."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months (31 January + 1 month: the last day of February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _names(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


@dataclass(frozen=True)
class Review:
    """One answer's sign-off record; everything ``None`` until a clinician signs the answer."""

    answer_id: str
    reviewer: Optional[str] = None  # name and role, e.g. "Dr Ana Reyes (orthopaedic surgeon)"
    approved: Optional[date] = None
    next_review: Optional[date] = None
    version: int = 1  # raised by one each time a changed text is signed
    fingerprint: Optional[str] = None  # fingerprint() of the full text as approved


@dataclass(frozen=True)
class Reviews:
    """Every answer's record (in the knowledge base's order), set against its current text."""

    path: Path
    records: Mapping[str, Review]
    texts: Mapping[str, str]  # each answer's current full text, by id
    notes: Mapping[str, str]  # the patient-facing lines, by NOTES key
    period_months: Optional[int] = None

    def state(self, answer_id: str, today: date) -> str:
        """``approved``; ``changed`` (the text is not the one signed); ``due`` (``next_review``
        is before ``today``); or ``unreviewed``."""
        if answer_id not in self.records:
            raise KeyError(f"{answer_id!r} is not an answer id (see {self.path})")
        review = self.records[answer_id]
        if review.approved is None:
            return UNREVIEWED
        if review.fingerprint != fingerprint(self.texts[answer_id]):
            return CHANGED
        if review.next_review is not None and review.next_review < today:
            return DUE
        return APPROVED

    def review_note(self, answer_ids: Sequence[str], today: date) -> str:
        """The line shown under a reply made of ``answer_ids``: who reviewed them and when (the
        oldest approval), or that they are not yet checked when any one is unreviewed or changed.
        Empty for a reply without answers."""
        if not answer_ids:
            return ""
        states = {self.state(answer_id, today) for answer_id in answer_ids}
        if states & {UNREVIEWED, CHANGED}:
            return self.notes[UNREVIEWED]
        records = [self.records[answer_id] for answer_id in answer_ids]
        reviewers = list(dict.fromkeys(str(r.reviewer) for r in records))
        oldest = min(r.approved for r in records if r.approved is not None)
        return self.notes[DUE if DUE in states else APPROVED].format(
            reviewers=_names(reviewers), date=long_date(oldest))

    def needing_review(self, today: date) -> List[Pending]:
        """(answer id, state, next_review) of every answer that is due, changed or unreviewed."""
        pending = [(aid, self.state(aid, today), r.next_review) for aid, r in self.records.items()]
        return [entry for entry in pending if entry[1] != APPROVED]

    def startup_warning(self, today: date) -> Optional[str]:
        """What to tell the clinic at start-up when some answers need a clinician; else ``None``."""
        pending = self.needing_review(today)
        ids = {s: [aid for aid, state, _ in pending if state == s] for s in (DUE, CHANGED, UNREVIEWED)}
        parts = [_answers(ids[DUE], "is past its review date", "are past their review date"),
                 _answers(ids[CHANGED], "has changed since a clinician approved it",
                          "have changed since a clinician approved them"),
                 _answers(ids[UNREVIEWED], "is not yet reviewed", "are not yet reviewed", listed=False)]
        if not pending:
            return None
        return (f"WARNING: {'; '.join(p for p in parts if p)} ({self.path}). Run `make content-review` "
                "to print the review sheet for a clinician to sign (docs/reviewers/review-workflow.md).")


def _answers(ids: Sequence[str], one: str, many: str, listed: bool = True) -> str:
    """``3 answers are past their review date: a, b, c`` (empty for no ids)."""
    if not ids:
        return ""
    more = [f"and {len(ids) - LISTED_IDS} more"] if len(ids) > LISTED_IDS else []
    count = f"1 answer {one}" if len(ids) == 1 else f"{len(ids)} answers {many}"
    return f"{count}: {', '.join([*ids[:LISTED_IDS], *more])}" if listed else count


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML keeps the last of two equal keys silently; a second record must be an error."""

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"{key!r} appears twice: keep one record per answer id",
                    key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


def _date(path: Path, where: str, name: str, value: Any) -> Optional[date]:
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ContentError(f"{path}: {where}: `{name}:` must be a date written YYYY-MM-DD, e.g. "
                           f"2026-12-03, not {value!r}") from None


def _parse_review(path: Path, answer_id: str, body: Any, period: Optional[int]) -> Review:
    where = f"reviews.{answer_id}"

    def require(condition: bool, fix: str) -> None:
        if not condition:
            raise ContentError(f"{path}: {where}: {fix}")

    require(isinstance(body, dict), f"write the record as a mapping: {UNSIGNED}")
    unknown = sorted(set(body) - set(FIELDS))
    require(not unknown, f"unknown fields {unknown}: a record has only {', '.join(FIELDS)}")
    reviewer, mark, version = body.get("reviewer"), body.get("fingerprint"), body.get("version", 1)
    approved = _date(path, where, "approved", body.get("approved"))
    next_review = _date(path, where, "next_review", body.get("next_review"))
    require(isinstance(version, int) and not isinstance(version, bool) and version >= 1,
            f"`version:` must be a whole number from 1, not {version!r}")
    require(reviewer is None or (isinstance(reviewer, str) and bool(REVIEWER.match(reviewer.strip()))),
            f"`reviewer:` must give the name and role, e.g. {EXAMPLE_REVIEWER}, not {reviewer!r}")
    if approved is None:
        filled = [name for name in ("reviewer", "next_review", "fingerprint") if body.get(name) is not None]
        require(not filled, f"{', '.join(filled)} set without `approved:`: add the date on the "
                "signed sheet (YYYY-MM-DD), or set them back to null if nobody signed")
        return Review(answer_id, version=version)
    require(reviewer is not None, "`approved:` is set but `reviewer:` is empty: write the name and "
            f"role of the clinician who signed, e.g. {EXAMPLE_REVIEWER}, or set approved to null")
    require(isinstance(mark, str) and bool(FINGERPRINT.match(mark)),
            f"`fingerprint:` must be the 12 characters (0-9, a-f) printed beside the answer on the "
            f"signed sheet, not {mark!r}")
    suggestion = f", e.g. {add_months(approved, period or 12).isoformat()}"
    require(next_review is not None, f"add `next_review:` (after `approved:`){suggestion}")
    require(next_review is not None and next_review > approved,
            f"`next_review:` ({next_review}) must be after `approved:` ({approved}){suggestion}")
    return Review(answer_id, str(reviewer).strip(), approved, next_review, version, mark)


def parse_reviews(raw: Any, kb: KnowledgeBase, path: Path) -> Reviews:
    """Check the parsed YAML against every answer of ``kb``, raising :class:`ContentError` with
    the file, the answer id and the fix."""
    if not isinstance(raw, dict) or not isinstance(raw.get("reviews"), dict):
        raise ContentError(f"{path}: top level: the file must be a mapping with `reviews:`, one "
                           f"record per answer id (see bot/content/reviews.yml)")
    period = raw.get("review_period_months")
    if period is not None and (not isinstance(period, int) or isinstance(period, bool) or period < 1):
        raise ContentError(f"{path}: review_period_months: a whole number of months, not {period!r}")
    notes: Dict[str, str] = {}
    for key in NOTES:
        text = (raw.get("notes") or {}).get(key)
        fields = ("reviewers", "date") if key != UNREVIEWED else ()
        try:  # every field used, no other: the line is formatted for every reply
            ok = isinstance(text, str) and all(f"{{{f}}}" in text for f in fields) and bool(
                text.format(**dict.fromkeys(fields, "")).strip())
        except (KeyError, IndexError, ValueError):
            ok = False
        if not ok:
            with_fields = " with " + " and ".join(f"{{{f}}}" for f in fields) if fields else ""
            raise ContentError(f"{path}: notes.{key}: write the line patients see as text{with_fields}"
                               " and no other braces")
        notes[key] = " ".join(str(text).split())
    answers = {a.answer_id: a for a in kb.all_answers()}
    answers.update(kb.units)
    missing = [aid for aid in answers if aid not in raw["reviews"]]
    if missing:
        raise ContentError(f"{path}: reviews: no record for {', '.join(missing)}: add one for each, "
                           f"unreviewed until a clinician signs it: `<id>: {UNSIGNED}`")
    unknown = [str(aid) for aid in raw["reviews"] if aid not in answers]
    if unknown:
        raise ContentError(f"{path}: reviews: {', '.join(unknown)}: not answer ids of "
                           "answer_units.yml or knowledge.yml: correct the id or remove the record")
    records = {aid: _parse_review(path, aid, raw["reviews"][aid], period) for aid in answers}
    return Reviews(path, records, {aid: a.full_text for aid, a in answers.items()}, notes, period)


def read_reviews(path: Path, kb: KnowledgeBase) -> Reviews:
    """Load and check the sign-off file at ``path`` against ``kb`` (uncached)."""
    try:
        with open(path, encoding="utf-8") as handle:
            raw = yaml.load(handle, Loader=_UniqueKeyLoader)  # noqa: S506 (a SafeLoader)
    except FileNotFoundError:
        raise ContentError(f"{path}: not found: copy bot/content/reviews.yml there, or unset "
                           "BME_CONTENT_REVIEWS") from None
    except yaml.YAMLError as error:
        raise ContentError(f"{path}: not valid YAML: {error}") from None
    return parse_reviews(raw, kb, Path(path))


@lru_cache(maxsize=None)
def _load_cached(path: Path, language: str) -> Reviews:
    return read_reviews(path, load_knowledge())  # the knowledge base of ``language``, in use


def load_reviews(path: Optional[Path] = None, kb: Optional[KnowledgeBase] = None) -> Reviews:
    """The sign-off records of the language in use: of ``path`` (default for English:
    ``BME_CONTENT_REVIEWS``, else bot/content/reviews.yml; for another language
    bot/content/<language>/reviews.yml) against ``kb`` (default: :func:`load_knowledge`, cached)."""
    language = language_in_use()
    if path is None:
        path = settings.content_reviews_path() if language == DEFAULT_LANGUAGE else \
            content_file(REVIEWS_NAME)
    return _load_cached(Path(path), language) if kb is None else read_reviews(Path(path), kb)


def state(answer_id: str, today: date, reviews: Optional[Reviews] = None) -> str:
    """:meth:`Reviews.state` of the default file (or of ``reviews``)."""
    return (reviews or load_reviews()).state(answer_id, today)


def review_note(answer_ids: Sequence[str], today: date, reviews: Optional[Reviews] = None) -> str:
    """:meth:`Reviews.review_note` of the default file (or of ``reviews``)."""
    return (reviews or load_reviews()).review_note(answer_ids, today)


def needing_review(today: date, reviews: Optional[Reviews] = None) -> List[Pending]:
    """:meth:`Reviews.needing_review` of the default file (or of ``reviews``)."""
    return (reviews or load_reviews()).needing_review(today)


def startup_warning(today: date, reviews: Optional[Reviews] = None) -> Optional[str]:
    """:meth:`Reviews.startup_warning` of the default file (or of ``reviews``)."""
    return (reviews or load_reviews()).startup_warning(today)
