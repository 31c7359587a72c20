"""Channel 10, look-alike digits: non-ASCII decimal digits (Arabic-Indic, full-width,
mathematical U+1D7CE-U+1D7FF, Devanagari and the other Nd digits) standing in for 0-9.

One Arabic-Indic digit inside "2026-11-24", or a mathematical bold digit in "version 2.0",
reads the same and marks the text. A number that mixes ASCII digits with another digit
script, or two digit scripts, is high; mathematical digits in ASCII text are high; any other
non-ASCII number among Latin letters is medium (high in a generated line). Left alone (info),
because that is how those languages write numbers: a whole number written in the digits of the
script around it (Arabic-Indic in Arabic, Extended Arabic-Indic in Persian, Devanagari in Hindi,
full-width digits in Japanese "\\uff12\\uff10\\uff12\\uff16\\u5e74"), reported once per digit set
since such prose holds many; mathematical digits among mathematical letters (a formula) are low.
Spec: issue 3, channel 10.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import ClassVar

import unicodedata2

from detectors import _tables
from detectors.base import make_finding
from detectors.char_index import starts
from detectors.exemptions import is_cjk_context
from detectors.model import Finding, Severity
from detectors.neighbourhood import in_dynamic_line, letter_scripts, window
from detectors.unicode import char_class, describe_all, script_extensions

_DIGITS = char_class(_tables.NON_ASCII_DECIMAL_DIGIT)
_NON_ASCII_DIGIT_RUN = re.compile(f"[{_DIGITS}]+")


def _coarse_astral(ranges: tuple[tuple[int, int], ...]) -> list[tuple[int, int]]:
    """BMP ranges as they are; supplementary ranges merged across every gap that holds no emoji.

    ``re`` tests supplementary ranges one by one, so the 40-odd supplementary digit sets
    would cost every character of the text. Two merged ranges make a cheap superset that
    still leaves out the emoji blocks (so emoji text is not full of false candidates); each
    hit is checked against the exact class.
    """
    merged: list[tuple[int, int]] = []
    for start, end in ranges:
        if start >= 0x10000 and merged and merged[-1][0] >= 0x10000 and not _holds_emoji(merged[-1][1] + 1, start - 1):
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _holds_emoji(low: int, high: int) -> bool:
    return any(start <= high and low <= end for start, end in _tables.EXTENDED_PICTOGRAPHIC)


_CANDIDATE = re.compile(f"[{char_class(_coarse_astral(_tables.NON_ASCII_DECIMAL_DIGIT))}]")
_TO_ASCII = {
    cp: str(unicodedata2.decimal(chr(cp))) for lo, hi in _tables.NON_ASCII_DECIMAL_DIGIT for cp in range(lo, hi + 1)
}
# A number: digit runs joined by single separators, so "2026-\u0661\u0661-24" is one number.
# Look-alike separators count too, so that sanitizing one never regroups a number.
_SEPARATORS = ".,:/-\u066b\u066c\u2010\u2011\u2012\u2212\ufe63\u2215\u2044\u29f8\u2236\ua789\u2024\uff0c\uff0d\uff0e\uff0f\uff1a"
_NUMBER_AHEAD = re.compile(f"[0-9{_DIGITS}]+(?:[{re.escape(_SEPARATORS)}][0-9{_DIGITS}]+)*")
_MATH_DIGITS = (0x1D7CE, 0x1D7FF)
_MATH_LETTERS = re.compile("[\U0001d400-\U0001d7cb]")


def ascii_digits(run: str) -> str:
    """The ASCII digits with the values of ``run``'s decimal digits.

    >>> ascii_digits("\\u0662\\u0660\\u0662\\u0666"), ascii_digits("\\U0001d7d0")
    ('2026', '2')
    """
    return run.translate(_TO_ASCII)


def _is_digit(ch: str) -> bool:
    return unicodedata2.decimal(ch, -1) >= 0


def _zero_of(ch: str) -> int:
    """The code point of the 0 of ``ch``'s digit set: one value per digit script (or style)."""
    return ord(ch) - unicodedata2.decimal(ch)


