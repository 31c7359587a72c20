"""Channel 4: bidirectional controls ("Trojan Source") and misplaced directional marks.

Embeddings, overrides and isolates (U+202A-202E, U+2066-2069) reorder what a reader sees
without changing what a model reads, so they are always ``high`` and deleted by sanitize.

Left alone: LRM U+200E, RLM U+200F and ALM U+061C next to right-to-left text (Hebrew,
Arabic, Syriac, Thaana, N'Ko...), where they keep punctuation, numbers and embedded Latin
words in order (`detectors.exemptions.is_rtl_context`). Outside RTL context they do nothing
visible and are ``medium``. Spec: UAX #9, CVE-2021-42574, issue 3 channel 4.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import ClassVar

from detectors.base import make_finding
from detectors.char_index import class_ranges, starts
from detectors.exemptions import is_rtl_context
from detectors.invisible import describe_position
from detectors.model import Finding, Severity
from detectors.unicode import describe_all

_EMBEDDING_CONTROLS = "\u202a-\u202e\u2066-\u2069"
_DIRECTIONAL_MARKS = "\u200e\u200f\u061c"
_BIDI = f"[{_EMBEDDING_CONTROLS}{_DIRECTIONAL_MARKS}]"
_BIDI_RUN = re.compile(f"{_BIDI}{_BIDI}*")  # not "+": `re` scans fast only for a leading class
_CONTROL_OR_MARK_RUN = re.compile(f"[{_EMBEDDING_CONTROLS}]+|[{_DIRECTIONAL_MARKS}]+")


class BidiDetector:
    """Bidi embedding/override/isolate controls (high); LRM/RLM/ALM outside RTL text (medium)."""

    name: ClassVar[str] = "bidi"
    ascii_relevant: ClassVar[bool] = False
    # Without one of these characters the detector reports nothing (see detectors.char_index).
    triggers: ClassVar[list[tuple[int, int]]] = class_ranges(_EMBEDDING_CONTROLS + _DIRECTIONAL_MARKS)
    takes_candidates: ClassVar[bool] = True  # find() may be given the shared trigger offsets

    def find(self, text: str, candidates: Iterable[int] | None = None) -> Iterator[Finding]:
        position = 0
        for start in starts(text, candidates, _BIDI_RUN):
            if start < position:
                continue
            candidate = _BIDI_RUN.match(text, start)
            position = candidate.end()
            yield from self._judge(text, candidate)

    def _judge(self, text: str, candidate: re.Match[str]) -> Iterator[Finding]:
        # One class keeps the scan a single fast pass; controls and marks are split here.
        for match in _CONTROL_OR_MARK_RUN.finditer(text, *candidate.span()):
            start, end = match.span()
            where = describe_position(text, start, end)
            if match.group()[0] not in _DIRECTIONAL_MARKS:
                yield make_finding(
                    self.name, "bidi-control", text, start, end, Severity.HIGH,
                    f"{describe_all(match.group())} {where} reorders how the text is displayed",
                    replacement="",
                )
            elif not (is_rtl_context(text, start) or is_rtl_context(text, end - 1)):
                yield make_finding(
                    self.name, "bidi-mark", text, start, end, Severity.MEDIUM,
                    f"{describe_all(match.group())} {where} with no right-to-left text around it",
                    replacement="",
                )
