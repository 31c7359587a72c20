"""Facts about the text around a span that several detectors judge by.

A mark is most telling in a *dynamically generated* line: one a client fills in at run
time with the date, a path or an environment value, because that is where a client can
vary characters per user without anyone reviewing a fixed prompt.
"""

from __future__ import annotations

import re

_DYNAMIC_LINE = re.compile(
    r"""
      \d{4}\s*\D{1,3}\s*\d{1,2}\s*\D{1,3}\s*\d{1,4}     # a date-like group: 2026-11-24, 2026/11/24
    | \d{1,2}\D{1,3}\d{1,2}\D{1,3}\d{4}                  # 11/24/2026, 24.11.2026
    | \d{1,2}:\d{2}                                     # a clock time
    | (?:^|[\s"'(=:])(?:~|\.{1,2})?/[\w.@-]+/           # a POSIX path
    | [A-Za-z]:\\                                       # a Windows path
    | \b[A-Z][A-Z0-9_]{2,}=\S                           # ENV_VAR=value
    | \b(?:cwd|pwd|working\ directory|platform|os\ version|shell|timezone|time\ zone|user(?:name)?|home|hostname|locale|today|date)\b\s*[:=]
    | \btoday\b
    | <\w*(?:date|time|zone|cwd|directory|platform|shell|user|home)\w*>   # an environment tag: <current_date>
    """,
    re.IGNORECASE | re.VERBOSE,
)

# A character or word every alternative of `_DYNAMIC_LINE` needs: one scan of the line costs a
# tenth of trying the nine alternatives at every position, and most prose lines hold none.
DYNAMIC_HINT_CHARACTERS = "/=:<"
_DYNAMIC_HINT = re.compile(rf"[\d{DYNAMIC_HINT_CHARACTERS}]|today", re.IGNORECASE)


def line_bounds(text: str, index: int) -> tuple[int, int]:
    """Start and end (exclusive) of the line that holds ``text[index]``.

    >>> line_bounds("a\\nbcd\\ne", 3)
    (2, 5)
    """
    start = text.rfind("\n", 0, index) + 1
    end = text.find("\n", index)
    return start, len(text) if end < 0 else end


def line_at(text: str, index: int) -> str:
    """The line of ``text`` that holds ``text[index]``."""
    start, end = line_bounds(text, index)
    return text[start:end]


def is_dynamic_line(text: str, index: int) -> bool:
    """Whether the line holding ``text[index]`` carries a date, time, path or environment value.

    >>> is_dynamic_line("Intro.\\nToday\\u2019s date is 2026-11-24.\\nBye", 12)
    True
    >>> is_dynamic_line("It\\u2019s a nice day.", 2)
    False
    >>> is_dynamic_line("  <current_date>2026/11/24</current_date>", 3)
    True
    """
    line = line_at(text, index)
    return _DYNAMIC_HINT.search(line) is not None and _DYNAMIC_LINE.search(line) is not None
