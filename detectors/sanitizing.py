"""Rewrite findings' spans until the text is settled: `sanitize`, its steps and `replay`.

Detectors judge a character by its neighbours, so rewriting one mark can expose another:
"pa\\U0001d564\\u0430word" keeps its mathematical s (U+1D564) low while a Cyrillic a stands beside
it, and raises it to medium once the a is rewritten. Sanitizing the result again would change
it again. `sanitize` therefore scans what it wrote and rewrites again, until no finding it
would apply is left (at most `MAX_ROUNDS` rounds); a later round's steps are folded into the
earlier ones, so that ``steps`` always replay on the original text.

Text with nothing to rewrite costs one scan; text with marks one more per round, of the whole
text: verdicts such as the punctuation detector's consistency rule read all of it.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence

from pydantic import BaseModel, ConfigDict

from detectors.model import Finding, Severity

# Rewrite-and-rescan rounds; two suffice for every case we know, the rest is a bound.
MAX_ROUNDS = 8


class SanitizeStep(BaseModel):
    """One rewrite, replayable on the original text: ``text[start:end]`` -> ``replacement``."""

    model_config = ConfigDict(frozen=True)

    start: int
    end: int
    original: str
    replacement: str
    reason: str


class SanitizeResult(BaseModel):
    """What `sanitize` wrote, which findings it applied, and the steps that replay it.

    ``applied`` holds offsets into the original text. A finding that only a later round found
    describes the text as the rounds before left it (``text``, ``codepoints``), at the span of
    the original it grew from.
    """

    model_config = ConfigDict(frozen=True)

    text: str
    applied: list[Finding]
    steps: list[SanitizeStep]


def sanitize(
    text: str,
    min_severity: Severity | str = Severity.MEDIUM,
    findings: Iterable[Finding] | None = None,
    accept: Callable[[Finding], bool] | None = None,
) -> SanitizeResult:
    """Rewrite the spans of findings at or above ``min_severity`` that have a replacement, then
    rescan and rewrite again until nothing more is to be done. Idempotent.

    ``findings`` stands in for the first scan; given without ``accept``, exactly those are
    applied, in one round (the caller chose them). ``accept`` narrows what every round applies;
    it sees findings in the original's offsets. Only characters inside applied spans change. Where
    spans overlap, the earlier (then the longer) one wins and the other is left for the
    evidence only.

    >>> result = sanitize("Today\\u02bcs date\\u200b")
    >>> result.text, [(s.start, s.end, s.replacement) for s in result.steps]
    ("Today's date", [(5, 6, "'"), (12, 13, '')])
    """
    threshold = Severity.parse(min_severity)
    from detectors import scan  # the package imports this module while it initialises

    settles = findings is None or accept is not None
    current = text
    candidates = scan(text) if findings is None else list(findings)
    steps: list[SanitizeStep] = []
    offsets = _Offsets(steps)
    applied: list[Finding] = []
    for _ in range(MAX_ROUNDS):
        chosen = _non_overlapping(
            f for f in candidates
            if f.replacement is not None and f.severity >= threshold and f.end > f.start
            and (accept is None or accept(offsets.in_original(f)))
        )
        if not chosen:
            break
        applied.extend(offsets.in_original(f) for f in chosen)
        round_steps = [
            SanitizeStep.model_construct(
                start=f.start, end=f.end, original=current[f.start:f.end],
                replacement=f.replacement, reason=f"{f.detector}/{f.kind}",
            )
            for f in chosen
        ]
        current, steps = replay(current, round_steps), _fold(text, current, offsets, round_steps)
        offsets = _Offsets(steps)
        if not settles:
            break
        candidates = scan(current)
    return SanitizeResult.model_construct(text=current, applied=applied, steps=steps)


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


def _non_overlapping(findings: Iterable[Finding]) -> list[Finding]:
    chosen: list[Finding] = []
    cursor = 0
    for finding in sorted(findings, key=lambda f: (f.start, -(f.end - f.start))):
        if finding.start >= cursor:
            chosen.append(finding)
            cursor = finding.end
    return chosen


class _Offsets:
    """Positions in the text ``steps`` (sorted, non-overlapping) wrote, mapped back to the
    original and forth; each look-up a bisection, so that a round over thousands of marks
    stays linear."""

    def __init__(self, steps: list[SanitizeStep]) -> None:
        self.steps = steps
        self.starts_now: list[int] = []
        self.ends_now: list[int] = []
        self.shift_after: list[int] = []  # rewritten text minus original length, up to each step's end
        shift = 0
        for step in steps:
            start_now = step.start + shift
            self.starts_now.append(start_now)
            self.ends_now.append(start_now + len(step.replacement))
            shift += len(step.replacement) - (step.end - step.start)
            self.shift_after.append(shift)
        self.starts = [step.start for step in steps]
        self.ends = [step.end for step in steps]

    def back(self, position: int, *, at_end: bool) -> int:
        """Where ``position`` of the rewritten text was; inside a rewritten piece, the piece's
        start (or, for an end, its end)."""
        index = (bisect_left if at_end else bisect_right)(self.starts_now, position) - 1
        if index < 0:
            return position
        end_now = self.ends_now[index]
        if position < end_now or (at_end and position == end_now):
            step = self.steps[index]
            return step.end if at_end else step.start
        return position - self.shift_after[index]

    def forward(self, position: int) -> int:
        """Where ``position`` of the original (at no step's inside) is in the rewritten text."""
        index = bisect_right(self.ends, position) - 1
        return position + (self.shift_after[index] if index >= 0 else 0)

    def inside(self, low: int, high: int) -> range:
        """The indexes of the steps within ``[low, high)`` of the original."""
        return range(bisect_left(self.starts, low), bisect_right(self.ends, high))

    def in_original(self, finding: Finding) -> Finding:
        """``finding`` (offsets in the rewritten text) with the original's offsets; a span that
        starts or ends inside a rewritten piece grows to the whole piece."""
        if not self.steps:
            return finding
        start, end = self.back(finding.start, at_end=False), self.back(finding.end, at_end=True)
        return finding.model_copy(update={"start": start, "end": max(start, end)})


def _fold(original: str, current: str, offsets: _Offsets, round_steps: list[SanitizeStep]) -> list[SanitizeStep]:
    """The steps of ``offsets`` (on ``original``, giving ``current``) followed by ``round_steps``
    (on ``current``), as one list of steps on ``original``. A round step that touches an
    earlier rewrite merges with it into one step over both."""
    steps = offsets.steps
    if not steps:
        return round_steps
    spans = sorted(
        (offsets.back(r.start, at_end=False), offsets.back(r.end, at_end=True), r) for r in round_steps
    )
    groups: list[tuple[int, int, list[SanitizeStep]]] = []
    for start, end, step in spans:
        if groups and start < groups[-1][1]:
            low, high, members = groups[-1]
            groups[-1] = (low, max(high, end), [*members, step])
        else:
            groups.append((start, end, [step]))
    absorbed: set[int] = set()
    merged: list[SanitizeStep] = []
    for low, high, members in groups:
        earlier = offsets.inside(low, high)
        absorbed.update(earlier)
        low_now, high_now = offsets.forward(low), offsets.forward(high)
        inside = [m.model_copy(update={"start": m.start - low_now, "end": m.end - low_now}) for m in members]
        reasons = [steps[i].reason for i in earlier] + [m.reason for m in members]
        merged.append(SanitizeStep.model_construct(
            start=low, end=high, original=original[low:high],
            replacement=replay(current[low_now:high_now], inside), reason=", ".join(dict.fromkeys(reasons)),
        ))
    kept = [step for i, step in enumerate(steps) if i not in absorbed]
    return sorted(kept + merged, key=lambda s: s.start)
