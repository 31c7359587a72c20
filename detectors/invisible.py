"""Channel 3: zero-width and invisible format characters, and invisible runs that encode bits.

Zero-width space and joiners, word joiner and invisible operators, misplaced BOM, Mongolian
vowel separator, combining grapheme joiner, Hangul fillers, braille blank, soft hyphen,
deprecated format characters, interlinear annotation, shorthand and musical format
controls, and every other format or default-ignorable character (U+0600 ARABIC NUMBER SIGN,
U+070F SYRIAC ABBREVIATION MARK, the Egyptian hieroglyph format controls, U+17B4/U+17B5
KHMER VOWEL INHERENT AQ/AA) outside the text of its own script. One alone is ``medium``; a
run of 8 or more built from 2-6 distinct characters (the alphabet of zero-width
steganography tools) is one ``high`` finding with the decoded payload.

Left alone, because they do real work: ZWJ inside emoji ZWJ sequences, ZWNJ/ZWJ shaping a
joining or Indic script, a BOM at the very start of the text, U+200B between words of
Thai, Lao, Khmer or Myanmar (their word-break hint; these four in `detectors.exemptions`),
U+115F/U+1160 inside a conjoining jamo syllable, the Mongolian
vowel separator between Mongolian letters, and braille blanks beside braille patterns (the
braille space). A soft hyphen inside a long word (8+ letters) is how hyphenation points are
stored in prose, so it is only ``low`` there; in short words, code or a dynamic line it is
``medium``. U+061C ARABIC LETTER MARK, and U+200E/U+200F alone, belong to `detectors.bidi`,
which judges them by their RTL context. Spec: issue 3 channel 3.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import ClassVar

import numpy as np
import unicodedata2

from detectors import _tables
from detectors.base import make_finding
from detectors.char_index import chunks, membership_table
from detectors.context import is_dynamic_line
from detectors.exemptions import (
    SHAPING_SCRIPTS,
    WORD_BREAK_HINT_SCRIPTS,
    is_bom_at_start,
    is_emoji_zwj_sequence,
    is_joining_script_zwnj,
    is_word_break_hint,
)
from detectors.neighbourhood import script_ranges, window
from detectors.model import Finding, Severity
from detectors.split_pattern import merged
from detectors.unicode import char_class, describe, describe_all, script_extensions

# The characters issue 3 names for this channel (U+061C is judged by `detectors.bidi`).
INVISIBLE_RANGES = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x115F, 0x1160), (0x180E, 0x180E), (0x200B, 0x200D),
    (0x2060, 0x2064), (0x206A, 0x206F), (0x2800, 0x2800), (0x3164, 0x3164), (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0), (0xFFF9, 0xFFFB), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A),
)
# LRM and RLM are reported here only as members of an encoding run (zwsp-steg uses them).
_BIDI_MARKS = frozenset("\N{LEFT-TO-RIGHT MARK}\N{RIGHT-TO-LEFT MARK}")
# Format and default-ignorable characters that other detectors own: bidi controls and ALM
# (`detectors.bidi`), tag characters, variation selectors.
_OWNED_ELSEWHERE = (
    (0x061C, 0x061C), (0x200E, 0x200F), (0x202A, 0x202E), (0x2066, 0x2069), (0xE0000, 0xE007F),
    *_tables.VARIATION_SELECTOR,
)


def _script_format_ranges() -> list[tuple[int, int]]:
    """Every other assigned format (Cf) or default-ignorable character: the ones a script's own
    text uses, such as U+0600 ARABIC NUMBER SIGN before a number, U+070F SYRIAC ABBREVIATION
    MARK, the Egyptian hieroglyph format controls and U+17B4/U+17B5 KHMER VOWEL INHERENT AQ/AA.
    Outside that script's text they show nothing, or a box, and carry a mark."""
    claimed = [*INVISIBLE_RANGES, *_OWNED_ELSEWHERE, *_tables.UNASSIGNED]
    return merged({
        cp for low, high in [*_tables.FORMAT, *_tables.DEFAULT_IGNORABLE] for cp in range(low, high + 1)
        if not any(start <= cp <= end for start, end in claimed)
    })


SCRIPT_FORMAT_RANGES = _script_format_ranges()
_SCRIPT_FORMAT = re.compile(f"[{char_class(SCRIPT_FORMAT_RANGES)}]")
_CANDIDATES = char_class(INVISIBLE_RANGES, SCRIPT_FORMAT_RANGES, [(0x200E, 0x200F)])


