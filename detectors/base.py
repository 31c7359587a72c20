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
    """What `detectors.scan` calls. ``ascii_relevant`` False lets pure-ASCII text skip it."""

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

    Built with ``model_construct``: the fields are correct by construction, and validation
    would reject the lone surrogates that JSON ``\\ud800`` escapes can bring.
    """
    span = text[start:end]
    return Finding.model_construct(
        detector=detector,
        kind=kind,
        start=start,
        end=end,
        text=span,
        codepoints=[codepoint(ch) for ch in span],
        severity=severity,
        message=message,
        replacement=replacement,
        payload=payload,
    )
