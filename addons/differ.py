"""The comparison half of ``stegwatch probe``: align what an agent sent under each environment
with what it sent under the reference environment, and name every covert difference.

Channel: an agent that writes the same prompt with different code points depending on where
it runs (time zone, locale, base-URL host, user): a look-alike apostrophe for one host, a
slash date separator for one zone, an invisible character, a field or header that appears.
One request cannot prove such a mark; the difference between two environments does.

Left alone, and why: content that honestly depends on the environment *encodes the varied
value itself* and is classified **explained**: the zone name or offset, the date and clock
time rendered in the other zone (the same instant, the same format), the home path and user
name, the base-URL host, and a line translated under another locale (a different script,
with no look-alike punctuation, invisible character or date-format change of its own).
Per-run noise (request and session ids, billing hashes, timestamps, multipart boundaries)
is learned by diffing the reference cell's two runs and is classified **noise**. Everything
else that changes code points is **unexplained**: punctuation variants, a date whose
separator, order or padding changed (even when the day also moved with the zone), invisible
characters, and fields, headers, lines or requests that appear or vanish.

How: requests are aligned by API, method and route (the host and a base-URL path prefix may
be the varied value) and their order of occurrence; body strings by the JSON path and role
that `addons.shapes.extract_fields` gives live mode (every string, form field and query
parameter generically for other requests); lines with `difflib` and, inside a changed line,
tokens (letter runs, digit runs, single other characters), so each difference is one line of
one field. Credentials never reach the output: header and query values outside the client
allow-list (`addons.audit_log`) are shown as their length only.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit
from zoneinfo import ZoneInfo

import orjson

from addons.affixes import common_affixes
from addons.audit_log import client_identity, redact_path
from addons.captured import CapturedRequest
from addons.jsonpath import ROOT, name_segment
from addons.probe_model import Cell, CellCapture, Difference, ProbeResult
from addons.shapes import (
    Api,
    BodyDecodeError,
    BodyParseError,
    Role,
    decode_body,
    extract_fields,
    extract_ws_message,
    generic_fields,
    parse_json_body,
    recognize,
)
from detectors import _tables
from detectors.date_signature import MONTHS, WEEKDAYS, DateMatch, date_signatures
from detectors.unicode import char_class, codepoint, reveal, script, script_extensions

__all__ = ["REFERENCE_CELL", "compare", "compare_requests", "template"]

REFERENCE_CELL = "reference"
OTHER_API = "other"
MAX_BODY = 64 * 1024 * 1024
# Characters of context kept on each side of a change inside a long line.
CONTEXT_CHARS = 60
# Dates and times may move by the time between two runs on top of a zone's offset.
DEFAULT_TOLERANCE = timedelta(minutes=15)
MAX_CODEPOINTS = 16
# Token-level alignment is quadratic at worst; longer differing stretches are one segment.
EXACT_ALIGNED_TOKENS = 600
MAX_ALIGNED_TOKENS = 20_000
# Changed lines of one field judged one by one; the rest are one difference.
MAX_CHANGED_LINES = 100
# A field whose reference runs differ in more lines than this is volatile as a whole.
VOLATILE_LINES = 20
VOLATILE_SPAN = 2000
VOLATILE_REASON = "this field also changes wholesale between the reference runs"
# A field whose whole variant value is the varied value explains a reference value this short.
SHORT_VALUE = 40

# Headers whose values are shown: the client allow-list plus transport headers that hold no secret.
_PLAIN_HEADERS = frozenset({
    "host", ":authority", "content-length", "content-type", "content-encoding", "transfer-encoding",
    "accept", "accept-encoding", "accept-language", "connection", "cache-control", "pragma", "te",
    "upgrade", "sec-websocket-version", "sec-websocket-extensions", "origin", "x-stainless-retry-count",
})
_LOCALE_VARIABLES = frozenset({"LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LC_CTYPE", "LC_TIME"})
_ZONE_VARIABLES = frozenset({"TZ"})
_LOCALE_VALUE = re.compile(r"^(?P<lang>[a-z]{2,3})(?:[_-](?P<region>[A-Z]{2}|\d{3}))?(?:\.(?P<enc>[\w-]+))?(?:@\w+)?$")
_CJK_SCRIPTS = frozenset({"Han", "Hiragana", "Katakana", "Hangul", "Bopomofo"})
_CALENDAR_WORDS = frozenset(MONTHS) | frozenset(WEEKDAYS) | {m[:3] for m in MONTHS} | {w[:3] for w in WEEKDAYS}

# Placeholders stand for a variable's value (or a matched date) on both sides of a compared
# line; they are private-use characters, never letters or digits, so tokens stay intact.
_PLACEHOLDER_BASE = 0xF0000
_DATE_PLACEHOLDER = chr(_PLACEHOLDER_BASE + 0x1FF)
_PLACEHOLDER_RANGE = (_PLACEHOLDER_BASE, _PLACEHOLDER_BASE + 0x1FF)
_PLACEHOLDER = re.compile(f"[{char_class([_PLACEHOLDER_RANGE])}]")


def _without(ranges: Sequence[tuple[int, int]], hole: tuple[int, int]) -> list[tuple[int, int]]:
    kept: list[tuple[int, int]] = []
    for start, end in ranges:
        if end < hole[0] or start > hole[1]:
            kept.append((start, end))
            continue
        if start < hole[0]:
            kept.append((start, hole[0] - 1))
        if end > hole[1]:
            kept.append((hole[1] + 1, end))
    return kept


# What counts as an invisible or non-printing character appearing (TAB, LF, CR are text).
_HIDDEN_RANGES = sorted(
    [(0, 8), (11, 12), (14, 31), (127, 159), (0x2028, 0x2029), *_tables.FORMAT, *_tables.DEFAULT_IGNORABLE,
     *_tables.VARIATION_SELECTOR, *_tables.UNASSIGNED, *_tables.NONCHARACTER, *_tables.SURROGATE,
     *_without(_tables.PRIVATE_USE, _PLACEHOLDER_RANGE)]
)
_HIDDEN = re.compile(f"[{char_class(_HIDDEN_RANGES)}]")
# ``re`` tests a class with astral ranges range by range, a BMP-only class by table look-up:
# whole lines are searched with the BMP class, and with the astral one only if they hold
# an astral character at all.
_HIDDEN_BMP = re.compile(f"[{char_class([(a, min(b, 0xFFFF)) for a, b in _HIDDEN_RANGES if a <= 0xFFFF])}]")
_HIDDEN_ASTRAL = re.compile(f"[{char_class([(max(a, 0x10000), b) for a, b in _HIDDEN_RANGES if b > 0xFFFF])}]")
_ASTRAL = re.compile("[\U00010000-\U0010FFFF]")
_HIDDEN_ASCII = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _hidden_chars(text: str) -> list[str]:
    """The invisible or non-printing characters of ``text``.

    >>> _hidden_chars("a\u200bb\U000e0041\tc")
    ['\u200b', '\U000e0041']
    """
    if text.isascii():
        return _HIDDEN_ASCII.findall(text)
    found = _HIDDEN_BMP.findall(text)
    if _ASTRAL.search(text):
        found += _HIDDEN_ASTRAL.findall(text)
    return found
# Letters that are look-alikes of ASCII punctuation (MODIFIER LETTER APOSTROPHE...): a token of
# their own, so that ``Today\u02bcs`` tokenises like ``Today's``.
_PUNCTUATION_LOOKALIKES = sorted(
    cp for cp, target in _tables.CONFUSABLE_ASCII.items()
    if not any(ch.isalnum() for ch in target) and chr(cp).isalpha()
)
_TOKEN = re.compile(
    f"(?:(?![{char_class([(cp, cp) for cp in _PUNCTUATION_LOOKALIKES])}])[^\\W\\d_])+|\\d+|.", re.S
)
_FULLWIDTH = re.compile(f"[{char_class(_tables.FULLWIDTH_ASCII)}]")

# Per-run randomness. A template masks it (and every number) but keeps punctuation, spacing and
# invisible characters exactly: those are the marks.
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_RANDOM = re.compile(
    rf"{_UUID}"
    r"|(?<![0-9A-Za-z])(?=[0-9a-fA-F]*[0-9])(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{12,}(?![0-9A-Za-z])"
    r"|(?<![0-9A-Za-z])(?=[0-9A-Za-z_-]*[0-9][0-9A-Za-z_-]*[0-9])(?=[0-9A-Za-z_-]*[A-Z])(?=[0-9A-Za-z_-]*[a-z])"
    r"[0-9A-Za-z_-]{16,}(?![0-9A-Za-z])"
    r"|\d{16,}"
)
_WORD_WITH_DIGIT = re.compile(r"(?<![0-9A-Za-z])(?=[0-9A-Za-z]*\d)[0-9A-Za-z]+")
_ARRAY_INDEX = re.compile(r"\[\d+\]")


def template(line: str) -> str:
    """``line`` with random ids and every word holding a digit masked; punctuation kept.

    >>> template("session 3f1c2a9e-0b7d-4e2a-9c1d-5a6b7c8d9e0f at 2026-11-24T09:12:01Z")
    'session \\x01 at \\x01-\\x01-\\x01:\\x01:\\x01'
    >>> template("Today\\u2019s date is 2026-11-24.")
    'Today\\u2019s date is \\x01-\\x01-\\x01.'
    """
    return _WORD_WITH_DIGIT.sub("\x01", _RANDOM.sub("\x01", line))


def _mask_random(line: str) -> str:
    return _RANDOM.sub("\x01", line)


# --- Requests as fields ------------------------------------------------------------------


@dataclass(slots=True)
class _Field:
    where: str                     # body, header, request
    path: str
    text: str
    role: str
    role_spans: tuple[tuple[int, int, Role], ...] = ()
    hidden: bool = False           # a credential-shaped value: compared, never shown
    opaque: bool = False           # binary: compared whole


@dataclass(slots=True)
class _Request:
    key: tuple[str, str, str]      # api, method, route
    label: str
    api: str
    host: str
    url: str
    headers: list[tuple[str, str]]
    fields: dict[tuple[str, str], _Field]
    body_length: int
    timestamp: float | None


def _route(request: CapturedRequest, environment: dict[str, str]) -> str:
    """The URL path without the query, and without a base-URL path prefix the cell set."""
    route = urlsplit(request.url).path or "/"
    for value in environment.values():
        if "://" not in value:
            continue
        parts = urlsplit(value)
        prefix = parts.path.rstrip("/")
        if prefix and parts.hostname == request.host and route.startswith(prefix + "/"):
            return route[len(prefix):]
    return route


def _is_shown_header(name: str) -> bool:
    lowered = name.lower()
    return lowered in _PLAIN_HEADERS or bool(client_identity([(lowered, "x")]))


def _is_credential_parameter(name: str) -> bool:
    return redact_path("/?" + urlencode([(name, "x")])) == "/"


def _scalars(body: object) -> Iterator[tuple[str, str]]:
    """Numbers, booleans and nulls with their paths: a field of that kind may appear too."""
    stack: list[tuple[str, object]] = [(ROOT, body)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            stack.extend((path + name_segment(str(k)), v) for k, v in reversed(value.items()))
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", v) for i, v in reversed(list(enumerate(value))))
        elif not isinstance(value, str):
            yield path, orjson.dumps(value).decode()


def _body_fields(request: CapturedRequest, route: str) -> tuple[str, list[_Field]]:
    """The API name and the body's fields."""
    try:
        decoded = decode_body(request.body, request.header("content-encoding"), max_size=MAX_BODY)
    except BodyDecodeError:
        return OTHER_API, [_Field("body", ROOT, request.body.hex(), Role.METADATA.value, opaque=True)]
    if not decoded:
        return OTHER_API, []
    content_type = (request.header("content-type") or "").lower()
    if "application/x-www-form-urlencoded" in content_type:
        try:
            text = decoded.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is not None:
            return OTHER_API, [
                _Field("body", ROOT + name_segment(name) + ("" if n == 0 else f"[{n}]"), value, Role.METADATA.value,
                       hidden=_is_credential_parameter(name))
                for name, n, value in _numbered(parse_qsl(text, keep_blank_values=True))
            ]
    try:
        body = parse_json_body(decoded)
    except (BodyParseError, RecursionError):
        try:
            text = decoded.decode("utf-8")
        except UnicodeDecodeError:
            return OTHER_API, [_Field("body", ROOT, decoded.hex(), Role.METADATA.value, opaque=True)]
        return OTHER_API, [_Field("body", ROOT, text, Role.METADATA.value)]
    if request.websocket:
        api_name, text_fields = Api.OPENAI_RESPONSES_WS.value, extract_ws_message(body)
    else:
        api = recognize(request.method, route, body)
        api_name = OTHER_API if api is None else api.value
        text_fields = generic_fields(body) if api is None else extract_fields(api, body)
    fields = [_Field("body", f.path, f.text, f.role.value, f.role_spans) for f in text_fields]
    fields += [_Field("body", path, value, Role.METADATA.value) for path, value in _scalars(body)]
    return api_name, fields


