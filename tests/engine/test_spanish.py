"""Reading a Spanish message: its questions, regions, times and follow-ups (no model needed)."""

from __future__ import annotations

from typing import Optional

import pytest

from bot.engine.knowledge import speaking
from bot.engine.selection import State
from bot.engine.spanish import (asks, choose, follow_up, is_yes_no, months_told, questions_of,
                                region_answer, with_comparison, with_regions,
                                without_yes_no_es)


def test_a_message_is_cut_into_its_questions_keeping_which_ones_ask() -> None:
    assert questions_of("Me caí jugando. ¿Cuánto tarda en sanar y puedo seguir entrenando?") == [
        "me cai jugando", "cuanto tarda en sanar?", "puedo seguir entrenando?"]


@pytest.mark.parametrize("text, region", [
    ("edema óseo en el cóndilo femoral medial", "rodilla"), ("meseta tibial", "rodilla"),
    ("edema en el astrágalo", "tobillo"), ("calcáneo", "pie"), ("cabeza femoral", "cadera"),
    ("vértebra L4", "columna")])
def test_report_words_are_read_as_the_region_the_article_names(text: str, region: str) -> None:
    assert region in with_regions(text)


@pytest.mark.parametrize("text, answer", [
    ("¿y en la cadera?", "body/hip"), ("y el tobillo", "body/ankle"), ("¿y en el hombro?", "body/other"),
    ("me duele la muñeca", "body/other"), ("que es", None)])
def test_a_region_named_gets_what_the_article_says_of_it(text: str, answer: Optional[str]) -> None:
    assert region_answer(text) == answer


@pytest.mark.parametrize("text, months", [
    ("hace 9 meses me caí", 9.0), ("llevo año y medio así", 18.0), ("desde hace dos años", 24.0),
    ("tres semanas", 0.69), ("hoy", None)])
def test_a_length_of_time_told_is_read_in_months(text: str, months: Optional[float]) -> None:
    found = months_told(text)
    assert (found[0] if found else None) == (pytest.approx(months) if months else None)


def test_a_time_told_with_a_duration_question_is_set_against_the_articles() -> None:
    with speaking("es"):
        keys, sentence, facts = with_comparison([("topic/duration", False, 0.9)],
                                                "hace 14 meses me caí, cuánto dura", "injury")
    assert [k for k, _, _ in keys] == ["duration/long"]
    assert sentence.startswith("14 meses") and "4 a 12 meses" in sentence and facts


def test_a_short_follow_up_asks_the_same_in_a_new_region_or_context() -> None:
    after = State(last_units=("serious/injury",))
    with speaking("es"):
        assert follow_up("¿y en la cadera?", after) == ("body/hip", False, 1.0)
        assert follow_up("y con artrosis?", after) == ("topic/serious", False, 1.0)
        assert follow_up("y con artrosis?", State()) is None  # nothing asked before
        assert follow_up("que es la artrosis y como se trata", after) is None


@pytest.mark.parametrize("question, yes_no", [
    ("es grave?", True), ("puedo correr", True), ("cuanto dura?", False), ("que es", False),
    ("el edema es comun en la rodilla?", False)])
def test_only_a_yes_no_question_keeps_a_si_or_no_opener(question: str, yes_no: bool) -> None:
    assert is_yes_no(question) == yes_no
    assert without_yes_no_es("Sí, puede pasar.") == "Puede pasar."
    assert without_yes_no_es("No. Suele mejorar.") == "Suele mejorar."
    assert without_yes_no_es("Nombra dos fuentes.") == "Nombra dos fuentes."


def test_a_region_only_answers_a_part_that_asks_about_it() -> None:
    told = ("tengo edema en el tobillo", (("body/ankle", 0.9), ("topic/duration", 0.05)))
    asked = ("el edema es comun en la rodilla?", (("body/knee", 0.9),))
    assert choose([told[1]], [told[0]]) == []
    assert asks(asked[0]) and choose([asked[1]], [asked[0]]) == [("body/knee", False, 0.9)]
    assert [k for k, _, _ in choose([(("topic/duration", 0.8), ("body/ankle", 0.7))],
                                    ["cuanto dura en el tobillo?"])] == ["topic/duration"]
