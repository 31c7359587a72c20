"""Tests for `detectors.date_signature`: recognising dates and recording their raw format."""

from __future__ import annotations

import datetime

import pytest
from babel.dates import format_date, format_datetime, format_time

from detectors.date_signature import date_signatures, seed_windows, zero_ascii_digits

LOCALES = (
    "en_US en_GB de_DE fr_FR es_ES it_IT pt_BR ru_RU uk_UA pl_PL nl_NL sv_SE fi_FI da_DK nb_NO cs_CZ "
    "tr_TR el_GR he_IL ar_EG fa_IR hi_IN th_TH zh_CN zh_TW ja_JP ko_KR vi_VN id_ID hu_HU ro_RO bg_BG"
).split()
DAYS = (datetime.datetime(2026, 11, 24, 8, 41, 8), datetime.datetime(2026, 3, 5, 17, 9, 3))


def _numeric_core(formatted: str) -> tuple[int, int]:
    """Span from the first to the last digit: the part any recogniser must cover."""
    digits = [i for i, ch in enumerate(formatted) if ch.isdigit()]
    return digits[0], digits[-1] + 1


def _babel_dates() -> list[tuple[str, str, str]]:
    cases = []
    for locale in LOCALES:
        for day in DAYS:
            for width in ("short", "medium", "long", "full"):
                cases.append((locale, width, format_date(day, width, locale=locale)))
    return cases


@pytest.mark.parametrize("locale, width, formatted", _babel_dates())
def test_every_cldr_date_is_recognised_with_its_raw_separators(locale: str, width: str, formatted: str) -> None:
    matches = [m for m in date_signatures(formatted) if m.signature.family != "time"]
    start, end = _numeric_core(formatted)
    covering = [m for m in matches if m.start <= start and m.end >= end]
    assert covering, f"{locale} {width}: {formatted!r} -> {matches}"
    signature = covering[0].signature
    assert signature.digit_script == "ASCII"
    for separator in signature.separators:
        assert separator in formatted
    assert signature.family in ("numeric", "named", "cjk")


@pytest.mark.parametrize("locale", LOCALES)
def test_cldr_times_are_recognised(locale: str) -> None:
    for width in ("short", "medium"):
        formatted = format_time(DAYS[0], width, locale=locale)
        if ":" not in formatted:   # fi/da/id write 08.41: read as text, not claimed as a time
            continue
        matches = date_signatures(formatted)
        assert matches and all(sep in formatted for m in matches for sep in m.signature.time_separators)


@pytest.mark.parametrize("locale", ("en_US", "de_DE", "ja_JP", "ru_RU"))
def test_cldr_datetimes_cover_the_date(locale: str) -> None:
    formatted = format_datetime(DAYS[0], "medium", locale=locale, tzinfo=datetime.UTC)
    assert date_signatures(formatted)


# Signatures of the examples: order, separators as raw characters, time and zone.
@pytest.mark.parametrize(
    "text, order, separators, time_fields, tz",
    [
        ("2026-11-24", "YMD", ("-", "-"), None, None),
        ("2026/11/24", "YMD", ("/", "/"), None, None),
        ("11/24/2026", "MDY", ("/", "/"), None, None),
        ("24.11.2026", "DMY", (".", "."), None, None),
        ("11/12/2026", "NNY", ("/", "/"), None, None),
        ("2026年11月24日", "YMD", ("年", "月", "日"), None, None),
        ("2026-11-24T08:41:08+08:00", "YMD", ("-", "-"), "HMS", "+08:00"),
        ("2026-11-24T08:41:08.123Z INFO started", "YMD", ("-", "-"), "HMS.f", "Z"),
        ("2026\u221211\u221224", "YMD", ("\u2212", "\u2212"), None, None),
        ("2026. 11. 24.", "YMD", (". ", ". ", "."), None, None),
    ],
)
def test_signature_records_raw_format(text: str, order: str, separators: tuple[str, ...],
                                      time_fields: str | None, tz: str | None) -> None:
    match = date_signatures(text)[0]
    assert (match.signature.order, match.signature.separators, match.signature.time_fields, match.tz) == (
        order, separators, time_fields, tz)


@pytest.mark.parametrize(
    "text, month_name, weekday, ymd",
    [
        ("24 Nov 2026", "abbr", None, (2026, 11, 24)),
        ("Tue, 24 Nov 2026 08:41:08 GMT", "abbr", "abbr", (2026, 11, 24)),
        ("Mon Nov 24 2026", "abbr", "abbr", (2026, 11, 24)),
        ("Today's date is Tuesday, November 24, 2026", "full", "full", (2026, 11, 24)),
        ('1.2.3.4 - - [24/Nov/2026:08:41:08 +0000] "GET / HTTP/1.1" 200', "abbr", None, (2026, 11, 24)),
        ("Date:   Tue Nov 24 08:41:08 2026 +0800", "abbr", "abbr", (2026, 11, 24)),
        ("24 ноября 2026 г.", "localized", None, None),
    ],
)
def test_named_months(text: str, month_name: str, weekday: str | None, ymd: tuple[int, int, int] | None) -> None:
    match = date_signatures(text)[0]
    assert (match.signature.month_name, match.signature.weekday, match.ymd) == (month_name, weekday, ymd)


@pytest.mark.parametrize(
    "text, digit_script",
    [
        ("\u0662\u0660\u0662\u0666/\u0661\u0661/\u0662\u0664", "ARABIC-INDIC"),
        ("\uff12\uff10\uff12\uff16-\uff11\uff11-\uff12\uff14", "FULLWIDTH"),
        ("2026-11-2\u0664", "mixed"),
    ],
)
def test_digit_script_is_the_raw_script(text: str, digit_script: str) -> None:
    assert date_signatures(text)[0].signature.digit_script == digit_script


# Not dates: versions, IPs, ratios, slices.
@pytest.mark.parametrize(
    "text",
    ["Python 3.12.10 on linux", "ping 192.168.1.10", "pip install requests==2.32.3", "x = a[1:2] + b", "v1.2.3"],
)
def test_not_dates(text: str) -> None:
    assert [m for m in date_signatures(text) if m.signature.family != "time"] == []


def test_zero_and_seed_helpers_keep_offsets() -> None:
    text = "caf\u00e9 2026-11-24"
    assert len(zero_ascii_digits(text)) == len(text)
    assert seed_windows("plain words only") == []
    assert zero_ascii_digits("\ud800 1") == "\ud800 0"
