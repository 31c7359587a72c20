"""Channel 2: variation selectors outside registered sequences, and "emoji smuggling" runs.

A variation selector (U+FE00-FE0F, U+E0100-E01EF, Mongolian FVS U+180B-180D/180F) is
invisible and only means something right after the base it varies. A run of them carries
one byte each (U+FE00-FE0F = 0-15, U+E0100-E01EF = 16-255), so a single emoji can hide a
whole message; the bytes are decoded as UTF-8 into the payload.

Left alone, because they select a real glyph: standardized and emoji variation sequences
(`detectors.unicode.is_variation_sequence`, which covers VS15/VS16 in keycaps and inside
RGI ZWJ sequences), one ideographic variation selector (U+E0100-E01EF) after a CJK
ideograph (an IVS from the IVD), and an FVS after a Mongolian letter. VS15/VS16 after a
pictograph that has no registered sequence is ``low``: it renders the same and only ever
carries one bit. The registered sequences on ASCII characters are judged apart: VS15/VS16 on
a digit, # or * is an emoji only in a keycap (before U+20E3), and U+0030 U+FE00 is a glyph
variant few fonts draw; elsewhere in text the selector changes nothing visible (``medium``).
Spec: UTS #37, UTS #51 section 1.4.3, issue 3 channel 2.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import ClassVar

import unicodedata2

from detectors import _tables
from detectors.base import make_finding
from detectors.model import Finding, Severity
from detectors.unicode import char_class, describe, in_ranges, is_variation_sequence, script_extensions



def _registered_pair_pattern() -> str:
    """``[bases]selector`` alternatives, one per selector, for every registered sequence but
    those on an ASCII base, which `VariationSelectorDetector._single` judges."""
    bases: dict[int, list[tuple[int, int]]] = {}
    for pair in sorted(_tables.VARIATION_SEQUENCES):
        base = pair >> 21
        if base < 0x80:
            continue
        bases.setdefault(pair & 0x1FFFFF, []).append((base, base))
    return "|".join(f"[{char_class(ranges)}]{char_class([(vs, vs)])}" for vs, ranges in bases.items())


_SELECTORS = char_class(_tables.VARIATION_SELECTOR)
# A run of selectors, or one selector that does not end a registered sequence; registered
# pairs (most VS16 in emoji text) are skipped inside the regex, not in Python.
_CANDIDATE = re.compile(f"[{_SELECTORS}](?:[{_SELECTORS}]+|(?<!{_registered_pair_pattern()}))")
_EMOJI_PRESENTATION_SELECTORS = ("\N{VARIATION SELECTOR-15}", "\N{VARIATION SELECTOR-16}")
_KEYCAP = "\N{COMBINING ENCLOSING KEYCAP}"


def selector_byte(ch: str) -> int | None:
    """The byte a selector stands for in emoji smuggling, or None for Mongolian FVS.

    >>> selector_byte("\\ufe00"), selector_byte("\\U000e0100"), selector_byte("\\u180b")
    (0, 16, None)
    """
    cp = ord(ch)
    if 0xFE00 <= cp <= 0xFE0F:
        return cp - 0xFE00
    if 0xE0100 <= cp <= 0xE01EF:
        return cp - 0xE0100 + 16
    return None


def decode_selectors(run: str) -> str:
    """The bytes of a selector run, decoded as UTF-8 with replacement characters."""
    values = (selector_byte(ch) for ch in run)
    return bytes(value for value in values if value is not None).decode("utf-8", errors="replace")


def _is_ideograph(ch: str) -> bool:
    return unicodedata2.category(ch) == "Lo" and "Han" in script_extensions(ch)


def _is_emoji_base(ch: str) -> bool:
    cp = ord(ch)
    return in_ranges(cp, _tables.EXTENDED_PICTOGRAPHIC) or in_ranges(cp, _tables.EMOJI_MODIFIER) or cp == 0x20E3


class VariationSelectorDetector:
    """Selectors with no registered base (high) and selector runs with a payload (high)."""

    name: ClassVar[str] = "variation-selector"
    ascii_relevant: ClassVar[bool] = False
    # Without one of these characters the detector reports nothing (see detectors.char_index).
    triggers: ClassVar[list[tuple[int, int]]] = list(_tables.VARIATION_SELECTOR)

    def find(self, text: str) -> Iterator[Finding]:
        for match in _CANDIDATE.finditer(text):
            start, end = match.span()
            if end - start > 1:
                yield self._run(text, start, end)
            else:
                finding = self._single(text, start)
                if finding is not None:
                    yield finding

    def _single(self, text: str, index: int) -> Finding | None:
        selector = text[index]
        base = text[index - 1] if index > 0 else ""
        if base.isascii() and base and is_variation_sequence(base, selector):
            return self._on_ascii(text, index)
        if base and is_variation_sequence(base, selector):
            return None
        if base and selector_byte(selector) is not None and selector_byte(selector) >= 16 and _is_ideograph(base):
            return None
        if base and selector_byte(selector) is None and "Mongolian" in script_extensions(base):
            return None
        if base and selector in _EMOJI_PRESENTATION_SELECTORS and _is_emoji_base(base):
            return make_finding(
                self.name, "variation-selector", text, index, index + 1, Severity.LOW,
                f"{describe(selector)} after {describe(base)}, which has no registered emoji variation sequence",
                replacement="",
            )
        after = f"after {describe(base)}" if base else "at the start of the text"
        return make_finding(
            self.name, "variation-selector", text, index, index + 1, Severity.HIGH,
            f"{describe(selector)} {after} is not part of a registered variation sequence",
            replacement="",
        )

    def _on_ascii(self, text: str, index: int) -> Finding | None:
        """A registered sequence on an ASCII character: a keycap base (0-9, #, *) with VS15/VS16
        is an emoji only when U+20E3 COMBINING ENCLOSING KEYCAP follows; U+0030 U+FE00 (zero with
        a short diagonal stroke) is a glyph variant few fonts draw. Elsewhere in text the
        selector changes nothing visible and can only carry a bit."""
        if text[index + 1:index + 2] == _KEYCAP:
            return None
        selector, base = text[index], text[index - 1]
        return make_finding(
            self.name, "variation-selector", text, index, index + 1, Severity.MEDIUM,
            f"{describe(selector)} after {describe(base)} outside a keycap emoji, where it changes nothing visible",
            replacement="",
        )

    def _run(self, text: str, start: int, end: int) -> Finding:
        run = text[start:end]
        payload = decode_selectors(run)
        return make_finding(
            self.name, "emoji-smuggling", text, start, end, Severity.HIGH,
            f"run of {end - start} variation selectors ({describe(run[0])} ... {describe(run[-1])}), "
            "one hidden byte each, "
            f"decoding to {payload!r}",
            replacement="", payload=payload or None,
        )
