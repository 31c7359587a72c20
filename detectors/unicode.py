"""Small helpers over the generated tables: character classes, names, scripts, revealing.

Everything here reads `detectors._tables` (Unicode data at one pinned version) or
``unicodedata2``; nothing consults the interpreter's older ``unicodedata``.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from functools import lru_cache

import unicodedata2

from detectors import _tables

Ranges = Iterable[tuple[int, int]]


def char_class(*ranges: Ranges, extra: str = "") -> str:
    r"""The body of a ``re`` character class (without brackets) covering ``ranges``.

    >>> char_class([(0x200B, 0x200D), (0x2060, 0x2060)])
    '\\u200b-\\u200d\\u2060'
    """
    parts = [extra]
    for table in ranges:
        for start, end in table:
            parts.append(_escape(start) if start == end else f"{_escape(start)}-{_escape(end)}")
    return "".join(parts)


def _escape(cp: int) -> str:
    if cp < 0x10000:
        return f"\\u{cp:04x}"
    return f"\\U{cp:08x}"


def compile_class(*ranges: Ranges, extra: str = "") -> re.Pattern[str]:
    """A compiled ``re`` pattern matching one character from ``ranges``."""
    return re.compile(f"[{char_class(*ranges, extra=extra)}]")


def in_ranges(cp: int, ranges: tuple[tuple[int, int], ...]) -> bool:
    """Binary search in sorted, inclusive ``(start, end)`` ranges.

    >>> in_ranges(0x200C, _tables.JOIN_CONTROL)
    True
    """
    index = bisect_right(ranges, (cp, 0x10FFFF + 1)) - 1
    return index >= 0 and ranges[index][0] <= cp <= ranges[index][1]


def bmp_units(text: str) -> bytes | None:
    """UTF-16-LE of ``text`` when it is one code unit per character (no astral character;
    lone surrogates count as one, as in ``str``), else None. About the cost of a copy.

    >>> bmp_units("a\\u4e2d"), bmp_units("a\\U0001f600")
    (b'a\\x00-N', None)
    """
    units = text.encode("utf-16-le", "surrogatepass")
    return units if len(units) == 2 * len(text) else None


def has_astral(text: str) -> bool:
    """Whether ``text`` holds a character beyond U+FFFF; much cheaper than ``max(text)``."""
    return bmp_units(text) is None


def codepoint(ch: str) -> str:
    """``"U+XXXX"``, at least four upper-case hex digits.

    >>> codepoint("\\u2019"), codepoint("\\U000E0041")
    ('U+2019', 'U+E0041')
    """
    return f"U+{ord(ch):04X}"


_CONTROL_NAMES = {
    **dict(enumerate((
        "NULL", "START OF HEADING", "START OF TEXT", "END OF TEXT", "END OF TRANSMISSION", "ENQUIRY",
        "ACKNOWLEDGE", "ALERT", "BACKSPACE", "CHARACTER TABULATION", "LINE FEED", "LINE TABULATION",
        "FORM FEED", "CARRIAGE RETURN", "SHIFT OUT", "SHIFT IN", "DATA LINK ESCAPE", "DEVICE CONTROL ONE",
        "DEVICE CONTROL TWO", "DEVICE CONTROL THREE", "DEVICE CONTROL FOUR", "NEGATIVE ACKNOWLEDGE",
        "SYNCHRONOUS IDLE", "END OF TRANSMISSION BLOCK", "CANCEL", "END OF MEDIUM", "SUBSTITUTE", "ESCAPE",
        "INFORMATION SEPARATOR FOUR", "INFORMATION SEPARATOR THREE", "INFORMATION SEPARATOR TWO",
        "INFORMATION SEPARATOR ONE",
    ))),
    0x7F: "DELETE", 0x85: "NEXT LINE", 0x9B: "CONTROL SEQUENCE INTRODUCER",
}


@lru_cache(maxsize=8192)
def char_name(ch: str) -> str:
    """The Unicode name, a control's alias, or a ``<kind-XXXX>`` label.

    >>> char_name("\\u2019"), char_name("\\x1b"), char_name("\\ud800")
    ('RIGHT SINGLE QUOTATION MARK', 'ESCAPE', '<surrogate-D800>')
    """
    cp = ord(ch)
    name = unicodedata2.name(ch, "") or _CONTROL_NAMES.get(cp, "")
    if name:
        return name
    if 0xE0100 <= cp <= 0xE01EF:
        return f"VARIATION SELECTOR-{cp - 0xE0100 + 17}"
    kind = {"Cn": "unassigned", "Co": "private-use", "Cs": "surrogate", "Cc": "control"}.get(
        unicodedata2.category(ch), "character"
    )
    if kind == "unassigned" and (0xFDD0 <= cp <= 0xFDEF or (cp & 0xFFFE) == 0xFFFE):
        kind = "noncharacter"
    return f"<{kind}-{cp:04X}>"


def describe(ch: str) -> str:
    """``NAME U+XXXX`` as findings' messages write a character.

    >>> describe("\\u02bc")
    'MODIFIER LETTER APOSTROPHE U+02BC'
    """
    return f"{char_name(ch)} {codepoint(ch)}"


def describe_all(text: str) -> str:
    """Each distinct character of ``text`` described once, in order of appearance."""
    return ", ".join(describe(ch) for ch in dict.fromkeys(text))


@lru_cache(maxsize=8192)
def script(ch: str) -> str:
    """Script property value, e.g. ``Latin``, ``Cyrillic``, ``Common``, ``Inherited``.

    >>> script("a"), script("\\u043e"), script("1")
    ('Latin', 'Cyrillic', 'Common')
    """
    index = bisect_right(_tables.SCRIPT_STARTS, ord(ch)) - 1
    return _tables.SCRIPT_NAMES[_tables.SCRIPT_VALUES[index]]


@lru_cache(maxsize=8192)
def script_extensions(ch: str) -> frozenset[str]:
    """Script_Extensions: the scripts a character is used with.

    >>> sorted(script_extensions("\\u30fc"))
    ['Hiragana', 'Katakana']
    """
    value = _tables.SCRIPT_EXTENSION_VALUES[bisect_right(_tables.SCRIPT_EXTENSION_STARTS, ord(ch)) - 1]
    if value == 0:
        return frozenset((script(ch),))
    return frozenset(_tables.SCRIPT_NAMES[i] for i in _tables.SCRIPT_EXTENSION_SETS[value - 1])


def is_variation_sequence(base: str, selector: str) -> bool:
    """Whether ``base`` + ``selector`` is a standardized or emoji variation sequence."""
    return (ord(base) << 21) | ord(selector) in _VARIATION_SEQUENCES


_VARIATION_SEQUENCES = frozenset(_tables.VARIATION_SEQUENCES)

# Characters that `reveal` writes as ⟦U+XXXX⟧: everything invisible, ambiguous or non-printing.
_HIDDEN_RANGES = [
    r for table in (
        _tables.CONTROL, _tables.FORMAT, _tables.DEFAULT_IGNORABLE, _tables.VARIATION_SELECTOR,
        _tables.UNASSIGNED, _tables.NONCHARACTER, _tables.PRIVATE_USE, _tables.SURROGATE, [(0x2028, 0x2029)],
    ) for r in table
]
# ``re`` tests the astral ranges of a class one by one for every character, which made the
# full class ~10x slower per character; text without astral characters uses the BMP part only.
_HIDDEN_BMP = f"[{char_class([(low, min(high, 0xFFFF)) for low, high in _HIDDEN_RANGES if low <= 0xFFFF])}]"
_HIDDEN_ALL = f"[{char_class(_HIDDEN_RANGES)}]"


@lru_cache(maxsize=256)
def _hidden_pattern(also: str, astral: bool) -> re.Pattern[str]:
    hidden = _HIDDEN_ALL if astral else _HIDDEN_BMP
    return re.compile(f"{hidden}|[{re.escape(also)}]" if also else hidden)


def reveal(text: str, also: str = "") -> str:
    """``text`` with hidden characters (and those in ``also``) written as ``⟦U+XXXX⟧``.

    >>> reveal("Today\\u2019s", also="\\u2019")
    'Today⟦U+2019⟧s'
    >>> reveal("a\\u200bb\\tc \\U000e0041")
    'a⟦U+200B⟧b⟦U+0009⟧c ⟦U+E0041⟧'
    """
    pattern = _hidden_pattern(also, has_astral(text))
    return pattern.sub(lambda m: f"\u27e6{codepoint(m.group())}\u27e7", text)
