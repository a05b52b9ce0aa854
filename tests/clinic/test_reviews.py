"""Clinician sign-off records (bot/clinic/reviews.py): one per answer, states by date and text, the note
patients see, and load errors that say what to fix. Every test passes its own ``today``."""

from __future__ import annotations

import copy
import re
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any, Callable, Dict

import pytest
import yaml

from bot.clinic import reviews
from bot import settings
from bot.engine.knowledge import CONTENT_DIR, ContentError, KnowledgeBase, load_knowledge, load_yaml
from bot.clinic.readability import MAX_GRADE, reading_grade
from bot.clinic.reviews import (CHANGED, DUE, UNREVIEWED, Reviews, add_months, fingerprint, load_reviews,
                         long_date)

KB = load_knowledge()
COMMITTED = CONTENT_DIR / "reviews.yml"
ANA = "Dr Ana Reyes (orthopaedic surgeon)"
SAM = "Sam Lee (physiotherapist)"
KIM = "Dr Kim Osei (radiologist)"
SIGNED_ON, NEXT = date(2026, 12, 3), date(2027, 12, 3)
TODAY = date(2027, 6, 1)


def committed_raw() -> Dict[str, Any]:
    return load_yaml(COMMITTED.read_text(encoding="utf-8"))


def signed(answer_id: str, reviewer: str = ANA, approved: date = SIGNED_ON, next_review: date = NEXT,
           kb: KnowledgeBase = KB) -> Dict[str, Any]:
    """A record as a clinic fills it after a clinician signed ``answer_id``'s current text."""
    return {"reviewer": reviewer, "approved": approved, "next_review": next_review, "version": 1,
            "fingerprint": fingerprint(kb.unit(answer_id).full_text)}


def write(tmp_path: Path, raw: Dict[str, Any]) -> Path:
    path = tmp_path / "reviews.yml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def book(tmp_path: Path, kb: KnowledgeBase = KB, **records: Dict[str, Any]) -> Reviews:
    """The committed file with ``records`` (answer id with "/" written "__") signed."""
    raw = committed_raw()
    raw["reviews"].update({aid.replace("__", "/"): body for aid, body in records.items()})
    return load_reviews(write(tmp_path, raw), kb)


def edited(answer_id: str) -> KnowledgeBase:
    """The knowledge base with one answer's wording changed after it was signed."""
    unit = KB.unit(answer_id)
    return replace(KB, units={**KB.units, answer_id: replace(unit, text=unit.text + " Rest helps.")})


def test_the_committed_file_has_exactly_one_record_per_answer_id() -> None:
    ids = re.findall(r"^  (\S+):$", COMMITTED.read_text(encoding="utf-8"), re.M)
    assert sorted(ids) == sorted(KB.units)  # every id once: none missing, none twice, none unknown
    loaded = load_reviews(COMMITTED, KB)
    assert list(loaded.records) == [a.answer_id for a in KB.all_answers()]


def test_the_default_load_is_the_committed_file_and_is_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BME_CONTENT_REVIEWS", raising=False)
    assert load_reviews() is load_reviews()
    assert load_reviews().path == COMMITTED.resolve()


def test_a_clinic_file_is_chosen_by_bme_content_reviews(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, {**committed_raw(), "reviews": {**committed_raw()["reviews"],
                                                           "term/lesion": signed("term/lesion")}})
    monkeypatch.setenv("BME_CONTENT_REVIEWS", str(path))
    assert reviews.state("term/lesion", TODAY) == "approved"
    assert settings.content_reviews_path({}) == COMMITTED.resolve()
    assert settings.content_reviews_path({"BME_CONTENT_REVIEWS": "bot/content/reviews.yml"}) == \
        COMMITTED.resolve()
    with pytest.raises(settings.SettingsError, match="BME_CONTENT_REVIEWS points at .*unset"):
        settings.content_reviews_path({"BME_CONTENT_REVIEWS": str(tmp_path / "missing.yml")})


def test_each_state(tmp_path: Path) -> None:
    kb = edited("term/non_specific")
    loaded = book(tmp_path, kb, term__lesion=signed("term/lesion"),
                  term__bone_bruise=signed("term/bone_bruise", next_review=date(2027, 5, 31)),
                  term__non_specific=signed("term/non_specific"))
    assert loaded.state("term/lesion", TODAY) == "approved"
    assert loaded.state("term/bone_bruise", TODAY) == "due"
    assert loaded.state("term/bone_bruise", date(2027, 5, 31)) == "approved"  # due after the day
    assert loaded.state("term/non_specific", TODAY) == "changed"  # a mismatch is a state, not an error
    assert loaded.state("cause/acl_tear", TODAY) == "unreviewed"
    assert load_reviews(loaded.path, KB).state("term/non_specific", TODAY) == "approved"  # text as signed
    with pytest.raises(KeyError, match="not an answer id"):
        loaded.state("term/nope", TODAY)


