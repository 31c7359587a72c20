"""Cross-request memory for the date-format channel (issue 6): same line, new marks.

A client that writes ``Today's date is 2026-11-24.`` in every request should keep writing
it the same way; if the apostrophe or the date separator changes between requests while
the template line stays the same, the change itself is the mark. For each client key and
each template line (dates, numbers, paths and hashes masked; punctuation look-alikes
folded for the key but kept raw as evidence) we remember the date signature and the
punctuation code points. Pure Python, no mitmproxy: the add-on calls `DateLineMemory`.

Left alone: the calendar moving on (``2026-11-24`` then ``2026-11-25``, ``9`` then ``10``
in an unpadded form) and lines seen for the first time. Memory is bounded (LRU).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache

from addons.template import PUNCTUATION_FOLD as _PUNCTUATION_FOLD
from addons.template import VALUE_MASKS as _MASKS
from detectors.base import make_finding
from detectors.context import line_bounds
from detectors.date_signature import DateMatch, date_signatures
from detectors.model import Finding, Severity
from detectors.unicode import reveal

_PUNCTUATION = re.compile(r"[^\w\s<>]")
# Client-authored strings whose date lines are remembered (each entry holds its string).
REMEMBERED_TEXTS = 256


@dataclass(frozen=True, slots=True)
class _LineRecord:
    line: str
    styles: tuple[tuple[object, ...], ...]
    padding: tuple[bool | None, ...]
    days: tuple[tuple[int, int, int] | None, ...]
    punctuation: str
    path: str


class DateLineMemory:
    """Remembers, per client and template line, how dates and punctuation were written."""

    def __init__(self, max_clients: int = 256, max_lines: int = 512) -> None:
        self.max_clients = max_clients
        self.max_lines = max_lines
        self._clients: OrderedDict[str, OrderedDict[str, _LineRecord]] = OrderedDict()

    def observe(self, client: str, path: str, text: str) -> list[Finding]:
        """Record the date lines of ``text`` and report those that changed since last time."""
        lines = self._clients.get(client)
        if lines is None:
            lines = self._clients[client] = OrderedDict()
            while len(self._clients) > self.max_clients:
                self._clients.popitem(last=False)
        self._clients.move_to_end(client)
        findings: list[Finding] = []
        for start, end, key, record in _line_records(text, path):
            previous = lines.get(key)
            lines[key] = record
            lines.move_to_end(key)
            if previous is not None:
                finding = _compare(previous, record, text, start, end)
                if finding is not None:
                    findings.append(finding)
        while len(lines) > self.max_lines:
            lines.popitem(last=False)
        return findings


@lru_cache(maxsize=REMEMBERED_TEXTS)
def _line_records(text: str, path: str) -> tuple[tuple[int, int, str, _LineRecord], ...]:
    """The template key and record of each date line of ``text``: a client resends the same
    system prompt every turn, and parsing its dates again each time would dominate."""
    return tuple((start, end, *_record(text, start, end, matches, path)) for (start, end), matches in _date_lines(text).items())


def _date_lines(text: str) -> dict[tuple[int, int], list[DateMatch]]:
    grouped: dict[tuple[int, int], list[DateMatch]] = {}
    for match in date_signatures(text):
        if match.signature.family != "time":
            grouped.setdefault(line_bounds(text, match.start), []).append(match)
    return grouped


def template_of(line: str, matches: list[DateMatch], line_start: int) -> str:
    """The line with dates, paths, hashes and numbers masked (punctuation kept raw).

    >>> line = "Today\\u2019s date is 2026-11-24."
    >>> template_of(line, date_signatures(line), 0)
    'Today\\u2019s date is <DATE>.'
    """
    pieces, cursor = [], 0
    for match in matches:
        start, end = match.start - line_start, match.date_end - line_start if match.date_end > match.start else match.end - line_start
        end = max(end, match.end - line_start)
        pieces += [line[cursor:start], "\x00"]
        cursor = end
    pieces.append(line[cursor:])
    masked = "".join(pieces)
    for pattern, label in _MASKS:
        masked = pattern.sub(label, masked)
    return masked.replace("\x00", "<DATE>")


def _record(text: str, start: int, end: int, matches: list[DateMatch], path: str) -> tuple[str, _LineRecord]:
    line = text[start:end]
    template = template_of(line, matches, start)
    key = template.translate(_PUNCTUATION_FOLD)
    punctuation = "".join(_PUNCTUATION.findall(template.replace("<DATE>", "")))
    record = _LineRecord(
        line, tuple(m.signature.date_style() + (m.signature.time_fields, m.signature.tz_style) for m in matches),
        tuple(m.zero_padded for m in matches), tuple(m.ymd for m in matches), punctuation, path,
    )
    return key, record


def _compare(before: _LineRecord, after: _LineRecord, text: str, start: int, end: int) -> Finding | None:
    changes = []
    # Padding is only known for fields below 10: unknown (None) agrees with either style.
    padding_changed = any(a is not None and b is not None and a != b for a, b in zip(before.padding, after.padding))
    if before.styles != after.styles or padding_changed:
        changes.append("date format")
    if before.punctuation != after.punctuation:
        changes.append("punctuation")
    if not changes:
        return None
    same_day = before.days == after.days and all(day is not None for day in after.days)
    changed = "".join(sorted(ch for ch in set(before.line) ^ set(after.line) if not ch.isascii()))
    return make_finding(
        "dates", "date-template-drift", text, start, end, Severity.HIGH if same_day else Severity.MEDIUM,
        f"the {' and '.join(changes)} of a repeated line changed between requests from this client"
        f"{' for the same date' if same_day else ''}: before {reveal(before.line, also=changed)!r} "
        f"(at {before.path}), now {reveal(after.line, also=changed)!r}",
    )

