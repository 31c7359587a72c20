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
    applied: list[Finding] = []
    for _ in range(MAX_ROUNDS):
        chosen = _non_overlapping(
            f for f in candidates
            if f.replacement is not None and f.severity >= threshold and f.end > f.start
            and (accept is None or accept(in_original(f, steps)))
        )
        if not chosen:
            break
        applied.extend(in_original(f, steps) for f in chosen)
        round_steps = [
            SanitizeStep.model_construct(
                start=f.start, end=f.end, original=current[f.start:f.end],
                replacement=f.replacement, reason=f"{f.detector}/{f.kind}",
            )
            for f in chosen
        ]
        current, steps = replay(current, round_steps), _fold(text, current, steps, round_steps)
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


def in_original(finding: Finding, steps: Sequence[SanitizeStep]) -> Finding:
    """``finding`` (offsets in the text ``steps`` wrote) with the offsets of the original text;
    a span that starts or ends inside a rewritten piece grows to the whole piece."""
    if not steps:
        return finding
    start, end = _back(finding.start, steps, at_end=False), _back(finding.end, steps, at_end=True)
    return finding.model_copy(update={"start": start, "end": max(start, end)})


def _non_overlapping(findings: Iterable[Finding]) -> list[Finding]:
    chosen: list[Finding] = []
    cursor = 0
    for finding in sorted(findings, key=lambda f: (f.start, -(f.end - f.start))):
        if finding.start >= cursor:
            chosen.append(finding)
            cursor = finding.end
    return chosen


def _back(position: int, steps: Sequence[SanitizeStep], *, at_end: bool) -> int:
    """Where ``position`` of the rewritten text was before ``steps`` (sorted, non-overlapping)."""
    delta = 0
    for step in steps:
        start_now = step.start + delta
        end_now = start_now + len(step.replacement)
        if position < start_now or (at_end and position == start_now):
            break
        if position < end_now or (at_end and position == end_now):
            return step.end if at_end else step.start
        delta += len(step.replacement) - (step.end - step.start)
    return position - delta


def _forward(position: int, steps: Sequence[SanitizeStep]) -> int:
    """Where ``position`` of the original (at no step's inside) is in the rewritten text."""
    return position + sum(len(s.replacement) - (s.end - s.start) for s in steps if s.end <= position)


def _fold(
    original: str, current: str, steps: list[SanitizeStep], round_steps: list[SanitizeStep]
) -> list[SanitizeStep]:
    """``steps`` (on ``original``, giving ``current``) followed by ``round_steps`` (on ``current``),
    as one list of steps on ``original``. A round step that touches an earlier rewrite merges
    with it into one step over both."""
    if not steps:
        return round_steps
    spans = sorted(
        (_back(r.start, steps, at_end=False), _back(r.end, steps, at_end=True), r) for r in round_steps
    )
    groups: list[tuple[int, int, list[SanitizeStep]]] = []
    for start, end, step in spans:
        if groups and start < groups[-1][1]:
            low, high, members = groups[-1]
            groups[-1] = (low, max(high, end), [*members, step])
        else:
            groups.append((start, end, [step]))
    kept = [s for s in steps if not any(low <= s.start and s.end <= high for low, high, _ in groups)]
    merged: list[SanitizeStep] = []
    for low, high, members in groups:
        low_now, high_now = _forward(low, steps), _forward(high, steps)
        inside = [m.model_copy(update={"start": m.start - low_now, "end": m.end - low_now}) for m in members]
        reasons = [s.reason for s in steps if low <= s.start and s.end <= high] + [m.reason for m in members]
        merged.append(SanitizeStep.model_construct(
            start=low, end=high, original=original[low:high],
            replacement=replay(current[low_now:high_now], inside), reason=", ".join(dict.fromkeys(reasons)),
        ))
    return sorted(kept + merged, key=lambda s: s.start)
