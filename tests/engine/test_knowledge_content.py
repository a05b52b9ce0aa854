"""Content rules for the knowledge base, checked against the article's FACTS.md."""

from __future__ import annotations

import re
import statistics
from pathlib import Path
from typing import Dict, Set

import pytest

from bot.engine.knowledge import load_knowledge
from bot.clinic.readability import MAX_GRADE, MAX_MEDIAN_GRADE, reading_grade
from bot.engine.replies import load_replies

KB = load_knowledge()
ANSWERS = KB.all_answers()
NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15,
                "twenty": 20, "thirty": 30, "hundred": 100, "half": 0.5, "dozen": 12}
WORD = re.compile(r"[a-z0-9']+")
# No run of this many words of the damaged raw copy may appear in an answer.
RAW_NGRAM = 4


def facts(article_dir: Path) -> Dict[str, str]:
    """FACTS.md's facts by id: {"S1.F1": "Bone marrow edema is ...", ...}."""
    lines = (article_dir / "FACTS.md").read_text(encoding="utf-8").splitlines()
    found = (re.match(r"\s*- (S\d\.(?:F\d+[a-z]?|R\d+)) (.*)", line) for line in lines)
    return {m.group(1): m.group(2) for m in found if m}


def numbers_in(text: str) -> Set[float]:
    digits = {float(n) for n in re.findall(r"\d+", text)}
    words = {float(NUMBER_WORDS[w]) for w in WORD.findall(text.lower()) if w in NUMBER_WORDS}
    return digits | words


@pytest.fixture(scope="module")
def article_facts(article_dir: Path) -> Dict[str, str]:
    return facts(article_dir)


def test_every_fact_of_s1_to_s5_is_used(article_facts: Dict[str, str]) -> None:
    core = {fid for fid in article_facts if re.match(r"S[1-5]\.", fid) and fid != "S3.F3"}
    used = {fid for answer in ANSWERS for fid in answer.facts}
    assert core, "no facts parsed from FACTS.md"
    assert sorted(core - used) == []


def test_every_cited_fact_exists(article_facts: Dict[str, str]) -> None:
    unknown = {(a.answer_id, f) for a in ANSWERS for f in a.facts if f not in article_facts}
    assert unknown == set()


def test_every_number_in_an_answer_is_a_number_of_the_article(article_facts: Dict[str, str]) -> None:
    article_numbers = set().union(*(numbers_in(text) for text in article_facts.values()))
    for answer in ANSWERS:  # citations are checked verbatim in test_references_are_verbatim_from_facts
        extra = numbers_in(answer.text) - article_numbers
        assert not extra, f"{answer.answer_id} uses numbers not in the article: {sorted(extra)}"


def test_references_are_verbatim_from_facts(article_facts: Dict[str, str]) -> None:
    assert KB.references == {fid: article_facts[fid] for fid in ("S6.R1", "S6.R2")}
    sources = KB.answer("sources")
    assert "10.1038/bonekey.2015.124" in sources.full_text
    assert "10.1002/acr.20068" in sources.full_text
    assert "1988-203" not in sources.full_text  # the raw copy's mistyped page range


def test_no_answer_repeats_the_damaged_raw_copy(article_dir: Path) -> None:
    raw = next(article_dir.glob("*.raw.txt")).read_text(encoding="utf-8")
    raw_words = WORD.findall(re.sub(r"<[^>]+>", " ", raw.split("---", 2)[2]).lower())
    raw_runs = {tuple(raw_words[i:i + RAW_NGRAM]) for i in range(len(raw_words) - RAW_NGRAM + 1)}
    for answer in ANSWERS:  # prose only: citations are quoted from FACTS.md on purpose
        words = WORD.findall(answer.text.lower())
        runs = {tuple(words[i:i + RAW_NGRAM]) for i in range(len(words) - RAW_NGRAM + 1)}
        assert not runs & raw_runs, f"{answer.answer_id} repeats the raw copy: {runs & raw_runs}"


@pytest.mark.parametrize("needle", ["<", ">", "script", "herokuapp", "hugohealth", "http", "&quot;"])
def test_nothing_from_the_raw_html_reaches_a_user(needle: str) -> None:
    replies = load_replies()
    texts = [a.full_text for a in ANSWERS] + [replies.disclaimer]
    texts += [text for text, _ in replies.replies.values()]
    assert [t for t in texts if needle in t.lower()] == []


def test_reading_grade_of_each_answer_and_median() -> None:
    grades = {a.answer_id: reading_grade(a.text) for a in ANSWERS}
    too_hard = {aid: g for aid, g in grades.items() if g > MAX_GRADE}
    assert too_hard == {}
    assert statistics.median(grades.values()) <= MAX_MEDIAN_GRADE


def test_conversation_replies_are_plain_too() -> None:
    replies = load_replies()
    texts = [replies.disclaimer] + [text for text, _ in replies.replies.values()]
    assert {t: reading_grade(t) for t in texts if reading_grade(t) > MAX_GRADE} == {}


@pytest.mark.parametrize("banned", [
    "ibuprofen", "naproxen", "aspirin", "paracetamol", "acetaminophen", "mg", "milligram",
    "dose of", "twice a day", "cortisone", "prednisone", "cancer",
])
def test_no_drug_names_or_doses_beyond_the_article(banned: str) -> None:
    offending = [a.answer_id for a in ANSWERS if re.search(rf"\b{banned}\b", a.full_text.lower())]
    assert offending == []