def _numbered(pairs: Iterable[tuple[str, str]]) -> Iterator[tuple[str, int, str]]:
    seen: dict[str, int] = {}
    for name, value in pairs:
        n = seen.get(name, 0)
        seen[name] = n + 1
        yield name, n, value


def _normalise(request: CapturedRequest, environment: dict[str, str]) -> _Request:
    route = _route(request, environment)
    api, body_fields = _body_fields(request, route)
    method = "WS" if request.websocket else request.method.upper()
    fields: dict[tuple[str, str], _Field] = {}
    for name, n, value in _numbered(parse_qsl(urlsplit(request.url).query, keep_blank_values=True)):
        path = f"?{name}" + ("" if n == 0 else f"[{n}]")
        fields[("request", path)] = _Field("request", path, value, "query", hidden=_is_credential_parameter(name))
    for body_field in body_fields:
        fields[(body_field.where, body_field.path)] = body_field
    # A session id in the route (``/v1/sessions/<uuid>/events``) must not split the alignment.
    return _Request(
        (api, method, _mask_random(route)), f"{method} {route}", api, request.host, request.url, list(request.headers),
        fields, len(request.body), request.timestamp,
    )


def _align(reference: Sequence[_Request], variant: Sequence[_Request]) -> Iterator[tuple[_Request | None, _Request | None, int]]:
    """Pairs by request key and order of occurrence; unmatched requests pair with None."""
    by_key: dict[tuple[str, str, str], list[_Request]] = {}
    for request in variant:
        by_key.setdefault(request.key, []).append(request)
    counts: dict[tuple[str, str, str], int] = {}
    for request in reference:
        n = counts.get(request.key, 0)
        counts[request.key] = n + 1
        others = by_key.get(request.key, [])
        yield request, others[n] if n < len(others) else None, n + 1
    for key, others in by_key.items():
        for n in range(counts.get(key, 0), len(others)):
            yield None, others[n], n + 1