def test_a_changed_text_outranks_a_passed_date(tmp_path: Path) -> None:
    loaded = book(tmp_path, edited("term/lesion"),
                  term__lesion=signed("term/lesion", next_review=date(2027, 1, 1)))
    assert loaded.state("term/lesion", TODAY) == CHANGED


def test_needing_review_lists_due_changed_and_unreviewed_with_their_dates(tmp_path: Path) -> None:
    kb = edited("term/non_specific")
    loaded = book(tmp_path, kb, term__lesion=signed("term/lesion"),
                  term__bone_bruise=signed("term/bone_bruise", next_review=date(2027, 1, 1)),
                  term__non_specific=signed("term/non_specific"))
    pending = reviews.needing_review(TODAY, loaded)
    assert ("term/bone_bruise", DUE, date(2027, 1, 1)) in pending
    assert ("term/non_specific", CHANGED, NEXT) in pending
    assert ("cause/acl_tear", UNREVIEWED, None) in pending
    assert "term/lesion" not in {aid for aid, _, _ in pending}
    assert len(pending) == len(KB.units) - 1


def test_note_for_one_reviewer(tmp_path: Path) -> None:
    loaded = book(tmp_path, term__lesion=signed("term/lesion"), term__bone_bruise=signed("term/bone_bruise"))
    expected = "Reviewed by Dr Ana Reyes (orthopaedic surgeon) on 3 December 2026."
    assert reviews.review_note(["term/lesion"], TODAY, loaded) == expected
    assert loaded.review_note(["term/lesion", "term/bone_bruise"], TODAY) == expected  # named once


def test_note_for_several_reviewers_names_all_and_gives_the_oldest_approval(tmp_path: Path) -> None:
    loaded = book(tmp_path, term__lesion=signed("term/lesion", SAM, date(2027, 2, 1)),
                  term__bone_bruise=signed("term/bone_bruise"),
                  cause__acl_tear=signed("cause/acl_tear", KIM, date(2027, 3, 9)))
    assert loaded.review_note(["term/lesion", "term/bone_bruise"], TODAY) == (
        "Reviewed by Sam Lee (physiotherapist) and Dr Ana Reyes (orthopaedic surgeon) on 3 December 2026.")
    assert loaded.review_note(["term/lesion", "cause/acl_tear", "term/bone_bruise"], TODAY) == (
        f"Reviewed by {SAM}, {KIM} and {ANA} on 3 December 2026.")


def test_note_says_not_checked_when_any_answer_is_unreviewed_or_changed(tmp_path: Path) -> None:
    unchecked = "This answer has not yet been checked by a clinician at this clinic."
    loaded = book(tmp_path, edited("term/bone_bruise"), term__lesion=signed("term/lesion"),
                  term__bone_bruise=signed("term/bone_bruise"))
    assert loaded.review_note(["term/lesion", "cause/acl_tear"], TODAY) == unchecked
    assert loaded.review_note(["term/bone_bruise"], TODAY) == unchecked  # signed, then edited
    assert reviews.review_note(["term/lesion"], TODAY, load_reviews(COMMITTED, KB)) == unchecked
    assert loaded.review_note([], TODAY) == ""  # a reply without answers has no note
    assert reading_grade(unchecked) <= MAX_GRADE


def test_note_after_the_review_date_says_when_it_was_checked_and_that_a_check_is_due(tmp_path: Path) -> None:
    loaded = book(tmp_path, term__lesion=signed("term/lesion"))
    note = loaded.review_note(["term/lesion"], date(2028, 1, 1))
    assert note == f"Checked by {ANA} on 3 December 2026. It is now due to be checked again."


def test_startup_warning_counts_and_names_what_needs_a_clinician(tmp_path: Path) -> None:
    kb = edited("term/non_specific")
    due = {aid.replace("/", "__"): signed(aid, next_review=date(2027, 1, 1))
           for aid in list(KB.units)[:12]}
    loaded = book(tmp_path, kb, **due, term__non_specific=signed("term/non_specific"))
    warning = str(reviews.startup_warning(TODAY, loaded))
    assert "12 answers are past their review date: what_is/overview, found/overview" in warning
    assert ", and 2 more; 1 answer has changed since a clinician approved it: term/non_specific; " in warning
    assert f"{len(KB.units) - 13} answers are not yet reviewed (" in warning
    assert "make content-review" in warning and str(loaded.path) in warning


