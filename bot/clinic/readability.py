"""How hard an answer is to read: one definition for the content tests and the review sheet.

The grade is Flesch-Kincaid's (textstat 0.7.8, pinned because later versions download NLTK data
at run time), measured on an answer's plain-language ``text`` without its numbered citations,
which are quoted verbatim from the article and are not ours to simplify.
"""

from __future__ import annotations

import re

import textstat

MAX_GRADE = 8  # no answer or reply may be harder than this
MAX_MEDIAN_GRADE = 6  # the median answer may be no harder than this


def reading_grade(text: str) -> float:
    """The Flesch-Kincaid grade of ``text`` (about a US school year: 6 reads at age 11 to 12)."""
    return float(textstat.flesch_kincaid_grade(text))


# Spanish: Fernández-Huerta's ease (the corrected formula: 206.84 - 0.60 P - 1.02 F, P syllables
# per 100 words, F words per sentence), 0 to 100, higher is easier; 70 and above reads as "fairly
# easy" (about 12 years old). textstat's Spanish syllables come from hyphenation patterns, which
# undercount ("ó-se-a" as two), so syllables are counted here by vowel groups: a strong vowel
# (a, e, o) beside another, or an accented í or ú, is a new syllable (hiatus); a weak vowel (i, u)
# beside another vowel is one syllable with it (diphthong); the u of "que", "qui", "gue", "gui" is
# silent; a final y after a vowel ("hay", "muy") is a vowel.
MIN_SPANISH_EASE = 70

_STRONG, _WEAK_ACCENTED, _VOWELS = set("aeoáéó"), set("íú"), set("aeiouáéíóúü")
_SPANISH_WORD = re.compile(r"[a-záéíóúüñ]+")
_SPANISH_SENTENCE = re.compile(r"[.!?…]+|\n")


def spanish_syllables(word: str) -> int:
    """The syllables of one Spanish word (lower case)."""
    word = re.sub(r"(?<=[qg])u(?=[eéií])", "", word.lower())
    word = re.sub(r"(?<=[aeiouáéíóú])y$", "i", word)
    count, previous = 0, ""
    for char in word:
        if char in _VOWELS:
            hiatus = previous and (char in _WEAK_ACCENTED or previous in _WEAK_ACCENTED or
                                   (char in _STRONG and previous in _STRONG))
            if not previous or hiatus:
                count += 1
            previous = char
        else:
            previous = ""
    return max(count, 1)


def spanish_ease(text: str) -> float:
    """Fernández-Huerta's reading ease of a Spanish ``text`` (corrected formula)."""
    words = _SPANISH_WORD.findall(text.lower())
    sentences = max(len([s for s in _SPANISH_SENTENCE.split(text) if _SPANISH_WORD.search(s.lower())]), 1)
    if not words:
        return 100.0
    syllables = sum(spanish_syllables(w) for w in words)
    return 206.84 - 0.60 * (100.0 * syllables / len(words)) - 1.02 * (len(words) / sentences)
