"""The take-home summary's links and contents (bot/clinic/take_home.py)."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.engine.knowledge import load_knowledge
from bot.engine.replies import disclaimer, load_replies
from bot.engine.safety import urgent_message
from bot.clinic.take_home import (MAX_ANSWERS, SummaryError, build, content_version, given, parse,
                         summary_path, take_home_reply)

KB = load_knowledge()


def test_given_keeps_real_answers_once_in_order() -> None:
    assert given(["duration/compare", "duration/injury"], ["term/lesion", "duration/injury"]) == [
        "term/lesion", "duration/injury"]
    many = sorted(KB.units)[:MAX_ANSWERS + 5]
    assert given(many) == many[-MAX_ANSWERS:]


def test_the_link_carries_only_answer_ids_and_the_version() -> None:
    path = summary_path(["term/lesion", "serious/general"])
    assert path is not None
    query = parse_qs(urlsplit(path).query)
    assert set(query) == {"v", "a"}
    assert query["v"] == [content_version()] and query["a"] == ["term/lesion,serious/general"]
    assert summary_path([]) is None and summary_path(["duration/compare"]) is None


@pytest.mark.parametrize("version,answers,why", [
    ("0ld", "term/lesion", "older version"),
    (None, "term/lesion,not/a_unit", "does not exist"),
    (None, "", "not complete"),
    (None, "term/lesion,term/lesion", "not complete"),
    (None, "<script>alert(1)</script>", "does not exist"),
])
def test_links_that_cannot_be_shown_say_why(version, answers, why) -> None:
    with pytest.raises(SummaryError, match=why):
        parse(version or content_version(), answers)


def test_the_summary_has_the_answers_the_sources_the_disclaimer_and_urgent_numbers() -> None:
    ids = parse(content_version(), "what_is/overview,sources/overview")
    summary = build(ids, date(2026, 12, 6))
    assert [e.answer_id for e in summary.entries] == list(ids)
    assert summary.entries[0].text == KB.units["what_is/overview"].full_text
    assert "Eriksen" in summary.entries[1].text  # the article's references
    assert all(e.review for e in summary.entries)
    assert summary.disclaimer == disclaimer() and urgent_message("emergency") in summary.urgent


def test_take_home_reply_on_channels() -> None:
    reply = take_home_reply(["term/lesion"], "https://assistant.clinic.example/")
    assert "https://assistant.clinic.example/summary?v=" in reply.text
    assert take_home_reply([]).text == load_replies().get("take_home_empty")[0]