def test_no_startup_warning_when_every_answer_is_approved(tmp_path: Path) -> None:
    records = {aid.replace("/", "__"): signed(aid, next_review=date(2029, 1, 1)) for aid in KB.units}
    loaded = book(tmp_path, **{**records, "term__lesion": signed("term/lesion")})
    assert reviews.startup_warning(TODAY, loaded) is None
    assert reviews.needing_review(TODAY, loaded) == []
    assert reviews.startup_warning(date(2028, 1, 1), loaded) == (
        f"WARNING: 1 answer is past its review date: term/lesion ({loaded.path}). Run `make "
        "content-review` to print the review sheet for a clinician to sign (docs/reviewers/review-workflow.md).")


def test_the_committed_notes_read_plainly() -> None:
    notes = load_reviews(COMMITTED, KB).notes
    for note in notes.values():  # the template's own words: a role such as "orthopaedic" is no choice
        assert reading_grade(note.format(reviewers="Dr Ana Reyes", date="3 December 2026")) <= MAX_GRADE


Mutation = Callable[[Dict[str, Any]], None]


def _set(answer_id: str, **fields: Any) -> Mutation:
    return lambda raw: raw["reviews"].__setitem__(answer_id, {**signed(answer_id), **fields})


@pytest.mark.parametrize("mutate, message", [
    (lambda raw: raw["reviews"].pop("term/lesion"), r"reviews: no record for term/lesion: add one"),
    (lambda raw: raw["reviews"].__setitem__("term/nope", None),
     r"term/nope: not answer ids .*correct the id or remove the record"),
    (_set("term/lesion", approved="3 Dec 2026"), r"reviews.term/lesion: `approved:` must be a date "
                                                 r"written YYYY-MM-DD"),
    (_set("term/lesion", next_review=date(2026, 1, 1)),
     r"`next_review:` \(2026-01-01\) must be after `approved:` \(2026-12-03\), e.g. 2027-12-03"),
    (_set("term/lesion", next_review=None), r"add `next_review:` .*e.g. 2027-12-03"),
    (_set("term/lesion", reviewer=None), r"`reviewer:` is empty: write the name and role"),
    (_set("term/lesion", reviewer="Ana"), r"`reviewer:` must give the name and role"),
    (_set("term/lesion", approved=None), r"reviewer, next_review, fingerprint set without `approved:`"),
    (_set("term/lesion", fingerprint="abc"), r"`fingerprint:` must be the 12 characters"),
    (_set("term/lesion", fingerprint=None), r"`fingerprint:` must be the 12 characters"),
    (_set("term/lesion", version=0), r"`version:` must be a whole number from 1"),
    (_set("term/lesion", aproved=SIGNED_ON), r"unknown fields \['aproved'\]"),
    (lambda raw: raw["reviews"].__setitem__("term/lesion", "signed"), r"write the record as a mapping"),
    (lambda raw: raw["notes"].__setitem__("approved", "Reviewed by {reviewers}."),
     r"notes.approved: .* with \{reviewers\} and \{date\}"),
    (lambda raw: raw["notes"].__setitem__("unreviewed", "Not checked by {who}."), r"notes.unreviewed"),
    (lambda raw: raw.__setitem__("review_period_months", "a year"), r"review_period_months"),
    (lambda raw: raw.pop("reviews"), r"top level: .*`reviews:`"),
])
def test_load_errors_name_the_file_the_answer_and_the_fix(tmp_path: Path, mutate: Mutation,
                                                          message: str) -> None:
    raw = copy.deepcopy(committed_raw())
    mutate(raw)
    path = write(tmp_path, raw)
    with pytest.raises(ContentError, match=message) as error:
        load_reviews(path, KB)
    assert str(error.value).startswith(f"{path}: ")


def test_a_record_written_twice_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "reviews.yml"
    path.write_text(COMMITTED.read_text(encoding="utf-8") + "  term/lesion:\n    reviewer: null\n",
                    encoding="utf-8")
    with pytest.raises(ContentError, match=r"'term/lesion' appears twice: keep one record"):
        load_reviews(path, KB)
    with pytest.raises(ContentError, match="not found"):
        load_reviews(tmp_path / "missing.yml", KB)


def test_dates_and_fingerprints() -> None:
    assert long_date(date(2026, 12, 3)) == "3 December 2026"
    assert add_months(date(2026, 12, 3), 12) == date(2027, 12, 3)
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert fingerprint("abc") == "ba7816bf8f01"  # sha256("abc") starts ba7816bf8f01cfea
    assert fingerprint("abc ") != fingerprint("abc")
