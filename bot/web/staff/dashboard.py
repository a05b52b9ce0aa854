"""The staff dashboard's HTML sections and CSV, from a :class:`bot.web.staff.figures.Summary`.

Every value is HTML-escaped. Charts are inline SVG bars (no script, so the page's Content Security
Policy allows no script at all); each chart is hidden from screen readers because the table under
it holds the same figures.
"""

from __future__ import annotations

import csv
import html
import io
from collections import Counter
from datetime import date
from typing import Any, Iterable, List, Mapping, Optional, Sequence, Tuple

from bot.web.staff.figures import RATINGS, Summary, csv_rows
from bot.engine.knowledge import load_knowledge
from bot.reply_kinds import LABELS, UNANSWERED
from bot.clinic.reviews import Pending

TOP = 10
BAR_HEIGHT, BAR_GAP, LABEL_WIDTH, CHART_WIDTH = 22, 6, 220, 640
RATING_LABELS = {"helpful": "Helpful", "not_helpful": "Not helpful", "too_hard": "Too hard to read",
                 "not_answered": "Didn't answer", "worried": "Worried them"}
STATE_LABELS = {"due": "Past its review date", "changed": "Changed since approval",
                "unreviewed": "Not yet reviewed", "approved": "Approved"}


def _e(value: Any) -> str:
    return html.escape(str(value))


def bar_chart(items: Sequence[Tuple[str, int]]) -> str:
    """Horizontal bars for (label, count) pairs; empty string when there is nothing to draw."""
    if not items:
        return ""
    top = max(count for _, count in items) or 1
    height = len(items) * (BAR_HEIGHT + BAR_GAP)
    bars = []
    for index, (label, count) in enumerate(items):
        y = index * (BAR_HEIGHT + BAR_GAP)
        width = max(2, round((CHART_WIDTH - LABEL_WIDTH - 60) * count / top))
        bars.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 16}" text-anchor="end">{_e(label[:30])}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{width}" height="{BAR_HEIGHT}" rx="3"/>'
            f'<text x="{LABEL_WIDTH + width + 6}" y="{y + 16}">{count}</text>')
    return (f'<svg class="chart" viewBox="0 0 {CHART_WIDTH} {height}" width="{CHART_WIDTH}" '
            f'height="{height}" aria-hidden="true" focusable="false">{"".join(bars)}</svg>')


