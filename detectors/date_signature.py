"""Find dates and times in text and describe how each is written: its format signature.

The signature records the raw code points (separators, digit script, invisible characters),
never a parsed value alone, because a parser that silently accepts U+2212 or Arabic-Indic
digits hides exactly the mark we look for. Used by `detectors.dates` and the add-on's
cross-request memory. Legitimate locale forms (CLDR short/medium/long/full dates, CJK
年月日, Korean 년월일, RLM around Arabic separators) are recognised, not judged, here.

Candidate search is one stdlib ``re`` pattern anchored on the first digit of a number, so
text without digits costs nothing and each number in digit-heavy text is one attempt.
English month and weekday names are the only names we read (a short spec list below);
other languages' month names are recognised by shape and marked ``localized``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import unicodedata2

from detectors import _tables
from detectors.char_index import code_points_at, membership_table, positions_by_bit, runs
from detectors.unicode import char_class, char_name, has_astral

# Spec lists from issue 6 (look-alikes of the three ASCII date/time separators).
DASH_LOOKALIKES = "\u2010\u2011\u2012\u2013\u2212\ufe63\uff0d"
# An EN DASH after a time starts a range ("09:00\u201317:30"), never a UTC offset.
OFFSET_SIGN_LOOKALIKES = DASH_LOOKALIKES.replace("\u2013", "")
SLASH_LOOKALIKES = "\u2215\u2044\uff0f"
COLON_LOOKALIKES = "\u2236\ua789\uff1a"
INVISIBLES = "\u200b\u200c\u200d\u2060\ufeff"
# Bidi marks that CLDR itself writes around separators (ar: 5\u200f/3\u200f/2026).
BIDI_MARKS = "\u200e\u200f\u061c"
ASCII_FORM = {
    **dict.fromkeys(DASH_LOOKALIKES, "-"), **dict.fromkeys(SLASH_LOOKALIKES, "/"),
    **dict.fromkeys(COLON_LOOKALIKES, ":"), **dict.fromkeys(INVISIBLES, ""),
}

MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
          "september", "october", "november", "december")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
CJK_MARKS = "年月日"
KOREAN_MARKS = "년월일"

_DIG = f"[0-9{char_class(_tables.NON_ASCII_DECIMAL_DIGIT)}]"
_INV = f"[{INVISIBLES}]"
_N = f"{_DIG}(?:{_INV}*{_DIG})*"
_N4 = f"{_DIG}(?:{_INV}*{_DIG}){{3}}(?!{_DIG})"
_SEP = f"[{INVISIBLES}{BIDI_MARKS}]*[-/.{DASH_LOOKALIKES}{SLASH_LOOKALIKES}]{_INV}*\\x20?"
_TSEP = f"{_INV}*[:{COLON_LOOKALIKES}]{_INV}*"
_LETTER = f"(?:[^\\W\\d_]|[{char_class(_tables.NONSPACING_MARK, _tables.SPACING_MARK)}])"
_WORD = f"{_LETTER}+(?:\\.{_LETTER}+)*[.\u05f3\u0970]?"
_AMPM = "(?:[\\x20\\u202f]?[AaPp]\\.?[Mm]\\.?(?![A-Za-z]))"
_TZ = (f"(?:\\x20?(?:Z(?![A-Za-z0-9])|[+{OFFSET_SIGN_LOOKALIKES}-]{_DIG}{{2}}(?:{_TSEP})?{_DIG}{{2}}(?!{_DIG})"
       "|(?:GMT|UTC)(?:[+-]\\d{1,2}(?::?\\d{2})?)?(?![A-Za-z])|[A-Z]{2,4}T(?![A-Za-z])))")
_TIME = f"{_N}{_TSEP}{_N}(?:{_TSEP}{_N}(?:[.,]{_DIG}{{1,9}})?)?{_AMPM}?(?:\\x20{_N4})?{_TZ}?"
_JOIN = "(?:T|\\x20|,\\x20|:)"


def _after_month_guard(dig: str, inv: str) -> str:
    """Look-behinds (fixed width each) that the 1-2 digit day follows a word: ``Nov 24``, ``Nov.  4``."""
    days = (dig, dig * 2) + ((f"{dig}{inv}{dig}",) if inv else ())
    return "(?:" + "|".join(
        f"(?<={before}{day})" for before in ("[A-Za-z]\\x20", "[A-Za-z]\\.\\x20", "[A-Za-z]\\x20\\x20")
        for day in days
    ) + ")"


def _candidate_pattern(dig: str, inv: str, sep: str, tsep: str, letter: str, cjk: bool) -> re.Pattern[str]:
    """The candidate search: one pattern that starts with a digit class (so ``re`` skips
    non-digits in C) and tries each number once (the look-behind drops inner digits)."""
    n = f"{dig}(?:{inv}*{dig})*" if inv else f"{dig}+"
    n4 = f"{dig}(?:{inv}*{dig}){{3}}(?!{dig})" if inv else f"{dig}{{4}}(?!{dig})"
    word = f"{letter}+(?:\\.{letter}+)*[.\u05f3\u0970]?"   # he U+05F3 and hi U+0970 abbreviate
    tz = (f"(?:\\x20?(?:Z(?![A-Za-z0-9])|[+{OFFSET_SIGN_LOOKALIKES if inv else ''}-]{dig}{{2}}(?:{tsep})?{dig}{{2}}(?!{dig})"
          "|(?:GMT|UTC)(?:[+-]\\d{1,2}(?::?\\d{2})?)?(?![A-Za-z])|[A-Z]{2,4}T(?![A-Za-z])))")
    time_tail = f"{tsep}{n}(?:{tsep}{n}(?:[.,]{dig}{{1,9}})?)?{_AMPM}?(?:\\x20{n4})?{tz}?"
    time = f"{n}{time_tail}"
    tails = [
        f"{sep}{n}{sep}{n}(?:\\.(?!{dig}))?(?:{_JOIN}{time})?",
        time_tail,
        f"{inv + '*' if inv else ''}\\.?\\x20(?:(?:{word}|{dig}{{1,2}},)\\x20){{1,3}}{n4}(?:{_JOIN}{time})?",
        f"\\.\\x20{word}\\x20{n}\\.?",
        f"[/-]{word}[/-]{n4}(?:{_JOIN}{time})?",
        f"{_after_month_guard(dig, inv)}{inv + '*' if inv else ''}(?:st|nd|rd|th)?,?\\x20+(?:{n4}(?:{_JOIN}{time})?|{time})",   # after an English month name
    ]
    if cjk:
        tails.insert(1, f"\\s?[年년]\\s?{n}\\s?[月월](?:\\s?{n}\\s?[日일])?(?:\\s?{time})?")
    rest = f"(?:{inv}*{dig})*" if inv else f"{dig}*"
    # A number glued to a letter is not a date ("ff16-11-24" in a \\uff16 escape, "v2026.11.24").
    return re.compile(f"{dig}(?<!{dig}{dig})(?<![A-Za-z]{dig}){rest}(?:{'|'.join(tails)})")


CANDIDATE = _candidate_pattern(_DIG, _INV, _SEP, _TSEP, _LETTER, cjk=True)
# ``re`` tests a class with astral ranges range by range; BMP-only classes are a table look-up.
# Most text has no astral digit (U+1D7CE...), so the BMP pattern is the usual one.
_BMP_DIGIT_RANGES = [r for r in _tables.NON_ASCII_DECIMAL_DIGIT if r[1] < 0x10000]
_DIG_BMP = f"[0-9{char_class(_BMP_DIGIT_RANGES)}]"
BMP_CANDIDATE = _candidate_pattern(_DIG_BMP, _INV, _SEP, _TSEP, _LETTER, cjk=True)
BMP_DIGIT_RUN = re.compile(f"{_DIG_BMP}+")
ASTRAL_DIGIT = re.compile(f"[{char_class([r for r in _tables.NON_ASCII_DECIMAL_DIGIT if r[1] >= 0x10000])}]")
_BMP_DIGIT_BIT, _ASTRAL_DIGIT_BIT = 1, 2
# One vectorised pass finds the digit runs (see `detectors.char_index`).
_DIGIT_TABLE = (
    membership_table([(0x30, 0x39), *_BMP_DIGIT_RANGES]).astype(np.uint8) * _BMP_DIGIT_BIT
    | membership_table([r for r in _tables.NON_ASCII_DECIMAL_DIGIT if r[1] >= 0x10000]).astype(np.uint8) * _ASTRAL_DIGIT_BIT
)
# Pure ASCII text cannot hold a look-alike, an invisible or a CJK marker: a smaller pattern.
ASCII_CANDIDATE = _candidate_pattern("[0-9]", "", "[-/.]\\x20?", ":", "[A-Za-z]", cjk=False)

# Anchored parsers, run only on candidates.
_P_NUMERIC = re.compile(f"(?P<a>{_N})(?P<s1>{_SEP})(?P<b>{_N})(?P<s2>{_SEP})(?P<c>{_N})(?P<s3>\\.)?(?:(?P<join>{_JOIN})(?P<time>.+))?", re.S)
_P_CJK = re.compile(f"(?P<a>{_N})(?P<s1>\\s?[年년]\\s?)(?P<b>{_N})(?P<s2>\\s?[月월]\\s?)(?:(?P<c>{_N})(?P<s3>\\s?[日일]))?(?:(?P<join>\\s?)(?P<time>{_N}.+))?", re.S)
_P_NAMED = re.compile(f"(?P<a>{_N})(?P<s1>{_INV}*\\.?\\x20)(?P<words>(?:(?:{_WORD}|{_DIG}{{1,2}},)\\x20){{1,3}})(?P<c>{_N4})(?:(?P<join>{_JOIN})(?P<time>.+))?", re.S)
_P_YEAR_NAMED = re.compile(f"(?P<c>{_N})(?P<s1>\\.\\x20)(?P<words>{_WORD}\\x20)(?P<a>{_N})(?P<s3>\\.?)", re.S)
_P_SLASH_NAMED = re.compile(f"(?P<a>{_N})(?P<s1>[/-])(?P<words>{_WORD})(?P<s2>[/-])(?P<c>{_N4})(?:(?P<join>{_JOIN})(?P<time>.+))?", re.S)
_P_AFTER_MONTH = re.compile(f"(?P<a>{_N})(?P<s1>{_INV}*(?:st|nd|rd|th)?,?\\x20+)(?:(?P<c>{_N4})(?:(?P<join>{_JOIN})(?P<time>.+))?|(?P<time2>.+))", re.S)
_P_TIME = re.compile(
    f"(?P<h>{_N})(?P<c1>{_TSEP})(?P<m>{_N})(?:(?P<c2>{_TSEP})(?P<s>{_N})(?P<frac>[.,]{_DIG}+)?)?"
    f"(?P<ampm>{_AMPM})?(?:\\x20(?P<year>{_N4}))?(?P<tz>{_TZ})?", re.S)
_MONTH_BEFORE = re.compile(
    r"(?:(?P<wd>[A-Za-z]{3,9})\.?,?\x20+)?(?P<mon>[A-Za-z]{3,9})\.?\x20{1,2}\Z")
_WEEKDAY_BEFORE = re.compile(r"(?P<wd>[A-Za-z]{3,9})\.?,?\x20+\Z")
_NOT_DIGIT = re.compile(f"[^0-9{char_class(_tables.NON_ASCII_DECIMAL_DIGIT)}]")
_ISO_SEPARATORS = ("-", "-")


@dataclass(frozen=True, slots=True)
class DateSignature:
    """How one date/time is written. Separators and digit script are the raw characters.

    ``order`` is ``YMD``/``DMY``/``MDY``, ``NNY`` when day and month cannot be told apart
    (``11/12/2026``), ``YM``/``NN`` for partial dates, ``""`` for a bare time.
    """

    family: str                      # numeric, named, cjk, time
    order: str
    separators: tuple[str, ...]
    widths: tuple[int, ...]
    digit_script: str                # ASCII, ARABIC-INDIC, FULLWIDTH, ..., or mixed
    month_name: str | None = None    # abbr, full, localized
    month_language: str | None = None
    weekday: str | None = None       # abbr, full
    calendar: str | None = None      # CJK 年月日 / Korean 년월일 markers, raw
    time_fields: str | None = None   # HM, HMS, HMS.f
    time_separators: tuple[str, ...] = ()
    clock: str | None = None         # raw AM/PM marker
    joiner: str | None = None        # between date and time: T, space, ...
    tz_style: str | None = None      # Z, +HH:MM, +HHMM, GMT, UTC, abbr

    @property
    def is_iso(self) -> bool:
        """Year-month-day with ASCII hyphens and zero padding, as ISO 8601 writes it."""
        return (self.family == "numeric" and self.order == "YMD" and self.separators[:2] == _ISO_SEPARATORS
                and self.widths[:3] == (4, 2, 2) and self.digit_script == "ASCII")

    def date_style(self) -> tuple[object, ...]:
        """What a writer chooses for the date part; equal styles mean the same format."""
        return (self.family, self.order, self.separators, self.digit_script, self.month_name, self.calendar)


@dataclass(frozen=True, slots=True)
class DateMatch:
    """One date, time or date-time: its span, raw text, signature and values where known."""

    start: int
    end: int
    text: str
    signature: DateSignature
    date_end: int                     # end of the date part (== start for a bare time)
    ymd: tuple[int, int, int] | None = None
    tz: str | None = None             # the raw zone designator
    zero_padded: bool | None = None


def date_signatures(text: str) -> list[DateMatch]:
    """Every date, time and date-time in ``text``, in order.

    >>> [(m.text, m.signature.order, m.signature.separators) for m in date_signatures("on 2026/11/24.")]
    [('2026/11/24', 'YMD', ('/', '/'))]
    """
    if text.isascii():
        return scan_windows(text, ASCII_CANDIDATE, seed_windows(text))
    return scan_windows(text, *unicode_plan(text))


def unicode_plan(text: str, digits: np.ndarray | None = None) -> tuple[re.Pattern[str], list[tuple[int, int]]]:
    """Pattern and windows for non-ASCII text: around pairs of nearby digit runs (every date or
    time has two: day and year, hour and minute); the whole text with the pattern for astral
    digits if one of those is among them. ``digits``, the offsets of every decimal digit when
    the caller has them, saves a pass."""
    astral_digits = None
    if digits is None:
        bmp_digits, astral_digits = positions_by_bit(text, _DIGIT_TABLE, (_BMP_DIGIT_BIT, _ASTRAL_DIGIT_BIT))
        digits = np.union1d(bmp_digits, astral_digits) if len(astral_digits) else bmp_digits
    windows = _digit_pair_windows(digits, len(text))
    if not windows:
        return BMP_CANDIDATE, windows
    if astral_digits is None:
        astral_digits = np.flatnonzero(code_points_at(text, digits) > 0xFFFF)
    return (CANDIDATE, [(0, len(text))]) if len(astral_digits) else (BMP_CANDIDATE, windows)


def _digit_pair_windows(digits: np.ndarray, length: int) -> list[tuple[int, int]]:
    """Merged windows around each digit run that has another within `_RUN_GAP` before it."""
    windows: list[tuple[int, int]] = []
    if len(digits) < 2:
        return windows
    previous_start, previous_end = -_RUN_GAP - 1, -_RUN_GAP - 1
    for run_start, run_end in runs(digits):
        near = run_start - previous_end <= _RUN_GAP
        pair_start, previous_start, previous_end = previous_start, run_start, run_end
        if not near:
            continue
        start, end = max(0, pair_start - _WINDOW), min(length, run_end + _WINDOW)
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], end)
        else:
            windows.append((start, end))
    return windows


def scan_windows(text: str, pattern: re.Pattern[str], windows: list[tuple[int, int]]) -> list[DateMatch]:
    """Parsed candidates of ``pattern`` inside each ``(start, end)`` window of ``text``."""
    matches: list[DateMatch] = []
    for window_start, window_end in windows:
        pos = window_start
        while (found := pattern.search(text, pos, window_end)) is not None:
            parsed = parse_candidate(text, found.start(), found.end())
            if parsed is None:
                pos = found.start() + 1
                continue
            matches.append(parsed)
            pos = max(parsed.end, found.start() + 1)
    return matches


# Every ASCII date or time holds one of these once its digits are zeroed; the pattern starts
# with a literal, so ``re`` finds it with its fast literal search.
_SEED = re.compile(rb"0(?:[-/.]00?[-/.]0|:00|\. 0|(?<!00)000(?!0))")
_WINDOW = 64
_RUN_GAP = 32   # "24 de septiembre de 2026": the named form allows three words between


def digit_heavy(zeroed: bytes) -> bool:
    """Whether more than one byte in 16 of digit-zeroed text is a digit (logs, tables, CSV)."""
    return zeroed.count(b"0") > len(zeroed) // 16


def seed_windows(text: str, zeroed: bytes | None = None, heavy: bool | None = None) -> list[tuple[int, int]]:
    """Merged windows around the places an ASCII date could be, found with ``bytes.find``.
    ``heavy`` is `digit_heavy` of ``zeroed`` when the caller already knows it.

    >>> seed_windows("no dates here"), seed_windows("x" * 200 + "2026-11-24")
    ([], [(136, 210)])
    """
    if zeroed is None:
        zeroed = zero_ascii_bytes(text)
    if heavy is None:
        heavy = digit_heavy(zeroed)
    if heavy:
        return [(0, len(text))]      # digit-heavy: one pass over everything is cheaper
    windows: list[tuple[int, int]] = []
    for index in map(re.Match.start, _SEED.finditer(zeroed)):
        start, end = max(0, index - _WINDOW), min(len(text), index + _WINDOW)
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], end)
        else:
            windows.append((start, end))
    return windows


def parse_candidate(text: str, start: int, end: int) -> DateMatch | None:
    """The `DateMatch` for the candidate ``text[start:end]``, or None if it is not a date or time."""
    raw = text[start:end]
    parsers = _NUMERIC_ONLY if _NUMERIC_ONLY_SHAPE.match(raw) is not None else _PARSERS
    for parser in parsers:
        result = parser(text, start, raw)
        if result is not None:
            return result
    return None


def digit_value(run: str) -> tuple[int, int, str] | None:
    """Value, digit count and digit script of a digit run (invisibles ignored).

    >>> digit_value("2\\u200b0\\u0662\\u0666")
    (2026, 4, 'mixed')
    """
    if run.isascii():
        return (int(run), len(run), "ASCII") if run.isdigit() else None
    digits = _NOT_DIGIT.sub("", run)
    if not digits:
        return None
    scripts = {_digit_script(ch) for ch in digits}
    value = int("".join(str(unicodedata2.digit(ch, 0)) for ch in digits))
    return value, len(digits), scripts.pop() if len(scripts) == 1 else "mixed"


@lru_cache(maxsize=512)
def _digit_script(ch: str) -> str:
    if ch.isascii():
        return "ASCII"
    return char_name(ch).rsplit(" DIGIT ", 1)[0]


def _merge_scripts(*scripts: str) -> str:
    unique = set(scripts)
    return unique.pop() if len(unique) == 1 else "mixed"


def _name_style(word: str, names: tuple[str, ...]) -> tuple[str | None, int]:
    """("full"|"abbr", index) for an English month/weekday name, else (None, -1)."""
    lowered = word.lower().rstrip(".")
    for index, name in enumerate(names):
        if lowered == name:
            return "full", index
        if len(lowered) >= 3 and name.startswith(lowered) and len(lowered) <= 4:
            return "abbr", index
    return None, -1


def _time(raw: str) -> tuple[dict[str, object], int] | None:
    """Fields of a time at the start of ``raw``, and how many characters it takes."""
    match = _P_TIME.match(raw)
    if match is None:
        return None
    hour, minute = digit_value(match["h"]), digit_value(match["m"])
    second = digit_value(match["s"]) if match["s"] else None
    if hour is None or minute is None or hour[1] > 2 or minute[1] != 2 or hour[0] > 24 or minute[0] > 59:
        return None
    if second is not None and (second[1] != 2 or second[0] > 60):
        return None
    scripts = [hour[2], minute[2]] + ([second[2]] if second else [])
    fields = "HMS" if second else "HM"
    tz = match["tz"].strip() if match["tz"] else None
    return {
        "time_fields": fields + (".f" if match["frac"] else ""),
        "time_separators": tuple(s for s in (match["c1"], match["c2"]) if s),
        "clock": match["ampm"].strip() if match["ampm"] else None,
        "tz": tz, "tz_style": _tz_style(tz), "scripts": scripts,
    }, match.end()


def _tz_style(tz: str | None) -> str | None:
    if not tz:
        return None
    if tz == "Z":
        return "Z"
    if tz[0] not in "GUABCDEFHIJKLMNOPQRSTVWXY":
        return "+HH:MM" if len(tz) > 5 else "+HHMM"
    return tz[:3] if tz[:3] in ("GMT", "UTC") else "abbr"


def _build(text: str, start: int, raw: str, consumed: int, fields: dict[str, object],
           date_len: int, time_part: str | None, join: str | None) -> DateMatch | None:
    scripts = list(fields.pop("scripts"))
    extra: dict[str, object] = {}
    end_len = consumed
    if time_part:
        parsed = _time(time_part)
        if parsed is None:
            end_len = date_len
            join = None
        else:
            extra, used = parsed
            scripts += extra.pop("scripts")
            end_len = len(raw) - len(time_part) + used
    else:
        join = None
    ymd = fields.pop("ymd", None)
    padded = fields.pop("zero_padded", None)
    tz = extra.pop("tz", None)
    signature = DateSignature(digit_script=_merge_scripts(*scripts), joiner=join, **fields, **extra)
    return DateMatch(start, start + end_len, text[start:start + end_len], signature, start + date_len,
                     ymd, tz, padded)


def _padding(values: list[tuple[int, int, str]]) -> bool | None:
    small = [width for value, width, _ in values if value < 10]
    if not small:
        return None
    return all(width == 2 for width in small)


def _numeric(text: str, start: int, raw: str) -> DateMatch | None:
    match = _P_NUMERIC.match(raw)
    if match is None:
        return None
    values = [digit_value(match[k]) for k in "abc"]
    if None in values:
        return None
    (a, wa, _), (b, wb, _), (c, wc, _) = values
    # A closing "." belongs to the date only in the spaced forms (hu 2026. 03. 05., ko 26. 3. 5.).
    closing = bool(match["s3"]) and match["s1"].endswith(". ")
    seps = (match["s1"], match["s2"]) + ((match["s3"],) if closing else ())
    if seps[0].strip(BIDI_MARKS + INVISIBLES + " ") != seps[1].strip(BIDI_MARKS + INVISIBLES + " ") and not (
        set(seps[0] + seps[1]) & set(ASCII_FORM)
    ):
        return None
    if _continues_number(text, start, start + match.end("c")):
        return None
    order, ymd = _numeric_order(a, wa, b, wb, c, wc, seps[0])
    if not order:
        return None
    fields = {"family": "numeric", "order": order, "separators": seps, "widths": (wa, wb, wc),
              "ymd": ymd, "zero_padded": _padding(values), "scripts": [v[2] for v in values]}
    date_len = match.end("s3") if closing else match.end("c")
    consumed = match.end() if closing or not match["s3"] else date_len
    return _build(text, start, raw, consumed, fields, date_len, match["time"], match["join"])


def _continues_number(text: str, start: int, end: int) -> bool:
    """Version numbers and IPs: ``1.2.3.4``, ``v10.11.12`` are not dates."""
    before = text[max(0, start - 2):start]
    after = text[end:end + 2]
    return (len(after) == 2 and after[0] in "./-" and after[1].isdigit()) or (
        len(before) == 2 and before[1] in "./" and before[0].isdigit()) or before[-1:] in ("v", "V")


def _numeric_order(a: int, wa: int, b: int, wb: int, c: int, wc: int, sep: str
                   ) -> tuple[str, tuple[int, int, int] | None]:
    if wa == 4 and 1 <= b <= 12 and 1 <= c <= 31 and wb <= 2 and wc <= 2:
        return "YMD", (a, b, c)
    if wa == 2 and sep.endswith(" ") and 1 <= b <= 12 and 1 <= c <= 31 and wc <= 2:
        return "YMD", (2000 + a, b, c)   # ko short: 26. 3. 5.
    if wc not in (2, 4) or wa > 2 or wb > 2:
        return "", None
    year = c if wc == 4 else 2000 + c
    if wc == 2 and sep.strip() == "." and (wa, wb) != (2, 2) and not (wb == 2 and b < 10):
        return "", None                  # "3.12.10" reads as a version, not a date
    if 1 <= a <= 12 and 13 <= b <= 31:
        return "MDY", (year, a, b)
    if 1 <= b <= 12 and 13 <= a <= 31:
        return "DMY", (year, b, a)
    if 1 <= a <= 12 and 1 <= b <= 12:
        return "NNY", (year, a, a) if a == b else None
    return "", None


def _cjk(text: str, start: int, raw: str) -> DateMatch | None:
    match = _P_CJK.match(raw)
    if match is None:
        return None
    values = [digit_value(match[k]) for k in "abc" if match[k]]
    if None in values or not 1 <= values[1][0] <= 12:
        return None
    seps = tuple(match[k] for k in ("s1", "s2", "s3") if match[k])
    marks = "".join(ch for ch in "".join(seps) if not ch.isspace())
    ymd = (values[0][0], values[1][0], values[2][0]) if len(values) == 3 else None
    fields = {"family": "cjk", "order": "YMD" if len(values) == 3 else "YM", "separators": seps,
              "widths": tuple(v[1] for v in values), "calendar": marks, "ymd": ymd,
              "zero_padded": _padding(values), "scripts": [v[2] for v in values]}
    date_len = match.end("s3") if match["s3"] else match.end("s2")
    return _build(text, start, raw, match.end(), fields, date_len, match["time"], match["join"])


def _named(text: str, start: int, raw: str) -> DateMatch | None:
    match = _P_NAMED.match(raw)
    if match is None:
        return None
    day, year = digit_value(match["a"]), digit_value(match["c"])
    if day is None or year is None or not 1 <= day[0] <= 31:
        return None
    words = match["words"].split()
    style, month, language = None, -1, None
    for word in words:
        style, month = _name_style(word, MONTHS)
        if style:
            language = "en"
            break
    if style is None:
        style = "localized"
    weekday = _weekday_before(text, start)
    fields = {"family": "named", "order": "DMY", "separators": (match["s1"], match["words"]),
              "widths": (day[1], year[1]), "month_name": style, "month_language": language,
              "weekday": weekday, "ymd": (year[0], month + 1, day[0]) if month >= 0 else None,
              "zero_padded": _padding([day]), "scripts": [day[2], year[2]]}
    return _build(text, start, raw, match.end(), fields, match.end("c"), match["time"], match["join"])


def _year_named(text: str, start: int, raw: str) -> DateMatch | None:
    match = _P_YEAR_NAMED.fullmatch(raw)
    if match is None:
        return None
    year, day = digit_value(match["c"]), digit_value(match["a"])
    if year is None or day is None or year[1] != 4 or not 1 <= day[0] <= 31:
        return None
    style, month = _name_style(match["words"].strip(), MONTHS)
    fields = {"family": "named", "order": "YMD", "separators": (match["s1"], match["words"], match["s3"]),
              "widths": (year[1], day[1]), "month_name": style or "localized",
              "month_language": "en" if style else None,
              "ymd": (year[0], month + 1, day[0]) if style else None,
              "zero_padded": _padding([day]), "scripts": [year[2], day[2]]}
    return _build(text, start, raw, len(raw), fields, len(raw), None, None)


def _slash_named(text: str, start: int, raw: str) -> DateMatch | None:
    match = _P_SLASH_NAMED.match(raw)
    if match is None:
        return None
    day, year = digit_value(match["a"]), digit_value(match["c"])
    style, month = _name_style(match["words"], MONTHS)
    if day is None or year is None or style is None or not 1 <= day[0] <= 31:
        return None
    fields = {"family": "named", "order": "DMY", "separators": (match["s1"], match["s2"]),
              "widths": (day[1], year[1]), "month_name": style, "month_language": "en",
              "ymd": (year[0], month + 1, day[0]), "zero_padded": _padding([day]), "scripts": [day[2], year[2]]}
    return _build(text, start, raw, match.end(), fields, match.end("c"), match["time"], match["join"])


def _after_month(text: str, start: int, raw: str) -> DateMatch | None:
    match = _P_AFTER_MONTH.match(raw)   # first: cheaper than the search for a month name
    if match is None:
        return None
    before = _MONTH_BEFORE.search(text, max(0, start - 24), start)
    if before is None:
        return None
    style, month = _name_style(before["mon"], MONTHS)
    if style is None:
        return None
    day = digit_value(match["a"])
    year = digit_value(match["c"]) if match["c"] else None
    if day is None or not 1 <= day[0] <= 31 or day[1] > 2:
        return None
    time_part = match["time"] or match["time2"]
    weekday = _name_style(before["wd"], WEEKDAYS)[0] if before["wd"] else None
    year_value = year[0] if year else None
    if year is None and time_part:
        parsed = _time(time_part)
        if parsed is None:
            return None
        found_year = _P_TIME.match(time_part)["year"]  # type: ignore[index]
        year_value = digit_value(found_year)[0] if found_year else None  # type: ignore[index]
    new_start = before.start("wd") if before["wd"] and weekday else before.start("mon")
    offset = start - new_start
    full_raw = text[new_start:start] + raw
    fields = {"family": "named", "order": "MDY", "separators": (text[before.end("mon"):start], match["s1"]),
              "widths": (day[1],) + ((year[1],) if year else ()), "month_name": style, "month_language": "en",
              "weekday": weekday, "ymd": (year_value, month + 1, day[0]) if year_value else None,
              "zero_padded": _padding([day]), "scripts": [day[2]] + ([year[2]] if year else [])}
    date_len = offset + (match.end("c") if match["c"] else match.end("a"))
    join = match["join"] if match["c"] else match["s1"]
    return _build(text, new_start, full_raw, offset + match.end(), fields, date_len,
                  time_part, join)


def _bare_time(text: str, start: int, raw: str) -> DateMatch | None:
    parsed = _time(raw)
    if parsed is None:
        return None
    extra, used = parsed
    scripts = extra.pop("scripts")
    tz = extra.pop("tz")
    signature = DateSignature(family="time", order="", separators=(), widths=(),
                              digit_script=_merge_scripts(*scripts), **extra)
    return DateMatch(start, start + used, raw[:used], signature, start, None, tz, None)


def _weekday_before(text: str, start: int) -> str | None:
    before = _WEEKDAY_BEFORE.search(text, max(0, start - 12), start)
    return _name_style(before["wd"], WEEKDAYS)[0] if before else None


# In order: the first parser that accepts a candidate decides it.
_PARSERS = (_numeric, _cjk, _named, _year_named, _slash_named, _after_month, _bare_time)
# An ASCII number followed by a date separator and a digit ("3.11.7", "2026-11-24") can only
# be a numeric date: every other parser needs a space, a colon, a letter or 年 after the first
# number. Most candidates in code are versions of this shape, so they skip six parsers.
_NUMERIC_ONLY_SHAPE = re.compile(r"[0-9]+[-/.][0-9]")
_NUMERIC_ONLY = (_numeric,)


def zero_ascii_digits(text: str) -> str:
    """``text`` with every ASCII digit written ``0``, same length (fast: bytes translate).

    >>> zero_ascii_digits("2026-11-24 \\u0662")
    '0000-00-00 \\u0662'
    """
    data = text.encode("utf-8", "surrogatepass").translate(_ZERO_TABLE)
    return data.decode("utf-8", "surrogatepass")


def zero_ascii_bytes(text: str) -> bytes:
    """The ASCII ``text`` as bytes with every digit written ``0``."""
    return text.encode("ascii").translate(_ZERO_TABLE)


def zero_utf8_bytes(text: str) -> bytes:
    """Any ``text`` as UTF-8 with every ASCII digit written ``0`` (other digits kept).

    >>> zero_utf8_bytes("2026\u5e7411\u6708").decode()
    '0000\u5e7400\u6708'
    """
    return text.encode("utf-8", "surrogatepass").translate(_ZERO_TABLE)


def line_pattern(line: str) -> re.Pattern[str]:
    """The cheapest candidate pattern that is exact for ``line`` (see `unicode_plan`)."""
    if line.isascii():
        return ASCII_CANDIDATE
    return CANDIDATE if has_astral(line) else BMP_CANDIDATE


def may_hold_lookalike(text: str) -> bool:
    """Whether ``text`` holds a character that can be a mark inside a date: a separator
    look-alike, an invisible character or a non-ASCII digit (any astral character counts,
    since astral digits exist). Digit-free skeletons of log lines are judged with it.

    >>> may_hold_lookalike("\u5e74\u6708\u65e5 INFO"), may_hold_lookalike("\u5e74\uff10")
    (False, True)
    """
    return not text.isascii() and (has_astral(text) or _LOOKALIKE_OR_DIGIT.search(text) is not None)


_ZERO_TABLE = bytes.maketrans(b"123456789", b"000000000")
_LOOKALIKE_OR_DIGIT = re.compile(f"[{''.join(ASCII_FORM)}{char_class(_BMP_DIGIT_RANGES)}]")
