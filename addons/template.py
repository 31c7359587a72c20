"""The template of client-authored text: what a client writes the same way in every request.

A client (Claude Code, Codex, Gemini CLI, an SDK app) builds its system prompt, its tool
definitions and the context blocks it injects into user messages from fixed text with a few
values filled in: today's date, the working directory, a commit hash, a count. A covert mark
rides in the fixed part: ``Today's`` written with U+2019 for some users, the date written
``2026/11/24`` for others. The template makes the fixed part comparable across requests:

- which text counts: the fields whose `Role` (from `addons.shapes`) is the client's, i.e.
  the system prompt, OpenAI instructions and ``developer`` messages, Gemini's
  ``systemInstruction`` (all `Role.SYSTEM`), tool definitions, and the ``client_context``
  spans an agent injects into user text (`addons.shapes.client_authored_spans`). The user's own words, the
  model's answers and tool output are never part of a template: they change freely.
- which values are masked (`mask_line`): dates and times become a placeholder that keeps
  their *format* (``<DATE Y-M-D>``, ``<TIME H:M>``) because a format change is a mark;
  UUIDs, paths, hashes, long tokens and numbers become ``<UUID>``, ``<PATH>``, ``<HASH>``,
  ``<TOKEN>``, ``<N>``. Masking a token also keeps a credential a client pastes into its
  prompt out of anything built from a template.

Each line gets two forms. The ``template`` keeps every other code point raw: it is the
evidence. The ``key`` folds what a mark would vary (look-alike punctuation and letters to
ASCII, invisible and format characters dropped, whitespace runs collapsed, placeholders
generic), so that the marked and the unmarked line share one key and differ in template.

Left alone, and why: the calendar moving on, a new cwd, a new commit (masked values are not
template text), and a line that is new or edited in words (its key is new: first sight, not
drift). The module is pure (no mitmproxy, no store); `addons.date_memory` shares its masks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from addons.shapes import CLIENT_AUTHORED, TextField, client_authored_spans
from detectors import _tables
from detectors.date_signature import ASCII_FORM, DateMatch, date_signatures
from detectors.unicode import compile_class

__all__ = [
    "CLIENT_AUTHORED",
    "PUNCTUATION_FOLD",
    "VALUE_MASKS",
    "TemplateLine",
    "date_placeholder",
    "field_lines",
    "fold_key",
    "mask_line",
    "path_pattern",
    "template_lines",
]

# Issue 3's apostrophe and quote look-alikes, folded to ASCII for a template's key only.
PUNCTUATION_FOLD = str.maketrans({
    **ASCII_FORM,
    **dict.fromkeys("\u2019\u2018\u02bc\u02b9\u02bb\u2032\u00b4\uff07", "'"),
    **dict.fromkeys("\u201c\u201d\uff02", '"'),
    **dict.fromkeys("\u00a0\u202f\u2009\u2007", " "),
})
# Dynamic values, in the order `addons.date_memory` substitutes them. A closing tag is no path.
VALUE_MASKS = (
    (re.compile(r"(?<![\w/<])(?:~|\.{1,2})?(?:/[\w.@+-]+)+/?|[A-Za-z]:\\[^\s]*"), "<PATH>"),
    (re.compile(r"\b[0-9a-fA-F]{7,64}\b"), "<HASH>"),
    (re.compile(r"\d+"), "<N>"),
)
_UUID = r"\b[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}\b"
# Session ids, request ids, API keys: long runs of ASCII word characters with a digit and a letter.
_TOKEN = r"(?<![A-Za-z0-9_-])(?=[A-Za-z0-9_-]*[0-9])(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{24,}(?![A-Za-z0-9_-])"
_LABELS = {"UUID": "<UUID>", "PATH": "<PATH>", "HASH": "<HASH>", "TOKEN": "<TOKEN>", "N": "<N>"}
# One pass over a line; at one position the first alternative that matches wins.
_VALUE = re.compile(
    f"(?P<UUID>{_UUID})|(?P<PATH>{VALUE_MASKS[0][0].pattern})|(?P<HASH>{VALUE_MASKS[1][0].pattern})"
    f"|(?P<TOKEN>{_TOKEN})|(?P<N>{VALUE_MASKS[2][0].pattern})"
)
# Every value above holds a digit, a slash or backslash, or is a run of hex letters: text
# without any of them (most prose) skips the search.
_MAYBE_VALUE = re.compile(r"[\d/\\]|\b[a-fA-F]{7,64}\b")
_INVISIBLE = compile_class(_tables.DEFAULT_IGNORABLE, _tables.FORMAT)
# Look-alikes to ASCII for the key: the spec list above, then every confusable the tables know.
_KEY_FOLD = {**_tables.CONFUSABLE_ASCII, **PUNCTUATION_FOLD}
_SPACE_RUN = re.compile(r"\s+")
_GENERIC_PLACEHOLDER = re.compile(r"<(DATE|TIME) [^<>]*>")
_INDEX = re.compile(r"\[\d+\]")
_PM = re.compile("[Pp]")


@dataclass(frozen=True, slots=True)
class TemplateLine:
    """One line of client-authored text as a template.

    ``start``/``end`` are code-point offsets of the line in the field's text. ``masks`` holds
    ``(template_start, template_end, raw_start, raw_end)`` for every masked value, so that
    a difference found in the template maps back to the field's text (`raw_offset`).
    """

    start: int
    end: int
    template: str
    key: str
    masks: tuple[tuple[int, int, int, int], ...] = ()

    def raw_offset(self, offset: int, *, end: bool = False) -> int:
        """The field-text offset of template offset ``offset``; inside a masked value, the
        value's start (or, for an ``end`` offset, its end).

        >>> line = mask_line("0123456789cd /srv/app now", 10)
        >>> line.template, line.raw_offset(3), line.raw_offset(9, end=True), line.raw_offset(10)
        ('cd <PATH> now', 13, 21, 22)
        """
        previous_template, previous_raw = 0, self.start
        for template_start, template_end, raw_start, raw_end in self.masks:
            if offset < template_start:
                break
            if offset < template_end:
                return raw_end if end and offset > template_start else raw_start
            previous_template, previous_raw = template_end, raw_end
        return previous_raw + (offset - previous_template)


def path_pattern(path: str) -> str:
    """The path with array indices wildcarded: a reminder block moves to a later message
    every turn, and a tool to another index when the tool list grows.

    >>> path_pattern("$['messages'][7]['content'][0]['text']")
    "$['messages'][*]['content'][*]['text']"
    """
    return _INDEX.sub("[*]", path)


def date_placeholder(match: DateMatch) -> str:
    """How a date or time is written, without its value: order, raw separators, digit
    script, month and weekday style, clock, zone style.

    >>> [date_placeholder(m) for m in date_signatures("2026-11-24, 2026/11/24 09:05 and 14:03:22 UTC")]
    ['<DATE Y-M-D>', '<DATE Y/M/D H:M>', '<TIME H:M:S tz=UTC>']
    """
    signature = match.signature
    parts = []
    if signature.order:
        parts.append(_interleave(signature.order, signature.separators))
    if signature.time_fields:
        fields = signature.time_fields.replace(".f", "")
        clock = signature.time_separators
        time = _interleave(fields, clock) + (".f" if ".f" in signature.time_fields else "")
        joiner = signature.joiner if signature.order and signature.joiner is not None else ""
        if parts and joiner:
            parts[-1] += joiner + time
        else:
            parts.append(time)
    if signature.clock:
        parts.append(f"clock={_PM.sub(lambda m: 'A' if m.group() == 'P' else 'a', signature.clock)}")
    for name in ("digit_script", "month_name", "weekday", "calendar", "tz_style"):
        value = getattr(signature, name)
        if value and not (name == "digit_script" and value == "ASCII"):
            parts.append(f"{name.split('_')[0] if name != 'tz_style' else 'tz'}={value}")
    label = "TIME" if signature.family == "time" else "DATE"
    return f"<{label} {' '.join(parts)}>"


def _interleave(letters: str, separators: tuple[str, ...]) -> str:
    return "".join(letter + (separators[index] if index < len(separators) else "") for index, letter in enumerate(letters))


def fold_key(template: str) -> str:
    """The key of a template: look-alikes folded to ASCII, invisible and format characters
    dropped, whitespace runs collapsed, date placeholders generic.

    >>> fold_key("Today\\u2019s  date is <DATE Y/M/D>.")
    "Today's date is <DATE>."
    """
    key = _GENERIC_PLACEHOLDER.sub(r"<\1>", template)
    if not key.isascii():
        key = _INVISIBLE.sub("", key).translate(_KEY_FOLD)
    return _SPACE_RUN.sub(" ", key).strip()


def mask_line(text: str, start: int = 0, end: int | None = None, dates: list[DateMatch] | None = None) -> TemplateLine:
    """``text[start:end]`` (one line) as a `TemplateLine`. ``dates`` are the line's dates
    when the caller found them already (offsets in ``text``).

    >>> line = mask_line("Today's date is 2026-11-24; cwd /home/alice/app; id 3f9c2e1")
    >>> line.template
    "Today's date is <DATE Y-M-D>; cwd <PATH>; id <HASH>"
    """
    end = len(text) if end is None else end
    if dates is None:
        line_text = text[start:end]
        dates = [_shifted(m, start) for m in date_signatures(line_text)]
    pieces: list[str] = []
    masks: list[tuple[int, int, int, int]] = []
    length = 0
    cursor = start

    def masked(raw_start: int, raw_end: int, label: str) -> None:
        nonlocal length
        masks.append((length, length + len(label), raw_start, raw_end))
        pieces.append(label)
        length += len(label)

    def literal_until(limit: int) -> None:
        nonlocal cursor, length
        values = _VALUE.finditer(text, cursor, limit) if _MAYBE_VALUE.search(text, cursor, limit) else ()
        for value in values:
            if value.start() > cursor:
                pieces.append(text[cursor:value.start()])
                length += value.start() - cursor
            masked(value.start(), value.end(), _LABELS[value.lastgroup or "N"])
            cursor = value.end()
        if limit > cursor:
            pieces.append(text[cursor:limit])
            length += limit - cursor
        cursor = max(cursor, limit)

    for date in dates:
        if date.start < cursor or date.end > end:
            continue
        literal_until(date.start)
        masked(date.start, date.end, date_placeholder(date))
        cursor = date.end
    literal_until(end)
    template = "".join(pieces)
    return TemplateLine(start, end, template, fold_key(template), tuple(masks))


def _shifted(match: DateMatch, offset: int) -> DateMatch:
    if not offset:
        return match
    return replace(match, start=match.start + offset, end=match.end + offset, date_end=match.date_end + offset)


def template_lines(text: str, start: int = 0, end: int | None = None) -> list[TemplateLine]:
    """The non-blank lines of ``text[start:end]`` as templates (offsets in ``text``).

    >>> [line.template for line in template_lines("You are Codex.\\n\\n<current_date>2026-11-24</current_date>")]
    ['You are Codex.', '<current_date><DATE Y-M-D></current_date>']
    """
    end = len(text) if end is None else end
    if start or end != len(text):
        dates = [_shifted(m, start) for m in date_signatures(text[start:end])]
    else:
        dates = date_signatures(text)
    lines: list[TemplateLine] = []
    date_index = 0
    line_start = start
    while line_start <= end:
        line_end = text.find("\n", line_start, end)
        if line_end < 0:
            line_end = end
        while date_index < len(dates) and dates[date_index].start < line_start:
            date_index += 1
        line_dates = []
        while date_index < len(dates) and dates[date_index].start < line_end:
            line_dates.append(dates[date_index])
            date_index += 1
        if not text[line_start:line_end].isspace() and line_end > line_start:
            lines.append(mask_line(text, line_start, line_end, line_dates))
        line_start = line_end + 1
    return lines


def field_lines(text_field: TextField) -> list[TemplateLine]:
    """The template lines of the client-authored spans of one field."""
    return [line for start, end in client_authored_spans(text_field) for line in template_lines(text_field.text, start, end)]
