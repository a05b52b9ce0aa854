"""Splitting, numbered options and choice mapping: pure helpers, no server."""

from __future__ import annotations

from typing import List

import pytest

from bot.channels.text import (
    NUMBERED_PROMPT, numbered_options, resolve_choice, shorten, split_text, utf16_len)
from bot.engine.knowledge import load_knowledge
from bot.engine.replies import disclaimer

BUTTONS = [{"title": "Is it serious?", "payload": "/ask_serious"},
           {"title": "How is it treated?", "payload": "/ask_treatment"},
           {"title": "Sources", "payload": "/ask_sources"}]
ANSWERS = [answer.full_text for topic in load_knowledge().topics
           for answer in [load_knowledge().answer(topic)]]


def _words(text: str) -> List[str]:
    return text.split()


@pytest.mark.parametrize("limit", [40, 160, 320, 1600, 2000, 3000, 4096])
def test_every_part_fits_and_no_word_is_broken(limit: int) -> None:
    text = "\n\n".join(ANSWERS + [disclaimer()])
    parts = split_text(text, limit)
    assert all(0 < utf16_len(part) <= limit for part in parts)
    # the same words in the same order: nothing lost, nothing cut in the middle
    assert [w for part in parts for w in _words(part)] == _words(text)
    # and no more parts than needed: no two neighbours would have fitted together
    assert all(utf16_len(a) + 1 + utf16_len(b) > limit for a, b in zip(parts, parts[1:]))


def test_text_within_the_limit_is_one_unchanged_part() -> None:
    assert split_text(ANSWERS[0], 4096) == [ANSWERS[0]]


def test_paragraphs_are_packed_while_they_fit_and_kept_whole_when_possible() -> None:
    assert split_text("one two\n\nthree\n\nfour five six", 14) == ["one two\n\nthree",
                                                                 "four five six"]


def test_a_long_paragraph_is_cut_at_the_last_space_before_the_limit() -> None:
    assert split_text("aaa bbb ccc ddd", 9) == ["aaa bbb", "ccc ddd"]
    assert split_text("aaa bbb ccc ddd", 7) == ["aaa bbb", "ccc ddd"]


def test_only_a_single_word_longer_than_the_limit_is_cut() -> None:
    link = "https://example.org/" + "x" * 30
    assert split_text(f"see {link} now", 20) == [
        "see", link[:20], link[20:40], f"{link[40:]} now"]


def test_emoji_count_as_two_units_like_the_platforms_count_them() -> None:
    assert utf16_len("🦴") == 2
    assert split_text("🦴🦴 🦴🦴", 4) == ["🦴🦴", "🦴🦴"]


@pytest.mark.parametrize("text", ["", "   ", "\n\n\n"])
def test_blank_text_gives_no_parts(text: str) -> None:
    assert split_text(text, 10) == []


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        split_text("hi", 0)


def test_numbered_options_list_titles_from_one() -> None:
    assert numbered_options(["Is it serious?", "Sources"]) == (
        f"{NUMBERED_PROMPT}\n1. Is it serious?\n2. Sources")


@pytest.mark.parametrize("title, limit, expected", [
    ("Sources", 20, "Sources"),
    ("How long does it last?", 20, "How long does it…"),  # cut between words
    ("Link with osteoarthritis", 20, "Link with…"),
    ("Osteoarthritisandmore", 10, "Osteoarth…"),  # one long word: cut inside it
])
def test_shorten_keeps_titles_within_the_limit(title: str, limit: int, expected: str) -> None:
    assert shorten(title, limit) == expected
    assert len(shorten(title, limit)) <= limit


@pytest.mark.parametrize("reply, expected", [
    ("1", "/ask_serious"),
    ("3", "/ask_sources"),
    (" 2 ", "/ask_treatment"),
    ("2.", "/ask_treatment"),  # people type "2." or "2)" after a numbered list
    ("2)", "/ask_treatment"),
    ("0", None),               # out of range: left for the NLU
    ("4", None),
    ("12", None),
    ("two", None),
    ("is it serious", None),   # not exactly a title: the NLU understands it
])
def test_numbered_replies_map_to_the_payload_of_that_option(reply: str, expected: str) -> None:
    assert resolve_choice(reply, BUTTONS, numbered=True) == expected


@pytest.mark.parametrize("reply, expected", [
    ("Is it serious?", "/ask_serious"),  # what a Telegram reply keyboard sends
    ("is it  SERIOUS?", "/ask_serious"),
    ("1", None),                         # digits mean nothing where no numbers were shown
    ("Serious", None),
])
def test_a_buttons_title_maps_to_its_payload(reply: str, expected: str) -> None:
    assert resolve_choice(reply, BUTTONS, numbered=False) == expected


def test_nothing_maps_when_nothing_was_offered() -> None:
    assert resolve_choice("1", [], numbered=True) is None
