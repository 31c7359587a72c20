"""Bounded looks at the text around one position, shared by the look-alike detectors.

Look-alike punctuation, spaces and digits are judged by what surrounds them: the script of
the nearby letters, whether the line is otherwise plain ASCII, whether it is typographic
prose. Every helper here reads at most ``radius`` characters on each side and never crosses
a line break, so that a detector stays linear in the text even for one huge line holding
many candidates. Where a verdict depends on nearby characters that are marks themselves, the
neighbourhood is judged with those marks folded to ASCII (`fold_lookalikes`), so that
sanitizing one mark never changes how another is judged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import unicodedata2

from detectors import _tables
from detectors.context import is_dynamic_line
from detectors.unicode import char_class, script_extensions

DEFAULT_RADIUS = 24
DYNAMIC_REACH = 80


def window(text: str, index: int, radius: int = DEFAULT_RADIUS) -> tuple[int, int]:
    """Start and end (exclusive) of the ``radius`` characters around ``index`` on its line.

    >>> window("ab\\ncdefg\\nh", 5, 2)
    (3, 8)
    """
    low = max(0, index - radius)
    start = text.rfind("\n", low, index) + 1 or low
    newline = text.find("\n", index + 1, index + radius + 1)
    end = newline if newline >= 0 else min(len(text), index + radius + 1)
    return start, end


def script_ranges(names: Iterable[str]) -> tuple[tuple[int, int], ...]:
    """Inclusive code-point ranges whose Script property is one of ``names``.

    >>> (0x3042, 0x3042) in [(max(a, 0x3042), min(b, 0x3042)) for a, b in script_ranges(["Hiragana"])]
    True
    """
    wanted = {_tables.SCRIPT_NAMES.index(name) for name in names}
    starts = _tables.SCRIPT_STARTS
    return tuple(
        (start, (starts[k + 1] - 1) if k + 1 < len(starts) else 0x10FFFF)
        for k, start in enumerate(starts)
        if _tables.SCRIPT_VALUES[k] in wanted
    )


def _without(ranges: Iterable[tuple[int, int]], removed: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """``ranges`` minus ``removed`` (both sorted, inclusive).

    >>> _without([(0, 10)], [(0, 2), (5, 5)])
    [(3, 4), (6, 10)]
    """
    result: list[tuple[int, int]] = []
    for start, end in ranges:
        for cut_start, cut_end in removed:
            if cut_end < start or cut_start > end:
                continue
            if cut_start > start:
                result.append((start, cut_start - 1))
            start = cut_end + 1
        if start <= end:
            result.append((start, end))
    return result


# Letters outside ASCII, less those that are themselves look-alike marks (modifier-letter
# apostrophes, full-width Latin letters): a mark must not make its own neighbourhood "non-ASCII",
# or sanitizing one mark would change how the next one is judged.
_MARK_LETTERS = ((0x00, 0x7F), (0x02B9, 0x02B9), (0x02BB, 0x02BC), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
_NON_ASCII_LETTER = re.compile(f"[{char_class(_without(_tables.LETTER, _MARK_LETTERS))}]")
_ALNUM = re.compile(r"[^\W_]")

# Punctuation that typeset prose uses instead of its ASCII stand-ins: dashes, curly quotes,
# ellipsis, guillemets, arrows. Text that holds them is typographic, not "plain ASCII".
# U+2018/U+2019 are left out: they are marks themselves when the text around uses U+0027.
_TYPOGRAPHIC = re.compile("[\u2013\u2014\u201c\u201d\u201e\u2026\u00ab\u00bb\u2039\u203a\u2190-\u21ff]")


def _fold_table() -> dict[int, str]:
    """Each look-alike these detectors replace, mapped to the ASCII character it imitates."""
    table: dict[int, str] = {}
    for start, end in _tables.FULLWIDTH_ASCII:
        for cp in range(start, end + 1):
            table[cp] = unicodedata2.normalize("NFKC", chr(cp))
    for start, end in _tables.NON_ASCII_DECIMAL_DIGIT:
        for cp in range(start, end + 1):
            table[cp] = str(unicodedata2.decimal(chr(cp)))
    for cp in (0x00A0, 0x1680, *range(0x2000, 0x200B), 0x202F, 0x205F, 0x3000):
        table[cp] = " "
    for ch in "\u2019\u2018\u02bc\u02b9\u02bb\u2032\u00b4\u2010\u2011\u2012\u2212\ufe63\u2215\u2044\u29f8\u2236\ua789\u037e\u2024":
        folded = unicodedata2.normalize("NFKC", ch)
        table[ord(ch)] = folded if len(folded) == 1 and folded.isascii() else _tables.CONFUSABLE_ASCII[ord(ch)]
    return table


_FOLD = _fold_table()


def fold_lookalikes(text: str) -> str:
    """``text`` with look-alike punctuation, spaces and digits replaced by ASCII, one for one.

    Context is judged on the folded text, so that sanitizing one mark never changes how the
    next one is judged (sanitize stays idempotent).

    >>> fold_lookalikes("Today\\u2019s date is \\uff12\\u0660\\u00a0h")
    "Today's date is 20 h"
    """
    return text.translate(_FOLD)


def in_dynamic_line(text: str, index: int) -> bool:
    """`detectors.context.is_dynamic_line` on the folded line around ``index``, up to 80 characters each side."""
    low, high = window(text, index, DYNAMIC_REACH)
    return is_dynamic_line(fold_lookalikes(text[low:high]), index - low)


def has_non_ascii_letter(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` holds a letter outside ASCII (any script, accented Latin too).

    >>> has_non_ascii_letter("caf\\u00e9 ok", 0, 7), has_non_ascii_letter("cafe\\u2019s", 0, 6)
    (True, False)
    """
    return _NON_ASCII_LETTER.search(text, start, end) is not None


def has_alnum(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` holds a letter or digit of any script."""
    return _ALNUM.search(text, start, end) is not None


def is_typographic(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` holds typographic punctuation (dashes, curly quotes, arrows...).

    >>> is_typographic("a \\u2014 b", 0, 5), is_typographic("a - b", 0, 5)
    (True, False)
    """
    return _TYPOGRAPHIC.search(text, start, end) is not None


def letter_scripts(text: str, start: int, end: int) -> frozenset[str]:
    """The Script_Extensions of every letter in ``text[start:end]`` (look-alikes folded), merged.

    >>> sorted(letter_scripts("ab \\u0430\\u0431 1", 0, 8))
    ['Cyrillic', 'Latin']
    """
    scripts: set[str] = set()
    for ch in fold_lookalikes(text[start:end]):
        if ch.isalpha():
            scripts |= script_extensions(ch)
    return frozenset(scripts)


def is_latin_letter(ch: str) -> bool:
    """Whether ``ch`` is a letter used in Latin script (ASCII or accented).

    >>> is_latin_letter("e"), is_latin_letter("\\u00e9"), is_latin_letter("\\u0435"), is_latin_letter("")
    (True, True, False, False)
    """
    return len(ch) == 1 and ch.isalpha() and "Latin" in script_extensions(ch)
