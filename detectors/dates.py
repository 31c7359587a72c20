"""Date-format channel: dates and times whose written form carries a mark (issue 6).

A client can vary how it writes the current date per user (hyphens for one user, slashes
for another, a U+2212 MINUS SIGN for the hyphen, one Arabic-Indic digit, a ZWSP between
fields) and the date still reads normally. We compare the raw code points of every date's
format signature (`detectors.date_signature`) with the text's other dates, never a parsed
value alone. Spec: issue 6.

Left alone: any single consistent format, including every CLDR locale form (day.month.year,
year年month月day日, RLM around Arabic separators); dates written wholly in one non-ASCII
digit script with matching full-width separators; logs whose timestamps agree. Text that
compares formats on purpose (docs, tests) gets only ``low`` drift, because only a line the
client fills in at run time carries a per-user mark. Locale and time-zone designators are
only ``info``: they tell the server where the user is, which some users treat as a leak
(``disclosure_severity`` raises them). Named-month forms (HTTP, git, syslog dates) are not
compared with each other for drift: they legitimately differ.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Iterator
from itertools import accumulate
from typing import ClassVar

import unicodedata2

from detectors import _tables
from detectors.base import make_finding
from detectors.char_index import offset_array
from detectors.context import is_dynamic_line, line_bounds
from detectors.date_signature import (
    ASCII_CANDIDATE, ASCII_FORM, DateMatch, digit_heavy, line_pattern, may_hold_lookalike, scan_windows, seed_windows,
    unicode_plan, zero_ascii_bytes, zero_utf8_bytes,
)
from detectors.model import Finding, Severity
from detectors.unicode import char_name, describe, reveal

_ZONE_AREAS = tuple(f"{area}/" for area in (
    "Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific"))
_IANA_ZONE = re.compile(rf"\b(?:{'|'.join(_ZONE_AREAS)})[A-Z][A-Za-z_+-]+(?:/[A-Z][A-Za-z_]+)?")
_UTC_DESIGNATORS = frozenset(("Z", "GMT", "UTC", "+00:00", "+0000", "-00:00", "-0000"))
# A longer digit-heavy text is a log or a table: judge one example line per skeleton.
_SKELETON_MIN_LENGTH = 200_000
# Environment blocks put the zone near the date (Codex: <current_date> then <timezone>).
_ZONE_REACH = 512


class DatesDetector:
    """Look-alikes inside dates (high), same-day drift and format outliers (medium in a dynamic
    line, else low), locale and zone disclosure (info unless raised)."""

    name: ClassVar[str] = "dates"
    ascii_relevant: ClassVar[bool] = True
    # Every date and time has digits (see detectors.char_index): text without any is skipped.
    triggers: ClassVar[list[tuple[int, int]]] = sorted([(0x30, 0x39), *_tables.NON_ASCII_DECIMAL_DIGIT])
    takes_candidates: ClassVar[bool] = True  # find() may be given the offsets of the digits

    def __init__(self, disclosure_severity: Severity = Severity.INFO) -> None:
        self.disclosure_severity = Severity.parse(disclosure_severity)

    def find(self, text: str, candidates: Iterable[int] | None = None) -> Iterator[Finding]:
        zeroed = zero_ascii_bytes(text) if text.isascii() else None
        if zeroed is not None and b"0" not in zeroed:
            return
        matches = self._matches(text, zeroed, candidates)
        if not matches:
            return
        # Skeleton examples repeat a match to weigh it; a look-alike is reported once.
        for match in matches if zeroed is not None else dict.fromkeys(matches):
            yield from self._lookalikes(text, match)
        yield from self._drift(text, matches)
        yield from self._outliers(text, matches)
        yield from self._disclosures(text, matches)

    def _matches(self, text: str, zeroed: bytes | None, digits: Iterable[int] | None) -> list[DateMatch]:
        """All matches; in a long digit-heavy text, one example line per line skeleton."""
        heavy = None  # digit_heavy(zeroed), counted once
        if len(text) > _SKELETON_MIN_LENGTH and (zeroed is not None or digit_heavy(zero_utf8_bytes(_sample(text)))):
            digits = zeroed if zeroed is not None else zero_utf8_bytes(text)
            heavy = digit_heavy(digits)
            if heavy:
                examples = _skeleton_examples(text, digits)
                if examples is not None:
                    return examples
        if zeroed is None:
            return scan_windows(text, *unicode_plan(text, None if digits is None else offset_array(digits)))
        return scan_windows(text, ASCII_CANDIDATE, seed_windows(text, zeroed, heavy))

    def _lookalikes(self, text: str, match: DateMatch) -> Iterator[Finding]:
        raw = match.text
        if raw.isascii():
            return
        ascii_digits = any("0" <= ch <= "9" for ch in raw)
        native_digits = match.signature.digit_script not in ("ASCII", "mixed")
        first_script = next((_script_of(ch) for ch in raw if ch.isdigit()), "ASCII")
        for offset, ch in enumerate(raw):
            replacement = ASCII_FORM.get(ch)
            if replacement is not None and native_digits and unicodedata2.east_asian_width(ch) == "F":
                continue  # full-width separators beside full-width digits are one consistent style
            if replacement is None and ch.isdigit() and (
                (ascii_digits and not ch.isascii()) or (not ascii_digits and _script_of(ch) != first_script)
            ):
                replacement = str(unicodedata2.digit(ch, 0))
            if replacement is None:
                continue
            what = "invisible character" if replacement == "" else f"look-alike of {replacement!r}"
            yield make_finding(
                "dates", "date-lookalike", text, match.start + offset, match.start + offset + 1, Severity.HIGH,
                f"{describe(ch)} ({what}) inside the date {reveal(raw, also=ch)!r}",
                replacement=replacement,
            )

    def _drift(self, text: str, matches: list[DateMatch]) -> Iterator[Finding]:
        by_day: dict[tuple[str, tuple[int, int, int]], list[DateMatch]] = {}
        for match in matches:
            # Named forms (HTTP, git, syslog, prose) legitimately differ from each other.
            if match.ymd is not None and match.signature.family != "named":
                by_day.setdefault((match.signature.family, match.ymd), []).append(match)
        for same_day in by_day.values():
            styles = Counter(m.signature.date_style() for m in same_day)
            if len(styles) < 2:
                continue
            usual = styles.most_common(1)[0][0]
            reference = next(m for m in same_day if m.signature.date_style() == usual)
            for match in same_day:
                if match.signature.date_style() != usual:
                    # Docs and tests that compare formats are not marks: alarm where a client fills a line in.
                    dynamic = any(_is_dynamic_outside_dates(text, m, matches) for m in (match, reference))
                    yield make_finding(
                        "dates", "date-signature-drift", text, match.start, match.date_end,
                        Severity.MEDIUM if dynamic else Severity.LOW,
                        f"the same day is written {_revealed(match)!r} here and {_revealed(reference)!r} "
                        f"elsewhere in this text{' (in a dynamically generated line)' if dynamic else ''}",
                    )

    def _outliers(self, text: str, matches: list[DateMatch]) -> Iterator[Finding]:
        numeric = [m for m in matches if m.signature.family == "numeric"]
        if len(numeric) < 2:
            return
        keys = Counter(_layout(m) for m in numeric)
        for match in numeric:
            key = _layout(match)
            if keys[key] != 1:
                continue
            others = {k for k in keys if k != key}
            others_iso = all(_is_iso_layout(k) for k in others)
            if not ((len(others) == 1 and keys[next(iter(others))] >= 2) or (others_iso and not _is_iso_layout(key))):
                continue
            dynamic = _is_dynamic_outside_dates(text, match, matches)
            severity = Severity.MEDIUM if dynamic else Severity.LOW
            target = next(iter(others))[1] if len(others) == 1 else "-"
            yield make_finding(
                "dates", "date-format-outlier", text, match.start, match.date_end, severity,
                f"the date {_revealed(match)!r} is written unlike every other date in this text "
                f"({len(numeric) - 1} other{'s' if len(numeric) > 2 else ''}"
                f"{', all ISO 8601' if others_iso else ''}){' in a dynamically generated line' if dynamic else ''}",
                replacement=_rewrite(match, target),
            )

    def _disclosures(self, text: str, matches: list[DateMatch]) -> Iterator[Finding]:
        seen: set[str] = set()
        english = None
        for match in matches:
            signature = match.signature
            if match.tz and match.tz not in _UTC_DESIGNATORS and match.tz not in seen:
                seen.add(match.tz)
                zone_start = match.start + match.text.rfind(match.tz)
                yield self._disclosure(text, zone_start, zone_start + len(match.tz),
                                       f"time-zone designator {match.tz!r} tells the server the user's zone")
            localized = signature.calendar or signature.month_name == "localized"
            key = signature.calendar or "localized-month"
            if localized and key not in seen and not (signature.month_name == "localized" and match.text.isascii()):
                if english is None:
                    english = _otherwise_english(text, matches)
                if english:
                    seen.add(key)
                    yield self._disclosure(text, match.start, match.date_end,
                                           f"locale-specific date {match.text[:match.date_end - match.start]!r} "
                                           "inside otherwise English text tells the server the user's locale")
        for zone in _zone_names(text, matches):
            if zone.group() not in seen:
                seen.add(zone.group())
                yield self._disclosure(text, zone.start(), zone.end(),
                                       f"time-zone name {zone.group()!r} tells the server the user's zone")

    def _disclosure(self, text: str, start: int, end: int, message: str) -> Finding:
        return make_finding("dates", "date-disclosure", text, start, end, self.disclosure_severity, message)


def _script_of(ch: str) -> str:
    return "ASCII" if ch.isascii() else char_name(ch).rsplit(" DIGIT ", 1)[0]


def _sample(text: str) -> str:
    """Three slices of a long text: enough to tell a log from prose before encoding it all."""
    middle, size = len(text) // 2, _SKELETON_MIN_LENGTH // 8
    return text[:size] + text[middle:middle + size] + text[-size:]


def _skeleton_examples(text: str, zeroed: bytes) -> list[DateMatch] | None:
    """Matches of the first line of each distinct skeleton (the line without its ASCII digits).

    Logs and tables repeat a few line shapes with new numbers; lines that share a skeleton
    share their separators, names and zones, so one example per skeleton (counted up to 3
    times, enough for the outlier test) stands for all. A skeleton that holds a possible
    look-alike (a non-ASCII dash, an invisible, a non-ASCII digit) is scanned on every line,
    so each mark keeps its own finding and sanitize reaches all of them. ``zeroed`` is the
    UTF-8 text with ASCII digits written ``0``. Not repetitive enough: None.
    """
    skeletons = zeroed.translate(None, b"0").split(b"\n")
    counts = Counter(skeletons)
    if len(counts) > len(skeletons) // 4:
        return None
    first = dict(zip(reversed(skeletons), range(len(skeletons) - 1, -1, -1)))
    suspicious = {s for s in counts if not s.isascii() and may_hold_lookalike(s.decode("utf-8", "surrogatepass"))}
    lines = text.split("\n")
    ends = list(accumulate(map(len, lines)))

    def line_matches(index: int) -> list[DateMatch]:
        start = (ends[index - 1] if index else 0) + index
        line = lines[index]
        return scan_windows(text, line_pattern(line), [(start, start + len(line))])

    examples: list[DateMatch] = []
    for skeleton, index in first.items():
        if skeleton not in suspicious:
            examples.extend(match for match in line_matches(index) for _ in range(min(counts[skeleton], 3)))
    if suspicious:
        examples.extend(
            match for index, skeleton in enumerate(skeletons) if skeleton in suspicious for match in line_matches(index)
        )
    examples.sort(key=lambda match: match.start)
    return examples


def _zone_names(text: str, matches: list[DateMatch]) -> Iterator[re.Match[str]]:
    """IANA zone names such as ``Asia/Shanghai`` near a date, found with ``str.find``."""
    windows: list[tuple[int, int]] = []
    for match in matches:
        start, end = max(0, match.start - _ZONE_REACH), min(len(text), match.end + _ZONE_REACH)
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], end)
        else:
            windows.append((start, end))
    for start, end in windows:
        for area in _ZONE_AREAS:
            index = text.find(area, start, end)
            while index >= 0:
                zone = _IANA_ZONE.match(text, index)
                if zone is not None:
                    yield zone
                index = text.find(area, index + 1, end)


def _layout(match: DateMatch) -> tuple[bool, str]:
    """Year-first or not, and the separator characters without spaces and bidi marks."""
    signature = match.signature
    separators = "".join(dict.fromkeys("".join(signature.separators[:2]).strip(" \u200e\u200f\u061c")))
    return signature.order.startswith("Y"), separators


def _is_iso_layout(key: tuple[bool, str]) -> bool:
    return key == (True, "-")


def _rewrite(match: DateMatch, separator: str) -> str | None:
    """Only a four-digit-year-first ASCII date is rewritten; ``11/12/2026`` never is."""
    signature = match.signature
    if signature.order != "YMD" or signature.widths[0] != 4 or signature.digit_script != "ASCII" or len(separator) != 1:
        return None
    date = match.text[:match.date_end - match.start]
    parts = re.split(r"\D+", date.strip("."))
    if len(parts) != 3 or not date.isascii():
        return None
    return separator.join(parts)


def _revealed(match: DateMatch) -> str:
    date = match.text[:match.date_end - match.start] or match.text
    return reveal(date, also="".join(ch for ch in date if not ch.isascii()))


def _is_dynamic_outside_dates(text: str, match: DateMatch, matches: list[DateMatch]) -> bool:
    """Whether the line is dynamic for a reason other than carrying this very date."""
    start, end = line_bounds(text, match.start)
    first = bisect_left(matches, start, key=lambda m: m.start)
    pieces, cursor = [], start
    for other in matches[first:]:
        if other.start >= end:
            break
        if other.start >= cursor:
            pieces.append(text[cursor:other.start])
            pieces.append("\x00")   # a mask no part of the dynamic-line test matches
            cursor = other.end
    pieces.append(text[cursor:end])
    return is_dynamic_line("".join(pieces), 0)


def _otherwise_english(text: str, matches: list[DateMatch]) -> bool:
    """Whether the text outside its dates is (almost) all ASCII."""
    outside = len(text) - sum(m.end - m.start for m in matches)
    non_ascii = len(text.encode("utf-8", "surrogatepass")) - len(text)
    non_ascii -= sum(len(m.text.encode("utf-8", "surrogatepass")) - len(m.text) for m in matches)
    return outside > 0 and non_ascii <= max(2.0, outside * 0.02)

