"""The ``stegwatch`` content view: an AI API request's prompt, field by field, marks revealed.

In mitmweb or the mitmproxy console, a request to Anthropic, OpenAI or Gemini is shown as the
text of each field (system prompt, user turns, tool calls and results) with its role and its
RFC 9535 JSON path. Hidden and look-alike characters are written inline as
``⟦U+2019 RIGHT SINGLE QUOTATION MARK⟧``, and the findings are listed after the fields, the
worst first. mitmproxy's highlighters only know whole formats (css, javascript, xml, yaml), so
severity is written as a word next to each finding rather than as a colour.

Everything else is left to mitmproxy's own views: `render_priority` is 0 for bodies that are
not requests (responses, server WebSocket messages) and above 1 only for a request whose flow
the `Audit` add-on found marks in, so a clean flow still opens in the JSON view users expect.
Chosen by hand on a body that is not an AI API request, the view says so in one line.
Newlines and tabs stay as they are: they are the layout of the prompt, not a channel.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from mitmproxy import contentviews, http
from mitmproxy.contentviews import Contentview, Metadata

from addons.analysis import API_GENERIC, Analysis, Located, analyse_request, analyse_websocket_message
from addons.audit import METADATA_KEY
from addons.scan_cache import ScanCache
from detectors import Severity, _tables
from detectors.unicode import char_name, codepoint, compile_class

# Above mitmproxy's JSON view (1), so a flow with marks opens on the evidence.
PRIORITY_WITH_FINDINGS = 2.0
# A field longer than this shows only the windows around its findings.
FULL_FIELD_CHARS = 8000
WINDOW_CHARS = 240
# A field without findings shows its beginning only: the user is looking for the marks.
CLEAN_FIELD_CHARS = 600
MAX_BODY = 64 * 1024 * 1024
CACHE_BYTES = 16 * 1024 * 1024

# What `detectors.unicode.reveal` writes as code points, from the same generated tables.
_HIDDEN = compile_class(
    _tables.CONTROL, _tables.FORMAT, _tables.DEFAULT_IGNORABLE, _tables.VARIATION_SELECTOR,
    _tables.UNASSIGNED, _tables.NONCHARACTER, _tables.PRIVATE_USE, _tables.SURROGATE,
    [(0x2028, 0x2029)],
)
_LAYOUT = "\t\n\r"


def named(ch: str) -> str:
    """One character written as ``⟦U+XXXX NAME⟧``.

    >>> named("\\u2019")
    '⟦U+2019 RIGHT SINGLE QUOTATION MARK⟧'
    """
    return f"\u27e6{codepoint(ch)} {char_name(ch)}\u27e7"


def reveal_named(text: str, marked: Iterable[int] = ()) -> str:
    """``text`` with hidden characters and the characters at offsets ``marked`` written as
    ``⟦U+XXXX NAME⟧``; tabs and line breaks are kept as layout.

    >>> reveal_named("It\\u2019s a\\u200bb\\n", marked=[2])
    'It⟦U+2019 RIGHT SINGLE QUOTATION MARK⟧s a⟦U+200B ZERO WIDTH SPACE⟧b\\n'
    """
    positions = {m.start() for m in _HIDDEN.finditer(text) if m.group() not in _LAYOUT}
    positions.update(marked)
    if not positions:
        return text
    pieces: list[str] = []
    previous = 0
    for position in sorted(p for p in positions if 0 <= p < len(text)):
        pieces.append(text[previous:position])
        pieces.append(named(text[position]))
        previous = position + 1
    pieces.append(text[previous:])
    return "".join(pieces)


def marked_offsets(text: str, located: Sequence[Located]) -> set[int]:
    """Offsets of the characters the findings name: the span's characters whose code point the
    finding lists (a mixed-script word reveals its foreign letters, not the whole word)."""
    offsets: set[int] = set()
    for item in located:
        wanted = set(item.finding.codepoints)
        for offset in range(item.finding.start, min(item.finding.end, len(text))):
            if not wanted or codepoint(text[offset]) in wanted:
                offsets.add(offset)
    return offsets


class StegwatchContentview(Contentview):
    """Prompt fields with roles and JSON paths, marks revealed, findings listed."""

    def __init__(self) -> None:
        self.cache = ScanCache(CACHE_BYTES)

    @property
    def name(self) -> str:
        return "stegwatch"

    def render_priority(self, data: bytes, metadata: Metadata) -> float:
        if not data or not _is_client_message(metadata):
            return 0
        return PRIORITY_WITH_FINDINGS if _flow_has_findings(metadata) else 0

    def prettify(self, data: bytes, metadata: Metadata) -> str:
        analysis = self._analyse(data, metadata)
        if analysis is None:
            return "stegwatch: not an AI API request (only requests and client WebSocket messages are inspected)."
        if analysis.action == "skipped":
            return f"stegwatch: not an AI API request: {analysis.reason}."
        if analysis.api == API_GENERIC and not analysis.located:
            return (
                "stegwatch: not an AI API request (JSON of an unknown shape); "
                f"{len(analysis.fields)} strings scanned, no findings."
            )
        return render(analysis)

    def _analyse(self, data: bytes, metadata: Metadata) -> Analysis | None:
        if metadata.websocket_message is not None:
            if not metadata.websocket_message.from_client:
                return None
            return analyse_websocket_message(data, self.cache, MAX_BODY, "")
        message = metadata.http_message
        if not isinstance(message, http.Request):
            return None
        # `data` is already decoded by mitmproxy, hence no content encoding.
        return analyse_request(message.method, message.path, data, None, self.cache, MAX_BODY)


def render(analysis: Analysis) -> str:
    """The view's text for one analysed body."""
    by_field: dict[int, list[Located]] = {}
    for item in analysis.located:
        by_field.setdefault(id(item.field), []).append(item)
    counts = _severity_counts(item.finding.severity for item in analysis.located)
    lines = [
        f"stegwatch · {analysis.api} · {len(analysis.fields)} text fields · "
        f"{len(analysis.located)} findings{f' ({counts})' if counts else ''}",
        "",
    ]
    for text_field in analysis.fields:
        located = by_field.get(id(text_field), [])
        worst = max((item.finding.severity for item in located), default=None)
        flag = f" ‼ {len(located)} {'finding' if len(located) == 1 else 'findings'}, worst {worst}" if located else ""
        lines.append(f"── [{text_field.role.value}] {text_field.path}{flag}")
        lines.append(_field_text(text_field.text, located))
        lines.append("")
    if analysis.located:
        lines.append("Findings (worst first)")
        ordered = sorted(analysis.located, key=lambda item: (-item.finding.severity.rank, item.field.path, item.finding.start))
        for item in ordered:
            finding = item.finding
            names = ", ".join(f"{cp} {char_name(chr(int(cp[2:], 16)))}" for cp in dict.fromkeys(finding.codepoints))
            lines.append(
                f"  {finding.severity.upper():<6} {item.role:<14} {item.field.path} "
                f"[{finding.start}:{finding.end}] {finding.detector}/{finding.kind}"
            )
            lines.append(f"         {names}")
            lines.append(f"         {finding.message}")
    return "\n".join(lines).rstrip("\n") + "\n"


