"""Channel 5: control characters, ANSI/VT escape sequences and Unicode line separators.

C0 controls other than TAB/LF/CR, DEL and C1 controls never belong in prompt text; ESC
sequences are a terminal-injection vector (OSC can retitle windows, write the clipboard or
plant hyperlinks; cursor movement can overwrite what a reviewer sees). Each whole escape
sequence is one finding, revealed in the message. U+2028/U+2029/U+0085 split lines for some
parsers and not others.

Left alone: TAB, LF and CR. Judged milder, because they are common in honest tool output:
SGR colour codes (``ESC [ ... m`` from pasted shell output) are ``medium``, not ``high``; a
form feed at the start of a line is the page break of GNU-style source files and is ``low``.
Pure ASCII text reaches this detector (it is ``ascii_relevant``), so clean ASCII returns
after a few ``str.__contains__`` scans (memchr speed) before any regex. Spec: ECMA-48,
issue 3 channel 5.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import ClassVar

from detectors.base import make_finding
from detectors.char_index import class_ranges
from detectors.invisible import describe_position
from detectors.model import Finding, Severity
from detectors.unicode import describe, reveal

_ASCII_CONTROLS = tuple(chr(cp) for cp in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
_CONTROLS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029"
_CONTROL = re.compile(f"[{_CONTROLS}]")
# A run of one repeated control character is one finding (a megabyte of NULs is one line);
# one literal pattern per character, because a backreference repeat costs memory per character.
_SAME_CHARACTER_RUN = {
    chr(cp): re.compile(f"{re.escape(chr(cp))}+")
    for cp in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0), 0x2028, 0x2029)
}
_ESCAPE_SEQUENCE = re.compile(
    r"""
      (?:\x1b\[|\x9b) (?P<csi>[0-?]*) [ -/]* (?P<final>[@-~])          # CSI: cursor, erase, SGR...
    | (?:\x1b[]PX^_]|[\x90\x98\x9d\x9e\x9f]) [^\x07\x1b\x9c\n]* (?:\x07|\x1b\\|\x9c)?  # OSC, DCS, SOS, PM, APC
    | \x1b [ -/]* [0-~]                                               # other two-character escapes
    """,
    re.VERBOSE,
)
_SEQUENCE_INTRODUCERS = frozenset("\x1b\x9b\x90\x98\x9d\x9e\x9f")
_LINE_SEPARATORS = frozenset("\u2028\u2029\x85")
_HIGH_CONTROLS = frozenset("\x08\x1b\x7f")  # backspace, lone escape, delete overwrite what is shown
_SGR_PARAMETERS = re.compile(r"[0-9;:]*")


class ControlDetector:
    """Control characters, whole escape sequences and line separators."""

    name: ClassVar[str] = "control"
    ascii_relevant: ClassVar[bool] = True
    # Without one of these characters the detector reports nothing (see detectors.char_index).
    triggers: ClassVar[list[tuple[int, int]]] = class_ranges(_CONTROLS)

    def find(self, text: str) -> Iterator[Finding]:
        if text.isascii() and not any(control in text for control in _ASCII_CONTROLS):
            return
        position = 0
        while match := _CONTROL.search(text, position):
            start = match.start()
            sequence = _ESCAPE_SEQUENCE.match(text, start) if text[start] in _SEQUENCE_INTRODUCERS else None
            if sequence is not None:
                yield self._escape_sequence(text, sequence)
                position = sequence.end()
            else:
                position = _SAME_CHARACTER_RUN[text[start]].match(text, start).end()
                yield self._control_run(text, start, position)

    def _escape_sequence(self, text: str, sequence: re.Match[str]) -> Finding:
        start, end = sequence.span()
        is_colour = sequence["final"] == "m" and _SGR_PARAMETERS.fullmatch(sequence["csi"]) is not None
        severity, what = (
            (Severity.MEDIUM, "ANSI colour (SGR) sequence") if is_colour else (Severity.HIGH, "terminal escape sequence")
        )
        return make_finding(
            self.name, "ansi-escape", text, start, end, severity,
            f"{what} {reveal(sequence.group())!r}", replacement="",
        )

    def _control_run(self, text: str, start: int, end: int) -> Finding:
        ch = text[start]
        count = f"{end - start} x " if end - start > 1 else ""
        if ch in _LINE_SEPARATORS:
            return make_finding(
                self.name, "line-separator", text, start, end, Severity.MEDIUM,
                f"{count}{describe(ch)}: a line break that some parsers see and others do not",
                replacement="\n" * (end - start),
            )
        severity = Severity.HIGH if ch in _HIGH_CONTROLS else Severity.MEDIUM
        if ch == "\x0c" and (start == 0 or text[start - 1] == "\n"):
            severity = Severity.LOW
        return make_finding(
            self.name, "control-character", text, start, end, severity,
            f"{count}{describe(ch)} {describe_position(text, start, end)}", replacement="",
        )
