"""The printable review sheet (bot/clinic/review_sheet.py, ``make content-review``)."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import replace
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Dict, List

import pytest

from bot.engine.knowledge import Answer, load_knowledge
from bot.clinic.readability import reading_grade
from bot.clinic.review_sheet import SIGN_OFF, main, render_answer, render_sheet
from bot.clinic.reviews import Review, fingerprint, load_reviews

ROOT = Path(__file__).resolve().parents[2]
KB = load_knowledge()
COMMITTED = ROOT / "bot" / "content" / "reviews.yml"
TODAY = date(2027, 6, 1)
VOID = {"meta", "br", "hr", "img", "link", "input"}


@pytest.fixture(scope="module")
def sheet() -> str:
    return render_sheet(KB, load_reviews(COMMITTED, KB), TODAY)


def sections(html: str) -> Dict[str, str]:
    """Each answer's section of the sheet, by answer id."""
    parts = html.split('<section class="answer"')[1:]
    return {re.search(r"<code>([^<]+)</code></h3>", part).group(1): part for part in parts}  # type: ignore


class TagBalance(HTMLParser):
    """Counts unclosed and stray tags (no third-party validator is installed)."""

    def __init__(self) -> None:
        super().__init__()
        self.open: List[str] = []
        self.stray: List[str] = []
        self.starts: List[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.starts.append(tag)
        if tag not in VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.open and self.open[-1] == tag:
            self.open.pop()
        else:
            self.stray.append(tag)


def test_every_answer_appears_once_with_its_facts_grade_and_fingerprint(sheet: str) -> None:
    found = sections(sheet)
    assert sorted(found) == sorted(KB.units)
    for answer in KB.all_answers():
        section = found[answer.answer_id]
        assert all(f in section for f in answer.facts), answer.answer_id
        assert f"<th scope=\"row\">Reading grade</th><td>{reading_grade(answer.text):.1f}" in section
        assert fingerprint(answer.full_text) in section
        assert "not yet reviewed" in section


def test_every_answer_has_blank_lines_to_sign(sheet: str) -> None:
    for section in sections(sheet).values():
        for label in SIGN_OFF:
            assert f'<th scope="row">{label}</th><td></td>' in section


def test_the_header_gives_versions_date_counts_and_instructions(sheet: str) -> None:
    assert "knowledge.yml version 1, answer_units.yml version 1" in sheet
    assert "Made on 1 June 2027" in sheet
    assert f'<th scope="row">not yet reviewed</th><td>{len(KB.units)}</td>' in sheet
    assert '<th scope="row">approved</th><td>0</td>' in sheet
    assert "How to review" in sheet and "fingerprint" in sheet
    topics = re.findall(r'<h2 id="topic-([a-z_]+)">', sheet)
    assert topics == list(KB.topics)


def test_the_page_is_self_contained_printable_and_well_formed(sheet: str) -> None:
    assert sheet.startswith("<!DOCTYPE html>\n<html lang=\"en\">")
    assert "@media print" in sheet and "break-inside: avoid" in sheet
    assert not re.search(r"<script|<link|<img|src=|@import|url\(|https?://", sheet)
    parser = TagBalance()
    parser.feed(sheet)
    assert (parser.open, parser.stray) == ([], [])
    assert parser.starts.count("main") == 1 and parser.starts.count("h1") == 1
    assert sheet.count("<th") == sheet.count('<th scope="row">') + sheet.count('<th scope="col">')


def test_text_and_review_values_are_escaped() -> None:
    answer = Answer("what_is", "general", '<script>alert("x")</script> & "more"', ("S1.F1",),
                    ("A <b>citation</b>",), id="term/<i>odd</i>")
    review = Review(answer.answer_id, "Dr <Eve> (surgeon)", date(2026, 12, 3), date(2027, 12, 3), 2,
                    "0123456789ab")
    html = render_answer(answer, "changed", review)
    assert "<script" not in html and "<b>" not in html and "<i>" not in html and "<Eve>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;more&quot;" in html
    assert "1. A &lt;b&gt;citation&lt;/b&gt;" in html
    assert "term/&lt;i&gt;odd&lt;/i&gt;" in html and "Dr &lt;Eve&gt; (surgeon)" in html
    assert "changed: the text is not the one signed" in html
    assert "(signed text: 0123456789ab)" in html and "3 December 2026" in html


def test_a_hard_answer_is_flagged() -> None:
    hard = "Notwithstanding considerable heterogeneity, subchondral insufficiency characteristically " \
           "necessitates comprehensive multidisciplinary evaluation."
    answer = replace(KB.unit("term/lesion"), text=hard)
    assert "make it plainer before signing" in render_answer(answer, "unreviewed",
                                                             Review(answer.answer_id))
    assert "make it plainer" not in render_answer(KB.unit("term/lesion"), "unreviewed",
                                                  Review("term/lesion"))


def test_the_command_writes_the_sheet(tmp_path: Path) -> None:
    out = tmp_path / "sheet" / "review.html"
    done = subprocess.run([sys.executable, "-m", "bot.clinic.review_sheet", "--out", str(out),
                           "--today", "2027-06-01"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(out)
    assert "Made on 1 June 2027" in out.read_text(encoding="utf-8")


def test_the_command_reports_a_broken_sign_off_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture) -> None:
    broken = tmp_path / "reviews.yml"
    broken.write_text("reviews: {}\n", encoding="utf-8")
    monkeypatch.setenv("BME_CONTENT_REVIEWS", str(broken))
    assert main(["--out", str(tmp_path / "x.html")]) == 2
    assert f"error: {broken}: notes.approved: write the line patients see" in capsys.readouterr().err
    assert not (tmp_path / "x.html").exists()
    with pytest.raises(SystemExit):
        main(["--today", "1 June"])
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_the_spanish_sheet_asks_a_medical_translator_and_measures_spanish_ease(tmp_path) -> None:
    from bot.clinic.review_sheet import main

    out = tmp_path / "sheet-es.html"
    assert main(["--language", "es", "--out", str(out)]) == 0
    sheet = out.read_text(encoding="utf-8")
    assert "pending review by a qualified medical translator" in sheet
    assert "Reading ease (Fernández-Huerta)" in sheet and "Reading grade" not in sheet
    assert "El edema de médula ósea" in sheet and "answer_units.yml version" in sheet
