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

import numpy as np
import unicodedata2

from detectors import _tables
from detectors.char_index import chunks, lookup, membership_table
from detectors.context import DYNAMIC_HINT_CHARACTERS, is_dynamic_line
from detectors.split_pattern import SplitPattern, merged
from detectors.unicode import char_class, in_ranges, script_extensions

DEFAULT_RADIUS = 24
DYNAMIC_REACH = 80

# UTS #39 confusables whose prototype is one printable ASCII character other than the space:
# character -> the ASCII character it passes for.
ASCII_LOOK_ALIKES: dict[str, str] = {chr(cp): p for cp, p in _tables.CONFUSABLE_ASCII.items() if len(p) == 1}
# U+2013 EN DASH is how typeset prose and CLDR's interval formats ("12:12\u201316:16") write
# ranges and compounds: ordinary typography, not a disguised hyphen.
TYPOGRAPHIC_RANGE_DASH = "\u2013"


def _punctuation_look_alikes() -> dict[str, str]:
    """The look-alikes of ASCII punctuation and symbols, but full-width forms (CJK's own
    punctuation, judged by `detectors.punctuation`), emoji (a pictograph such as U+2795 HEAVY
    PLUS SIGN is drawn as an emoji, not as "+") and the typographic range dash."""
    return {
        ch: p for ch, p in ASCII_LOOK_ALIKES.items()
        if not p.isalnum() and ch != TYPOGRAPHIC_RANGE_DASH
        and not in_ranges(ord(ch), _tables.FULLWIDTH_ASCII) and not in_ranges(ord(ch), _tables.EXTENDED_PICTOGRAPHIC)
    }


PUNCTUATION_LOOK_ALIKES = _punctuation_look_alikes()
# Letters that pass for ASCII punctuation (Hebrew yod for ', Canadian syllabics for < and >):
# word-based rules let them end a word as the punctuation they imitate would, so that
# sanitizing one never regroups the word beside it.
PUNCTUATION_LETTERS = sorted(
    (ord(ch), ord(ch)) for ch in PUNCTUATION_LOOK_ALIKES if unicodedata2.category(ch).startswith("L")
)


class WordList:
    """Finds any of ``words`` (ASCII) as a whole word, in any letter case.

    The lower-cased text is searched case-sensitively, so that ``re`` skips to the words' first
    letters; ``\\b(?:the|and|...)\\b`` with IGNORECASE tries every word at every position
    (60 us against 2 us on a 160-character window that holds none).

    >>> english = WordList(["the", "it"])
    >>> english.found_in("Use THE tools"), english.found_in("bathe, with"), english.found_in("x the", 1, 5)
    (True, False, True)
    >>> english.found_in("bathe", 2), english.found_in("it_s"), english.found_in("its")
    (False, False, False)
    """

    def __init__(self, words: Iterable[str]) -> None:
        self._pattern = re.compile("(?:" + "|".join(sorted(words, key=len, reverse=True)) + r")\b")

    def found_in(self, text: str, start: int = 0, end: int | None = None) -> bool:
        """Whether ``text[start:end]`` holds one of the words; a word cut at ``start`` does not count."""
        lowered = text[start:end].lower()
        for match in self._pattern.finditer(lowered):
            at = match.start()
            before = lowered[at - 1] if at > 0 else (text[start - 1] if start > 0 else " ")
            if not (before.isalnum() or before == "_"):
                return True
        return False


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


