"""Channel 8, look-alike spaces: U+00A0, U+2000-U+200A, U+202F, U+205F, U+3000 and U+1680
standing in for U+0020 in ASCII text.

A swapped space is invisible on screen and survives copy and paste, so one NBSP per user in a
generated line ("Today's date is\\u00a02026-11-24") is a cheap covert mark: medium in ASCII
text, high in a generated line. Not reported, because typography requires them there: French
no-break spaces before ``; : ! ?`` and the closing guillemet and after the opening one;
digit-group separators ("1\\u202f000\\u202f000"); the space between a number and its unit or
sign ("10\\u00a0%"); U+3000 in CJK text; U+1680 between Ogham letters (the predicates in
`detectors.exemptions`); no-break spaces in non-ASCII prose, where HTML ``&nbsp;`` puts them.
Low: any of them in typographic prose or at a line's edge, U+00A0 beside an ASCII space (HTML
writes a run of spaces as U+00A0 and U+0020 in turn), and the three spaces European
typography sets (U+00A0, U+202F, U+2009) where it sets them in ASCII text: after an
abbreviation, next to a number or placeholder ("%(count)s\\u00a0minutes"), after a short word
or in a line whose other ones tie numbers, in text that does not read as English ("om
en\\u00a0time", "%(count)s\\u00a0godziny\\u00a0temu"). The other spaces are
never typed between words, nor beside a space between words ("bash\\u200a command" reads as
one space). Spec: issue 3, channel 8.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import ClassVar

from detectors.base import make_finding
from detectors.char_index import class_ranges, starts
from detectors.exemptions import (
    is_cjk_context,
    is_french_nbsp,
    is_number_group_separator,
    is_number_unit_space,
    is_ogham_space,
)
from detectors.model import Finding, Severity
from detectors.neighbourhood import (
    DYNAMIC_REACH,
    WordList,
    fold_lookalikes,
    has_non_ascii_letter,
    in_dynamic_line,
    is_typographic,
    window,
)
from detectors.unicode import describe_all

LOOKALIKE_SPACES = "\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000"
# A one-character class keeps ``re`` on its fast search path; the run is measured after a hit.
_SPACE = re.compile(f"[{LOOKALIKE_SPACES}]")
_SPACE_RUN = re.compile(f"[{LOOKALIKE_SPACES}]+")
_ABBREVIATION_BEFORE = re.compile(r"(?:^|[\s(])[^\W\d_]{1,3}\.$")
# A number or a format placeholder ("%(count)s", "%d", "{0}") right before or after the space.
_NUMBER_BEFORE = re.compile(r"(?:\d|%\(\w+\)[sdif]|%[sdif]|\{\w*\})$")
_NUMBER_AFTER = re.compile(r"\d|%\(\w+\)[sdif]|%[sdif]|\{\w*\}")
# English function words that other Latin-script languages rarely write as words of their own,
# and the words of agent environment blocks ("Is directory a git repo: Yes"). Wider than
# `detectors.exemptions.is_english_context`, which must not count "is" (Dutch) for its channel.
_ENGLISH_WORD = WordList(
    "the and is are was were you your this that these with for of it its be not or if when do does can will should "
    "must any all from by have has an at as we my what which how yes use run file directory working today date repo git".split()
)
_IDEOGRAPHIC_SPACE = "\u3000"
# The spaces that European typography sets between words; the others are never typed there.
TYPOGRAPHIC_SPACES = frozenset("\u00a0\u202f\u2009")
_SHORT_WORD_BEFORE = re.compile(r"(?:^|[^\w%])([^\W\d_]{1,3})$")
_CODE_LIKE = re.compile(r"[(){}\[\]=;<>]")
_PLACEHOLDER = r"(?:\d|%\(\w+\)[sdif]|%[sdif]|\{\w*\})"
# A lone typographic space tying a number (one sanitize leaves alone, so the verdict is stable).
_TIED_TO_NUMBER = re.compile(
    f"{_PLACEHOLDER}[\u00a0\u202f\u2009](?![\\s{LOOKALIKE_SPACES}])"
    f"|(?<![\\s{LOOKALIKE_SPACES}])[\u00a0\u202f\u2009]{_PLACEHOLDER}"
)


class LookalikeSpaceDetector:
    """Unusual spaces in ASCII text; typographic uses are not reported (see the module docstring)."""

    name: ClassVar[str] = "lookalike-space"
    ascii_relevant: ClassVar[bool] = False
    # Without one of these characters the detector reports nothing (see detectors.char_index).
    triggers: ClassVar[list[tuple[int, int]]] = class_ranges(LOOKALIKE_SPACES)
    takes_candidates: ClassVar[bool] = True  # find() may be given the shared trigger offsets

    def find(self, text: str, candidates: Iterable[int] | None = None) -> Iterator[Finding]:
        position = 0
        for start in starts(text, candidates, _SPACE):
            if start < position:
                continue
            end = _SPACE_RUN.match(text, start).end()
            position = end
            severity, why = _judge(text, start, end)
            if severity is None:
                continue
            yield make_finding(
                self.name, "lookalike-space", text, start, end, severity,
                f"{describe_all(text[start:end])} {why}", replacement=" " * (end - start),
            )


def _exemption(text: str, start: int, end: int) -> str:
    """Why the run is ordinary typography, or ``""``."""
    if end - start == 1:
        if is_french_nbsp(text, start):
            return "as French typography's no-break space"
        if is_number_group_separator(text, start):
            return "separating digit groups of a number"
        if is_number_unit_space(text, start):
            return "between a number and its unit"
        if is_ogham_space(text, start):
            return "between Ogham letters"
    if text.count(_IDEOGRAPHIC_SPACE, start, end) == end - start and (
        is_cjk_context(text, start) or is_cjk_context(text, end - 1)
    ):
        return "in CJK text"
    return ""


def _judge(text: str, start: int, end: int) -> tuple[Severity | None, str]:
    """Severity and reason; ``None`` for normal typography, which is not reported at all."""
    exempt = _exemption(text, start, end)
    if exempt:
        return None, exempt
    typographic_space = all(ch in TYPOGRAPHIC_SPACES for ch in text[start:end])
    low, _ = window(text, start)
    _, high = window(text, end - 1)
    if has_non_ascii_letter(text, low, start) or has_non_ascii_letter(text, end, high):
        if typographic_space:
            return None, "between words of non-ASCII text (as HTML &nbsp; writes it)"
        return Severity.LOW, "in non-ASCII text"
    if is_typographic(text, low, start) or is_typographic(text, end, high):
        return Severity.LOW, "in typographic prose"
    if in_dynamic_line(text, start):
        return Severity.HIGH, "in a generated line (date, path or environment value), where U+0020 is used"
    if _is_padding(text, start, end):
        return Severity.LOW, "as padding at the edge of a line"
    if text.count("\u00a0", start, end) == end - start and _beside_ascii_space(text, start, end):
        # Browsers and HTML editors write a run of spaces as U+00A0 and U+0020 in turn (&nbsp;).
        return Severity.LOW, "beside a space, as HTML writes a run of spaces"
    if typographic_space:
        # No-break, narrow no-break and thin spaces are European typography: they tie a number to
        # its noun ("%(count)s\u00a0minutes"), an abbreviation to what follows, and (in French,
        # Czech, Polish, Danish) a short word to the next ("il y a une\u00a0seconde"). The
        # look-alikes around are folded first, so that sanitizing them changes no verdict here.
        reach_low, reach_high = window(text, start, DYNAMIC_REACH)
        folded = fold_lookalikes(text[reach_low:reach_high])
        at, after = start - reach_low, end - reach_low
        if _ABBREVIATION_BEFORE.search(folded, low - reach_low, at):
            return Severity.LOW, "after an abbreviation"
        if _NUMBER_BEFORE.search(folded, low - reach_low, at) or _NUMBER_AFTER.match(folded, after):
            return Severity.LOW, "tying a number to its word, as European typography does"
        if not _ENGLISH_WORD.found_in(folded):
            short_word = _SHORT_WORD_BEFORE.search(folded, low - reach_low, at)
            if short_word and short_word.group(1).islower() and not _CODE_LIKE.search(folded, low - reach_low, high - reach_low):
                return Severity.LOW, "after a short word in ASCII text that does not read as English"
            if _TIED_TO_NUMBER.search(text, reach_low, reach_high):
                return Severity.LOW, "in a line whose other no-break spaces tie numbers, in text that does not read as English"
    return Severity.MEDIUM, "in ASCII text, where U+0020 is used"


_SPACES_AFTER = re.compile(f"[ \t{LOOKALIKE_SPACES}]*")
_PADDING_REACH = 64


def _is_padding(text: str, start: int, end: int) -> bool:
    """Whether the run, with the spaces beside it, does not stand between two visible characters
    (indentation, trailing space). One beside an ASCII space between two words is no padding:
    "bash\u200a command" reads as one space and carries a bit."""
    low = max(0, start - _PADDING_REACH)
    spaces_before = _SPACES_AFTER.match(text[low:start][::-1]).end()
    spaces_after = _SPACES_AFTER.match(text, end, end + _PADDING_REACH).end() - end
    if spaces_before == _PADDING_REACH or spaces_after == _PADDING_REACH:
        return True  # a long run of spaces: a table's or an indentation's padding
    before = text[start - spaces_before - 1] if start - spaces_before > 0 else "\n"
    after = text[end + spaces_after] if end + spaces_after < len(text) else "\n"
    return before.isspace() or after.isspace()


def _beside_ascii_space(text: str, start: int, end: int) -> bool:
    return text[start - 1:start] == " " or text[end:end + 1] == " "
