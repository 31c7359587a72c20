"""Normalization (issue 3, channel 11): text that is not NFC, and compatibility look-alikes in words.

Two renderings of the same word can differ in code points: "cafe\\u0301" (decomposed) and
"caf\\u00e9", "\\ufb01le" (ligature) and "file", "\\U0001d421\\U0001d41e\\U0001d425\\U0001d425\\U0001d428"
(mathematical bold) and "hello". One decomposed accent or one ligature in plain ASCII text
is a one-bit mark that survives copy and paste.

Left alone (or low), because real text uses them: decomposed accents in text that is
decomposed throughout (macOS file names, some Vietnamese input methods) and in non-ASCII
words; ordinal indicators ("n\\u00ba"), superscript digits ("m\\u00b2"), fractions, U+2122, the
ellipsis, the Thai and Lao SARA AM, Hangul compatibility jamo, CJK square units; emoji with
compatibility decompositions (U+2139, U+24C2); spaces (the spaces detector) and full-width
ASCII (the punctuation detector); mathematical digits (the digits detector). CJK
compatibility ideographs and Arabic presentation forms are reported low.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import ClassVar

import numpy as np
import unicodedata2

from detectors import _tables
from detectors.base import make_finding
from detectors.char_index import membership_table, positions_by_bit, run_bounds, runs
from detectors.model import Finding, Severity
from detectors.neighbourhood import ASCII_LOOK_ALIKES, PUNCTUATION_LETTERS, without_ranges
from detectors.split_pattern import merged
from detectors.unicode import char_class, describe_all, in_ranges, script

_ORDINAL_INDICATORS = "\u00aa\u00ba"
_MATH_ALPHANUMERICS = ((0x1D400, 0x1D7CD),)
_SCRIPT_POSITION_TAGS = ("<super>", "<sub>")


def _ascii_letter_compatibility() -> list[tuple[int, int]]:
    """Compatibility characters that NFKC turns into ASCII containing a letter (ligatures, K...)."""
    found = set()
    for low, high in _tables.COMPATIBILITY:
        for cp in range(low, high + 1):
            ch = chr(cp)
            folded = unicodedata2.normalize("NFKC", ch)
            if (
                folded.isascii() and any(c.isalpha() for c in folded) and ch not in _ORDINAL_INDICATORS
                and not in_ranges(cp, _tables.FULLWIDTH_ASCII) and not in_ranges(cp, _tables.EXTENDED_PICTOGRAPHIC)
            ):
                found.add(cp)
    return merged(found)


_LOOK_ALIKE_COMPAT = _ascii_letter_compatibility()
# What else passes for an ASCII letter (mathematical Greek letters, APL iota, other scripts'
# digit zero) but is no compatibility character: beside a styled letter it spells the same word
# ("\U0001d495\U0001d4f1\U0001d778\U0001d530" mixes four styles for "this"). Punctuation is left out:
# "\u00a1" opens a Spanish sentence.
_SPELLS_LETTER = {
    ch: "I" if prototype == "l" and ch.isupper() else prototype
    for ch, prototype in ASCII_LOOK_ALIKES.items()
    if prototype.isalpha() and not ch.isascii() and not unicodedata2.category(ch).startswith("P")
    and not in_ranges(ord(ch), _LOOK_ALIKE_COMPAT)
}
# Mathematical Greek letters among them start a word too ("\U0001d738\u17e0\U0001d6d6" for "you").
_MATH_LOOK_ALIKES = merged({ord(ch) for ch in _SPELLS_LETTER if in_ranges(ord(ch), _MATH_ALPHANUMERICS)})
_COMPAT_RANGES = sorted(_LOOK_ALIKE_COMPAT + list(_tables.PRESENTATION_FORM) + _MATH_LOOK_ALIKES)
# Letters that pass for punctuation end a word (`detectors.neighbourhood.PUNCTUATION_LETTERS`).
_WORD_CHARS = char_class(
    without_ranges(sorted([*_tables.LETTER, *_tables.NONSPACING_MARK, *_tables.SPACING_MARK]), PUNCTUATION_LETTERS),
    _LOOK_ALIKE_COMPAT,
)
_WORD_REST = re.compile(f"[{_WORD_CHARS}]*")
_UNSTABLE_BIT, _COMPAT_BIT = 1, 2
_TABLE = (
    membership_table(_tables.NFC_UNSTABLE).astype(np.uint8) * _UNSTABLE_BIT
    | membership_table(_COMPAT_RANGES).astype(np.uint8) * _COMPAT_BIT
)
_SEPARATOR = "\x00"
_BATCH = 2048
_WORD_REACH = 64
# A run this long on one base belongs to the combining-marks detector (Zalgo); see _segments.
_STACK = 3


class NormalizationDetector:
    """Finds non-NFC spans and compatibility characters that pass for ASCII letters in words."""

    name: ClassVar[str] = "normalization"
    ascii_relevant: ClassVar[bool] = False
    # Without one of these characters the detector reports nothing (see detectors.char_index).
    triggers: ClassVar[list[tuple[int, int]]] = sorted([*_tables.NFC_UNSTABLE, *_COMPAT_RANGES])

    def find(self, text: str) -> Iterator[Finding]:
        unstable, compatible = positions_by_bit(text, _TABLE, (_UNSTABLE_BIT, _COMPAT_BIT))
        yield from self._not_nfc(text, unstable)
        for start, end in _with_look_alike_letters(text, runs(compatible)):
            yield from self._compatibility(text, start, end)

    def _not_nfc(self, text: str, unstable: np.ndarray) -> Iterator[Finding]:
        spans = list(_segments(text, unstable))
        decomposed_throughout: list[bool] = []

        def consistently_decomposed() -> bool:
            # Text decomposed throughout (macOS file names, a whole NFD document) is one consistent
            # form; a decomposed accent where others are precomposed, or a lone one, is a mark.
            if not decomposed_throughout:
                decomposed_throughout.append(len(spans) > 1 and not any(
                    not ch.isascii() and unicodedata2.decomposition(ch)[:1] not in ("", "<") for ch in set(text)
                ))
            return decomposed_throughout[0]

        for start, end, normal in spans:
            original = text[start:end]
            word_start, word_end = _word_bounds(text, start, end)
            rest = text[word_start:start] + text[end:word_end]
            in_ascii_word = rest.isascii() and any(c.isalpha() for c in rest)
            marks = sum(1 for c in original if unicodedata2.combining(c))
            accent = len(normal) == 1 and original[0].isascii() and original[0].isalpha() and marks == 1
            medium = in_ascii_word and ((normal.isascii() and normal.isalpha()) or (accent and not consistently_decomposed()))
            yield make_finding(
                self.name, "not-nfc", text, start, end, Severity.MEDIUM if medium else Severity.LOW,
                f"{describe_all(original)} is not in NFC; NFC writes {normal!r}"
                + (" inside the otherwise ASCII word " + repr(text[word_start:word_end]) if medium else ""),
                replacement=normal,
            )

    def _compatibility(self, text: str, start: int, end: int) -> Iterator[Finding]:
        run = text[start:end]
        folded = unicodedata2.normalize("NFKC", run)
        if any(ch in _SPELLS_LETTER for ch in run):
            folded = "".join(_SPELLS_LETTER.get(ch) or unicodedata2.normalize("NFKC", ch) for ch in run)
        if in_ranges(ord(run[0]), _tables.PRESENTATION_FORM):
            yield make_finding(
                self.name, "presentation-form", text, start, end, Severity.LOW,
                f"presentation form {describe_all(run)}; NFKC writes {folded!r}", replacement=folded,
            )
            return
        word_start, word_end = _word_bounds(text, start, end)
        word = text[word_start:word_end]
        rest = text[word_start:start] + text[end:word_end]
        math = all(in_ranges(ord(c), _MATH_ALPHANUMERICS) for c in run)
        if not any(in_ranges(ord(c), _LOOK_ALIKE_COMPAT) for c in run):
            # Letters that only look like ASCII: side by side in one style of their own they are
            # the Greek variables of a formula; mixed with another script's, no word of any language.
            in_ascii_word = rest.isascii() and any(c.isalpha() for c in rest)
            if (rest and not in_ascii_word) or len(word) < 2 or all(script(c) == "Common" for c in run):
                return
            severity, kind = Severity.MEDIUM, "compatibility-in-word" if rest else "styled-word"
        elif not rest and len(run) >= 2:
            severity, kind = (Severity.HIGH if math else Severity.MEDIUM), "styled-word"
        elif rest.isascii() and any(c.isalpha() for c in rest):
            trailing_index = end == word_end and all(
                unicodedata2.decomposition(c).startswith(_SCRIPT_POSITION_TAGS) for c in run
            )
            severity, kind = (Severity.LOW if trailing_index else Severity.MEDIUM), "compatibility-in-word"
        elif math or len(word) > len(run):
            severity, kind = Severity.LOW, "compatibility"
        else:
            return
        yield make_finding(
            self.name, kind, text, start, end, severity,
            f"{describe_all(run)} passes for {folded!r} in the word {word!r}", replacement=folded,
        )


def _with_look_alike_letters(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Each run of compatibility characters that pass for ASCII letters, grown over the other
    look-alike letters touching it; runs that then touch are one word.

    >>> _with_look_alike_letters("a \U0001d495\U0001d4f1\U0001d778\U0001d530 b", [(2, 4), (5, 6)])
    [(2, 6)]
    """
    grown: list[tuple[int, int]] = []
    previous_grew = False
    for start, end in spans:
        grows = in_ranges(ord(text[start]), _LOOK_ALIKE_COMPAT) or text[start] in _SPELLS_LETTER   # not a presentation form
        if grows:
            while start > 0 and text[start - 1] in _SPELLS_LETTER:
                start -= 1
            while end < len(text) and text[end] in _SPELLS_LETTER:
                end += 1
        if grows and previous_grew and start <= grown[-1][1]:
            grown[-1] = (grown[-1][0], end)
        else:
            grown.append((start, end))
        previous_grew = grows
    return grown


