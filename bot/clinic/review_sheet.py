"""The printable review sheet: every answer, for a clinician to check against the article and sign.

``make content-review`` runs ``python -m bot.clinic.review_sheet``, which writes
``reports/content-review.html``: one self-contained page (no script, nothing fetched), grouped by
topic, with each answer's text, fact ids, reading grade, review state and the fingerprint to copy
into the sign-off file, then blank lines to sign. docs/reviewers/review-workflow.md explains the whole round.
"""

from __future__ import annotations

import argparse
import html
import sys
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence, Tuple


from bot.settings import SettingsError
from bot.engine.knowledge import (DEFAULT_LANGUAGE, KNOWLEDGE_FILE, UNITS_FILE, Answer, ContentError,
                                  KnowledgeBase, content_file, language_in_use, load_knowledge,
                                  load_yaml, speaking)
from bot.engine.language import LANGUAGES
from bot.clinic.readability import MAX_GRADE, MIN_SPANISH_EASE, reading_grade, spanish_ease
from bot.clinic.reviews import STATES, Review, Reviews, fingerprint, load_reviews, long_date

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = ROOT / "reports" / "content-review.html"
SIGN_OFF = ("Approved (yes/no)", "Reviewer name and role", "Signature", "Date", "Changes needed")  # filled by hand
STATE_WORDS = {"approved": "approved", "due": "due: the review date has passed",
               "changed": "changed: the text is not the one signed",
               "unreviewed": "not yet reviewed"}
STYLE = """
body { font: 11pt/1.45 Georgia, "Times New Roman", serif; color: #000; background: #fff;
       max-width: 52em; margin: 2em auto; padding: 0 1em; }
h1 { font-size: 1.6em; } h2 { font-size: 1.3em; margin-top: 2em; } h3 { font-size: 1.05em; }
table { border-collapse: collapse; width: 100%; margin: .4em 0 .8em; }
th, td { border: 1px solid #000; padding: .3em .5em; text-align: left; vertical-align: top; }
th[scope="row"] { width: 14em; }
caption { text-align: left; font-style: italic; padding-bottom: .2em; }
.answer { border-top: 3px solid #000; margin-top: 1.6em; padding-top: .4em; }
.answer p { margin: 0 0 .5em; }
.sign td { height: 2.4em; }
.sign tr.wide td { height: 5em; }
@page { margin: 16mm; }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 10pt; }
  .answer, table, tr { break-inside: avoid; page-break-inside: avoid; }
  h2, h3, caption { break-after: avoid; page-break-after: avoid; }
  h2 { break-before: page; page-break-before: always; }
}
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _when(day: Optional[date]) -> str:
    return long_date(day) if day else "none yet"


def content_versions(paths: Optional[Sequence[Path]] = None) -> Dict[str, str]:
    """Each content file's ``version:``, by file name (those of the language in use)."""
    paths = paths or (content_file(KNOWLEDGE_FILE.name), content_file(UNITS_FILE.name))
    return {path.name: str((load_yaml(path.read_text(encoding="utf-8")) or {}).get("version", "?"))
            for path in paths}


def _table(rows: Sequence[Tuple[str, str]], caption: str, css: str = "", row_css: str = "") -> str:
    """A table of (heading, cell HTML) rows; the cells come already escaped."""
    table, row = (f' class="{c}"' if c else "" for c in (css, row_css))
    body = "".join(f'<tr{row}><th scope="row">{_e(head)}</th><td>{cell}</td></tr>\n'
                   for head, cell in rows)
    return f"<table{table}><caption>{_e(caption)}</caption>\n{body}</table>\n"


def render_answer(answer: Answer, state: str, review: Review, number: int = 1,
                  period_months: int = 12) -> str:
    """One answer's section: what it says, what it rests on, how it stands, and where to sign."""
    aid = answer.answer_id
    text = "".join(f"<p>{_e(part)}</p>" for part in answer.full_text.split("\n\n"))
    if language_in_use() == DEFAULT_LANGUAGE:
        grade = reading_grade(answer.text)
        hard = f" (above {MAX_GRADE}: make it plainer before signing)" if grade > MAX_GRADE else ""
        reading = ("Reading grade", _e(f"{grade:.1f}{hard}"))
    else:  # Spanish: Fernández-Huerta's ease, higher is easier
        ease = spanish_ease(answer.text)
        hard = f" (below {MIN_SPANISH_EASE}: make it plainer before signing)" \
            if ease < MIN_SPANISH_EASE else ""
        reading = ("Reading ease (Fernández-Huerta)", _e(f"{ease:.0f}{hard}"))
    current = fingerprint(answer.full_text)
    signed = f" (signed text: {_e(review.fingerprint)})" if review.fingerprint not in (None, current) else ""
    details = [("Text", text), ("Fact ids", _e(", ".join(answer.facts) or "none (states no fact)")),
               reading, ("Review state", _e(STATE_WORDS[state])),
               ("Reviewer", _e(review.reviewer or "none yet")), ("Approved", _e(_when(review.approved))),
               ("Next review", _e(_when(review.next_review))), ("Version", _e(review.version)),
               ("Fingerprint of this text", f"<code>{_e(current)}</code>{signed}")]
    blanks = [(label, "") for label in SIGN_OFF]
    return (f'<section class="answer" aria-labelledby="answer-{number}">\n'
            f'<h3 id="answer-{number}">{number}. <code>{_e(aid)}</code></h3>\n'
            + _table(details, f"The answer {aid}")
            + _table(blanks[:-1], f"Sign-off for {aid} (next review: usually {period_months} months "
                     "after the date signed)", "sign")
            + _table(blanks[-1:], f"Changes needed to {aid}", "sign", "wide")
            + "</section>\n")


