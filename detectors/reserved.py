"""Channel 6: private-use, noncharacter, unassigned and lone-surrogate code points.

None of them has a public meaning, so any of them can tag a prompt: noncharacters and code
points unassigned in Unicode 18 (`detectors._tables`, not the interpreter's older tables)
are ``high`` and deleted by sanitize; lone surrogates (which arrive from JSON ``"\\ud800"``
escapes) are ``high`` and become U+FFFD, as a UTF-8 encoder would write them.

Left alone by sanitize: private-use characters stay ``medium`` but keep their text
(replacement None), because icon fonts (Nerd Fonts, Powerline, Font Awesome) put shell
prompt glyphs there, and deleting them would mangle honest shell output. Unassigned tag
code points (U+E0000, U+E0002-E001F) belong to `detectors.tag_smuggling`. Spec: issue 3
channel 6.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from typing import ClassVar

from detectors import _tables
from detectors.base import make_finding
from detectors.invisible import describe_position
from detectors.model import Finding, Severity
from detectors.unicode import char_class, describe_all, in_ranges

_TAG_BLOCK = (0xE0000, 0xE007F)
_RESERVED = sorted([
    *_tables.PRIVATE_USE, *_tables.NONCHARACTER, *_tables.SURROGATE,
    *((start, end) for start, end in _tables.UNASSIGNED if not (_TAG_BLOCK[0] <= start and end <= _TAG_BLOCK[1])),
])
# Where astral text usually comes from: emoji, mathematical alphanumerics, CJK extensions, tags.
_FREQUENT_ASTRAL = ((0x1F000, 0x1FAFF), (0x1D400, 0x1D7FF), (0x20000, 0x323AF), (0xE0000, 0xE01EF))


def _allowed_ranges() -> list[tuple[int, int]]:
    """The complement of `_RESERVED`, BMP first, then frequent astral blocks first.

    A negated ``re`` class tests its ranges in order and stops at the first hit; as a
    positive class of the ~760 reserved ranges it would test them all for every character.
    """
    allowed, cursor = [], 0
    for start, end in _RESERVED:
        if start > cursor:
            allowed.append((cursor, start - 1))
        cursor = max(cursor, end + 1)
    if cursor <= 0x10FFFF:
        allowed.append((cursor, 0x10FFFF))

    def rank(item: tuple[int, int]) -> int:
        if item[0] <= 0xFFFF:
            return 0
        return 1 + next((k for k, (a, b) in enumerate(_FREQUENT_ASTRAL) if a <= item[0] <= b), len(_FREQUENT_ASTRAL))

    return sorted(allowed, key=rank)


_RESERVED_CHARACTER = f"[^{char_class(_allowed_ranges())}]"
_RESERVED_RUN = re.compile(f"{_RESERVED_CHARACTER}{_RESERVED_CHARACTER}*")  # not "+": `re` scans fast only for a leading class

# kind -> (severity, replacement per character, what the message says about it)
_KINDS = {
    "private-use": (Severity.MEDIUM, None, "private use: meaningful only by private agreement or to an icon "
                    "font (Nerd Fonts, Powerline); shown, never rewritten"),
    "noncharacter": (Severity.HIGH, "", "noncharacter, never meant for interchange"),
    "unassigned": (Severity.HIGH, "", f"unassigned in Unicode {_tables.UNICODE_VERSION}"),
    "lone-surrogate": (Severity.HIGH, "\ufffd", "lone surrogate, not a character (a JSON \\ud800 escape?)"),
}


def reserved_kind(ch: str) -> str:
    """Which kind of reserved code point ``ch`` is.

    >>> reserved_kind("\\ue000"), reserved_kind("\\uffff"), reserved_kind("\\ud800"), reserved_kind("\\u0378")
    ('private-use', 'noncharacter', 'lone-surrogate', 'unassigned')
    """
    cp = ord(ch)
    if in_ranges(cp, _tables.PRIVATE_USE):
        return "private-use"
    if in_ranges(cp, _tables.NONCHARACTER):
        return "noncharacter"
    if in_ranges(cp, _tables.SURROGATE):
        return "lone-surrogate"
    return "unassigned"


class ReservedDetector:
    """Private use (medium), noncharacters, unassigned code points and lone surrogates (high)."""

    name: ClassVar[str] = "reserved"
    ascii_relevant: ClassVar[bool] = False
    # Without one of these characters the detector reports nothing (see detectors.char_index).
    triggers: ClassVar[list[tuple[int, int]]] = list(_RESERVED)

    def find(self, text: str) -> Iterator[Finding]:
        for match in _RESERVED_RUN.finditer(text):
            start = match.start()
            for kind, group in itertools.groupby(match.group(), key=reserved_kind):
                end = start + sum(1 for _ in group)
                severity, replacement, what = _KINDS[kind]
                span = text[start:end]
                names = describe_all(span[:16]) + (", ..." if len(set(span)) > 16 else "")
                count = f"{end - start} x " if end - start > 1 else ""
                yield make_finding(
                    self.name, kind, text, start, end, severity,
                    f"{count}{names} {describe_position(text, start, end)}: {what}",
                    replacement=None if replacement is None else replacement * (end - start),
                )
                start = end