# --- Raw changes -------------------------------------------------------------------------


@dataclass(slots=True)
class _Change:
    """One aligned place where two requests differ, before it is classified."""

    kind: str                      # line, field, order, request, length
    where: str
    path: str
    role: str
    reference: str | None
    variant: str | None
    hidden: bool = False


def _line_changes(reference: str, variant: str) -> Iterator[tuple[str | None, str | None, int, int]]:
    """Changed line pairs ``(reference line, variant line, reference offset, variant offset)``."""
    ref_lines, var_lines = reference.split("\n"), variant.split("\n")
    head, tail = common_affixes(ref_lines, var_lines)
    ref_middle = ref_lines[head:len(ref_lines) - tail]
    var_middle = var_lines[head:len(var_lines) - tail]
    ref_offsets, var_offsets = _offsets(ref_lines, head + len(ref_middle)), _offsets(var_lines, head + len(var_middle))
    # autojunk: blank and boilerplate lines repeated hundreds of times must not anchor matches
    # (with them, alignment is quadratic in the number of lines).
    matcher = difflib.SequenceMatcher(None, ref_middle, var_middle)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        paired = min(i2 - i1, j2 - j1)
        for k in range(paired):
            yield ref_middle[i1 + k], var_middle[j1 + k], ref_offsets[head + i1 + k], var_offsets[head + j1 + k]
        for k in range(i1 + paired, i2):
            yield ref_middle[k], None, ref_offsets[head + k], -1
        for k in range(j1 + paired, j2):
            yield None, var_middle[k], -1, var_offsets[head + k]


def _offsets(lines: list[str], count: int) -> list[int]:
    """Code-point offsets of the first ``count`` lines."""
    offsets = [0]
    for line in lines[:count]:
        offsets.append(offsets[-1] + len(line) + 1)
    return offsets


def _role_at(text_field: _Field, offset: int) -> str:
    for start, end, role in text_field.role_spans:
        if start <= offset < end:
            return role.value
    return text_field.role


def _changes(reference: _Request | None, variant: _Request | None) -> Iterator[_Change]:
    if reference is None or variant is None:
        present = reference or variant
        assert present is not None
        text = f"{present.label.split(' ', 1)[0]} {redact_path(urlsplit(present.url).path + ('?' + urlsplit(present.url).query if urlsplit(present.url).query else ''))}"
        yield _Change("request", "request", present.label, "request",
                      text if reference is not None else None, text if variant is not None else None)
        return
    yield from _header_changes(reference, variant)
    for key, ref_field in reference.fields.items():
        var_field = variant.fields.get(key)
        if var_field is None:
            yield _Change("field", ref_field.where, ref_field.path, ref_field.role, ref_field.text, None, ref_field.hidden)
        elif ref_field.text != var_field.text:
            if ref_field.opaque or var_field.opaque or ref_field.hidden:
                yield _Change("field", ref_field.where, ref_field.path, ref_field.role, ref_field.text, var_field.text,
                              ref_field.hidden or var_field.hidden)
                continue
            changed = 0
            for ref_line, var_line, ref_offset, var_offset in _line_changes(ref_field.text, var_field.text):
                changed += 1
                if changed <= MAX_CHANGED_LINES:
                    role = _role_at(var_field, var_offset) if var_offset >= 0 else _role_at(ref_field, ref_offset)
                    yield _Change("line", ref_field.where, ref_field.path, role, ref_line, var_line)
            if changed > MAX_CHANGED_LINES:
                yield _Change("more", ref_field.where, ref_field.path, ref_field.role,
                              f"{changed - MAX_CHANGED_LINES} more changed lines", f"{changed - MAX_CHANGED_LINES} more changed lines")
    for key, var_field in variant.fields.items():
        if key not in reference.fields:
            yield _Change("field", var_field.where, var_field.path, var_field.role, None, var_field.text, var_field.hidden)


def _header_changes(reference: _Request, variant: _Request) -> Iterator[_Change]:
    ref_names = [name.lower() for name, _ in reference.headers]
    var_names = [name.lower() for name, _ in variant.headers]
    common = set(ref_names) & set(var_names)
    if [n for n in ref_names if n in common] != [n for n in var_names if n in common]:
        yield _Change("order", "header", "(order)", "header", ", ".join(ref_names), ", ".join(var_names))
    ref_values = dict(_header_slots(reference.headers))
    var_values = dict(_header_slots(variant.headers))
    for slot, value in ref_values.items():
        other = var_values.get(slot)
        hidden = not _is_shown_header(slot[0])
        if other is None:
            yield _Change("field", "header", _slot_name(slot), "header", value, None, hidden)
        elif other != value:
            if slot[0] == "content-length" and value == str(reference.body_length) and other == str(variant.body_length):
                yield _Change("length", "header", _slot_name(slot), "header", value, other)
            elif hidden:
                yield _Change("field", "header", _slot_name(slot), "header", value, other, True)
            else:
                yield _Change("line", "header", _slot_name(slot), "header", value, other)
    for slot, value in var_values.items():
        if slot not in ref_values:
            yield _Change("field", "header", _slot_name(slot), "header", None, value, not _is_shown_header(slot[0]))


def _header_slots(headers: Iterable[tuple[str, str]]) -> Iterator[tuple[tuple[str, int], str]]:
    for name, n, value in _numbered((name.lower(), value) for name, value in headers):
        yield (name, n), value


def _slot_name(slot: tuple[str, int]) -> str:
    return slot[0] if slot[1] == 0 else f"{slot[0]}[{slot[1]}]"


# --- Noise learned from the reference cell's two runs ------------------------------------


