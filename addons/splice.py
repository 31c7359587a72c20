"""Rewrite chosen JSON strings inside the original request bytes, leaving every other byte alone.

This is the writing half of sanitize mode. The channel it closes is the string values that carry
covert marks (look-alike apostrophes, invisible characters, ...): `splice` replaces exactly those
string tokens. It leaves alone everything the client wrote legitimately around them: key order,
whitespace, number formatting (``1.0``, ``1E400``, ``-0``, integers beyond 2**53), duplicate keys,
and the escaping style of every untouched string. Re-serialising the parsed body instead would
change numbers and whitespace and leave a fingerprint that tells the upstream a proxy rewrote
the request; the issue asks that sanitizing add no trace.

A rewritten string is encoded in the style of the token it replaces, so that a body that wrote
non-ASCII as ``\\uXXXX`` stays pure ASCII, ``\\/`` stays ``\\/`` and upper-case hex stays upper
case (`encode_like`). Paths are RFC 9535 normalized paths (`addons.jsonpath`); a path may
continue after ``#json`` into a string that itself holds JSON (tool-call arguments), whose own
formatting is kept too.

    >>> body = b'{"model": "m", "system": "It\\\\u2019s 2026", "n": 1.0}'
    >>> splice(body, {"$['system']": "It's 2026"})
    b'{"model": "m", "system": "It\\'s 2026", "n": 1.0}'

Both functions validate the whole body (RFC 8259 JSON in UTF-8; lone surrogate escapes such as
``"\\ud800"`` are legal and survive) and run in linear time. The fast path lets the stdlib's C
JSON scanner parse the body and skip every subtree no replacement reaches; only the containers
on a replaced path are walked in Python. Bodies that path cannot take (nesting deeper than the
C scanner's recursion limit, integers longer than Python's 4300-digit limit, duplicate keys in
`string_spans`, invalid JSON) go to an exact tokenizer: one compiled `re` pattern jumps from
token to token and a small explicit-stack state machine tracks containers and keys, so no depth
overflows the Python stack and invalid JSON gets a precise error.

Pure building block: no mitmproxy import.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from json.decoder import scanstring

from addons.jsonpath import JSON_CONTINUATION, name_segment, normalized_path, parse_path

__all__ = ["SpliceError", "StringToken", "encode_like", "splice", "string_spans"]


class SpliceError(ValueError):
    """The body is not valid JSON, or a path names no string value in it."""


class _NotJSON(SpliceError):
    """Raised by the exact tokenizer; the caller says which text (body or inner string) it was."""


class _UseExactPath(Exception):
    """The fast path cannot decide (deep nesting, duplicate keys, or an error to explain)."""


@dataclass(frozen=True, slots=True)
class StringToken:
    """One JSON string value (never an object key) as it sits in the raw body.

    `start`/`end` are byte offsets of the token including its quotes. `ascii_escaped` is true
    when the token wrote non-ASCII as ``\\uXXXX`` (like ``json.dumps``' default) and holds no raw
    non-ASCII byte; a token with no non-ASCII content at all says False.
    """

    path: str
    start: int
    end: int
    value: str
    ascii_escaped: bool


def _decode_body(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise SpliceError(f"body is not valid JSON: not UTF-8 at byte {e.start}") from None


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


# strict=True refuses raw control characters in strings; NaN and Infinity are not JSON.
_DECODER = json.JSONDecoder(strict=True, parse_constant=_reject_constant)
_scan_value = _DECODER.scan_once
_WS = re.compile(r"[ \t\n\r]*")
_BOM = "\ufeff"


def _parse(text: str) -> object:
    """The value of a whole JSON text, or `_UseExactPath`."""
    try:
        value, end = _DECODER.raw_decode(text, _WS.match(text, 1 if text.startswith(_BOM) else 0).end())
    except (ValueError, RecursionError):
        raise _UseExactPath from None
    if _WS.match(text, end).end() != len(text):
        raise _UseExactPath
    return value


# --- Exact tokenizer -----------------------------------------------------------------------------

# One match per significant token, leading whitespace included. The string alternative is the
# "unrolled loop" form with possessive repeats, so a run of plain characters costs one class
# repeat and nothing is kept for backtracking (several times faster on escape-heavy strings).
# Control characters are illegal inside JSON strings and are rejected here.
_TOKEN = re.compile(
    r"[ \t\n\r]*+(?:"
    r'("[^"\\\x00-\x1f]*+(?:\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})[^"\\\x00-\x1f]*+)*+")'
    r"|([{}\[\],:])"
    r"|(-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null)"
    r")"
)

# What the parser expects next.
_VALUE, _VALUE_OR_CLOSE, _KEY, _KEY_OR_CLOSE, _COLON, _COMMA_OR_CLOSE, _END = range(7)

_EXPECTED = {
    _VALUE: "a value",
    _VALUE_OR_CLOSE: "a value or ']'",
    _KEY: "an object key",
    _KEY_OR_CLOSE: "an object key or '}'",
    _COLON: "':'",
    _COMMA_OR_CLOSE: "',' or a closing bracket",
    _END: "the end of the text",
}


def _invalid(text: str, pos: int, expected: int) -> _NotJSON:
    found = repr(text[pos : pos + 12]) if pos < len(text) else "the end"
    return _NotJSON(f"expected {_EXPECTED[expected]} at character {pos}, found {found}")


def _decode_string(token: str) -> str:
    if "\\" not in token:
        return token[1:-1]
    return scanstring(token, 1, True)[0]


def _walk(text: str) -> Iterator[tuple[str, int, int]]:
    """Yield ``(path, start, end)`` (character offsets) for every string value, validating all.

    String values are not decoded here (callers decode the ones they need); keys are, since
    paths need them.
    """
    # parts[0] is "$"; each open container adds the segment of its current child. is_object
    # and counts run parallel to parts[1:].
    parts = ["$"]
    is_object: list[bool] = []
    counts: list[int] = []
    expect = _VALUE
    pos = 1 if text.startswith(_BOM) else 0
    for match in _TOKEN.finditer(text, pos):
        if match.start() != pos:
            raise _invalid(text, pos, expect)
        pos = match.end()
        string = match.group(1)
        if string is not None:
            if expect in (_VALUE, _VALUE_OR_CLOSE):
                if is_object:
                    if not is_object[-1]:
                        parts[-1] = f"[{counts[-1]}]"
                    expect = _COMMA_OR_CLOSE
                else:
                    expect = _END
                yield "".join(parts), pos - len(string), pos
            elif expect in (_KEY, _KEY_OR_CLOSE):
                parts[-1] = name_segment(_decode_string(string))
                expect = _COLON
            else:
                raise _invalid(text, pos - len(string), expect)
            continue
        punct = match.group(2)
        if punct is None:  # number or literal
            if expect not in (_VALUE, _VALUE_OR_CLOSE):
                raise _invalid(text, match.start(3), expect)
            expect = _COMMA_OR_CLOSE if is_object else _END
        elif punct == ",":
            if expect != _COMMA_OR_CLOSE:
                raise _invalid(text, pos - 1, expect)
            if is_object[-1]:
                expect = _KEY
            else:
                counts[-1] += 1
                expect = _VALUE
        elif punct == ":":
            if expect != _COLON:
                raise _invalid(text, pos - 1, expect)
            expect = _VALUE
        elif punct == "{" or punct == "[":
            if expect not in (_VALUE, _VALUE_OR_CLOSE):
                raise _invalid(text, pos - 1, expect)
            if is_object and not is_object[-1]:
                parts[-1] = f"[{counts[-1]}]"
            opens_object = punct == "{"
            is_object.append(opens_object)
            counts.append(0)
            parts.append("")
            expect = _KEY_OR_CLOSE if opens_object else _VALUE_OR_CLOSE
        else:  # "}" or "]"
            closes_object = punct == "}"
            empty = _KEY_OR_CLOSE if closes_object else _VALUE_OR_CLOSE
            if not (is_object and is_object[-1] == closes_object and expect in (_COMMA_OR_CLOSE, empty)):
                raise _invalid(text, pos - 1, expect)
            is_object.pop()
            counts.pop()
            parts.pop()
            expect = _COMMA_OR_CLOSE if is_object else _END
    if expect != _END or _WS.match(text, pos).end() != len(text):
        raise _invalid(text, pos, expect)


# --- string_spans --------------------------------------------------------------------------------

# Lenient: only ever run over text already known to be valid JSON.
_STRING_TOKEN = re.compile(rb'"[^"\\]*+(?:\\.[^"\\]*+)*+"', re.DOTALL)


def string_spans(raw: bytes) -> Iterator[StringToken]:
    """Every JSON string value (not object keys) in `raw`, in document order.

    Raises `SpliceError` before yielding anything if `raw` is not valid JSON.

    >>> [(t.path, t.start, t.end, t.value) for t in string_spans(b'{"a": ["x", 1, "\\\\u00e9"]}')]
    [("$['a'][0]", 7, 10, 'x'), ("$['a'][2]", 15, 23, 'é')]
    """
    raw = bytes(raw)
    text = _decode_body(raw)
    try:
        return iter(_spans_from_parse(raw, _parse(text)))
    except _UseExactPath:
        pass
    try:
        return iter(_spans_exact(raw, text))
    except _NotJSON as e:
        raise SpliceError(f"body is not valid JSON: {e}") from None


def _spans_from_parse(raw: bytes, value: object) -> list[StringToken]:
    """Pair the parsed value's strings, in document order, with the string tokens of `raw`."""
    next_token = _STRING_TOKEN.finditer(raw).__next__
    spans: list[StringToken] = []
    add = spans.append

    def token_for(path: str, child: str) -> StringToken:
        match = next_token()
        token = match.group()
        return StringToken(path, match.start(), match.end(), child, _writes_non_ascii_escaped(token))

    if type(value) is str:
        return [token_for("$", value)]
    # (path, remaining children, is an object); a frame goes back on the stack under its child.
    stack: list[tuple[str, Iterator, bool]] = []
    if type(value) is dict:
        stack.append(("$", iter(value.items()), True))
    elif type(value) is list:
        stack.append(("$", enumerate(value), False))
    while stack:
        frame = stack.pop()
        prefix, children, in_object = frame
        for key, child in children:
            if in_object:
                next_token()  # the key's own token
            kind = type(child)
            if kind is str:
                add(token_for(prefix + name_segment(key) if in_object else f"{prefix}[{key}]", child))
            elif kind is dict or kind is list:
                path = prefix + name_segment(key) if in_object else f"{prefix}[{key}]"
                stack.append(frame)
                stack.append((path, iter(child.items()) if kind is dict else enumerate(child), kind is dict))
                break
    try:
        next_token()
    except StopIteration:
        return spans
    raise _UseExactPath  # more tokens than strings: duplicate keys collapsed in parsing


def _spans_exact(raw: bytes, text: str) -> list[StringToken]:
    spans: list[StringToken] = []
    same_offsets = text.isascii()
    byte_pos = char_pos = 0
    for path, start, end in _walk(text):
        token = text[start:end]
        if not same_offsets:
            byte_pos += len(text[char_pos:start].encode("utf-8"))
            char_pos = start
            start = byte_pos
        end = start + len(token.encode("utf-8", "surrogatepass"))
        spans.append(
            StringToken(path, start, end, _decode_string(token), _writes_non_ascii_escaped(raw[start:end]))
        )
    return spans


# --- Encoding in the original token's style ------------------------------------------------------

# These patterns assume escaped backslashes are gone (`_without_escaped_backslashes`), so that
# the "u00e9" in "C:\\\\u00e9" (a backslash, then text) is not taken for an escape.
_U_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
# U+2028/U+2029 do not count: encoders that write raw UTF-8 escape them too (Go, JS-safe ones).
_NON_ASCII_ESCAPE = re.compile(rb"\\u(?!00[0-7]|202[89])[0-9a-fA-F]{4}")
_NON_ASCII_ESCAPE_TEXT = re.compile(r"\\u((?!00[0-7]|202[89])[0-9a-fA-F]{4})")
_UPPER_HEX_ESCAPE = re.compile(r"\\u[0-9]{0,3}[A-F]")
_LOWER_HEX_ESCAPE = re.compile(r"\\u[0-9]{0,3}[a-f]")
# Escapes of ASCII characters and of U+2028/U+2029: the ones some encoders add beyond
# json.dumps' (Go and .NET escape <>&, .NET also ' and +, Go and JS-safe encoders U+2028/U+2029).
_NOTABLE_ESCAPE = re.compile(r"\\u(00[0-7][0-9a-fA-F]|202[89])")


def _without_escaped_backslashes[T: (str, bytes)](content: T) -> T:
    """`content` with every ``\\\\`` escape removed; each remaining backslash starts an escape.

    In valid JSON a run of backslashes is ``\\\\`` pairs from its start, plus possibly one that
    starts another escape; `str.replace` removes pairs leftmost first, so it keeps exactly that one.
    """
    if isinstance(content, bytes):
        return content.replace(b"\\\\", b"") if b"\\\\" in content else content
    return content.replace("\\\\", "") if "\\\\" in content else content


_SHORT_ESCAPED = frozenset("\b\t\n\f\r")
# What json.dumps writes as \uXXXX (beyond short escapes), with and without ensure_ascii.
_ESCAPED_BY_ASCII_DUMPS = re.compile("[^\x20-\x7e\b\t\n\f\r]")
_ESCAPED_BY_DUMPS = re.compile("[\x00-\x07\x0b\x0e-\x1f\ud800-\udfff]")
_LINE_SEPARATORS = frozenset("\u2028\u2029")
# Characters that, once one of them is seen escaped, are escaped as a group.
_ESCAPE_GROUPS = (frozenset("<>&"), _LINE_SEPARATORS)


def _hex_case(escapes: str) -> bool | None:
    """True if the ``\\uXXXX`` escapes write hex letters upper case only, None if they show none."""
    # Lower case first: it is the common style, and the first such escape settles the answer.
    if _LOWER_HEX_ESCAPE.search(escapes) is not None:
        return False
    return True if _UPPER_HEX_ESCAPE.search(escapes) is not None else None


def _writes_non_ascii_escaped(token: bytes) -> bool:
    if not token.isascii() or b"\\u" not in token:
        return False
    return _NON_ASCII_ESCAPE.search(_without_escaped_backslashes(token)) is not None


def _default_escapes(char: str, ascii_only: bool) -> bool:
    """Whether json.dumps writes `char` as ``\\uXXXX`` (as opposed to raw or a short escape)."""
    code = ord(char)
    if code < 0x20:
        return char not in _SHORT_ESCAPED
    if ascii_only:
        return code >= 0x7F
    return 0xD800 <= code <= 0xDFFF


def _deviates(char: str, ascii_only: bool) -> bool:
    """Whether an original that escaped `char` did so beyond json.dumps' habit."""
    return not _default_escapes(char, ascii_only) and not 0xD800 <= ord(char) <= 0xDFFF


@dataclass(frozen=True, slots=True)
class _Style:
    ascii_only: bool
    upper_hex: bool
    escape_slash: bool
    # Characters to write as \uXXXX although json.dumps would not.
    force_u: frozenset[str]
    # DEL (U+007F) written raw in an otherwise ASCII-escaped token.
    raw_del: bool


class _BodyStyle:
    """Style evidence from the whole body, for what a single token does not show.

    Each fact is computed on first use and kept: a rewrite needs only some of them, and each
    costs a pass over a body that may be megabytes long. ``_BodyStyle()`` (no body) knows
    nothing and says so with the json.dumps defaults.
    """

    def __init__(self, text: str | None = None) -> None:
        self._text = text

    @cached_property
    def ascii_only(self) -> bool:
        return self._text is not None and self._text.isascii()

    @cached_property
    def _escapes(self) -> str:
        text = self._text or ""
        return _without_escaped_backslashes(text) if "\\" in text else ""

    @cached_property
    def upper_hex(self) -> bool:
        return _hex_case(self._escapes) is True

    @cached_property
    def escape_slash(self) -> bool:
        return "\\/" in self._escapes

    @cached_property
    def force_u(self) -> frozenset[str]:
        # Dropping escaped backslashes only removes matches, so none in the raw text means none.
        text = self._text
        if text is None or ("\\u00" not in text and "\\u202" not in text) or _NOTABLE_ESCAPE.search(text) is None:
            return frozenset()
        notable = set(_NOTABLE_ESCAPE.findall(self._escapes))
        return frozenset(ch for code in notable if _deviates(ch := chr(int(code, 16)), self.ascii_only))


def _style_of(token: str, body: _BodyStyle, value: str) -> _Style:
    """How to write ``value`` in place of ``token``: the token's own habits, else the body's."""
    content = token[1:-1]
    escapes = _without_escaped_backslashes(content)
    has_escapes = "\\u" in escapes
    # Searches, not a full list: an ASCII-escaped CJK string holds an escape every character.
    non_ascii_escape = has_escapes and _NON_ASCII_ESCAPE_TEXT.search(escapes) is not None
    if not content.isascii():
        ascii_only = False
        # Non-ASCII the token escaped although it writes non-ASCII raw (U+2028, U+200D...).
        escaped = set(_NON_ASCII_ESCAPE_TEXT.findall(escapes)) if non_ascii_escape else set()
    else:
        ascii_only = non_ascii_escape or body.ascii_only
        escaped = set()
    if has_escapes:
        escaped.update(_NOTABLE_ESCAPE.findall(escapes))
    escaped_chars = {chr(int(code, 16)) for code in escaped}

    force = {ch for ch in escaped_chars if _deviates(ch, ascii_only)}
    # Body-wide evidence applies unless this token writes the character raw itself.
    force.update(ch for ch in body.force_u if not _writes_raw(ch, content))
    for group in _ESCAPE_GROUPS:
        if force & group:
            force.update(ch for ch in group if not _writes_raw(ch, content))

    # Body-wide evidence costs a pass over the body: asked only when the new value needs it.
    upper_hex = _hex_case(escapes) if has_escapes else None
    if upper_hex is None:
        dumps_escapes = _ESCAPED_BY_ASCII_DUMPS if ascii_only else _ESCAPED_BY_DUMPS
        upper_hex = bool(force or dumps_escapes.search(value)) and body.upper_hex
    escape_slash = "\\/" in escapes if "/" in content else "/" in value and body.escape_slash

    return _Style(
        ascii_only=ascii_only,
        upper_hex=upper_hex,
        escape_slash=escape_slash,
        force_u=frozenset(force),
        raw_del=ascii_only and "\x7f" in content,
    )


def _writes_raw(char: str, content: str) -> bool:
    if char in '"\\' or ord(char) < 0x20:
        return False  # never raw in JSON; their short escapes are the default anyway
    return char in content


_SHORT_DECODE = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _u(char: str, upper: bool) -> str:
    return f"\\u{ord(char):04X}" if upper else f"\\u{ord(char):04x}"


def _restyle(encoded: str, style: _Style) -> str:
    """Apply the style's deviations from json.dumps to a json.dumps result."""
    extra = set(style.force_u) - {'"', "\\"}
    if style.escape_slash:
        extra.add("/")
    pattern = r"\\u[0-9a-fA-F]{4}|\\."
    if extra:
        pattern += "|[" + "".join(re.escape(ch) for ch in sorted(extra)) + "]"

    def replace(match: re.Match[str]) -> str:
        piece = match.group()
        if piece[0] == "\\":
            if piece[1] == "u":
                if style.raw_del and piece[2:].lower() == "007f":
                    return "\x7f"
                return "\\u" + piece[2:].upper() if style.upper_hex else piece
            char = _SHORT_DECODE[piece[1]]
            return _u(char, style.upper_hex) if char in style.force_u else piece
        if piece in style.force_u:
            return _u(piece, style.upper_hex)
        return "\\/"  # the only other raw match

    return re.sub(pattern, replace, encoded)


def _encode(value: str, token: str, body: _BodyStyle) -> str:
    style = _style_of(token, body, value)
    encoded = json.dumps(value, ensure_ascii=style.ascii_only)
    if style.upper_hex or style.escape_slash or style.force_u or style.raw_del:
        encoded = _restyle(encoded, style)
    if not style.ascii_only and _LONE_SURROGATE.search(encoded):
        # Lone surrogates cannot be UTF-8; JSON can only carry them as escapes.
        encoded = _LONE_SURROGATE.sub(lambda m: _u(m.group(), style.upper_hex), encoded)
    return encoded


def encode_like(value: str, original_token: bytes) -> bytes:
    """JSON-encode `value` in the escaping style of `original_token` (a string token, quotes included).

    Non-ASCII is written ``\\uXXXX`` (surrogate pairs for astral characters) if the original did,
    raw UTF-8 otherwise; ``/`` becomes ``\\/`` only if the original escaped it; hex digits keep
    the original's case (lower by default); characters the original escaped beyond json.dumps'
    habit (``\\u003c``, ``\\u2028``, ``\\u0027``...) stay escaped.

    >>> encode_like("It's caf\\u00e9", b'"Today\\\\u2019s"')
    b'"It\\'s caf\\\\u00e9"'
    >>> encode_like("It's caf\\u00e9", b'"Today\\xe2\\x80\\x99s"')
    b'"It\\'s caf\\xc3\\xa9"'
    >>> encode_like("a/b \\U0001F600", b'"x\\\\/y \\\\u00E9"')
    b'"a\\\\/b \\\\uD83D\\\\uDE00"'
    """
    token = bytes(original_token).decode("utf-8", "surrogatepass")
    return _encode(value, token, _BodyStyle()).encode("utf-8")


# --- Splicing ------------------------------------------------------------------------------------


def _split_path(path: str) -> tuple[tuple[str | int, ...], str, str | None]:
    """``(parts of the outer path, outer path, path inside its #json string or None)``.

    >>> _split_path("$['input'][2]['arguments']#json$['cmd'][0]")
    (('input', 2, 'arguments'), "$['input'][2]['arguments']", "$['cmd'][0]")
    >>> _split_path("$['a#json$b']")
    (('a#json$b',), "$['a#json$b']", None)
    """
    try:
        documents = parse_path(path)
    except ValueError as e:
        raise SpliceError(str(e)) from None
    outer = normalized_path(documents[0])
    if len(documents) == 1:
        return documents[0], outer, None
    return documents[0], outer, JSON_CONTINUATION.join(normalized_path(parts) for parts in documents[1:])


def splice(raw: bytes, replacements: Mapping[str, str]) -> bytes:
    """Return `raw` with the string at each path replaced by its new value, all else byte-identical.

    `replacements` maps an RFC 9535 normalized path (optionally continued after ``#json`` into a
    string holding JSON) to the new full string value. A path repeated by duplicate object keys
    rewrites every occurrence, so parsers that keep the first and parsers that keep the last
    duplicate both see the new value. Raises `SpliceError` naming the path when a path has no
    string value, or when the body (or a ``#json`` string) is not valid JSON.

    >>> splice(b'{"args": "{\\\\"cmd\\\\": [\\\\"ls\\\\"]}"}', {"$['args']#json$['cmd'][0]": "pwd"})
    b'{"args": "{\\\\"cmd\\\\": [\\\\"pwd\\\\"]}"}'
    """
    raw = bytes(raw)
    text = _decode_body(raw)
    new_text = _splice_text(text, replacements, "")
    return raw if new_text is text else new_text.encode("utf-8")


@dataclass(slots=True)
class _Node:
    """One step of the replaced paths: the children to descend into, or the path that ends here."""

    children: dict[str | int, _Node] = field(default_factory=dict)
    path: str | None = None


def _splice_text(text: str, replacements: Mapping[str, str], context: str) -> str:
    root = _Node()
    direct: dict[str, str] = {}
    nested: dict[str, dict[str, str]] = {}
    for full_path, value in replacements.items():
        parts, outer, inner = _split_path(full_path)
        if inner is None:
            direct[outer] = value
        else:
            nested.setdefault(outer, {})[inner] = value
        node = root
        for part in parts:
            node = node.children.setdefault(part, _Node())
        node.path = outer
    for outer in direct.keys() & nested.keys():
        raise SpliceError(f"{context}{outer}: replaced both as a whole and inside its {JSON_CONTINUATION}")

    try:
        targets = _locate(text, root)
    except _UseExactPath:
        wanted = direct.keys() | nested.keys()
        try:
            targets = [(start, end, path) for path, start, end in _walk(text) if path in wanted]
        except _NotJSON as e:
            where = f"the string at {context.removesuffix(JSON_CONTINUATION)}" if context else "body"
            raise SpliceError(f"{where} is not valid JSON: {e}") from None

    missing = (direct.keys() | nested.keys()) - {path for _, _, path in targets}
    if missing:
        names = ", ".join(f"{context}{path}" for path in sorted(missing))
        raise SpliceError(f"no JSON string value at {names}")

    pieces: list[str] = []
    done = 0
    body_style: _BodyStyle | None = None
    for start, end, path in targets:
        token = text[start:end]
        old_value = _decode_string(token)
        if path in direct:
            new_value = direct[path]
        else:
            new_value = _splice_text(old_value, nested[path], f"{context}{path}{JSON_CONTINUATION}")
        if new_value == old_value:
            continue  # unchanged: keep the original characters, whatever their style
        if body_style is None:
            body_style = _BodyStyle(text)
        pieces += [text[done:start], _encode(new_value, token, body_style)]
        done = end
    if not pieces:
        return text
    pieces.append(text[done:])
    return "".join(pieces)


def _locate(text: str, root: _Node) -> list[tuple[int, int, str]]:
    """``(start, end, path)`` of the string tokens the tree of paths names, validating all.

    Walks only the containers on a replaced path; the C scanner parses (and so validates) every
    other subtree. Raises `_UseExactPath` on anything unexpected.
    """
    targets: list[tuple[int, int, str]] = []
    # Open containers on a replaced path: (closing bracket, children by key or index, next index).
    stack: list[list] = []
    pos = _WS.match(text, 1 if text.startswith(_BOM) else 0).end()
    node: _Node | None = root
    try:
        while True:
            # A value starts at pos; node is where it sits in the tree, None when off every path.
            char = text[pos]
            if node is not None and node.path is not None and char == '"':
                end = scanstring(text, pos + 1, True)[1]
                targets.append((pos, end, node.path))
                pos = end
            elif node is not None and node.children and (char == "{" or char == "["):
                pos = _WS.match(text, pos + 1).end()
                if char == "{":
                    stack.append(["}", node.children, 0])
                    if text[pos] != "}":
                        pos, node = _member(text, pos, node.children)
                        continue
                else:
                    stack.append(["]", node.children, 0])
                    if text[pos] != "]":
                        node = node.children.get(0)
                        continue
                pos += 1
                stack.pop()
            else:
                pos = _scan_value(text, pos)[1]
            # The value ended: move on in the innermost open container.
            while True:
                if not stack:
                    if _WS.match(text, pos).end() != len(text):
                        raise _UseExactPath
                    return targets
                closer, children, index = frame = stack[-1]
                pos = _WS.match(text, pos).end()
                char = text[pos]
                if char == ",":
                    pos = _WS.match(text, pos + 1).end()
                    if closer == "}":
                        pos, node = _member(text, pos, children)
                    else:
                        frame[2] = index + 1
                        node = children.get(index + 1)
                    break
                if char != closer:
                    raise _UseExactPath
                pos += 1
                stack.pop()
    except (ValueError, IndexError, RecursionError, StopIteration):
        raise _UseExactPath from None


def _member(text: str, pos: int, children: dict[str | int, _Node]) -> tuple[int, _Node | None]:
    """Read ``"key" :`` at pos; return where its value starts and its node."""
    if text[pos] != '"':
        raise _UseExactPath
    key, pos = scanstring(text, pos + 1, True)
    pos = _WS.match(text, pos).end()
    if text[pos] != ":":
        raise _UseExactPath
    return _WS.match(text, pos + 1).end(), children.get(key)
