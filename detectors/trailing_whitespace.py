"""Spaces and tabs at the end of a line where they can only carry bits.

Whitespace at a line's end shows nothing, and SNOW-style steganography hides its message there
as runs of spaces and tabs. Trailing spaces themselves are common (editors leave them,
Markdown ends a line with two to break it), so only two places are reported, both medium and
deleted by sanitize:

- a run that mixes spaces and tabs after text, as SNOW writes them;
- any trailing run before the line break of a generated line (date, path, environment value),
  where the client writes the line itself and a trailing space is one bit per request (the
  date line is where the one shipped agent we know of put its marks).

Left alone: trailing runs of one kind on other lines, whitespace on lines without text, and
one kind at the very end of the string (UI fragments that are joined to the next one end in a
space: "see the <a href=...>release notes</a> ").
Only strings of up to `MAX_CHARS` characters are read, which covers system prompts, tool
definitions and injected context blocks (where a client writes): a search for ``" \\n"``
costs a third of the ASCII scan of a multi-megabyte tool result.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import numpy as np

from detectors.base import make_finding
from detectors.model import Finding, Severity
from detectors.neighbourhood import in_dynamic_line
from detectors.unicode import describe_all

MAX_CHARS = 256 * 1024
# Shorter ASCII text is searched with str.find: numpy's fixed cost per call is more than the searches.
SEARCH_BELOW = 8 * 1024
_TAB, _LF, _CR, _SPACE = 0x09, 0x0A, 0x0D, 0x20


class TrailingWhitespaceDetector:
    """Mixed spaces and tabs at a line's end, and any trailing whitespace on a generated line."""

    name: ClassVar[str] = "trailing-whitespace"
    ascii_relevant: ClassVar[bool] = True

    def find(self, text: str) -> Iterator[Finding]:
        if len(text) > MAX_CHARS:
            return
        for start, end in _trailing_runs(text):
            line_start = text.rfind("\n", 0, start) + 1
            if text[line_start:start].isspace() or line_start == start:
                continue  # a blank line's indentation
            whitespace = text[start:end]
            if " " in whitespace and "\t" in whitespace:
                why = "mixing spaces and tabs at the end of a line, as SNOW steganography writes bits"
            elif end < len(text) and in_dynamic_line(text, start - 1):
                why = "at the end of a generated line (date, path or environment value), where they show nothing"
            else:
                continue
            yield make_finding(
                self.name, "trailing-whitespace", text, start, end, Severity.MEDIUM,
                f"{len(whitespace)} trailing {'character' if len(whitespace) == 1 else 'characters'} "
                f"({describe_all(whitespace)}) {why}", replacement="",
            )


def _trailing_runs(text: str) -> list[tuple[int, int]]:
    """The spans of space and tab runs before a line break (LF, CRLF or a lone CR) or the end.

    >>> _trailing_runs("a \\nb\\t \\r\\nc  "), _trailing_runs("\\u00e9 \\nb\\t \\r\\nc  ")
    ([(1, 2), (4, 6), (9, 11)], [(1, 2), (4, 6), (9, 11)])
    """
    ends = _break_ends(text) if text.isascii() and len(text) > SEARCH_BELOW else _found_ends(text)
    if text.endswith((" ", "\t")):
        ends.append(len(text))
    runs = []
    for end in ends:
        start = end
        while start > 0 and text[start - 1] in " \t":
            start -= 1
        runs.append((start, end))
    return runs


def _break_ends(text: str) -> list[int]:
    """Offsets of the line breaks with a space or tab before them, in one vectorised pass over
    ASCII text: a substring search for ``" \\n"`` costs five times as much in source code,
    with a break every 30 characters."""
    codes = np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    breaks = np.flatnonzero((codes == _LF) | (codes == _CR))
    breaks = breaks[breaks > 0]
    before = codes[breaks - 1]
    return breaks[(before == _SPACE) | (before == _TAB)].tolist()


def _found_ends(text: str) -> list[int]:
    """`_break_ends` by substring search, for other text (its lines are longer, and widening
    it for numpy costs more than the searches)."""
    ends = []
    for line_break in ("\n", "\r") if "\r" in text else ("\n",):
        for whitespace in " \t":
            at = text.find(whitespace + line_break)
            while at >= 0:
                ends.append(at + 1)
                at = text.find(whitespace + line_break, at + 2)
    return sorted(ends)