def _segments(text: str, unstable: np.ndarray) -> Iterator[tuple[int, int, str]]:
    """``(start, end, nfc)`` of each minimal span that NFC rewrites, in order.

    NFC never reaches across a stable starter, so each run of NFC-unstable characters, with
    the stable character before it (the base its marks may compose with), is normalized on
    its own. The runs are found with one vectorised pass and normalized a batch per C call.
    """
    run_starts, run_ends = run_bounds(unstable)
    starts, ends = np.maximum(run_starts - 1, 0), run_ends.copy()
    for k in np.flatnonzero(ends - starts > _STACK).tolist():
        start = int(starts[k])
        # Zalgo: only the base and its first mark; the combining-marks detector deletes the rest.
        if all(unicodedata2.combining(c) for c in text[start + 1:int(ends[k])]):
            ends[k] = start + 2
    # In batches, so that memory stays small however many runs the text holds.
    for low in range(0, len(starts), _BATCH):
        pieces = list(zip(starts[low:low + _BATCH].tolist(), ends[low:low + _BATCH].tolist()))
        originals = [text[start:end] for start, end in pieces]
        normals = _normalized(originals)
        if normals is originals:
            continue
        for (start, end), original, normal in zip(pieces, originals, normals, strict=True):
            if normal != original:
                prefix = _common_prefix(original, normal)
                yield start + prefix, end, normal[prefix:]


