"""Channel 1, "ASCII smuggling": tag characters U+E0000-E007F, invisible copies of ASCII.

Each tag character is an ASCII character plus 0xE0000, so a whole instruction can ride
invisibly inside a prompt; the decoded text becomes the finding's payload.

Left alone: RGI emoji tag sequences (the England, Scotland and Wales flags), because the tags
are the flag's only encoding (see `detectors.exemptions.is_flag_tag_sequence`). A well-formed
subdivision flag that is not RGI (U+1F3F4, two letters, 1-4 letters or digits, U+E007F) is
reported ``low`` with its payload: it renders as a plain black flag and is worth seeing, but
it is the documented shape of a flag. Spec: UTS #51 section 2.8, issue 3 channel 1.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import ClassVar

from detectors.base import make_finding
from detectors.exemptions import is_flag_tag_sequence
from detectors.model import Finding, Severity

# "[x][x]*" rather than "[x]+": `re` only scans fast for a pattern that starts with a class.
_TAG_RUN = re.compile("[\U000e0000-\U000e007f][\U000e0000-\U000e007f]*")
_BLACK_FLAG = "\N{WAVING BLACK FLAG}"
_CANCEL_TAG = "\N{CANCEL TAG}"
_SUBDIVISION_SHAPE = re.compile("[\U000e0061-\U000e007a]{2}[\U000e0030-\U000e0039\U000e0061-\U000e007a]{1,4}\U000e007f")


def decode_tags(tags: str) -> str:
    """The ASCII text that tag characters stand for (tag minus 0xE0000).

    >>> decode_tags("\\U000E0068\\U000E0069")
    'hi'
    """
    return "".join(chr(ord(ch) - 0xE0000) for ch in tags)


class TagSmugglingDetector:
    """Tag characters outside RGI flag sequences; high, deleted by sanitize."""

    name: ClassVar[str] = "tag-smuggling"
    ascii_relevant: ClassVar[bool] = False
    # Without one of these characters the detector reports nothing (see detectors.char_index).
    triggers: ClassVar[list[tuple[int, int]]] = [(0xE0000, 0xE007F)]

    def find(self, text: str) -> Iterator[Finding]:
        for match in _TAG_RUN.finditer(text):
            start, end = match.span()
            if start > 0 and text[start - 1] == _BLACK_FLAG:
                cancel = text.find(_CANCEL_TAG, start, end)
                flag_end = end if cancel < 0 else cancel + 1
                if is_flag_tag_sequence(text, start - 1, flag_end):
                    start = flag_end
                elif _SUBDIVISION_SHAPE.fullmatch(text, start, flag_end):
                    payload = decode_tags(text[start:flag_end - 1])
                    yield make_finding(
                        self.name, "tag-flag", text, start, flag_end, Severity.LOW,
                        f"subdivision flag tag sequence {payload!r} after WAVING BLACK FLAG U+1F3F4 "
                        "is well formed but not a recommended (RGI) flag",
                        payload=payload,
                    )
                    start = flag_end
            if start < end:
                yield self._smuggled(text, start, end)

    def _smuggled(self, text: str, start: int, end: int) -> Finding:
        payload = decode_tags(text[start:end])
        count = end - start
        return make_finding(
            self.name, "tag-smuggling", text, start, end, Severity.HIGH,
            f"{count} invisible TAG character{'s' if count > 1 else ''} (U+E0000-U+E007F) "
            f"hide the ASCII text {payload!r}",
            replacement="", payload=payload,
        )
