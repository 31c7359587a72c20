"""Dates across the client-authored fields of one request: the same day, two ways.

A client can write ``Today's date is 2026-11-24.`` in its system prompt and ``2026/11/24`` in
the context block it injects into the user's message. Each string alone is consistent, so the
`dates` detector, which judges one string, sees nothing; together they show a format chosen
per request. Issue 6 asks for drift and outliers "in text the client authors (system prompt,
injected context)", so this module joins every client-authored span of a request (the roles
in `addons.shapes.CLIENT_AUTHORED`), lets the `dates` detector judge them as one text, and maps
each drift or outlier finding back to its field. Findings a single string already shows are
not repeated. Left alone: the user's words, the model's answers and tool results, whose dates
follow the user's files and prove nothing about the client.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from functools import lru_cache
from typing import Protocol

from addons.shapes import TextField, client_authored_spans
from detectors import Finding
from detectors.dates import DatesDetector

CROSS_FIELD_KINDS = frozenset({"date-signature-drift", "date-format-outlier"})
# Joined texts remembered: an agent resends the same system prompt and context every turn.
REMEMBERED_REQUESTS = 64
_IN_ONE_TEXT = " in this text"
_DIGIT = re.compile(r"\d")
_IN_REQUEST = " in the client-authored text of this request"


class _Located(Protocol):
    field: TextField
    finding: Finding


def cross_field_dates(fields: Sequence[TextField], located: Sequence[_Located]) -> list[tuple[TextField, Finding]]:
    """Drift and outlier findings that only the request's client-authored text as a whole shows.

    >>> from addons.shapes import Role
    >>> system = TextField("$['system']", Role.SYSTEM, "Today's date is 2026-11-24.")
    >>> note = TextField("$['messages'][0]['content']", Role.USER, "<env>Today's date is 2026/11/24.</env> hi",
    ...                  ((0, 38, Role.CLIENT_CONTEXT),))
    >>> [(finding.kind, finding.text, finding.severity.value) for _, finding in cross_field_dates([system, note], [])]
    [('date-signature-drift', '2026/11/24', 'medium'), ('date-format-outlier', '2026/11/24', 'medium')]
    """
    segments: list[tuple[TextField, int, str]] = []
    for text_field in fields:
        for start, end in client_authored_spans(text_field):
            piece = text_field.text[start:end]
            if _DIGIT.search(piece) is not None:
                segments.append((text_field, start, piece))
    if len(segments) < 2:
        return []
    starts, cursor = [], 0
    for _, _, piece in segments:
        starts.append(cursor)
        cursor += len(piece) + 1
    already = {(item.field.path, item.finding.start, item.finding.end, item.finding.kind) for item in located}
    results: list[tuple[TextField, Finding]] = []
    for finding in _judge("\n".join(piece for _, _, piece in segments)):
        index = bisect_right(starts, finding.start) - 1
        text_field, offset, piece = segments[index]
        if finding.end > starts[index] + len(piece):
            continue   # never across a join: the detector sees dates inside one line
        shift = offset - starts[index]
        key = (text_field.path, finding.start + shift, finding.end + shift, finding.kind)
        if key in already:
            continue
        already.add(key)
        results.append((text_field, finding.model_copy(update={
            "start": finding.start + shift, "end": finding.end + shift,
            "message": finding.message.replace(_IN_ONE_TEXT, _IN_REQUEST),
        })))
    return results


@lru_cache(maxsize=REMEMBERED_REQUESTS)
def _judge(joined: str) -> tuple[Finding, ...]:
    return tuple(f for f in DatesDetector().find(joined) if f.kind in CROSS_FIELD_KINDS)