def _normalized(pieces: list[str]) -> list[str]:
    """NFC of each piece; one `unicodedata2.normalize` call when a separator allows it.

    Every piece but the first starts with a stable starter, so NFC of the concatenation is the
    concatenation of the NFCs, and a NUL (itself a stable starter) marks the boundaries.
    """
    joined = _SEPARATOR.join(pieces)
    if joined.count(_SEPARATOR) == len(pieces) - 1:
        normal = unicodedata2.normalize("NFC", joined)
        if normal == joined:
            return pieces
        return normal.split(_SEPARATOR)
    return [unicodedata2.normalize("NFC", piece) for piece in pieces]


def _common_prefix(a: str, b: str) -> int:
    """Length of the common prefix of ``a`` and ``b``.

    >>> _common_prefix(" \\u212a", " K"), _common_prefix("e\\u0301", "\\u00e9")
    (1, 0)
    """
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def _word_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The word (letters, marks, look-alike compatibility characters) around ``text[start:end]``."""
    low = max(0, start - _WORD_REACH)
    # As ``re.search("[word]*$", text, low, start)`` did, without its quadratic retries:
    # ``$`` also matches before a line break that ends the window.
    stop = start - 1 if start > low and text[start - 1] == "\n" else start
    before = stop - _WORD_REST.match(text[low:stop][::-1]).end()
    after = _WORD_REST.match(text, end, min(len(text), end + _WORD_REACH))
    return before, after.end()