def _field_text(text: str, located: Sequence[Located]) -> str:
    if not located:
        if len(text) <= CLEAN_FIELD_CHARS:
            return reveal_named(text)
        return reveal_named(text[:CLEAN_FIELD_CHARS]) + f"… ({len(text) - CLEAN_FIELD_CHARS} more characters)"
    if len(text) <= FULL_FIELD_CHARS:
        return reveal_named(text, marked_offsets(text, located))
    windows = _merge((max(0, i.finding.start - WINDOW_CHARS), min(len(text), i.finding.end + WINDOW_CHARS)) for i in located)
    pieces: list[str] = []
    for start, end in windows:
        part = text[start:end]
        marked = {offset - start for offset in marked_offsets(text, located) if start <= offset < end}
        pieces.append(("…" if start > 0 else "") + reveal_named(part, marked) + ("…" if end < len(text) else ""))
    return f"({len(text)} characters; the parts around the findings)\n" + "\n[…]\n".join(pieces)


def _merge(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _severity_counts(severities: Iterable[Severity]) -> str:
    counts: dict[Severity, int] = {}
    for severity in severities:
        counts[severity] = counts.get(severity, 0) + 1
    return ", ".join(f"{severity} {counts[severity]}" for severity in sorted(counts, reverse=True))


def _is_client_message(metadata: Metadata) -> bool:
    if metadata.websocket_message is not None:
        return metadata.websocket_message.from_client
    return isinstance(metadata.http_message, http.Request)


def _flow_has_findings(metadata: Metadata) -> bool:
    records = metadata.flow.metadata.get(METADATA_KEY, []) if metadata.flow is not None else []
    return any(record.get("findings") for record in records if isinstance(record, dict))


stegwatch_view = StegwatchContentview()


class ContentviewRegistration:
    """Adds the ``stegwatch`` view to mitmproxy's registry when the add-on loads."""

    def load(self, loader: object) -> None:
        contentviews.add(stegwatch_view)


addons = [ContentviewRegistration()]