class LookalikeDigitDetector:
    """Non-ASCII digits outside text of their own script; see the module docstring."""

    name: ClassVar[str] = "lookalike-digit"
    ascii_relevant: ClassVar[bool] = False
    # Without one of these characters the detector reports nothing (see detectors.char_index).
    triggers: ClassVar[list[tuple[int, int]]] = list(_tables.NON_ASCII_DECIMAL_DIGIT)
    takes_candidates: ClassVar[bool] = True  # find() may be given the shared trigger offsets

    def find(self, text: str, candidates: Iterable[int] | None = None) -> Iterator[Finding]:
        position = 0
        reported_info: set[int] = set()
        for candidate in starts(text, candidates, _CANDIDATE):
            if candidate < position:
                continue
            first = _NON_ASCII_DIGIT_RUN.match(text, candidate)
            if not first:
                continue
            start = _number_start(text, first.start())
            end = _NUMBER_AHEAD.match(text, start).end()
            kind, severity, why = _judge(text, start, end)
            position = end
            if severity == Severity.INFO:
                # Native numbers are reported once per digit set: Arabic prose holds many.
                family = _zero_of(first.group()[0])
                if family in reported_info:
                    continue
                reported_info.add(family)
            for run in _NON_ASCII_DIGIT_RUN.finditer(text, start, end):
                yield make_finding(
                    self.name, kind, text, run.start(), run.end(), severity,
                    f"{describe_all(run.group())} {why} in the number {_shortened(text[start:end])!r}",
                    replacement=ascii_digits(run.group()),
                )


def _shortened(number: str, limit: int = 40) -> str:
    return number if len(number) <= limit else f"{number[:limit // 2]}...{number[-limit // 2:]}"


def _number_start(text: str, index: int) -> int:
    """Walk back over digits and single separators between digits."""
    start = index
    while start > 0:
        if _is_digit(text[start - 1]):
            start -= 1
        elif start > 1 and text[start - 1] in _SEPARATORS and _is_digit(text[start - 2]):
            start -= 2
        else:
            break
    return start


def _judge(text: str, start: int, end: int) -> tuple[str, Severity, str]:
    number = text[start:end]
    zeros = {_zero_of(ch) for ch in set(number) if _is_digit(ch)}
    if len(zeros) > 1:
        mixed_with = "ASCII digits" if 0x30 in zeros else "digits of another script"
        return "mixed-digits", Severity.HIGH, f"mixed with {mixed_with}"
    (zero,) = zeros
    low, _ = window(text, start)
    _, high = window(text, end - 1)
    scripts = letter_scripts(text, low, start) | letter_scripts(text, end, high)
    if _MATH_DIGITS[0] <= zero <= _MATH_DIGITS[1]:
        if _MATH_LETTERS.search(text, low, high):
            return "mathematical-digits", Severity.LOW, "among mathematical letters (a formula)"
        if scripts <= {"Latin"}:
            return "mathematical-digits", Severity.HIGH, "in ASCII text"
        return "mathematical-digits", Severity.MEDIUM, "in non-mathematical text"
    own_scripts = script_extensions(chr(zero)) - {"Common"}
    if (own_scripts & scripts) or (not own_scripts and (is_cjk_context(text, start) or is_cjk_context(text, end - 1))):
        return "native-digits", Severity.INFO, "written in the digits of the text around it"
    if not scripts:
        return "non-ascii-digits", Severity.LOW, "with no letters around it"
    if scripts <= {"Latin"}:
        if in_dynamic_line(text, start):
            return "non-ascii-digits", Severity.HIGH, "in a generated line of Latin text"
        return "non-ascii-digits", Severity.MEDIUM, "in Latin text"
    return "non-ascii-digits", Severity.LOW, f"in {'/'.join(sorted(scripts))} text"