@dataclass
class _Noise:
    templates: dict[tuple[object, ...], set[str]] = field(default_factory=dict)
    presence: set[tuple[object, ...]] = field(default_factory=set)
    requests: set[tuple[str, str, str]] = field(default_factory=set)
    orders: set[tuple[str, str, str]] = field(default_factory=set)
    volatile: set[tuple[object, ...]] = field(default_factory=set)

    def learn_request(self, key: tuple[str, str, str], changes: Iterable[_Change]) -> None:
        """Learn the changes between the reference runs' versions of one request. A field that
        changes in many lines, or in a long stretch of one line, is volatile as a whole."""
        changed_lines: Counter[tuple[object, ...]] = Counter()
        for change in changes:
            place = _noise_place(key, change)
            if change.kind == "more":
                self.volatile.add(place)
                continue
            if change.kind == "line":
                changed_lines[place] += 1
                if changed_lines[place] > VOLATILE_LINES or _changed_span(change) > VOLATILE_SPAN:
                    self.volatile.add(place)
                if place in self.volatile:
                    continue    # no templates needed: every change there is noise
            self.learn(key, change)

    def learn(self, key: tuple[str, str, str], change: _Change) -> None:
        place = _noise_place(key, change)
        if change.kind == "request":
            self.requests.add(key)
        elif change.kind == "order":
            self.orders.add(key)
        elif change.kind == "field" and (change.reference is None or change.variant is None or change.hidden):
            self.presence.add(place)
        else:
            found = self.templates.setdefault(place, set())
            for text in (change.reference, change.variant):
                if text is not None:
                    found.add(template(text))
            if change.kind == "field":
                self.presence.add(place)

    def merge(self, other: _Noise) -> None:
        for place, found in other.templates.items():
            self.templates.setdefault(place, set()).update(found)
        self.presence |= other.presence
        self.requests |= other.requests
        self.orders |= other.orders
        self.volatile |= other.volatile

    def knows(self, key: tuple[str, str, str], change: _Change) -> bool:
        place = _noise_place(key, change)
        if change.kind == "request":
            return key in self.requests
        if change.kind == "order":
            return key in self.orders
        if place in self.presence or place in self.volatile:
            return True
        known = self.templates.get(place)
        if not known:
            return False
        return all(text is None or template(text) in known for text in (change.reference, change.variant))


def _changed_span(change: _Change) -> int:
    if change.reference is None or change.variant is None:
        return len(change.reference or change.variant or "")
    prefix, suffix = common_affixes(change.reference, change.variant)
    return max(len(change.reference), len(change.variant)) - prefix - suffix


def _noise_place(key: tuple[str, str, str], change: _Change) -> tuple[object, ...]:
    return (key, change.where, _ARRAY_INDEX.sub("[*]", change.path))


# --- Variables and what their values look like in text -----------------------------------


_KINDS = ("zone", "locale", "url", "path", "value")


@dataclass(slots=True)
class _Variable:
    name: str
    reference: str
    variant: str
    kind: str                      # zone, locale, url, path, value
    placeholder: str


def _kind(name: str, reference: str, variant: str) -> str:
    if name in _ZONE_VARIABLES or (_zone(reference) and _zone(variant)):
        return "zone"
    if name in _LOCALE_VARIABLES or (_LOCALE_VALUE.match(reference) and _LOCALE_VALUE.match(variant) and "_" in reference + variant):
        return "locale"
    if "://" in reference or "://" in variant:
        return "url"
    if reference.startswith(("/", "~")) or variant.startswith(("/", "~")):
        return "path"
    return "value"


def _zone(value: str) -> ZoneInfo | None:
    if not value or "/" not in value and value not in ("UTC", "GMT"):
        return None
    try:
        return ZoneInfo(value.lstrip(":"))
    except (ValueError, OSError, KeyError):
        return None


def _offset_forms(offset: timedelta) -> list[str]:
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    forms = [f"{sign}{hours:02d}:{rest:02d}", f"{sign}{hours:02d}{rest:02d}"]
    short = f"{sign}{hours}" + (f":{rest:02d}" if rest else "")
    forms += [f"UTC{short}", f"GMT{short}", f"UTC{sign}{hours:02d}:{rest:02d}", f"GMT{sign}{hours:02d}:{rest:02d}"]
    if abs(minutes) >= 120:
        # Offsets in minutes, as telemetry sends them (JavaScript's getTimezoneOffset() is negated);
        # short numbers would match unrelated counts.
        forms += [str(minutes), str(-minutes)]
    return forms


def _instants(moment: datetime) -> list[datetime]:
    """The moment and half a year away: a zone's other offset (DST) shows in file dates too."""
    return [moment, moment - timedelta(days=182), moment + timedelta(days=182)]


def _forms(variable: _Variable, value: str, moment: datetime) -> list[str]:
    """How ``value`` of ``variable`` can be written in text."""
    forms = [value]
    if variable.kind == "zone":
        zone = _zone(value)
        if zone is not None:
            city = value.rsplit("/", 1)[-1]
            forms += [city, city.replace("_", " ")]
            for instant in _instants(moment):
                local = instant.astimezone(zone)
                offset = local.utcoffset() or timedelta()
                name = local.tzname()
                if name and name[0] not in "+-":
                    forms.append(name)
                forms += _offset_forms(offset)
            if value in ("UTC", "Etc/UTC", "GMT"):
                forms += ["UTC", "GMT"]
    elif variable.kind == "locale":
        match = _LOCALE_VALUE.match(value)
        if match:
            lang, region = match["lang"], match["region"]
            forms += [f"{lang}_{region}", f"{lang}-{region}"] if region else []
            forms.append(lang)
    elif variable.kind == "url":
        parts = urlsplit(value)
        forms += [value.rstrip("/"), parts.netloc, parts.hostname or ""]
    elif variable.kind == "path":
        forms.append(value.rstrip("/"))
        base = value.rstrip("/").rsplit("/", 1)[-1]
        if len(base) >= 3:
            forms.append(base)
    return [form for form in dict.fromkeys(forms) if len(form) >= 2]


def _form_table(variables: Sequence[_Variable], moment: datetime) -> dict[str, tuple[str, frozenset[str]]]:
    """Every written form of every varied value (reference and variant) -> its placeholder and
    the variables it can stand for. Variables of one kind share a placeholder, because a cell may
    vary a group together (the base URLs of three SDKs) from different reference values."""
    table: dict[str, tuple[str, frozenset[str]]] = {}
    for variable in variables:
        for value in (variable.reference, variable.variant):
            for form in _forms(variable, value, moment):
                placeholder, owners = table.get(form, (variable.placeholder, frozenset()))
                table[form] = (placeholder, owners | {variable.name})
    return table


def _substitution(table: dict[str, tuple[str, frozenset[str]]]) -> re.Pattern[str] | None:
    """One pattern for every written form, longest first."""
    if not table:
        return None
    ordered = sorted(table, key=len, reverse=True)
    return re.compile("|".join(f"(?<![0-9A-Za-z]){re.escape(form)}(?![0-9A-Za-z])" for form in ordered))


# --- Classifying one change --------------------------------------------------------------


@dataclass(slots=True)
class _Context:
    cell: Cell
    variables: list[_Variable]
    substitution: re.Pattern[str] | None
    forms: dict[str, tuple[str, frozenset[str]]]   # written form -> placeholder, variable names
    zone_deltas: list[timedelta]   # variant offset minus reference offset
    tolerance: timedelta
    noise: _Noise
    key: tuple[str, str, str]
    label: str
    api: str
    request_host: str
    strict_roles: bool = False     # `stegwatch diff`: conversation text is not client-authored


@dataclass
class _Verdict:
    marks: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    explained: list[str] = field(default_factory=list)
    clock: list[str] = field(default_factory=list)      # dates that only moved with time
    codepoints: list[str] = field(default_factory=list)
    mentions: bool = False
    used: set[str] = field(default_factory=set)


