"""Two spaces, or a tab, between the words of a generated line, where one space is the norm.

"Today's date is 2026-11-24" and "Today's date is  2026-11-24" look the same on screen and in
most logs, so a client that fills the date line in at run time can write one space or two per
user: a bit per gap. The trailing-whitespace detector covers the end of the line; this one
covers the gaps inside it. A run is medium, and sanitize writes one space, when

- its line is generated (a date, path or environment value: `detectors.context`),
- it is two or three characters long, or a tab (a longer gap shows, and pads columns),
- it is the only run of two or more spaces, or tab, between words of that line,
- the lines around it hold no such run either, nor the same number of fields (rows), and
- the line reads as prose or "label: value", not code (no ``= { } [ ] ; " ` #``, call
  brackets or quoting apostrophes).

Left alone, because real text lays itself out with runs: indentation; columns (`ls -l`, log
levels padded to a width, docker compose prefixes), which repeat on the lines around; tables
and inline comments (a run before ``|``, ``#`` or ``//``, after ``|``); and a spacing habit of
the whole text (two spaces after every full stop, as typewriter-trained writers do), which
shows as the same punctuation and run elsewhere outside the line. Only strings of up to
`MAX_CHARS` characters are read, as for trailing whitespace.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator
from typing import ClassVar

import numpy as np

from detectors.base import make_finding
from detectors.char_index import code_points, run_bounds
from detectors.context import line_bounds
from detectors.model import Finding, Severity
from detectors.neighbourhood import in_dynamic_line
from detectors.trailing_whitespace import MAX_CHARS, SEARCH_BELOW
from detectors.unicode import describe_all

_TAB, _SPACE = 0x09, 0x20
_SPACES, _TABBED = re.compile("  [ \t]*"), re.compile("\t[ \t]*")
_BLANKS, _BREAKS = " \t", "\n\r"
_NEIGHBOUR_LINES = 2
# A longer gap shows on screen, and is how columns are padded: a covert bit needs the gap unseen.
_LONGEST = 3
_ROW_FIELDS = 4
_LABEL = re.compile(r"[A-Za-z][\w' -]{0,30}:")
_GIT_VALUE_COLUMN = 8
_LAYOUT_AFTER = ("#", "|", "//")
_LAYOUT_BEFORE = "|"
_HABIT_AFTER = ".!?:;,"
# Characters of code, not of the prose and "label: value" lines clients generate: a bracket
# only as a call ("f(x)", not "2026 (local time)"), an apostrophe only as a quote ('x', not "Today's").
_CODE_LIKE = re.compile(r"[={}\[\];\"`#]|\w\(|(?<![A-Za-z])'|'(?![A-Za-z])")


class SpaceRunDetector:
    """A lone run of two or more spaces, or a tab, between the words of a generated line."""

    name: ClassVar[str] = "space-runs"
    ascii_relevant: ClassVar[bool] = True

    def find(self, text: str) -> Iterator[Finding]:
        if len(text) > MAX_CHARS or ("  " not in text and "\t" not in text):
            return
        runs = inner_runs(text)
        for start, end in runs:
            if end - start > _LONGEST:
                continue
            line = line_bounds(text, start)
            # Cheapest first: most runs in real text lay out columns and code.
            if _is_layout(text, start, end, line, runs) or not _in_generated_line(text, start, end, line):
                continue
            run = text[start:end]
            yield make_finding(
                self.name, "space-run", text, start, end, Severity.MEDIUM,
                f"{len(run)} whitespace characters ({describe_all(run)}) between two words of a generated line "
                "(date, path or environment value) where one space would do: the gap can carry a bit per request",
                replacement=" ",
            )


def inner_runs(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each run of spaces and tabs between two other characters of one
    line that is two or more long or holds a tab.

    >>> inner_runs("a  b c\\td\\n  e  \\n"), inner_runs("a  b c\\td\\n  e  \\n" * 1000)[:2]
    ([(1, 3), (6, 7)], [(1, 3), (6, 7)])
    """
    runs = _vectorised_runs(text) if len(text) > SEARCH_BELOW else _searched_runs(text)
    return [
        (start, end) for start, end in runs
        if 0 < start and end < len(text) and text[start - 1] not in _BREAKS and text[end] not in _BREAKS
    ]


