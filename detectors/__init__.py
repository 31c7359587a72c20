"""stegwatch's detector library: find covert character channels in text.

    >>> from detectors import scan, sanitize, Severity
    >>> [f.kind for f in scan("Today\\u02bcs date is 2026-11-24.")]
    ['modifier-letter-apostrophe']
    >>> sanitize("Today\\u02bcs date", min_severity=Severity.MEDIUM).text
    "Today's date"

Pure library: it never imports mitmproxy or `addons`. `DEFAULT_DETECTORS` is the explicit
registry, in priority order (an earlier detector wins a tie on the very same span).
"""

from __future__ import annotations

from collections.abc import Sequence

from detectors._tables import UNICODE_VERSION
from detectors.base import Detector, make_finding
from detectors.char_index import TriggerTable
from detectors.model import Finding, Severity
from detectors.sanitizing import SanitizeResult, SanitizeStep, replay, sanitize

__all__ = [
    "DEFAULT_DETECTORS",
    "UNICODE_VERSION",
    "Detector",
    "Finding",
    "SanitizeResult",
    "SanitizeStep",
    "Severity",
    "replay",
    "sanitize",
    "scan",
]


def scan(text: str, detectors: Sequence[Detector] | None = None) -> list[Finding]:
    """Every finding in ``text``, sorted by start. Never raises on any ``str``.

    A detector that fails is reported as a ``detector-error`` finding instead of being
    skipped in silence: a security scan that quietly sees less is worse than a noisy one.
    """
    if not isinstance(text, str):
        raise TypeError(f"scan() takes a str, not {type(text).__name__}")
    chosen = DEFAULT_DETECTORS if detectors is None else detectors
    is_ascii = text.isascii()
    if chosen is DEFAULT_DETECTORS:
        plan = _ASCII_PLAN if is_ascii else _DEFAULT_PLAN
        index = None if is_ascii else _DEFAULT_TRIGGERS.index(text)
    else:
        plan = tuple((d, None, False) for d in chosen if d.ascii_relevant or not is_ascii)
        index = None
    findings: list[Finding] = []
    for detector, family, takes_candidates in plan:
        if family is not None and not index.present[family]:
            continue
        try:
            if takes_candidates:
                findings.extend(detector.find(text, candidates=index.candidates(family)))
            else:
                findings.extend(detector.find(text))
        except Exception as error:  # noqa: BLE001 - reported as a finding, see docstring
            findings.append(
                make_finding(
                    detector.name, "detector-error", text, 0, 0, Severity.MEDIUM,
                    f"detector {detector.name} failed: {type(error).__name__}: {error}",
                )
            )
    return _deduplicate(findings)


def _deduplicate(findings: list[Finding]) -> list[Finding]:
    """Sort by start and keep one finding per exact span: the most severe, then the earliest."""
    best: dict[tuple[int, int], Finding] = {}
    for finding in findings:
        key = (finding.start, finding.end)
        if key not in best or finding.severity > best[key].severity:
            best[key] = finding
    return sorted(best.values(), key=lambda f: (f.start, f.end))


# Last, so that detector modules can import `detectors.base` and friends while the
# package is still initialising.
from detectors.registry import DEFAULT_DETECTORS  # noqa: E402

# One bit per default detector that declares ``triggers`` (see `detectors.char_index`); the
# index keeps offsets only for the detectors that take them as candidates.
_TRIGGERED = [d for d in DEFAULT_DETECTORS if getattr(d, "triggers", None) is not None]
_DEFAULT_FAMILY = {id(detector): family for family, detector in enumerate(_TRIGGERED)}
_DEFAULT_TRIGGERS = TriggerTable(
    [d.triggers for d in _TRIGGERED],
    listed=[family for family, d in enumerate(_TRIGGERED) if getattr(d, "takes_candidates", False)],
)
# What `scan` runs for each default detector: (detector, its family or None, takes candidates).
_DEFAULT_PLAN = tuple(
    (d, family, family is not None and getattr(d, "takes_candidates", False))
    for d in DEFAULT_DETECTORS for family in [_DEFAULT_FAMILY.get(id(d))]
)
_ASCII_PLAN = tuple((d, None, False) for d in DEFAULT_DETECTORS if d.ascii_relevant)
