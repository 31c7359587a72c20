"""The one interface every detector implements, and the helper that builds its findings.

A detector is a class with a class-level ``name`` (a contract: logs, baselines and
``Finding.detector`` use it) and one method, ``find(text)``, that yields findings in any
order. Options come in through the constructor; there are no global settings.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar, Protocol

from detectors.model import Finding, Severity
from detectors.unicode import codepoint


class Detector(Protocol):
    """What `detectors.scan` calls. ``ascii_relevant`` False lets pure-ASCII text skip it.

    Optional, for speed (see `detectors.char_index`): a class-level ``triggers`` (sorted
    inclusive code-point ranges without which the detector never reports anything) lets
    `scan` skip it on text that holds none of them; ``takes_candidates = True`` means ``find``
    also accepts ``candidates=``, the offsets of those characters in order, instead of
    searching for them. Called as ``find(text)`` alone, every detector gives the same findings.
    """

    name: ClassVar[str]
    ascii_relevant: ClassVar[bool]

    def find(self, text: str) -> Iterator[Finding]: ...


def make_finding(
    detector: str,
    kind: str,
    text: str,
    start: int,
    end: int,
    severity: Severity,
    message: str,
    replacement: str | None = None,
    payload: str | None = None,
) -> Finding:
    """A `Finding` for ``text[start:end]``; fills in the substring and its code points.

    Built like ``model_construct`` but without its per-field bookkeeping (a scan of real
    prose builds thousands): the fields are correct by construction, and validation would
    reject the lone surrogates that JSON ``\\ud800`` escapes can bring. A long run of one
    character shares one ``"U+XXXX"`` string instead of building one per character.

    >>> finding = make_finding("invisible", "run", "a" + "\\u200b" * 3, 1, 4, Severity.HIGH, "m")
    >>> finding.codepoints, finding == Finding.model_construct(**finding.model_dump())
    (['U+200B', 'U+200B', 'U+200B'], True)
    """
    span = text[start:end]
    if len(span) <= _SHORT_SPAN:
        codepoints = [codepoint(ch) for ch in span]
    else:
        names = {ch: codepoint(ch) for ch in set(span)}
        # One repeated character (a long invisible run) is sized once, without list growth.
        codepoints = [*names.values()] * len(span) if len(names) == 1 else list(map(names.__getitem__, span))
    values = {
        "detector": detector,
        "kind": kind,
        "start": start,
        "end": end,
        "text": span,
        "codepoints": codepoints,
        "severity": severity,
        "message": message,
        "replacement": replacement,
        "payload": payload,
    }
    finding = Finding.__new__(Finding)
    object.__setattr__(finding, "__dict__", values)
    object.__setattr__(finding, "__pydantic_fields_set__", set(values))
    object.__setattr__(finding, "__pydantic_extra__", None)
    object.__setattr__(finding, "__pydantic_private__", None)
    return finding


_SHORT_SPAN = 8
