"""Channel 7, look-alike punctuation: apostrophes, hyphens, slashes, colons, full stops and
full-width ASCII that are not the ASCII characters the text around them uses.

A client can mark a prompt by swapping one U+0027 for U+2019 or U+02BC ("Today\\u02bcs date is
..."), a hyphen for U+2010, a slash for U+2215. **Consistency is the signal**: a modifier letter
inside an English word is high; a typographic apostrophe is low where it is the odd one out
among ASCII ones and medium in a generated line (date, path, environment value); the others
are medium in ASCII text and high in a generated line. Left alone (info or low, and reported
once per character): typographic prose that uses curly quotes throughout; the Hawaiian okina and
Uzbek Latin U+02BB (`detectors.exemptions.is_okina`) and modifier letters between non-Latin
letters, because they are letters of those orthographies; U+037E in Greek, where it is the
question mark; primes after digits, minus signs and fraction slashes in numbers; look-alike
hyphens a text uses throughout. CJK full-width punctuation next to CJK text is not reported at
all (`detectors.exemptions.is_cjk_context`), as it is CJK's own punctuation; a full-width letter
inside an ASCII word is flagged even there. Full-width digits belong to `detectors.digits`;
UTS #39's other look-alikes of punctuation (U+0589 ARMENIAN FULL STOP, U+02DC SMALL TILDE...)
to `detectors.homoglyphs`.
Spec: issue 3, channel 7.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from typing import ClassVar

import unicodedata2

from detectors import _tables
from detectors.base import make_finding
from detectors.char_index import class_ranges, starts
from detectors.exemptions import CJK_CHARACTERS, is_cjk_context, is_okina
from detectors.model import Finding, Severity
from detectors.neighbourhood import (
    fold_lookalikes,
    has_alnum,
    has_non_ascii_letter,
    in_dynamic_line,
    is_latin_letter,
    is_typographic,
    window,
)
from detectors.unicode import char_class, describe, describe_all, script

TYPOGRAPHIC_QUOTES = "\u2019\u2018"
MODIFIER_APOSTROPHES = "\u02bc\u02b9\u02bb"
OTHER_APOSTROPHES = "\u2032\u00b4"
HYPHENS = "\u2010\u2011\u2012\u2212\ufe63"
SLASHES = "\u2215\u2044\u29f8"
COLONS = "\u2236\ua789\u037e"
FULL_STOPS = "\u2024"
# What the typographic quotes are weighed against: U+0027 and the marks sanitize turns into it
# (backticks in contractions are added to the count by the detector).
_APOSTROPHE_LIKE = "'" + MODIFIER_APOSTROPHES + OTHER_APOSTROPHES
_KIND = {
    **dict.fromkeys(TYPOGRAPHIC_QUOTES + OTHER_APOSTROPHES + "`", "lookalike-apostrophe"),
    **dict.fromkeys(MODIFIER_APOSTROPHES, "modifier-letter-apostrophe"),
    **dict.fromkeys(HYPHENS, "lookalike-hyphen"),
    **dict.fromkeys(SLASHES, "lookalike-slash"),
    **dict.fromkeys(COLONS, "lookalike-colon"),
    "\u037e": "lookalike-semicolon",
    **dict.fromkeys(FULL_STOPS, "lookalike-full-stop"),
}
# Full-width digits U+FF10-FF19 are left to the digit detector.
_FULLWIDTH_NON_DIGIT = [
    (a, b) for lo, hi in _tables.FULLWIDTH_ASCII for a, b in ((lo, min(hi, 0xFF0F)), (max(lo, 0xFF1A), hi)) if a <= b
]
_SINGLES = TYPOGRAPHIC_QUOTES + MODIFIER_APOSTROPHES + OTHER_APOSTROPHES + HYPHENS + SLASHES + COLONS + FULL_STOPS
# The look-alikes judged here by the consistency rules above; `detectors.homoglyphs` judges the
# rest of UTS #39's punctuation look-alikes.
JUDGED_BY_CONSISTENCY = frozenset(_SINGLES)
# A backtick typed for an apostrophe in an English contraction (don, U+0060, t), after a letter
# and before s, t, d, m, re, ve or ll.
_BACKTICK = "`(?<=[A-Za-z\uff21-\uff3a\uff41-\uff5a]`)(?=(?:s|t|d|m|re|ve|ll)(?![A-Za-z\uff21-\uff3a\uff41-\uff5a]))"
# One flat class keeps ``re`` on its fast path. A full-width symbol right after a CJK character
# is CJK's own punctuation, skipped inside ``re`` so that dense CJK text costs no Python.
# When the text writes its quotes typographically, U+2018/U+2019 are left out of the search.
_FULLWIDTH_ALNUM = [(0xFF21, 0xFF3A), (0xFF41, 0xFF5A)]
_FULLWIDTH_SYMBOLS = [(0xFF01, 0xFF0F), (0xFF1A, 0xFF20), (0xFF3B, 0xFF40), (0xFF5B, 0xFF5E)]
_FULLWIDTH_ALNUM_CHAR = re.compile(f"[{char_class(_FULLWIDTH_ALNUM)}]")
_NOT_AFTER_CJK = f"(?<![{CJK_CHARACTERS}][{char_class(_FULLWIDTH_SYMBOLS)}])"
_CANDIDATE = re.compile(f"[{char_class(_FULLWIDTH_NON_DIGIT)}{re.escape(_SINGLES)}]{_NOT_AFTER_CJK}")
_CANDIDATE_BESIDES_QUOTES = re.compile(
    f"[{char_class(_FULLWIDTH_NON_DIGIT)}{re.escape(_SINGLES.replace(TYPOGRAPHIC_QUOTES, ''))}]{_NOT_AFTER_CJK}"
)
_FULLWIDTH_RUN = re.compile(f"[{char_class(_FULLWIDTH_NON_DIGIT)}]+")
_BACKTICK_CANDIDATE = re.compile(_BACKTICK)
_CONTRACTION_AFTER = re.compile(r"(?:s|t|d|m|re|ve|ll)(?![^\W\d_])")


@lru_cache(maxsize=256)
def ascii_counterpart(ch: str) -> str | None:
    """The ASCII character ``ch`` stands for: NFKC where that is ASCII, else UTS #39's prototype.

    >>> ascii_counterpart("\\u037e"), ascii_counterpart("\\u2019"), ascii_counterpart("\\u2212")
    (';', "'", '-')
    """
    if ch == "`":
        return "'"
    folded = unicodedata2.normalize("NFKC", ch)
    if len(folded) == 1 and folded.isascii():
        return folded
    guess = _tables.CONFUSABLE_ASCII.get(ord(ch))
    return guess if guess is not None and len(guess) == 1 else None


class LookalikePunctuationDetector:
    """Punctuation that imitates ASCII where the text around it is ASCII; see the module docstring."""

    name: ClassVar[str] = "lookalike-punctuation"
    ascii_relevant: ClassVar[bool] = True  # a backtick typed for an apostrophe is ASCII
    # Without one of these characters the detector reports nothing (see detectors.char_index).
    triggers: ClassVar[list[tuple[int, int]]] = sorted([*class_ranges("`" + _SINGLES), *_FULLWIDTH_NON_DIGIT])
    takes_candidates: ClassVar[bool] = True  # find() may be given the shared trigger offsets

    def find(self, text: str, candidates: Iterable[int] | None = None) -> Iterator[Finding]:
        counts: dict[str, int] = {}  # str.count results, computed once per character and text

        def count(chars: str) -> int:
            if chars not in counts:
                counts[chars] = sum(text.count(ch) for ch in chars)
                if chars == _APOSTROPHE_LIKE:
                    counts[chars] += len(backtick_apostrophes)
            return counts[chars]

        # Normal uses are reported once per character, not at every occurrence.
        reported_info: set[str] = set()
        backtick_apostrophes = [
            match.start() for match in _BACKTICK_CANDIDATE.finditer(text) if not _closes_code_span(text, match.start())
        ]
        for index in backtick_apostrophes:
            yield self._single(text, index, count)
        if text.isascii():
            return
        pattern = _CANDIDATE
        first_quote = _first_of(text, TYPOGRAPHIC_QUOTES)
        if first_quote >= 0 and _quotes_are_typographic(count(_APOSTROPHE_LIKE), count(TYPOGRAPHIC_QUOTES + "\u201c\u201d")):
            pattern = _CANDIDATE_BESIDES_QUOTES
            yield self._single(text, first_quote, count)
        position = 0
        for start in starts(text, candidates, pattern):
            if start < position or (candidates is not None and not pattern.match(text, start)):
                continue
            wide = _FULLWIDTH_RUN.match(text, start)
            position = wide.end() if wide is not None else start + 1
            if wide is not None:
                if _inside_ascii_word(text, start, position) or not (
                    is_cjk_context(text, start) or is_cjk_context(text, position - 1)
                ):
                    yield self._fullwidth(text, start, position)
                continue
            severity, why = self._judge(text, start, count)
            if severity > Severity.INFO or text[start] not in reported_info:
                reported_info.add(text[start])
                yield self._single(text, start, count, (severity, why))

    def _single(
        self, text: str, index: int, count: Callable[[str], int], verdict: tuple[Severity, str] | None = None
    ) -> Finding:
        severity, why = verdict or self._judge(text, index, count)
        ch = text[index]
        return make_finding(
            self.name, _KIND[ch], text, index, index + 1, severity, f"{describe(ch)} {why}",
            replacement=ascii_counterpart(ch),
        )

    def _fullwidth(self, text: str, start: int, end: int) -> Finding:
        run = text[start:end]
        if run == "\uff5e" and text[start - 1:start].isdecimal() and text[end:end + 1].isdecimal():
            severity, why = Severity.LOW, "between numbers, as Japanese writes a range (2015/01/01\uff5e2017/01/01)"
        elif _inside_ascii_word(text, start, end):
            dynamic = in_dynamic_line(text, start)
            severity, why = (Severity.HIGH if dynamic else Severity.MEDIUM), "inside an ASCII word"
        else:
            severity, why = _ladder(text, start, end, "in Latin text")
        return make_finding(
            self.name, "fullwidth-ascii", text, start, end, severity, f"{describe_all(run)} {why}",
            replacement=unicodedata2.normalize("NFKC", run),
        )

    def _judge(self, text: str, index: int, count: Callable[[str], int]) -> tuple[Severity, str]:
        ch = text[index]
        before = text[index - 1] if index > 0 else ""
        after = text[index + 1] if index + 1 < len(text) else ""
        if ch in TYPOGRAPHIC_QUOTES:
            return _consistency(text, index, count(_APOSTROPHE_LIKE), count("\u2019\u2018\u201c\u201d"))
        if ch == "`":
            return _ladder(text, index, index + 1, "typed for an apostrophe")
        if ch in MODIFIER_APOSTROPHES:
            return _modifier_letter(text, index, before, after)
        if ch in OTHER_APOSTROPHES and before.isdecimal():
            return Severity.INFO, "after a number, as a prime (feet, minutes)"
        if ch == "\u037e" and _near_greek(text, index):
            return Severity.INFO, "in Greek text, where it is the question mark (NFC maps it to U+003B)"
        if _is_math(ch, before, after):
            severity, why = _ladder(text, index, index + 1, "in a number")
            return min(severity, Severity.LOW), why
        if ch in HYPHENS and count(ch) > max(1, count("-" + HYPHENS) - count(ch)):
            severity, why = _ladder(text, index, index + 1, "")
            return min(severity, Severity.LOW), f"used throughout the text ({count(ch)} times) rather than U+002D"
        return _ladder(text, index, index + 1, f"where the text around uses {_ascii_code(ch)}")


def _is_math(ch: str, before: str, after: str) -> bool:
    """A minus sign starting a number or between spaces, a fraction slash between digits.

    >>> _is_math("\u2212", " ", "5"), _is_math("\u2212", "F", "8"), _is_math("\u2044", "1", "2")
    (True, False, True)
    """
    if ch == "\u2212":
        return (after.isdecimal() and not before.isalnum()) or (before == " " and after == " ")
    return ch == "\u2044" and before.isdecimal() and after.isdecimal()


def _inside_ascii_word(text: str, start: int, end: int) -> bool:
    """Whether a full-width letter or digit run touches ASCII letters or digits, as in "na\\uff4de"."""
    if _FULLWIDTH_ALNUM_CHAR.search(text, start, end) is None:
        return False
    # Folded, so that a look-alike digit beside the run counts as the ASCII digit it will become.
    before = fold_lookalikes(text[start - 1:start])
    after = fold_lookalikes(text[end:end + 1])
    return (before.isascii() and before.isalnum()) or (after.isascii() and after.isalnum())


_THROUGH_LAST_SPACE = re.compile(r".*\s", re.DOTALL)


def _closes_code_span(text: str, index: int) -> bool:
    """Whether the backtick at ``index`` ends a Markdown code span, as in "the `Finding`s"."""
    low = max(0, index - 64)
    # Any white space ends the word: a no-break space must count like the space sanitize
    # turns it into, or sanitizing would change this verdict.
    last_space = _THROUGH_LAST_SPACE.match(text, low, index)
    word_start = last_space.end() if last_space else low
    opener = text.find("`", word_start, index)
    # An opening backtick starts the word or follows punctuation; one after a letter is itself
    # an apostrophe look-alike (in "don\x60t\x60s" no code span opens).
    return opener >= 0 and (opener == 0 or not text[opener - 1].isalpha())


def _ascii_code(ch: str) -> str:
    counterpart = ascii_counterpart(ch)
    return f"U+{ord(counterpart):04X}" if counterpart else "ASCII"


def _ladder(text: str, start: int, end: int, where: str) -> tuple[Severity, str]:
    """Low in non-ASCII or typographic surroundings, medium in ASCII text, high in a dynamic line."""
    low, high = window(text, start)
    if has_non_ascii_letter(text, low, start) or has_non_ascii_letter(text, end, high):
        return Severity.LOW, f"{where} among non-ASCII letters".strip()
    if is_typographic(text, low, start) or is_typographic(text, end, high):
        return Severity.LOW, f"{where} in typographic prose".strip()
    if in_dynamic_line(text, start):
        return Severity.HIGH, f"{where} in a generated line (date, path or environment value)".strip()
    if not has_alnum(text, low, high):
        return Severity.LOW, f"{where} with no words or numbers around it to compare with".strip()
    return Severity.MEDIUM, where or "in ASCII text"


def _first_of(text: str, chars: str) -> int:
    found = [index for index in (text.find(ch) for ch in chars) if index >= 0]
    return min(found, default=-1)


def _quotes_are_typographic(ascii_count: int, typographic_count: int) -> bool:
    """Whether the text writes its quotes typographically: no U+0027, or as many curly ones besides one."""
    return ascii_count == 0 or typographic_count - 1 >= ascii_count


def _consistency(text: str, index: int, ascii_count: int, typographic_count: int) -> tuple[Severity, str]:
    """Typographic quotes judged against the quotes the rest of the text uses."""
    if _quotes_are_typographic(ascii_count, typographic_count):
        return Severity.INFO, "in text that uses typographic quotes"
    why = f"where the rest of the text uses U+0027 ({ascii_count} times)"
    low, high = window(text, index)
    if not has_non_ascii_letter(text, low, high) and in_dynamic_line(text, index):
        return Severity.MEDIUM, f"{why}, in a generated line (date, path or environment value)"
    return Severity.LOW, why


def _modifier_letter(text: str, index: int, before: str, after: str) -> tuple[Severity, str]:
    """U+02BC/U+02B9/U+02BB: letters in some orthographies, a covert apostrophe in English."""
    if is_okina(text, index):
        return Severity.INFO, "as the Hawaiian okina or Uzbek Latin letter"
    low, high = window(text, index)
    plain = not (has_non_ascii_letter(text, low, index) or has_non_ascii_letter(text, index + 1, high))
    if is_latin_letter(before) and is_latin_letter(after):
        if plain or _CONTRACTION_AFTER.match(text, index + 1):
            return Severity.HIGH, "inside an English word, where an apostrophe U+0027 belongs"
        return Severity.LOW, "inside a Latin word with other non-ASCII letters (an orthography's letter?)"
    if (is_latin_letter(before) or is_latin_letter(after)) and plain:
        if in_dynamic_line(text, index):
            return Severity.MEDIUM, "next to a Latin word in a generated line"
        return Severity.LOW, "next to a Latin word"
    return Severity.INFO, "outside Latin words (a letter in some orthographies)"


def _near_greek(text: str, index: int) -> bool:
    low, high = window(text, index, 8)
    return any(script(ch) == "Greek" for ch in text[low:high])