def _substitute(text: str, context: _Context, verdict: _Verdict) -> str:
    if context.substitution is None:
        return text

    def replace(match: re.Match[str]) -> str:
        placeholder, names = context.forms[match.group()]
        verdict.used.update(names)
        return placeholder

    return context.substitution.sub(replace, text)


def _add_codepoints(verdict: _Verdict, chars: Iterable[str]) -> None:
    for ch in chars:
        if ch in "\x01" or _PLACEHOLDER.match(ch):
            continue
        cp = codepoint(ch)
        if cp not in verdict.codepoints and len(verdict.codepoints) < MAX_CODEPOINTS:
            verdict.codepoints.append(cp)


def _style(match: DateMatch, ignore_zone: bool) -> tuple[object, ...]:
    s = match.signature
    return (s.family, s.order, s.separators, s.digit_script, s.month_name, s.weekday, s.calendar, s.time_fields,
            s.time_separators, s.clock, s.joiner, None if ignore_zone else s.tz_style)


_CLOCK_DIGITS = re.compile(r"\d+")


def _clock(match: DateMatch) -> tuple[int, int, int] | None:
    if match.signature.time_fields is None:
        return None
    numbers = _CLOCK_DIGITS.findall(match.text[match.date_end - match.start:])
    if len(numbers) < 2:
        return None
    hour, minute, second = int(numbers[0]), int(numbers[1]), int(numbers[2]) if len(numbers) > 2 and len(numbers[2]) == 2 else 0
    clock = (match.signature.clock or "").upper().replace(".", "")
    if clock.startswith("P") and hour < 12:
        hour += 12
    elif clock.startswith("A") and hour == 12:
        hour = 0
    return hour, minute, second