def without_ranges(ranges: Iterable[tuple[int, int]], removed: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """``ranges`` minus ``removed`` (both sorted, inclusive).

    >>> without_ranges([(0, 10)], [(0, 2), (5, 5)])
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
# apostrophes, full-width Latin letters, the letters UTS #39 says pass for ASCII): a mark must
# not make its own neighbourhood "non-ASCII", or sanitizing one mark would change how the next
# one is judged. Real Cyrillic, Greek or Hebrew prose holds plenty of letters that look like
# nothing in ASCII.
_MARK_LETTERS = ((0x00, 0x7F), (0x02B9, 0x02B9), (0x02BB, 0x02BC), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
_CONTEXT_RANGES = without_ranges(_tables.LETTER, sorted([*_MARK_LETTERS, *((ord(ch), ord(ch)) for ch in ASCII_LOOK_ALIKES)]))
_NON_ASCII_LETTER = SplitPattern("<letter>", letter=_CONTEXT_RANGES)
_ALNUM = re.compile(r"[^\W_]")

# Punctuation that typeset prose uses instead of its ASCII stand-ins: dashes, curly quotes,
# ellipsis, guillemets, arrows. Text that holds them is typographic, not "plain ASCII".
# U+2018/U+2019 and the single guillemets U+2039/U+203A are left out: they are marks themselves
# when the text around uses U+0027, < and >, and sanitize may rewrite them.
_TYPOGRAPHIC = re.compile("[\u2013\u2014\u201c\u201d\u201e\u2026\u00ab\u00bb\u2190-\u21ff]")


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
    # The other punctuation look-alikes, which `detectors.homoglyphs` replaces.
    for ch, prototype in PUNCTUATION_LOOK_ALIKES.items():
        table.setdefault(ord(ch), prototype)
    return table


_FOLD = _fold_table()
# What `detectors.context.is_dynamic_line` needs in a line, before or after folding: a digit,
# one of its characters or a look-alike of one, or "today".
_FOLDED_DYNAMIC_HINT = SplitPattern(
    "[\\d" + re.escape(DYNAMIC_HINT_CHARACTERS) + "]|<folded>|today",
    re.IGNORECASE,
    folded=merged({cp for cp, ascii_ in _FOLD.items() if ascii_ in DYNAMIC_HINT_CHARACTERS or ascii_.isdigit()}),
)


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
    if _FOLDED_DYNAMIC_HINT.for_text(text[low:high]).search(text, low, high) is None:
        return False  # most prose: no need to fold it
    return is_dynamic_line(fold_lookalikes(text[low:high]), index - low)


def has_non_ascii_letter(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` holds a letter outside ASCII (any script, accented Latin too).

    >>> has_non_ascii_letter("caf\\u00e9 ok", 0, 7), has_non_ascii_letter("cafe\\u2019s", 0, 6)
    (True, False)
    """
    return _NON_ASCII_LETTER.for_text(text[start:end]).search(text, start, end) is not None


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


# The bits of an `AsciiContextFinder`'s table: a candidate, a letter of a non-ASCII script that
# is no look-alike itself (`_CONTEXT_RANGES`), a line break (a window ends there), an ASCII
# letter or digit.
_CANDIDATE, _CONTEXT_LETTER, _LINE_BREAK, _ASCII_ALNUM = 1, 2, 4, 8


class AsciiContextFinder:
    """Finds the characters of ``candidates`` whose neighbourhood is ASCII: an ASCII letter or
    digit and no letter of another script than ASCII's (look-alikes of ASCII aside) within
    ``radius`` characters on their line, the span `window` gives, or else (a line of its own,
    such as a tree entry) within ``radius`` characters across lines.

    Vectorised, one table look-up per character: dense Hebrew or Russian text holds look-alikes
    in most words, and each would otherwise cost a look at its neighbourhood in Python.

    >>> AsciiContextFinder([(0x2502, 0x2502), (0x05D9, 0x05D9)]).find("Cl\u2502ude\\n\u05d9\u05e9 x\u05d9y\\n\u2502 \u2502")
    [2]
    """

    def __init__(self, candidates: Iterable[tuple[int, int]], radius: int = DEFAULT_RADIUS) -> None:
        self.radius = radius
        self.table = (
            membership_table(candidates).astype(np.uint8) * _CANDIDATE
            | membership_table(_CONTEXT_RANGES).astype(np.uint8) * _CONTEXT_LETTER
            | membership_table([(0x0A, 0x0A)]).astype(np.uint8) * _LINE_BREAK
            | membership_table([(0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)]).astype(np.uint8) * _ASCII_ALNUM
        )

    def find(self, text: str) -> list[int]:
        """Offsets of the candidates in ASCII surroundings, in order."""
        found: list[int] = []
        for low, high in chunks(len(text)):
            segment_low = max(0, low - self.radius)
            flags = lookup(text[segment_low:min(len(text), high + self.radius)], self.table)
            ascii_alnum = (flags & _ASCII_ALNUM) != 0
            if not ascii_alnum.any():
                continue  # all-CJK or all-Cyrillic text: nothing ASCII to pass for
            # Most look-alikes in real Russian or Hebrew prose touch a letter of their script:
            # those are settled by their two neighbours alone.
            context = (flags & _CONTEXT_LETTER) != 0
            isolated = (flags & _CANDIDATE) != 0
            isolated[1:] &= ~context[:-1]
            isolated[:-1] &= ~context[1:]
            at = np.flatnonzero(isolated[low - segment_low:high - segment_low]) + (low - segment_low)
            if len(at) == 0:
                continue
            # The window: ``radius`` each side, cut at the nearest line break on either side
            # (sentinel breaks before and after the segment).
            breaks = np.concatenate(([-1], np.flatnonzero(flags & _LINE_BREAK), [len(flags)]))
            left = np.maximum(at - self.radius, breaks[np.searchsorted(breaks, at) - 1] + 1)
            right = np.minimum(at + self.radius, breaks[np.searchsorted(breaks, at, side="right")] - 1)
            # Context letters and ASCII letters or digits up to each offset; a candidate is
            # neither itself.
            foreign = np.concatenate(([0], np.cumsum(context, dtype=np.int32)))
            ascii_ = np.concatenate(([0], np.cumsum(ascii_alnum, dtype=np.int32)))

            def ascii_between(left: np.ndarray, right: np.ndarray) -> np.ndarray:
                return (foreign[right + 1] - foreign[left] == 0) & (ascii_[right + 1] - ascii_[left] > 0)

            wide_left, wide_right = np.maximum(at - self.radius, 0), np.minimum(at + self.radius, len(flags) - 1)
            ascii_context = ascii_between(left, right) | ascii_between(wide_left, wide_right)
            found.extend((at[ascii_context] + segment_low).tolist())
        return found
