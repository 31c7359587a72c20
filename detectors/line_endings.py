"""Carriage returns as marks: a CR without its LF, and a line ending unlike the text's others.

A carriage return (U+000D) shows nothing. Inside a line, a terminal draws what follows it over
the start of the line, so ``run the tests\\rrm -rf ~`` shows one command and sends both; in a
prompt it is simply invisible. A text whose lines end in LF can also carry one bit per line in
CRLF endings (or the reverse), as invisibly as an apostrophe's code point; the date line is
where the one shipped agent we know of put its marks.

Issue 3 leaves CR alone as a control character, since Windows text ends its lines with it.
That is still the rule here: a text that ends all its lines the same way (LF or CRLF) is not
reported. Reported:

- a CR inside a line: medium (high in a generated line: date, path, environment value),
  rewritten to LF, which keeps both texts visible. Low where it overwrites nothing (at the
  start of a line) or redraws a terminal's progress display (several on one line, as
  ``curl`` writes them);
- a line ending of the minority kind, in a text that has both and ends at least three lines
  the other way: low (files with mixed endings are common), medium on a generated line.
  Sanitize writes the majority's ending.

Clean text without a CR costs one ``str.__contains__`` (memchr speed).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import ClassVar

from detectors.base import make_finding
from detectors.model import Finding, Severity
from detectors.neighbourhood import in_dynamic_line

_CR_RUN = re.compile("\r+")
_BARE_LF = re.compile("(?<!\r)\n")
_PROGRESS_REDRAWS = 2  # lone CRs on one line from which it reads as a progress display
_MAJORITY_MIN = 3  # lines the usual ending needs before another one stands out


class LineEndingDetector:
    """Carriage returns inside lines, and line endings that differ from the text's others."""

    name: ClassVar[str] = "line-endings"
    ascii_relevant: ClassVar[bool] = True
    # Without one of these characters the detector reports nothing (see detectors.char_index).
    triggers: ClassVar[list[tuple[int, int]]] = [(0x0D, 0x0D)]

    def find(self, text: str) -> Iterator[Finding]:
        if "\r" not in text:
            return
        crlf_endings: list[tuple[int, int]] = []
        for run in _CR_RUN.finditer(text):
            start, end = run.span()
            if text.startswith("\n", end):
                crlf_endings.append((start, end))
            else:
                yield self._inside_line(text, start, end)
        bare_lf = len(text) - len(text.replace("\n", "")) - len(crlf_endings)
        minority, majority = sorted((len(crlf_endings), bare_lf))
        if minority == 0 or minority == majority or majority < _MAJORITY_MIN:
            return  # one kind only, or no kind the text's lines agree on
        if len(crlf_endings) < bare_lf:
            for start, end in crlf_endings:
                yield self._odd_ending(text, start, end, "", f"where {bare_lf} other lines end in LF alone")
        else:
            for match in _BARE_LF.finditer(text):
                start = match.start()
                yield self._odd_ending(text, start, start + 1, "\r\n", f"where {len(crlf_endings)} other lines end in CRLF")

    def _inside_line(self, text: str, start: int, end: int) -> Finding:
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", end)
        redraws = text.count("\r", line_start, len(text) if line_end < 0 else line_end)
        count = "CARRIAGE RETURN U+000D" if end - start == 1 else f"{end - start} CARRIAGE RETURNs U+000D"
        if start == line_start:
            severity, why = Severity.LOW, "at the start of a line, where it overwrites nothing"
        elif redraws >= _PROGRESS_REDRAWS and not in_dynamic_line(text, start):
            severity, why = Severity.LOW, "redrawing a line, as a terminal's progress display does"
        elif in_dynamic_line(text, start):
            severity, why = Severity.HIGH, "inside a generated line (date, path or environment value)"
        else:
            severity, why = Severity.MEDIUM, "inside a line: a terminal draws what follows over what came before"
        return make_finding(self.name, "carriage-return", text, start, end, severity, f"{count} {why}", replacement="\n")

    def _odd_ending(self, text: str, start: int, end: int, replacement: str, where: str) -> Finding:
        ending = "CRLF" if replacement == "" else "LF alone"
        if in_dynamic_line(text, start):
            severity, place = Severity.MEDIUM, "A generated line (date, path or environment value) ends in"
        else:
            severity, place = Severity.LOW, "This line ends in"
        return make_finding(
            self.name, "mixed-line-endings", text, start, end, severity, f"{place} {ending}, {where}", replacement=replacement,
        )