def _shift_fits(ref: DateMatch, var: DateMatch, context: _Context) -> timedelta | None:
    """The zone shift that explains ``var`` as ``ref`` in the other zone, or None."""
    ref_clock, var_clock = _clock(ref), _clock(var)
    tolerance = context.tolerance
    deltas = context.zone_deltas or [timedelta()]
    if ref.ymd and var.ymd and ref_clock and var_clock:
        try:
            moved = datetime(*var.ymd, *var_clock) - datetime(*ref.ymd, *ref_clock)
        except ValueError:
            return None
        return next((d for d in deltas if abs(moved - d) <= tolerance), None)
    if ref.ymd and var.ymd and ref_clock is None and var_clock is None:
        try:
            days = (date(*var.ymd) - date(*ref.ymd)).days
        except ValueError:
            return None
        for delta in deltas:
            low, high = delta - tolerance, delta + tolerance
            first = low // timedelta(days=1)
            last = (high + timedelta(days=1) - timedelta(seconds=1)) // timedelta(days=1)
            if first <= days <= last:
                return delta
        return None
    if ref.ymd is None and var.ymd is None and ref_clock and var_clock:
        day = 24 * 60
        moved = ((var_clock[0] - ref_clock[0]) * 60 + var_clock[1] - ref_clock[1]) % day
        for delta in deltas:
            expected = int(delta.total_seconds() // 60) % day
            distance = min((moved - expected) % day, (expected - moved) % day)
            if distance <= tolerance.total_seconds() / 60:
                return delta
    return None


def _dates(ref: str, var: str, context: _Context, verdict: _Verdict) -> tuple[str, str]:
    """Compare the dates of two lines by signature and value; replace them by a placeholder."""
    ref_dates, var_dates = date_signatures(ref), date_signatures(var)
    if not ref_dates or len(ref_dates) != len(var_dates):
        return ref, var
    zone_varied = any(v.kind == "zone" for v in context.variables)
    for ref_date, var_date in zip(ref_dates, var_dates):
        if ref_date.text == var_date.text:
            continue
        padding_changed = (ref_date.zero_padded is not None and var_date.zero_padded is not None
                           and ref_date.zero_padded != var_date.zero_padded)
        if _style(ref_date, zone_varied) != _style(var_date, zone_varied) or padding_changed:
            aspects = _format_changes(ref_date, var_date, zone_varied) + (["zero padding"] if padding_changed else [])
            verdict.marks.append(f"the date format changed: {', '.join(aspects)} ({ref_date.text!r} -> {var_date.text!r})")
            _add_codepoints(verdict, _changed_chars(_strip_digits(ref_date.text), _strip_digits(var_date.text)))
            continue
        shift = _shift_fits(ref_date, var_date, context)
        if shift is None:
            verdict.changes.append(f"the date/time changed by more than the zone and run times explain "
                                   f"({ref_date.text!r} -> {var_date.text!r})")
        elif shift:
            verdict.used.update(v.name for v in context.variables if v.kind == "zone")
            hours = shift.total_seconds() / 3600
            verdict.explained.append(f"the date/time moves with the zone ({hours:+g} h), in the same format")
        else:
            verdict.clock.append("the date/time moved with the clock between runs, in the same format")
    return _replace_dates(ref, ref_dates), _replace_dates(var, var_dates)


_STYLE_ASPECTS = ("family", "order", "separators", "digit script", "month name", "weekday", "calendar marks",
                  "time fields", "time separators", "clock", "date-time joiner", "zone designator")


def _format_changes(ref: DateMatch, var: DateMatch, ignore_zone: bool) -> list[str]:
    """Which aspects of a date's format differ, e.g. ``['separators']`` or ``['order']``."""
    return [aspect for aspect, a, b in zip(_STYLE_ASPECTS, _style(ref, ignore_zone), _style(var, ignore_zone)) if a != b]


def _strip_digits(text: str) -> str:
    return re.sub(r"\d", "", text)


def _replace_dates(text: str, matches: list[DateMatch]) -> str:
    pieces, cursor = [], 0
    for match in matches:
        pieces += [text[cursor:match.start], _DATE_PLACEHOLDER]
        cursor = match.end
    pieces.append(text[cursor:])
    return "".join(pieces)


def _changed_chars(ref: str, var: str) -> list[str]:
    """Characters that differ between two short texts, reference's first."""
    ref_counts, var_counts = Counter(ref), Counter(var)
    return [ch for ch in dict.fromkeys(ref + var) if ref_counts[ch] != var_counts[ch]]


def _is_letters(token: str) -> bool:
    return token[0].isalpha() and not (len(token) == 1 and ord(token) in _LOOKALIKE_SET)


_LOOKALIKE_SET = frozenset(_PUNCTUATION_LOOKALIKES)


_CONFUSABLE_TABLE = str.maketrans(_tables.CONFUSABLE_ASCII)


def _skeleton(tokens: Sequence[str]) -> str:
    return "".join(tokens).translate(_CONFUSABLE_TABLE).lower()


def _scripts(tokens: Sequence[str]) -> set[str]:
    return {script(ch) for ch in set("".join(tokens))} - {"Common", "Inherited"}


def _word_window(ref: str, var: str) -> tuple[str, str]:
    """The differing middle of two lines, widened to whole words on both sides."""
    prefix, suffix = common_affixes(ref, var)
    while prefix > 0 and ref[prefix - 1].isalnum():
        prefix -= 1
    ref_end, var_end = len(ref) - suffix, len(var) - suffix
    while ref_end < len(ref) and ref[ref_end].isalnum():
        ref_end += 1
        var_end += 1
    return ref[prefix:ref_end], var[prefix:var_end]


def _segments(ref: str, var: str, context: _Context, verdict: _Verdict) -> None:
    """Token-level comparison of two lines whose dates and varied values are already masked."""
    ref_window, var_window = _word_window(ref, var)
    ref_tokens, var_tokens = _TOKEN.findall(ref_window), _TOKEN.findall(var_window)
    longest = max(len(ref_tokens), len(var_tokens))
    if longest > MAX_ALIGNED_TOKENS:
        opcodes = [("replace", 0, len(ref_tokens), 0, len(var_tokens))]   # wholly different text: one segment
    else:
        # Exact alignment for a line's worth of tokens; past that, frequent tokens (spaces) are junk.
        matcher = difflib.SequenceMatcher(None, ref_tokens, var_tokens, autojunk=longest > EXACT_ALIGNED_TOKENS)
        opcodes = matcher.get_opcodes()
    locale = next((v for v in context.variables if v.kind == "locale"), None)
    zone_varied = any(v.kind == "zone" for v in context.variables)
    line_scripts: set[str] = set()
    translated = False
    if locale is not None:
        line_scripts = _scripts([t for t in _TOKEN.findall(var) if _is_letters(t)])
        translated = line_scripts != _scripts([t for t in _TOKEN.findall(ref) if _is_letters(t)])
    for tag, i1, i2, j1, j2 in opcodes:
        if tag == "equal":
            continue
        ref_part, var_part = ref_tokens[i1:i2], var_tokens[j1:j2]
        ref_text, var_text = "".join(ref_part), "".join(var_part)
        hidden = _hidden_chars(ref_text) + _hidden_chars(var_text)
        if hidden:
            verdict.marks.append("an invisible or non-printing character appeared or vanished")
            _add_codepoints(verdict, hidden)
        ref_letters = [t for t in ref_part if _is_letters(t)]
        var_letters = [t for t in var_part if _is_letters(t)]
        ref_digits = [t for t in ref_part if t[0].isdigit()]
        var_digits = [t for t in var_part if t[0].isdigit()]
        ref_other = [t for t in ref_part if not _is_letters(t) and not t[0].isdigit()]
        var_other = [t for t in var_part if not _is_letters(t) and not t[0].isdigit()]
        # Words that changed under a locale change are a translation, even within one script
        # (English to French); look-alike letters, punctuation-only changes and changed numbers
        # (ids, hashes such as "c38" -> "ca6") are not words.
        reworded = (locale is not None and ref_letters != var_letters and ref_digits == var_digits
                    and _skeleton(ref_letters) != _skeleton(var_letters))
        if (translated or reworded) and not hidden and not (
                ref_letters != var_letters and _skeleton(ref_letters) == _skeleton(var_letters)):
            assert locale is not None
            foreign = _foreign_punctuation(ref_other, var_other, line_scripts)
            if foreign:
                verdict.marks.append(f"a translated line carries look-alike punctuation ({var_text!r})")
                _add_codepoints(verdict, foreign)
            else:
                verdict.explained.append(f"translated under {locale.name}={locale.variant}")
                verdict.used.add(locale.name)
            continue
        if ref_letters == var_letters and ref_digits == var_digits:
            if not hidden:
                verdict.marks.append(f"punctuation or spacing changed ({ref_text!r} -> {var_text!r})")
                _add_codepoints(verdict, _changed_chars("".join(ref_other), "".join(var_other)))
            continue
        if ref_letters != var_letters and _skeleton(ref_letters) == _skeleton(var_letters):
            verdict.marks.append(f"letters were swapped for look-alikes ({ref_text!r} -> {var_text!r})")
            _add_codepoints(verdict, _changed_chars(ref_text, var_text))
            continue
        if (zone_varied and ref_digits == var_digits and ref_other == var_other
                and all(t.lower() in _CALENDAR_WORDS for t in ref_letters + var_letters)):
            verdict.explained.append("a weekday or month name moves with the zone")
            continue
        if ref_letters == var_letters and ref_other != var_other:
            verdict.marks.append(f"punctuation changed alongside a value ({ref_text!r} -> {var_text!r})")
            _add_codepoints(verdict, _changed_chars("".join(ref_other), "".join(var_other)))
            continue
        verdict.changes.append(f"the text changed without encoding the varied value ({ref_text!r} -> {var_text!r})")
        _add_codepoints(verdict, [ch for ch in _changed_chars(ref_text, var_text) if not ch.isascii()])


def _foreign_punctuation(ref_other: list[str], var_other: list[str], scripts: set[str]) -> list[str]:
    """Non-ASCII punctuation of a translated segment that the translation's script does not use
    (U+2019 in Chinese text, say); fullwidth and CJK punctuation is native to CJK text."""
    reference = set("".join(ref_other))
    foreign = []
    for ch in "".join(var_other):
        if ch.isascii() or ch in reference or _PLACEHOLDER.match(ch) or _HIDDEN.match(ch):
            continue
        extensions = script_extensions(ch)
        if extensions & scripts:
            continue
        if scripts & _CJK_SCRIPTS and (_FULLWIDTH.match(ch) or extensions & _CJK_SCRIPTS):
            continue
        foreign.append(ch)
    return foreign


def _judge_line(ref: str, var: str, context: _Context) -> _Verdict:
    verdict = _Verdict()
    if _PLACEHOLDER.search(ref) or _PLACEHOLDER.search(var):
        ref_masked, var_masked = ref, var      # the text holds our placeholders: compare raw
    else:
        reference_side = _Verdict()
        ref_masked = _substitute(ref, context, reference_side)
        var_masked = _substitute(var, context, verdict)
        verdict.mentions = bool(verdict.used)
        verdict.used |= reference_side.used
        if verdict.mentions and not _PLACEHOLDER.sub("", var_masked) and len(ref) <= SHORT_VALUE:
            # The whole value is the varied value (``"tz_offset": "-480"``); whatever short value
            # stood there in the reference (``"0"``) was the reference's.
            names = ", ".join(v.name for v in context.variables if v.name in verdict.used)
            verdict.explained.append(f"the value is {names}'s value")
            return verdict
    if ref_masked != var_masked:
        ref_masked, var_masked = _dates(ref_masked, var_masked, context, verdict)
    if ref_masked != var_masked:
        _segments(ref_masked, var_masked, context, verdict)
    if verdict.mentions:
        names = ", ".join(v.name for v in context.variables if v.name in verdict.used) or "the varied value"
        verdict.explained.insert(0, f"encodes {names}")
    return verdict


_API_VARIABLE_PREFIXES = {"anthropic-messages": ("ANTHROPIC",), "openai-chat": ("OPENAI",), "openai-responses": ("OPENAI",),
                          "openai-responses-ws": ("OPENAI",), "gemini": ("GOOGLE", "GEMINI")}


def _variable_name(context: _Context, verdict: _Verdict | None = None) -> str:
    """The variable that toggles a difference: the one whose value it encodes when explained;
    otherwise the cell's only variable, the base URL this request went to, or the cell's primary
    (first) variable, as the runner lists a group's main variable first."""
    variables = context.variables
    if verdict is not None:
        used = [v for v in variables if v.name in verdict.used]
        if used and not verdict.marks and not verdict.changes:
            return _narrowed(used, context) or "+".join(v.name for v in used)
    if not variables:
        return "-"
    return _narrowed(variables, context) or variables[0].name


def _narrowed(variables: Sequence[_Variable], context: _Context) -> str | None:
    """The one variable of several that this request depends on: the base URL it was sent to,
    and of several such, the one of its API's SDK."""
    if len(variables) == 1:
        return variables[0].name
    by_host = [v for v in variables if v.kind == "url" and urlsplit(v.variant).hostname == context.request_host]
    by_api = [v for v in by_host if v.name.startswith(_API_VARIABLE_PREFIXES.get(context.api, ("",)))]
    for candidates in (by_api, by_host):
        if len(candidates) == 1:
            return candidates[0].name
    return None


def _clip(ref: str | None, var: str | None) -> tuple[str | None, str | None]:
    """Long lines cut to the changed part with `CONTEXT_CHARS` around it."""
    if ref is None or var is None:
        return (_clip_one(ref, 0, 0) if ref is not None else None), (_clip_one(var, 0, 0) if var is not None else None)
    prefix, suffix = common_affixes(ref, var)
    return _clip_one(ref, prefix, suffix), _clip_one(var, prefix, suffix)


def _clip_one(text: str, prefix: int, suffix: int) -> str:
    if len(text) <= 4 * CONTEXT_CHARS:
        return text
    start = max(0, prefix - CONTEXT_CHARS)
    end = min(len(text), max(len(text) - suffix, prefix) + CONTEXT_CHARS)
    if end - start > 8 * CONTEXT_CHARS:
        end = start + 8 * CONTEXT_CHARS
    return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")


def _shown(text: str | None, hidden: bool) -> str | None:
    if text is None or not hidden:
        return text
    odd = sorted({codepoint(ch) for ch in text if not ch.isascii() or _HIDDEN.match(ch)})
    return f"\u27e8hidden value, {len(text)} characters" + (f"; {' '.join(odd)}" if odd else "") + "\u27e9"


def _revealed(text: str | None, codepoints: list[str]) -> str | None:
    if text is None:
        return None
    also = "".join(ch for ch in dict.fromkeys(text) if not ch.isascii() and codepoint(ch) in codepoints)
    return reveal(text, also=also)


def _difference(change: _Change, context: _Context, classification: str, reason: str,
                codepoints: list[str] | None = None, variable: str | None = None, disclosure: bool = False) -> Difference:
    reference, variant = _clip(_shown(change.reference, change.hidden), _shown(change.variant, change.hidden))
    codepoints = [] if change.hidden else (codepoints or [])
    return Difference(
        classification=classification, variable=variable or _variable_name(context), cell=context.cell.name,
        api=context.api, request=context.label, where=change.where,
        path=change.path, reference=reference, variant=variant,
        reference_revealed=_revealed(reference, codepoints), variant_revealed=_revealed(variant, codepoints),
        codepoints=codepoints, reason=reason, disclosure=disclosure,
    )


_CLIENT_ROLES = frozenset({Role.SYSTEM.value, Role.TOOL_DEFINITION.value, Role.CLIENT_CONTEXT.value,
                           Role.METADATA.value, "header", "query", "request"})


def _classify(change: _Change, context: _Context) -> Difference:
    if change.kind == "length":
        return _difference(change, context, "explained", "Content-Length follows the body's size; the body's own "
                           "differences are listed separately")
    if change.kind in ("request", "order", "field") or change.reference is None or change.variant is None:
        return _classify_presence(change, context)
    ref, var = change.reference, change.variant
    if change.kind == "more":
        if context.noise.knows(context.key, change):
            return _difference(change, context, "noise", "this field also changes wholesale between the reference runs")
        if context.strict_roles and change.role not in _CLIENT_ROLES:
            return _difference(change, context, "explained", f"conversation text ({change.role}) changed; "
                               "it is not client-authored")
        return _difference(change, context, "unexplained", f"{ref} of this field differ (not judged one by one)")
    learned = context.noise.knows(context.key, change)
    if learned and _noise_place(context.key, change) in context.noise.volatile:
        appeared = set(_hidden_chars(var)) - set(_hidden_chars(ref))
        if not appeared:
            return _difference(change, context, "noise", VOLATILE_REASON)
    if _mask_random(ref) == _mask_random(var):
        return _difference(change, context, "noise", "only random identifiers differ")
    verdict = _judge_line(ref, var, context)
    if context.strict_roles and change.role not in _CLIENT_ROLES and (verdict.marks or verdict.changes):
        return _difference(change, context, "explained", f"conversation text ({change.role}) changed; "
                           "it is not client-authored", verdict.codepoints)
    if learned and (verdict.marks or verdict.changes or not verdict.explained):
        return _difference(change, context, "noise", "this place also differs between the reference cell's two runs")
    if verdict.marks:
        return _difference(change, context, "unexplained", "; ".join(dict.fromkeys(verdict.marks)), verdict.codepoints,
                           _variable_name(context, verdict))
    if verdict.changes and context.api == OTHER_API and template(ref) == template(var):
        # Telemetry measures things (durations, counts, sizes) that need not differ between the
        # two reference runs to be per-run values; the same text around new numbers is noise.
        return _difference(change, context, "noise", "only numbers changed in a telemetry value (same template)")
    if verdict.changes:
        return _difference(change, context, "unexplained", "; ".join(dict.fromkeys(verdict.changes)), verdict.codepoints,
                           _variable_name(context, verdict))
    if not verdict.explained:
        return _difference(change, context, "noise", "; ".join(dict.fromkeys(verdict.clock)) or "no code point differs")
    reason = "; ".join(dict.fromkeys(verdict.explained))
    return _difference(change, context, "explained", reason, verdict.codepoints, _variable_name(context, verdict),
                       disclosure=_is_disclosure(change, context, verdict))


def _is_disclosure(change: _Change, context: _Context, verdict: _Verdict) -> bool:
    """The variant repeats the varied value itself where the server did not need it: telemetry,
    metadata, headers and query parameters (not prompt text the model reads)."""
    if change.where == "header" and change.path in ("host", ":authority"):
        return False
    return verdict.mentions and (context.api == OTHER_API or change.where != "body" or change.role == Role.METADATA.value)


def _classify_presence(change: _Change, context: _Context) -> Difference:
    what = {"request": "request", "order": "header order", "field": "field" if change.where == "body" else change.where}.get(
        change.kind, "line")
    if change.kind == "order":
        if context.noise.knows(context.key, change):
            return _difference(change, context, "noise", "the header order also differs between the reference runs")
        return _difference(change, context, "unexplained", "the order of the headers changed")
    if change.reference is not None and change.variant is not None:   # a hidden or opaque value changed
        if context.noise.knows(context.key, change):
            return _difference(change, context, "noise", "this value also differs between the reference cell's two runs")
        return _difference(change, context, "unexplained", f"the {what} value changed")
    present = change.variant if change.variant is not None else change.reference
    assert present is not None
    moved = "appeared" if change.variant is not None else "vanished"
    if context.noise.knows(context.key, change):
        return _difference(change, context, "noise", f"this {what} also comes and goes between the reference runs")
    if change.kind == "request":
        return _difference(change, context, "unexplained", f"a request {moved}")
    verdict = _Verdict()
    _substitute(present, context, verdict)
    if verdict.used and change.variant is not None and not change.hidden:
        masked = _PLACEHOLDER.sub("", _substitute(present, context, _Verdict()))
        if not _hidden_chars(masked):
            names = "+".join(v.name for v in context.variables if v.name in verdict.used)
            return _difference(change, context, "explained", f"a {what} {moved} that repeats {names}",
                               variable=names, disclosure=True)
    if context.strict_roles and change.role not in _CLIENT_ROLES:
        return _difference(change, context, "explained", f"conversation text ({change.role}) {moved}, not client-authored")
    codepoints: list[str] = []
    _add_codepoints(_Verdict(codepoints=codepoints), [ch for ch in dict.fromkeys(present) if not ch.isascii() or _HIDDEN.match(ch)])
    return _difference(change, context, "unexplained", f"a {what} {moved}", codepoints)


# --- Cells -------------------------------------------------------------------------------


def _variables(reference: Cell, cell: Cell) -> list[_Variable]:
    variables = []
    for name, value in cell.varied.items():
        ref_value = reference.environment.get(name, "")
        kind = _kind(name, ref_value, value)
        variables.append(_Variable(name, ref_value, value, kind, chr(_PLACEHOLDER_BASE + _KINDS.index(kind))))
    return variables


def _zone_deltas(variables: Sequence[_Variable], moment: datetime) -> list[timedelta]:
    zones = [(_zone(v.reference), _zone(v.variant)) for v in variables if v.kind == "zone"]
    deltas: list[timedelta] = []
    for ref_zone, var_zone in zones:
        if ref_zone is None or var_zone is None:
            continue
        for instant in _instants(moment):
            delta = (instant.astimezone(var_zone).utcoffset() or timedelta()) - (
                instant.astimezone(ref_zone).utcoffset() or timedelta())
            if delta not in deltas:
                deltas.append(delta)
    return deltas or [timedelta()]


def _moment(requests: Iterable[_Request]) -> datetime:
    stamps = [r.timestamp for r in requests if r.timestamp is not None]
    return datetime.fromtimestamp(min(stamps), UTC) if stamps else datetime.now(UTC)


def _tolerance(reference: Sequence[_Request], variant: Sequence[_Request]) -> timedelta:
    stamps = [r.timestamp for r in (*reference, *variant) if r.timestamp is not None]
    if len(stamps) < 2:
        return DEFAULT_TOLERANCE
    return timedelta(seconds=max(stamps) - min(stamps)) + timedelta(minutes=2)


def _compare_cell(reference: Cell, ref_requests: list[_Request], cell: Cell, var_requests: list[_Request],
                  noise: _Noise, strict_roles: bool = False) -> list[Difference]:
    variables = _variables(reference, cell)
    moment = _moment(var_requests or ref_requests)
    forms = _form_table(variables, moment)
    substitution = _substitution(forms)
    deltas = _zone_deltas(variables, moment)
    tolerance = _tolerance(ref_requests, var_requests)
    differences: list[Difference] = []
    seen: set[tuple[object, ...]] = set()
    for ref_request, var_request, occurrence in _align(ref_requests, var_requests):
        present = ref_request or var_request
        assert present is not None
        context = _Context(cell, variables, substitution, forms, deltas, tolerance, noise, present.key,
                           f"{present.label} #{occurrence}", present.api,
                           (var_request or present).host, strict_roles)
        for change in _changes(ref_request, var_request):
            difference = _classify(change, context)
            # The same difference in every request of a conversation is one difference, and so
            # are all the lines of a volatile field.
            identity = (difference.classification, present.key, difference.where, difference.path,
                        difference.reference, difference.variant)
            if difference.reason == VOLATILE_REASON:
                identity = (VOLATILE_REASON, present.key, difference.where, difference.path)
            if identity in seen:
                continue
            seen.add(identity)
            differences.append(difference)
    return differences


def _learn_noise(first: list[_Request], second: list[_Request]) -> _Noise:
    noise = _Noise()
    for ref_request, other, _ in _align(first, second):
        present = ref_request or other
        assert present is not None
        noise.learn_request(present.key, _changes(ref_request, other))
    return noise


_ORDER = {"unexplained": 0, "explained": 1, "noise": 2}


def compare(captures: list[CellCapture], command: list[str]) -> ProbeResult:
    """Every difference between the reference cell's first run and each other cell's runs.

    The reference cell (named ``"reference"``) should have run twice: what differs between its
    two runs is learned as noise. Raises ValueError when no reference run is given.
    """
    references = sorted((c for c in captures if c.cell.name == REFERENCE_CELL), key=lambda c: c.run)
    if not references:
        raise ValueError(f'no capture of the "{REFERENCE_CELL}" cell to compare with')
    reference_cell = references[0].cell
    environment = dict(reference_cell.environment)
    ref_requests = [_normalise(r, environment) for r in references[0].requests]
    noise = _Noise()
    for other in references[1:]:
        learned = _learn_noise(ref_requests, [_normalise(r, environment) for r in other.requests])
        noise.merge(learned)
    cells: list[Cell] = []
    differences: list[Difference] = []
    for capture in captures:
        if capture.cell.name == REFERENCE_CELL:
            continue
        if capture.cell not in cells:
            cells.append(capture.cell)
        var_environment = {**environment, **capture.cell.environment}
        var_requests = [_normalise(r, var_environment) for r in capture.requests]
        differences += _compare_cell(reference_cell, ref_requests, capture.cell, var_requests, noise)
    differences.sort(key=lambda d: _ORDER[d.classification])
    runs = [
        {"cell": c.cell.name, "run": c.run, "exit_status": c.exit_status, "duration_s": round(c.duration_s, 3),
         "requests": len(c.requests)}
        for c in captures
    ]
    return ProbeResult(command=list(command), reference=reference_cell, cells=cells, differences=differences, runs=runs)


def compare_requests(reference: CapturedRequest, variant: CapturedRequest) -> list[Difference]:
    """The aligned differences of two requests with no varied variable (``stegwatch diff``).

    Without a noise run, only random identifiers count as noise; a date or time that moved in
    the same format is explained as the clock moving; conversation text (user, assistant, tool
    results) is explained as not client-authored; every other code-point change is unexplained.
    """
    cell_a = Cell(name="A", environment={})
    cell_b = Cell(name="B", environment={})
    ref_requests = [_normalise(reference, {})]
    var_requests = [_normalise(variant, {})]
    if ref_requests[0].key != var_requests[0].key:
        # Two single requests are compared whatever their route: align them by force.
        var_requests[0].key = ref_requests[0].key
    differences = _compare_cell(cell_a, ref_requests, cell_b, var_requests, _Noise(), strict_roles=True)
    for index, difference in enumerate(differences):
        differences[index] = difference.model_copy(update={"variable": "-"})
    differences.sort(key=lambda d: _ORDER[d.classification])
    return differences