def _searched_runs(text: str) -> list[tuple[int, int]]:
    """The maximal blank runs two or more long or with a tab (short text): two patterns with a
    literal start, which ``re`` finds by fast substring search."""
    found = {run.span() for run in _SPACES.finditer(text)}
    if "\t" in text:
        for run in _TABBED.finditer(text):
            start, end = run.span()
            while start > 0 and text[start - 1] == " ":
                start -= 1  # " \t": the run began with spaces
            found.add((start, end))
    return sorted(found)


def _vectorised_runs(text: str) -> list[tuple[int, int]]:
    """The maximal blank runs two or more long or with a tab, in one numpy pass (long text)."""
    codes = code_points(text)
    starts, ends = run_bounds(np.flatnonzero((codes == _SPACE) | (codes == _TAB)))
    tabs = np.concatenate(([0], np.cumsum(codes == _TAB)))
    wide = (ends - starts >= 2) | (tabs[ends] - tabs[starts] > 0)
    return list(zip(starts[wide].tolist(), ends[wide].tolist()))


def _in_generated_line(text: str, start: int, end: int, line: tuple[int, int]) -> bool:
    """Whether the ``line`` (start, end) is generated once the run is one space again (a run
    inside a label, "OS  Version:", would otherwise hide the label that tells)."""
    line_start, line_end = line
    closed = text[line_start:start] + " " + text[end:line_end]
    return in_dynamic_line(closed, start - line_start)


def _is_layout(text: str, start: int, end: int, line: tuple[int, int], runs: list[tuple[int, int]]) -> bool:
    """Whether the run lays text out (columns, a table, a comment, a habit of the whole text)."""
    if text.startswith(_LAYOUT_AFTER, end) or text[start - 1] in _LAYOUT_BEFORE:
        return True
    line_start, line_end = line
    low, high = _lines_around(text, line, _NEIGHBOUR_LINES)
    first = bisect_left(runs, (low, 0))
    if first + 1 < len(runs) and runs[first + 1][0] < high:
        return True  # another run on this line or the lines around: columns or a padded block
    if _CODE_LIKE.search(text, line_start, line_end) is not None:
        return True  # source code aligns, pads strings and spaces comments as it likes
    # git's commit header pads "Date:" to the column of "Author: " ("Date:   Tue Nov 24 ..."),
    # also where the lines around are cut off. (Longer aligned blocks pad more than one line.)
    label = _LABEL.match(text, line_start, start)
    if label is not None and label.end() == start and end - line_start == _GIT_VALUE_COLUMN:
        return True
    # Rows of as many fields as the line next to them ("ls -l", whose widths may need no padding).
    fields = len(text[line_start:line_end].split())
    above, below = _lines_around(text, line, 1)
    rows = [text[above:max(above, line_start - 1)], text[min(line_end + 1, below):below]]
    if fields >= _ROW_FIELDS and any(len(row.split()) == fields for row in rows):
        return True
    habit = text[start - 1:end]  # ".  " after every sentence, ":\t" after every label
    return habit[0] in _HABIT_AFTER and text.count(habit, 0, line_start) + text.count(habit, line_end) > 0


def _lines_around(text: str, line: tuple[int, int], count: int) -> tuple[int, int]:
    """Start of the line ``count`` lines before ``line`` (its start and end), and end of the
    line ``count`` lines after it.

    >>> _lines_around("a\\nb\\nc\\nd\\ne", (4, 5), 1)
    (2, 7)
    """
    low, high = line
    for _ in range(count):
        if low > 0:
            low = text.rfind("\n", 0, low - 1) + 1
        if high < len(text):
            following = text.find("\n", high + 1)
            high = len(text) if following < 0 else following
    return low, high
