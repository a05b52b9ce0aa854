"""How hard an answer is to read: one definition for the content tests and the review sheet.

The grade is Flesch-Kincaid's (textstat 0.7.8, pinned because later versions download NLTK data
at run time), measured on an answer's plain-language ``text`` without its numbered citations,
which are quoted verbatim from the article and are not ours to simplify.
"""

from __future__ import annotations

import textstat

MAX_GRADE = 8  # no answer or reply may be harder than this
MAX_MEDIAN_GRADE = 6  # the median answer may be no harder than this


def reading_grade(text: str) -> float:
    """The Flesch-Kincaid grade of ``text`` (about a US school year: 6 reads at age 11 to 12)."""
    return float(textstat.flesch_kincaid_grade(text))