def render_sheet(kb: KnowledgeBase, reviews: Reviews, today: date,
                 versions: Optional[Mapping[str, str]] = None) -> str:
    """The whole sheet as one HTML page."""
    versions = content_versions() if versions is None else versions
    answers = {a.answer_id: a for a in kb.all_answers()}
    states = {aid: reviews.state(aid, today) for aid in answers}
    counts = Counter(states.values())
    period = reviews.period_months or 12
    count_rows = "".join(f'<tr><th scope="row">{_e(STATE_WORDS[s])}</th><td>{counts[s]}</td></tr>'
                         for s in STATES)
    version_text = ", ".join(f"{name} version {v}" for name, v in versions.items())
    parts: List[str] = [
        f"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>Review sheet: bone marrow edema answers, {_e(long_date(today))}</title>\n"
        f"<style>{STYLE}</style>\n</head>\n<body>\n<main>\n"
        f"<h1>Review sheet: the answers of the bone marrow edema assistant</h1>\n"
        f"{_language_note()}"
        f"<p>Content: {_e(version_text)}. Made on {_e(long_date(today))}. "
        f"Sign-offs are recorded in <code>{_e(reviews.path)}</code>.</p>\n"
        f"<table><caption>Answers by review state</caption>\n<tr><th scope=\"col\">State</th>"
        f"<th scope=\"col\">Answers</th></tr>\n{count_rows}\n<tr><th scope=\"row\">all</th>"
        f"<td>{len(answers)}</td></tr></table>\n"
        "<h2 id=\"how\">How to review</h2>\n<ol>\n"
        "<li>Read each answer against the article and its fact ids (FACTS.md). The answer may say "
        "only what the article says, in plain words.</li>\n"
        "<li>If you approve it, write <strong>yes</strong>, your name and role, sign and date. If "
        "not, write <strong>no</strong> and the changes needed.</li>\n"
        f"<li>The clinic then copies each approval into the sign-off file: reviewer, date, a next "
        f"review date ({period} months later is usual), version and the answer's fingerprint as "
        "printed here (docs/reviewers/review-workflow.md). Keep the signed sheet.</li>\n"
        "<li>An approval holds only for the words printed here: if the text changes, its "
        "fingerprint changes and the answer must be signed again.</li>\n</ol>\n"]
    number = 0
    for topic in kb.topics.values():
        in_topic = [a for a in answers.values() if a.topic == topic.id]
        parts.append(f'<h2 id="topic-{_e(topic.id)}">{_e(topic.title)} '
                     f'(<code>{_e(topic.id)}</code>, {len(in_topic)} answers)</h2>\n')
        for answer in in_topic:
            number += 1
            parts.append(render_answer(answer, states[answer.answer_id],
                                       reviews.records[answer.answer_id], number, period))
    parts.append("</main>\n</body>\n</html>\n")
    return "".join(parts)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"write the date as YYYY-MM-DD, not {text!r}") from None


def _language_note() -> str:
    """For a translation, who must sign it: a qualified medical translator, then a clinician."""
    language = language_in_use()
    if language == DEFAULT_LANGUAGE:
        return ""
    return (f'<p class="translation"><strong>Translation ({_e(language)}).</strong> Each text is '
            "pending review by a qualified medical translator. It is approved only when a "
            "qualified medical translator has checked it against the English answer and a "
            "clinician has checked it against the article; both sign.</p>\n")


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Write the printable review sheet of every answer.")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"default: {DEFAULT_OUT}")
    parser.add_argument("--today", type=_day, default=None, help="the sheet's date (YYYY-MM-DD)")
    parser.add_argument("--language", default=DEFAULT_LANGUAGE, choices=LANGUAGES,
                        help="the answers of this language (es: default out content-review-es.html)")
    args = parser.parse_args(argv)
    today = args.today or date.today()
    if args.language != DEFAULT_LANGUAGE and args.out == DEFAULT_OUT:
        args.out = DEFAULT_OUT.with_name(f"{DEFAULT_OUT.stem}-{args.language}{DEFAULT_OUT.suffix}")
    try:
        with speaking(args.language):
            sheet = render_sheet(load_knowledge(), load_reviews(), today)
    except (ContentError, SettingsError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(sheet, encoding="utf-8")
    print(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
