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

from collections.abc import Iterable, Sequence

from pydantic import BaseModel, ConfigDict

from detectors._tables import UNICODE_VERSION
from detectors.base import Detector, make_finding
from detectors.char_index import TriggerTable
from detectors.model import Finding, Severity

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
    index = _DEFAULT_TRIGGERS.index(text) if chosen is DEFAULT_DETECTORS and not is_ascii else None
    findings: list[Finding] = []
    for detector in chosen:
        if is_ascii and not detector.ascii_relevant:
            continue
        family = _DEFAULT_FAMILY.get(id(detector)) if index is not None else None
        if family is not None and not index.present[family]:
            continue
        try:
            if family is not None and getattr(detector, "takes_candidates", False):
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


class SanitizeStep(BaseModel):
    """One rewrite, replayable on the original text: ``text[start:end]`` -> ``replacement``."""

    model_config = ConfigDict(frozen=True)

    start: int
    end: int
    original: str
    replacement: str
    reason: str


class SanitizeResult(BaseModel):
    """What `sanitize` wrote, which findings it applied, and the steps that replay it."""

    model_config = ConfigDict(frozen=True)

    text: str
    applied: list[Finding]
    steps: list[SanitizeStep]


def sanitize(
    text: str,
    min_severity: Severity | str = Severity.MEDIUM,
    findings: Iterable[Finding] | None = None,
) -> SanitizeResult:
    """Rewrite the spans of findings at or above ``min_severity`` that have a replacement.

    Only characters inside applied spans change. Where spans overlap, the earlier (then the
    longer) one wins and the other is left for the evidence only.
    """
    threshold = Severity.parse(min_severity)
    candidates = scan(text) if findings is None else list(findings)
    chosen = sorted(
        (f for f in candidates if f.replacement is not None and f.severity >= threshold and f.end > f.start),
        key=lambda f: (f.start, -(f.end - f.start)),
    )
    applied: list[Finding] = []
    steps: list[SanitizeStep] = []
    cursor = 0
    for finding in chosen:
        if finding.start < cursor:
            continue
        applied.append(finding)
        steps.append(
            SanitizeStep.model_construct(
                start=finding.start, end=finding.end, original=text[finding.start:finding.end],
                replacement=finding.replacement, reason=f"{finding.detector}/{finding.kind}",
            )
        )
        cursor = finding.end
    return SanitizeResult.model_construct(text=replay(text, steps), applied=applied, steps=steps)


def replay(text: str, steps: Sequence[SanitizeStep]) -> str:
    """Apply non-overlapping ``steps`` (in original offsets) to ``text``.

    >>> replay("a\\u200bb", [SanitizeStep(start=1, end=2, original="\\u200b", replacement="", reason="x")])
    'ab'
    """
    pieces: list[str] = []
    cursor = 0
    for step in sorted(steps, key=lambda s: s.start):
        pieces.append(text[cursor:step.start])
        pieces.append(step.replacement)
        cursor = step.end
    pieces.append(text[cursor:])
    return "".join(pieces)


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