def _intersect(left: tuple[tuple[int, int], ...], right: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Intersection of two sorted lists of disjoint inclusive ranges (a linear merge)."""
    result, i, j = [], 0, 0
    while i < len(left) and j < len(right):
        low, high = max(left[i][0], right[j][0]), min(left[i][1], right[j][1])
        if low <= high:
            result.append((low, high))
        if left[i][1] < right[j][1]:
            i += 1
        else:
            j += 1
    return result


_LETTERS_AND_MARKS = sorted([*_tables.LETTER, *_tables.NONSPACING_MARK, *_tables.SPACING_MARK])
_SHAPING_RANGES = _intersect(script_ranges(SHAPING_SCRIPTS), _LETTERS_AND_MARKS)
_WORD_BREAK_RANGES = _intersect(script_ranges(WORD_BREAK_HINT_SCRIPTS), _LETTERS_AND_MARKS)
_SHAPING = char_class(_SHAPING_RANGES)
_WORD_BREAK_LETTERS = char_class(_WORD_BREAK_RANGES)
_PICTOGRAPH = char_class(_tables.EXTENDED_PICTOGRAPHIC)
_EMOJI_END = char_class(_tables.EXTENDED_PICTOGRAPHIC, _tables.EMOJI_MODIFIER)
# Joiners between two shaping letters, or inside an emoji ZWJ sequence, never reach Python:
# after matching a candidate, negative lookaheads (with lookbehinds over the joiner just
# matched) drop the commonest legitimate joiners in C. The class comes first so that `re`
# can scan for it at full speed.
_ONE_CANDIDATE = (
    f"[{_CANDIDATES}]"
    f"(?!(?<=\u200d)(?<=[{_EMOJI_END}].)[{_PICTOGRAPH}])"
    f"(?!(?<=\ufe0f\u200d)(?<=[{_PICTOGRAPH}]..)[{_PICTOGRAPH}])"
    f"(?!(?<=[\u200c\u200d])(?<=[{_SHAPING}].)[{_SHAPING}])"
    f"(?!(?<=\u200b)(?<=[{_WORD_BREAK_LETTERS}].)[{_WORD_BREAK_LETTERS}])"
)
# A joiner inside a run has an invisible neighbour, so it is never legitimate: the run can
# be extended with the plain class, which `re` repeats without per-character memory.
_CANDIDATE_RUN = re.compile(f"{_ONE_CANDIDATE}[{_CANDIDATES}]*")
# The same four legitimate-joiner tests, vectorised over a whole text before any ``re`` runs:
# emoji text holds a ZWJ every few characters, Persian a ZWNJ in most sentences.
_EMOJI_END_BIT, _PICTOGRAPH_BIT, _SHAPING_BIT, _WORD_BREAK_BIT, _CANDIDATE_BIT = 1, 2, 4, 8, 16
_NEIGHBOUR_TABLE = (
    membership_table([*_tables.EXTENDED_PICTOGRAPHIC, *_tables.EMOJI_MODIFIER]).astype(np.uint8) * _EMOJI_END_BIT
    | membership_table(_tables.EXTENDED_PICTOGRAPHIC).astype(np.uint8) * _PICTOGRAPH_BIT
    | membership_table(_SHAPING_RANGES).astype(np.uint8) * _SHAPING_BIT
    | membership_table(_WORD_BREAK_RANGES).astype(np.uint8) * _WORD_BREAK_BIT
    | membership_table([*INVISIBLE_RANGES, *SCRIPT_FORMAT_RANGES, (0x200E, 0x200F)]).astype(np.uint8) * _CANDIDATE_BIT
)
_BLOCK = 1024  # a block's offsets are a list of Python ints while its candidates are judged
_CHUNK = 1 << 14  # small: in a text of invisible characters, every one is a candidate
_ENCODING_RUN_LENGTH = 8
_MAX_ALPHABET = 6
_MAX_DECODED_SYMBOLS = 1 << 16
_BRAILLE_BLANK = "\N{BRAILLE PATTERN BLANK}"
# Conjoining jamo (The Unicode Standard, section 3.12): leading consonants, then vowels.
_LEADING_JAMO = ((0x1100, 0x115F), (0xA960, 0xA97C))
_VOWEL_JAMO = ((0x1160, 0x11A7), (0xD7B0, 0xD7C6))
_SOFT_HYPHEN_WORD_LENGTH = 8
_DYNAMIC_LINE_REACH = 120
# Letters of a soft-hyphenated word; Hangul fillers are letters too, but invisible ones.
_VISIBLE_LETTER = r"[^\W\d_\u115f\u1160\u3164\uffa0\u00ad]"
_SOFT_HYPHENATED_WORD = re.compile(f"{_VISIBLE_LETTER}*(?:\u00ad{_VISIBLE_LETTER}*)*")


_WORD_PART = re.compile(r"\w*")


def _plausible_candidates(text: str, judged_until: Callable[[], int]) -> Iterator[int]:
    """Offsets of the invisible characters, in order, without the joiners that `_ONE_CANDIDATE`'s
    lookarounds would reject (inside emoji sequences, between shaping or word-break letters),
    and without those before ``judged_until()`` (a long run is judged once, then skipped here
    in blocks rather than one offset at a time).

    Only a character every test rejects is left out, so ``_CANDIDATE_RUN.match`` on the rest
    finds exactly what ``_CANDIDATE_RUN.finditer`` would.
    """
    for low, high in chunks(len(text), _CHUNK):
        if judged_until() >= high:
            continue  # inside a run already judged: no need to look at its characters again
        # Two characters of context before the chunk (FE0F, ZWJ after a pictograph), one after.
        context_low, context_high = max(0, low - 2), min(len(text), high + 1)
        codes = np.frombuffer(text[context_low:context_high].encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        flags = _NEIGHBOUR_TABLE[codes]
        found = (np.flatnonzero(flags[low - context_low:high - context_low] & _CANDIDATE_BIT) + (low - context_low)).astype(np.int32)
        # In blocks: in a text made of invisible characters, each one is a candidate with a
        # dozen numpy temporaries of its own.
        for block_start in range(0, len(found), _BLOCK):
            # Chunk-relative int32 (half the memory); a block widens so that text offsets fit.
            inner = found[block_start:block_start + _BLOCK].astype(np.intp)
            inner = inner[inner + context_low >= judged_until()]
            if len(inner) == 0:
                continue
            code = codes[inner]
            before = np.where(inner >= 1, flags[np.maximum(inner - 1, 0)], 0)
            before_code = np.where(inner >= 1, codes[np.maximum(inner - 1, 0)], 0)
            before2 = np.where(inner >= 2, flags[np.maximum(inner - 2, 0)], 0)
            after = np.where(inner + 1 < len(flags), flags[np.minimum(inner + 1, len(flags) - 1)], 0)
            zwj, zwnj, zwsp = code == 0x200D, code == 0x200C, code == 0x200B
            legitimate = (
                (zwj & (before & _EMOJI_END_BIT != 0) & (after & _PICTOGRAPH_BIT != 0))
                | (zwj & (before_code == 0xFE0F) & (before2 & _PICTOGRAPH_BIT != 0) & (after & _PICTOGRAPH_BIT != 0))
                | ((zwj | zwnj) & (before & _SHAPING_BIT != 0) & (after & _SHAPING_BIT != 0))
                | (zwsp & (before & _WORD_BREAK_BIT != 0) & (after & _WORD_BREAK_BIT != 0))
            )
            yield from (inner[~legitimate] + context_low).tolist()


def describe_position(text: str, start: int, end: int) -> str:
    """Where ``text[start:end]`` sits, in words: inside, after or before a word.

    >>> describe_position("Today\\u200bs date", 5, 6)
    "inside the word 'Todays'"
    """
    # The text before is read reversed, so that both sides are one anchored match.
    left = _WORD_PART.match(text[max(0, start - 40):start][::-1]).group()[::-1]
    right = _WORD_PART.match(text, end, end + 40).group()
    if left and right:
        return f"inside the word {left + right!r}"
    if left:
        return f"after {left!r}"
    if right:
        return f"before {right!r}"
    return f"at offset {start}"


def _printable(decoded: str | None) -> bool:
    return bool(decoded) and decoded.replace("\n", "").replace("\t", "").isprintable()


def _utf8(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _digits(run: str, alphabet: str) -> list[int]:
    index = {ch: value for value, ch in enumerate(alphabet)}
    return [index[ch] for ch in run]


def _fixed_width(digits: list[int], base: int, width: int) -> bytes | None:
    if len(digits) % width:
        return None
    values = []
    for k in range(0, len(digits), width):
        value = 0
        for digit in digits[k:k + width]:
            value = value * base + digit
        if value > 255:
            return None
        values.append(value)
    return bytes(values)


def _candidate_decodings(run: str) -> Iterator[str | None]:
    """Plausible readings of an invisible run, most common schemes first."""
    alphabet = "".join(sorted(set(run)))
    orders = (alphabet, alphabet[::-1]) if len(alphabet) == 2 else (alphabet,)
    for order in orders:
        digits = _digits(run, order)
        width = 1
        while len(order) ** width < 256:
            width += 1
        data = _fixed_width(digits, len(order), width)
        yield None if data is None else _utf8(data)
    if len(alphabet) == 3:
        # Binary digits with the third character separating one character code from the next.
        for separator in alphabet:
            pair = alphabet.replace(separator, "")
            for zero, one in (pair, pair[::-1]):
                groups = [g for g in run.split(separator) if g]
                if groups and all(len(g) <= 21 for g in groups):
                    codes = [int(g.translate({ord(zero): "0", ord(one): "1"}), 2) for g in groups]
                    yield "".join(map(chr, codes)) if all(c <= 0x10FFFF for c in codes) else None


def decode_invisible_run(run: str) -> str:
    """The hidden text of a run of 2-6 distinct invisible characters, or its bits in hex.

    >>> bits = "".join(f"{b:08b}" for b in b"hi")
    >>> decode_invisible_run(bits.translate({48: "\\u200b", 49: "\\u200c"}))
    'hi'
    """
    run = run[:_MAX_DECODED_SYMBOLS]
    for decoded in _candidate_decodings(run):
        if _printable(decoded):
            return decoded
    alphabet = "".join(sorted(set(run)))
    bits_per_symbol = max(1, (len(alphabet) - 1).bit_length())
    bits = "".join(f"{d:0{bits_per_symbol}b}" for d in _digits(run, alphabet))
    bits += "0" * (-len(bits) % 8)
    return "hex:" + bytes(int(bits[k:k + 8], 2) for k in range(0, len(bits), 8)).hex()


def _is_conjoining_filler(text: str, index: int) -> bool:
    cp = ord(text[index])
    after = ord(text[index + 1]) if index + 1 < len(text) else -1
    before = ord(text[index - 1]) if index > 0 else -1
    if cp == 0x115F:
        return any(a <= after <= b for a, b in _VOWEL_JAMO)
    return cp == 0x1160 and any(a <= before <= b for a, b in _LEADING_JAMO)


def _is_braille_space(text: str, start: int, end: int) -> bool:
    """Whether the braille blanks ``text[start:end]``, with any blanks beside them, touch a braille pattern.

    The blanks beside a span all sit in one candidate run, so these loops are short.
    """
    while start > 0 and text[start - 1] == _BRAILLE_BLANK:
        start -= 1
    while end < len(text) and text[end] == _BRAILLE_BLANK:
        end += 1
    return any("\u2801" <= ch <= "\u28ff" for ch in (text[start - 1:start], text[end:end + 1]) if ch)


def _between_mongolian(text: str, index: int) -> bool:
    return 0 < index < len(text) - 1 and all(
        "Mongolian" in script_extensions(text[k]) for k in (index - 1, index + 1)
    )


def _own_script_nearby(text: str, index: int) -> bool:
    """Whether a letter, mark or digit of the script ``text[index]`` belongs to stands near it."""
    own = script_extensions(text[index]) - {"Common", "Inherited"}
    low, high = window(text, index)
    return any(
        own & script_extensions(ch)
        for ch in text[low:high] if ch != text[index] and (ch.isalnum() or unicodedata2.category(ch)[0] == "M")
    )


def _word_length(text: str, index: int) -> int:
    left = _SOFT_HYPHENATED_WORD.match(text[max(0, index - 40):index][::-1]).group()
    right = _SOFT_HYPHENATED_WORD.match(text, index + 1, index + 41).group()
    if not left or not right:
        return 0
    return len(left) + len(right) - left.count("\u00ad") - right.count("\u00ad")


class InvisibleDetector:
    """Invisible characters outside their legitimate uses; runs that encode data."""

    name: ClassVar[str] = "invisible"
    ascii_relevant: ClassVar[bool] = False
    # Without one of these characters the detector reports nothing (see detectors.char_index).
    triggers: ClassVar[list[tuple[int, int]]] = sorted([*INVISIBLE_RANGES, *SCRIPT_FORMAT_RANGES, (0x200E, 0x200F)])

    def find(self, text: str) -> Iterator[Finding]:
        dynamic_lines: dict[int, bool] = {}
        position = 0
        for candidate in _plausible_candidates(text, lambda: position):
            match = _CANDIDATE_RUN.match(text, candidate) if candidate >= position else None
            if match is None:
                continue
            start, end = match.span()
            position = end
            run = match.group()
            symbols = set(run)
            if symbols <= _BIDI_MARKS:
                continue
            if symbols == {_BRAILLE_BLANK}:
                finding = self._braille_blanks(text, start, end)
            elif end - start >= _ENCODING_RUN_LENGTH:
                finding = self._run(text, start, end, len(symbols))
            else:
                yield from filter(None, (self._single(text, k, dynamic_lines) for k in range(start, end)))
                continue
            if finding is not None:
                yield finding

    def _braille_blanks(self, text: str, start: int, end: int) -> Finding | None:
        if _is_braille_space(text, start, end):
            return None
        count = end - start
        return make_finding(
            self.name, "braille-blank", text, start, end, Severity.MEDIUM,
            f"{count} x {describe(_BRAILLE_BLANK)} {describe_position(text, start, end)}, "
            "an empty-looking character outside braille text",
            replacement="",
        )

    def _run(self, text: str, start: int, end: int, distinct: int) -> Finding:
        run = text[start:end]
        names = describe_all(run) if distinct <= _MAX_ALPHABET else f"{distinct} distinct characters"
        if distinct == 1:
            return make_finding(
                self.name, "invisible-run", text, start, end, Severity.MEDIUM,
                f"run of {end - start} x {names} {describe_position(text, start, end)}",
                replacement="",
            )
        payload = decode_invisible_run(run) if distinct <= _MAX_ALPHABET else None
        hidden = f", decoding to {payload!r}" if payload else ""
        return make_finding(
            self.name, "invisible-run", text, start, end, Severity.HIGH,
            f"run of {end - start} invisible characters over a {distinct}-symbol alphabet ({names}) "
            f"{describe_position(text, start, end)} encodes hidden data{hidden}",
            replacement="", payload=payload,
        )

    @staticmethod
    def _on_dynamic_line(text: str, index: int, dynamic_lines: dict[int, bool]) -> bool:
        """`is_dynamic_line`, once per line of one scan; a long line is judged near ``index`` only."""
        reach = _DYNAMIC_LINE_REACH * 8
        newline_before = text.rfind("\n", max(0, index - reach), index)
        newline_after = text.find("\n", index, index + reach)
        start = newline_before + 1 if newline_before >= 0 or index < reach else -1
        if start < 0 or (newline_after < 0 and len(text) - index > reach):
            low, high = window(text, index, _DYNAMIC_LINE_REACH)
            return is_dynamic_line(text[low:high], index - low)
        if start not in dynamic_lines:
            dynamic_lines[start] = is_dynamic_line(text, index)
        return dynamic_lines[start]

    def _single(self, text: str, index: int, dynamic_lines: dict[int, bool]) -> Finding | None:
        ch = text[index]
        if ch in _BIDI_MARKS:
            return None
        kind, severity = "invisible-character", Severity.MEDIUM
        if ch in "\u200b\u200c\u200d\u2060\ufeff":
            kind = "zero-width"
            if is_bom_at_start(text, index):
                return None
            if (
                is_word_break_hint(text, index)
                or is_emoji_zwj_sequence(text, index)
                or is_joining_script_zwnj(text, index)
            ):
                return None
        elif ch in "\u115f\u1160\u3164\uffa0":
            kind = "hangul-filler"
            if ch in "\u115f\u1160" and _is_conjoining_filler(text, index):
                return None
        elif ch == "\u180e" and _between_mongolian(text, index):
            return None
        elif ch == _BRAILLE_BLANK:
            kind = "braille-blank"
            if _is_braille_space(text, index, index + 1):
                return None
        elif _SCRIPT_FORMAT.match(ch):
            kind = "format-character"
            if _own_script_nearby(text, index):
                return None
        elif ch == "\u00ad":
            kind = "soft-hyphen"
            long_word = _word_length(text, index) >= _SOFT_HYPHEN_WORD_LENGTH
            if long_word and not self._on_dynamic_line(text, index, dynamic_lines):
                severity = Severity.LOW
        return make_finding(
            self.name, kind, text, index, index + 1, severity,
            f"{describe(ch)} {describe_position(text, index, index + 1)}",
            replacement="",
        )
