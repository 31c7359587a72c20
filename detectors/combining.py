"""Combining-mark abuse (issue 3, channel 12): stacked marks (Zalgo), enclosing and overlay marks.

"Z\\u0351\\u036b\\u0343\\u036a\\u0302" piles marks on one letter; "s\\u0336t\\u0336" strikes letters
through with U+0336; "a\\u20dd" draws a circle round one. Each adds characters that carry
bits while the text still reads the same.

Left alone, because they are how real scripts are written (judged by the base character's
script): Vietnamese and polytonic Greek (up to 2 and 3 marks on a letter), Hebrew niqqud with
cantillation (up to 5), Arabic harakat, Thai and Lao vowels with tone marks, Tibetan and Indic
stacks of subjoined letters and vowel signs; keycap emoji "1\\ufe0f\\u20e3" (UTS #51); the
Cyrillic number signs U+0488/U+0489 on Cyrillic; "=\\u0338", the canonical decomposition of
U+2260 (the normalization detector reports it). Variation selectors and U+034F have detectors
of their own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import ClassVar

import numpy as np
import unicodedata2

from detectors import _tables
from detectors.base import make_finding
from detectors.char_index import membership_table, positions_by_bit, run_starts
from detectors.exemptions import is_keycap_sequence
from detectors.model import Finding, Severity
from detectors.split_pattern import merged
from detectors.unicode import char_class, describe, describe_all, in_ranges, script, script_extensions

# Alphabets where more than two marks on one letter never happens in normal text.
_ALPHABETS = frozenset({"Latin", "Common", "Inherited", "Unknown", "Cyrillic", "Armenian", "Georgian", "Cherokee"})
# The most marks real text puts on one base in these scripts (NFD polytonic Greek: breathing,
# accent, iota subscript; pointed and cantillated Hebrew; Quranic Arabic).
_STACK_LIMIT = {"Greek": 3, "Hebrew": 5, "Arabic": 4, "Syriac": 4, "Thaana": 3, "Nko": 3, "Thai": 3, "Lao": 3}
_ALPHABET_LIMIT = 2
_OTHER_SCRIPT_LIMIT = 6
_ALWAYS_HIGH = 5


def _subtract(ranges: tuple[tuple[int, int], ...], *removed: tuple[tuple[int, int], ...]) -> list[tuple[int, int]]:
    """``ranges`` without the code points in ``removed`` (both short tables)."""
    return merged({cp for low, high in ranges for cp in range(low, high + 1) if not any(in_ranges(cp, r) for r in removed)})


_MARK_RANGES = _subtract(_tables.NONSPACING_MARK + _tables.ENCLOSING_MARK, _tables.DEFAULT_IGNORABLE, _tables.VARIATION_SELECTOR)
_DRAWN_OVER_RANGES = sorted(_tables.ENCLOSING_MARK + _tables.OVERLAY_MARK)
# Three marks in a row, or one drawn over its base; the whole run is then judged in Python.
_STACK_START = 3
_MARK = char_class(_MARK_RANGES)
_MARK_RUN = re.compile(f"[{_MARK}]*")
_ONE_MARK = re.compile(f"[{_MARK}]")
_ONE_DRAWN_OVER = re.compile(f"[{char_class(_DRAWN_OVER_RANGES)}]")


_MARK_BIT, _DRAWN_BIT = 1, 2
_MARK_TABLE = (
    membership_table(_MARK_RANGES).astype(np.uint8) * _MARK_BIT
    | membership_table(_DRAWN_OVER_RANGES).astype(np.uint8) * _DRAWN_BIT
)


def _candidates(text: str) -> list[int]:
    """Sorted starts of runs of three marks or more, and positions of marks drawn over a base.

    One vectorised pass. Each position is listed once: where ``re`` would also have found the
    later triples of a long run and a drawn mark at a run's start, `CombiningMarksDetector.find`
    skipped them as already judged.
    """
    marks, drawn = positions_by_bit(text, _MARK_TABLE, (_MARK_BIT, _DRAWN_BIT))
    stacked = run_starts(marks, _STACK_START)
    return np.union1d(stacked, drawn).tolist()


class CombiningMarksDetector:
    """Finds marks stacked beyond what the base's script uses, and marks drawn over ASCII."""

    name: ClassVar[str] = "combining-marks"
    ascii_relevant: ClassVar[bool] = False
    # Without one of these characters the detector reports nothing (see detectors.char_index).
    triggers: ClassVar[list[tuple[int, int]]] = sorted([*_MARK_RANGES, *_DRAWN_OVER_RANGES])

    def find(self, text: str) -> Iterator[Finding]:
        judged_until = 0
        for start in _candidates(text):
            if start < judged_until:
                continue
            while start > judged_until and _ONE_MARK.fullmatch(text[start - 1]):
                start -= 1
            end = _MARK_RUN.match(text, start).end()
            judged_until = end
            base = text[start - 1] if start > 0 else ""
            stack = self._stack(text, base, start, end)
            if stack is not None:
                yield stack
                end = stack.start
            yield from self._drawn_over(text, base, start, end)

    def _stack(self, text: str, base: str, start: int, end: int) -> Finding | None:
        marks = text[start:end]
        base_script = script(base) if base else "Unknown"
        if base_script in _ALPHABETS:
            limit = _ALPHABET_LIMIT
            if len(marks) <= limit:
                return None
            kept = [0]
        else:
            # Marks of the base's own script may stack up to the limit; generic marks are foreign.
            limit = _STACK_LIMIT.get(base_script, _OTHER_SCRIPT_LIMIT)
            native = [i for i, m in enumerate(marks) if base_script in script_extensions(m)]
            if len(native) <= limit and len(marks) - len(native) <= _ALPHABET_LIMIT:
                return None
            kept = native[:limit]
        first_dropped = next(i for i in range(len(marks)) if i not in kept)
        severity = Severity.HIGH if len(marks) >= _ALWAYS_HIGH else Severity.MEDIUM
        on = f"on {describe(base)}" if base else "at the start of the text"
        return make_finding(
            "combining-marks", "stacked-marks", text, start + first_dropped, end, severity,
            f"{len(marks)} combining marks stacked {on} ({base_script} text uses at most {limit}): "
            f"{describe_all(marks)}",
            replacement="".join(marks[i] for i in kept if i > first_dropped),
        )

    def _drawn_over(self, text: str, base: str, start: int, end: int) -> Iterator[Finding]:
        for index in range(start, end):
            mark = text[index]
            if not _ONE_DRAWN_OVER.fullmatch(mark) or is_keycap_sequence(text, index):
                continue
            if len(unicodedata2.normalize("NFC", base + mark)) == 1:
                continue
            enclosing = in_ranges(ord(mark), _tables.ENCLOSING_MARK)
            if base.isascii() and base.isprintable() and base:
                severity = Severity.MEDIUM
            elif base and script(base) in script_extensions(mark):
                continue
            else:
                severity = Severity.LOW
            yield make_finding(
                self.name, "enclosing-mark" if enclosing else "overlay-mark", text, index, index + 1, severity,
                f"{describe(mark)} drawn over {describe(base) if base else 'nothing'}", replacement="",
            )
