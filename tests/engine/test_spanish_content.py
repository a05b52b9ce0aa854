"""The Spanish content: the same answers as the English, from the same facts, easy to read, and
marked pending review by a qualified medical translator."""

from __future__ import annotations

import re
from typing import Iterator, Tuple

import pytest

from bot.clinic.readability import MIN_SPANISH_EASE, spanish_ease, spanish_syllables
from bot.engine.knowledge import CONTENT_DIR, load_knowledge, load_yaml, speaking
from bot.engine.replies import load_replies

ES = CONTENT_DIR / "es"
PENDING = "pending review by a qualified medical translator"
NUMBER = re.compile(r"\d+")
ENGLISH_WORDS = re.compile(r"\b(the|and|is|you|your|with|this|that|what|about|doctor)\b")


def both() -> Tuple:
    english = load_knowledge()
    with speaking("es"):
        return english, load_knowledge()


def spanish_answers() -> Iterator[Tuple[str, str]]:
    _, spanish = both()
    for answer in spanish.all_answers():
        yield answer.answer_id, answer.text


def test_every_answer_has_its_spanish_with_the_same_ids_facts_and_flags() -> None:
    english, spanish = both()
    assert set(english.units) == set(spanish.units)
    for answer_id, unit in english.units.items():
        other = spanish.units[answer_id]
        assert (other.facts, other.topic, other.context) == (unit.facts, unit.topic, unit.context), answer_id
        assert other.refers_to_clinician == unit.refers_to_clinician, answer_id
    assert set(english.topics) == set(spanish.topics)
    assert [c.below_months for c in english.comparisons] == [c.below_months for c in spanish.comparisons]


def test_every_number_of_an_answer_is_the_same_in_spanish() -> None:
    english, spanish = both()
    for answer_id, unit in english.units.items():
        assert sorted(NUMBER.findall(spanish.units[answer_id].text)) == \
            sorted(NUMBER.findall(unit.text)), answer_id


@pytest.mark.parametrize("answer_id, text", list(spanish_answers()))
def test_every_spanish_answer_reads_easily(answer_id: str, text: str) -> None:
    assert spanish_ease(text) >= MIN_SPANISH_EASE, (answer_id, round(spanish_ease(text), 1))


def test_no_english_is_left_in_a_spanish_answer_or_reply() -> None:
    with speaking("es"):
        replies = load_replies()
    texts = [t for _, t in spanish_answers()] + [text for text, _ in replies.replies.values()] + \
        [replies.disclaimer]
    unquoted = [re.sub(r'"[^"]*"', "", t) for t in texts]  # the article's title is quoted as it is
    assert not [t for t in unquoted if ENGLISH_WORDS.search(t.lower())]


def test_every_english_reply_has_its_spanish_with_the_same_buttons() -> None:
    english = load_replies()
    with speaking("es"):
        spanish = load_replies()
    assert set(english.replies) == set(spanish.replies)
    for name, (_, buttons) in english.replies.items():
        assert spanish.get(name)[1] == buttons, name
    assert spanish.refers_to_clinician == english.refers_to_clinician
    assert set(spanish.feedback_buttons) == set(english.feedback_buttons)


@pytest.mark.parametrize("name", ["answer_units.yml", "knowledge.yml", "replies.yml",
                                  "red_flags.yml", "unit_examples.yml", "reviews.yml"])
def test_every_spanish_file_says_it_is_pending_review(name: str) -> None:
    head = (ES / name).read_text(encoding="utf-8")[:1500].lower()
    assert PENDING in " ".join(head.replace("#", " ").split()), name


def test_no_spanish_answer_is_marked_reviewed() -> None:
    with open(ES / "reviews.yml", encoding="utf-8") as handle:
        records = load_yaml(handle)["reviews"]
    _, spanish = both()
    assert set(records) == {a.answer_id for a in spanish.all_answers()}
    assert all(r["reviewer"] is None and r["approved"] is None for r in records.values())


@pytest.mark.parametrize("word, syllables", [
    ("ósea", 3), ("quiere", 2), ("líquido", 3), ("hueso", 2), ("día", 2), ("ciudad", 2),
    ("guitarra", 3), ("muy", 1), ("leer", 2), ("aire", 2)])
def test_spanish_syllables_follow_diphthongs_and_hiatus(word: str, syllables: int) -> None:
    assert spanish_syllables(word) == syllables


def test_the_ease_formula_is_the_corrected_one() -> None:
    # 18 words, 35 syllables, 2 sentences: 206.84 - 0.60 * 194.4 - 1.02 * 9 = 81.0
    text = ("El edema de médula ósea quiere decir que hay líquido dentro del hueso. "
            "Suele mejorar en unos meses.")
    assert spanish_ease(text) == pytest.approx(81.0, abs=0.1)