def table(caption: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A data table with a caption and column headers; "None in this period" when empty."""
    rows = list(rows)
    if not rows:
        return f'<p class="empty">{_e(caption)}: none in this period.</p>'
    head = "".join(f'<th scope="col">{_e(h)}</th>' for h in headers)
    body = "".join("<tr>" + f'<th scope="row">{_e(row[0])}</th>' +
                   "".join(f"<td>{_e(cell)}</td>" for cell in row[1:]) + "</tr>" for row in rows)
    # a region that can take the keyboard's focus: a wide table scrolls sideways on a phone
    return (f'<div class="scroll" role="region" tabindex="0" aria-label="{_e(caption)}">'
            f'<table><caption>{_e(caption)}</caption><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>")


def section(key: str, title: str, body: str) -> str:
    return (f'<section class="card" aria-labelledby="h-{key}"><h2 id="h-{key}">{_e(title)}</h2>'
            f"{body}</section>")


def _counted(counts: Counter, label: Any = str, top: int = TOP) -> List[Tuple[str, int]]:
    return [(label(key), count) for key, count in counts.most_common(top)]


LANGUAGE_LABELS = {"en": "English", "es": "Spanish"}


def _topic_title(topic: str) -> str:
    topics = load_knowledge().topics
    return topics[topic].title if topic in topics else topic


def sections(summary: Summary, pending: Sequence[Pending], show_text: bool) -> str:
    """Every section of the dashboard, in the order staff read them."""
    channels = sorted(set(summary.conversations) | set(summary.messages))
    by_channel = [(c, summary.conversations[c], summary.messages[c]) for c in channels]
    parts = [section("channels", "Conversations and messages by channel",
                     bar_chart([(c, summary.messages[c]) for c in channels]) +
                     table("By channel", ["Channel", "Conversations", "Patient messages"],
                           by_channel))]
    spoken = sorted(set().union(*summary.languages.values())) if summary.languages else []
    counted = ("conversations", "answers", "unanswered", "feedback")
    parts.append(section("languages", "By language", table(
        "Conversations, answers, unanswered messages and feedback by language",
        ["Language", "Conversations", "Answers", "Unanswered", "Feedback"],
        [(LANGUAGE_LABELS.get(code, code), *(summary.languages.get(c, {}).get(code, 0)
                                            for c in counted)) for code in spoken])))
    topics = _counted(summary.topics, _topic_title)
    parts.append(section("topics", "Top topics answered", bar_chart(topics) +
                         table("Answers given by topic", ["Topic", "Answers"], topics)))
    parts.append(section("answers", "Top answers", table(
        "Answers given, by answer id", ["Answer id", "Times given"], _counted(summary.answers))))
    unanswered = [(LABELS[k], summary.unanswered[k]) for k in UNANSWERED]
    body = table("Messages the assistant could not answer", ["Why", "Messages"],
                 [row for row in unanswered if row[1]])
    if show_text:
        body += table("Unanswered messages that look alike (redacted)", ["Example", "Messages"],
                      [(g.example, g.count) for g in summary.unanswered_groups[:TOP * 2]])
    else:
        body += ('<p class="note">The words of these messages are not shown. A clinic can switch '
                 "on redacted text with BME_DASHBOARD_TEXT=1.</p>")
    parts.append(section("unanswered", "Questions not answered", body))
    parts.append(section("urgent", "Urgent-care messages sent", table(
        "Urgent-care messages by kind", ["Kind", "Messages"], _counted(summary.urgent))))
    total = summary.feedback_total
    rows = [(answer_id, *(counts[r] for r in RATINGS))
            for answer_id, counts in sorted(summary.feedback.items(),
                                            key=lambda item: -sum(item[1].values()))]
    parts.append(section("feedback", "Feedback on answers",
                         bar_chart([(RATING_LABELS[r], total[r]) for r in RATINGS if total[r]]) +
                         table("Feedback by answer", ["Answer id", *(RATING_LABELS[r] for r in RATINGS)],
                               rows)))
    review = table("Answers that need a clinician's review", ["Answer id", "State", "Next review"],
                   [(a, STATE_LABELS.get(s, s), n.isoformat() if n else "not set")
                    for a, s, n in pending])
    if len(pending) > TOP:
        review = f"<details><summary>Show all {len(pending)} answers</summary>{review}</details>"
    parts.append(section("review", "Content due for review", review))
    return "\n".join(parts)


def review_warning(pending: Sequence[Pending]) -> str:
    """A notice at the top when answers are past their review date or changed since approval."""
    counts = Counter(state for _, state, _ in pending)
    urgent = counts["due"] + counts["changed"]
    parts = []
    if urgent:
        parts.append(f"{urgent} answer(s) are past their review date or changed since approval.")
    if counts["unreviewed"]:
        parts.append(f"{counts['unreviewed']} answer(s) have not been reviewed by a clinician.")
    if not parts:
        return ""
    return (f'<p class="warning" role="note">{_e(" ".join(parts))} Print the review sheet with '
            "<code>make content-review</code>.</p>")


def csv_text(summary: Summary, pending: Sequence[Pending], since: date, until: date) -> str:
    """The CSV export: the period, then one row per figure (never a patient's words)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "item", "detail", "count"])
    writer.writerow(["period", since.isoformat(), until.isoformat(), 0])
    writer.writerows(csv_rows(summary, pending))
    return out.getvalue()


def period_values(since: date, until: date, message: Optional[str]) -> Mapping[str, str]:
    """The period form's values, and an error line when the dates given could not be read."""
    return {"from": since.isoformat(), "to": until.isoformat(),
            "period_error": message or ""}
