"""Tests for addons/splice.py: rewriting JSON strings inside the original request bytes."""

from __future__ import annotations

import doctest
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import addons.splice
from addons.jsonpath import child, parse_path
from addons.splice import SpliceError, StringToken, encode_like, splice, string_spans

DATA = Path(__file__).parent.parent / "data" / "splice"
FIXTURES = {path.stem: json.loads(path.read_bytes()) for path in sorted(DATA.glob("*.json"))}

# Marks a covert channel would inject, written as escapes so this file hides nothing.
MARKS = [
    "\N{ZERO WIDTH SPACE}",
    "\N{MODIFIER LETTER APOSTROPHE}",
    "\U000e0041",  # TAG LATIN CAPITAL LETTER A
    "\N{RIGHT SINGLE QUOTATION MARK}",
    "\N{ZERO WIDTH NO-BREAK SPACE}",
    "\N{NO-BREAK SPACE}",
    "\N{WORD JOINER}",
    "\N{LINE SEPARATOR}",
    "\U0001f600",
]


# --- Serialisation styles real clients use ------------------------------------------------------

_ESCAPE_OR = r"\\u[0-9a-fA-F]{4}|\\."


def _upper_hex(text: str) -> str:
    return re.sub(
        _ESCAPE_OR, lambda m: "\\u" + m.group()[2:].upper() if m.group()[1] == "u" else m.group(), text
    )


def _escape_chars(text: str, chars: str, upper: bool) -> str:
    """Write each of `chars` as \\uXXXX, leaving existing escapes alone."""

    def replace(match: re.Match[str]) -> str:
        piece = match.group()
        if piece[0] == "\\":
            return piece
        return f"\\u{ord(piece):04X}" if upper else f"\\u{ord(piece):04x}"

    return re.sub(_ESCAPE_OR + "|[" + re.escape(chars) + "]", replace, text)


# name -> (json.dumps keyword arguments, transform of the json.dumps text, prefix, suffix)
STYLES: dict[str, tuple[dict[str, Any], Callable[[str], str], str, str]] = {
    "compact_ascii": ({"separators": (",", ":")}, str, "", ""),
    "compact_utf8": ({"separators": (",", ":"), "ensure_ascii": False}, str, "", ""),
    "pretty_ascii": ({"indent": 2}, str, "", "\n"),
    "pretty_utf8": ({"indent": 2, "ensure_ascii": False}, str, "", "\n"),
    "python_default": ({}, str, "", ""),
    "odd_whitespace": (
        {"indent": "\t", "separators": (" ,", " :  "), "ensure_ascii": False},
        str,
        " \r\n",
        "\r\n\t ",
    ),
    # PHP json_encode: escaped slashes, \uXXXX for non-ASCII.
    "php_like": ({"separators": (",", ":")}, lambda t: t.replace("/", "\\/"), "", ""),
    # .NET System.Text.Json: upper-case hex, HTML-sensitive characters escaped.
    "dotnet_like": (
        {"separators": (",", ":")},
        lambda t: _escape_chars(_upper_hex(t), "<>&'+", upper=True),
        "",
        "",
    ),
    # Go encoding/json: raw UTF-8 but <>& and U+2028/U+2029 escaped.
    "go_like": (
        {"separators": (",", ":"), "ensure_ascii": False},
        lambda t: _escape_chars(t, "<>&\u2028\u2029", upper=False),
        "",
        "",
    ),
}
ASCII_STYLES = {"compact_ascii", "pretty_ascii", "python_default", "php_like", "dotnet_like"}


def serialize(obj: Any, style: str) -> bytes:
    kwargs, transform, prefix, suffix = STYLES[style]
    return (prefix + transform(json.dumps(obj, **kwargs)) + suffix).encode("utf-8")


def serialize_string(value: str, style: str) -> bytes:
    kwargs, transform, _, _ = STYLES[style]
    return transform(json.dumps(value, ensure_ascii=kwargs.get("ensure_ascii", True))).encode("utf-8")


# --- A reference walk over the parsed value ------------------------------------------------------


def reference_strings(value: Any) -> Iterator[tuple[str, str]]:
    """(normalized path, value) of every string value of a parsed value, in document order."""
    stack: list[tuple[str, Any]] = [("$", value)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, str):
            yield path, node
        elif isinstance(node, dict):
            stack.extend(reversed([(child(path, key), item) for key, item in node.items()]))
        elif isinstance(node, list):
            stack.extend(reversed([(child(path, index), item) for index, item in enumerate(node)]))


def set_at(obj: Any, path: str, new: str) -> None:
    """Set the string at a normalized path (no #json) of a parsed value."""
    [parts] = parse_path(path)
    target = obj
    for part in parts[:-1]:
        target = target[part]
    target[parts[-1]] = new


def exact(function: Callable[..., Any], *args: Any) -> Any:
    """Run `function` with the fast path disabled, so the exact tokenizer does all the work."""
    with (
        mock.patch.object(addons.splice, "_locate", side_effect=addons.splice._UseExactPath),
        mock.patch.object(addons.splice, "_parse", side_effect=addons.splice._UseExactPath),
    ):
        result = function(*args)
        return list(result) if isinstance(result, Iterator) else result


def copy(obj: Any) -> Any:
    return json.loads(json.dumps(obj))


def assert_only_tokens_changed(raw: bytes, out: bytes, rewritten: set[str]) -> dict[str, bytes]:
    """Rebuild `out` from `raw`'s bytes plus the new tokens: everything else must be identical.

    Returns the new token bytes by path.
    """
    old = {t.path: t for t in string_spans(raw)}
    new = {t.path: t for t in string_spans(out)}
    assert old.keys() == new.keys()
    pieces = []
    done = 0
    for path in sorted(rewritten, key=lambda p: old[p].start):
        pieces += [raw[done : old[path].start], out[new[path].start : new[path].end]]
        done = old[path].end
    pieces.append(raw[done:])
    assert b"".join(pieces) == out
    return {path: out[new[path].start : new[path].end] for path in rewritten}


# --- Doctests of the module ----------------------------------------------------------------------


def test_module_doctests() -> None:
    failures, tried = doctest.testmod(addons.splice)
    assert tried >= 6 and failures == 0


# --- string_spans: paths, offsets, decoded values ------------------------------------------------


@pytest.mark.parametrize("fixture", sorted(FIXTURES))
@pytest.mark.parametrize("style", sorted(STYLES))
def test_string_spans_match_a_reference_walk(fixture: str, style: str) -> None:
    raw = serialize(FIXTURES[fixture], style)
    tokens = list(string_spans(raw))
    assert [(t.path, t.value) for t in tokens] == list(reference_strings(FIXTURES[fixture]))
    for token in tokens:
        assert json.loads(raw[token.start : token.end]) == token.value
    assert exact(string_spans, raw) == tokens


@pytest.mark.parametrize(
    "raw, expected",
    [
        # Keys are never tokens; numbers, literals and containers are skipped.
        (b'{"a": 1, "b": [true, null, "x", {"c": "y"}]}', [("$['b'][2]", "x"), ("$['b'][3]['c']", "y")]),
        (b'"top"', [("$", "top")]),
        (b'[[], {}, [["deep"]]]', [("$[2][0][0]", "deep")]),
        # RFC 9535 name escaping: quote, backslash, controls; everything else as is.
        (b'{"it\'s": "1"}', [("$['it\\'s']", "1")]),
        (b'{"a\\\\b": "1"}', [("$['a\\\\b']", "1")]),
        (b'{"line\\nbreak\\t\\u0001": "1"}', [("$['line\\nbreak\\t\\u0001']", "1")]),
        (b'{"": "empty key"}', [("$['']", "empty key")]),
        (b'{"\\u00e9t\\u00e9 \xe5\xa4\x8f": "1"}', [("$['\u00e9t\u00e9 \u590f']", "1")]),
        (b'{"a#json$b": "1"}', [("$['a#json$b']", "1")]),
        # Escaped quotes and backslashes do not end the token early.
        (
            b'["\\\\", "\\"", "\\\\\\"", "a\\\\\\\\"]',
            [("$[0]", "\\"), ("$[1]", '"'), ("$[2]", '\\"'), ("$[3]", "a\\\\")],
        ),
        # Lone surrogates are legal JSON and decode as such.
        (b'["\\ud800", "\\udfff\\ud83d\\ude00"]', [("$[0]", "\ud800"), ("$[1]", "\udfff\U0001f600")]),
        # A lone surrogate in a member name is written as its escape in the path.
        (b'{"\\ud800": "1"}', [("$['\\ud800']", "1")]),
        # Duplicate keys: both tokens, same path (json.loads would keep only the last).
        (b'{"a": "first", "a": "second"}', [("$['a']", "first"), ("$['a']", "second")]),
    ],
)
def test_string_spans_paths_and_values(raw: bytes, expected: list[tuple[str, str]]) -> None:
    assert [(t.path, t.value) for t in string_spans(raw)] == expected
    assert [(t.path, t.value) for t in exact(string_spans, raw)] == expected


def test_string_spans_offsets_include_quotes() -> None:
    raw = b'{"k": "v\\"w", "n": ["\xe6\x97\xa5"]}'
    assert list(string_spans(raw)) == [
        StringToken("$['k']", 6, 12, 'v"w', False),
        StringToken("$['n'][0]", 20, 25, "\u65e5", False),
    ]


@pytest.mark.parametrize(
    "token, ascii_escaped",
    [
        (b'"caf\\u00e9"', True),
        (b'"caf\\u00E9"', True),
        (b'"\\ud83d\\ude00"', True),
        (b'"caf\xc3\xa9"', False),
        # Mixed: raw non-ASCII wins (Go escapes U+2028 in an otherwise raw body).
        (b'"caf\xc3\xa9\\u2028"', False),
        # No non-ASCII at all: nothing to tell.
        (b'"plain"', False),
        (b'"tab\\t and \\u001f"', False),
        # An escaped backslash followed by "u00e9" is text, not an escape.
        (b'"C:\\\\u00e9"', False),
        (b'"C:\\\\\\u00e9"', True),
    ],
)
def test_ascii_escaped(token: bytes, ascii_escaped: bool) -> None:
    [span] = string_spans(b"[" + token + b"]")
    assert span.ascii_escaped is ascii_escaped


def test_string_spans_byte_offsets_after_non_ascii() -> None:
    raw = '\ufeff{"\u5f20": "\u674e\u96f7", "b": ["\U0001f680", "x"]}'.encode()
    for spans in (list(string_spans(raw)), exact(string_spans, raw)):
        assert [raw[t.start : t.end].decode() for t in spans] == ['"\u674e\u96f7"', '"\U0001f680"', '"x"']


def test_deep_nesting_uses_no_recursion() -> None:
    depth = 50_000
    raw = b'{"a":' * depth + b'"bottom"' + b"}" * depth
    [token] = string_spans(raw)
    assert token.path == "$" + "['a']" * depth and token.value == "bottom"
    out = splice(raw, {token.path: "clean"})
    assert out == raw.replace(b"bottom", b"clean")


# --- Invalid bodies ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"   ",
        b"{",
        b'{"a":}',
        b'{"a" 1}',
        b'{"a":1,}',
        b"[1,]",
        b"[1 2]",
        b"[]]",
        b"{}{}",
        b"01",
        b"-",
        b"1.",
        b"nul",
        b"truex",
        b"{'a': 1}",
        b'{"a":"unterminated}',
        b'"raw \x01 control"',
        b'"raw\nnewline"',
        b'"bad \\x escape"',
        b'"short \\u12 escape"',
        b'{1: "x"}',
        b'["\xff"]',
        b'["\xed\xa0\x80"]',  # a surrogate encoded as UTF-8 bytes (CESU-8), not UTF-8
        b"NaN",
        b"[Infinity]",
        b'{"a":1}\x00',
    ],
)
def test_invalid_json_is_refused(raw: bytes) -> None:
    with pytest.raises(SpliceError, match="not valid JSON"):
        splice(raw, {"$['a']": "x"})
    with pytest.raises(SpliceError, match="not valid JSON"):
        list(string_spans(raw))


def test_malformed_path_is_refused() -> None:
    with pytest.raises(SpliceError, match="not a normalized path"):
        splice(b'{"messages": ["x"]}', {"messages[0]": "y"})


@pytest.mark.parametrize(
    "raw",
    [
        b"\xef\xbb\xbf{}",  # UTF-8 byte order mark, as json.loads accepts
        b' \t\r\n{ "a" : [ ] , "b" : { } } \r\n',
        b"-0",
        b"1E400",
        b'["\\/", "\\b\\f\\n\\r\\t"]',
    ],
)
def test_unusual_valid_json_is_accepted(raw: bytes) -> None:
    list(string_spans(raw))
    assert splice(raw, {}) == raw
    assert exact(splice, raw, {}) == raw


def test_huge_integers_beyond_pythons_digit_limit_are_kept() -> None:
    raw = b'{"n": ' + b"9" * 5000 + b', "s": "a\\u200bb"}'
    assert splice(raw, {"$['s']": "ab"}) == raw.replace(b"a\\u200bb", b"ab")


# --- encode_like ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, original, expected",
    [
        # Python / JS defaults
        ("It's", b'"It\\u2019s"', b'"It\'s"'),
        ("caf\u00e9 \u2014 \U0001f600", b'"It\\u2019s"', b'"caf\\u00e9 \\u2014 \\ud83d\\ude00"'),
        ("caf\u00e9 \U0001f600", b'"It\xe2\x80\x99s"', "caf\u00e9 \U0001f600".join('""').encode()),
        ('say "hi"\n\ttab \\ \x01', b'"x"', b'"say \\"hi\\"\\n\\ttab \\\\ \\u0001"'),
        # Hex case follows the original; lower by default.
        ("\u00e9", b'"\\u00E9"', b'"\\u00E9"'),
        ("\u00e9\U0001f600", b'"\\u00C9"', b'"\\u00E9\\uD83D\\uDE00"'),
        ("\x01", b'"\\u00AB"', b'"\\u0001"'),
        ("\x01", b'"\\u00ab"', b'"\\u0001"'),
        # Slashes are escaped only if the original escaped them.
        ("a/b", b'"x\\/y"', b'"a\\/b"'),
        ("a/b", b'"x/y \\u00e9"', b'"a/b"'),
        ("a/b", b'"xy"', b'"a/b"'),
        # Characters the original wrote as \uXXXX beyond json.dumps' habit (Go, .NET).
        ("<a&b>", b'"\\u003cp\\u003e"', b'"\\u003ca\\u0026b\\u003e"'),
        ("x\u2029y", b'"\xc3\xa9\\u2028"', b'"x\\u2029y"'),
        ("It's", b'"\\u0027s \\u00E9"', b'"It\\u0027s"'),
        ("a\nb", b'"x\\u000ay"', b'"a\\u000ab"'),
        ('"q"', b'"\\u0022"', b'"\\u0022q\\u0022"'),
        # DEL written raw in an escaped token stays raw.
        ("\x7f\u00e9", b'"\x7f\\u00e9"', b'"\x7f\\u00e9"'),
        # Lone surrogates only travel as escapes, even in a raw UTF-8 token.
        ("\ud800\u00e9", b'"\xc3\xa9"', b'"\\ud800\xc3\xa9"'),
        ("\udfff", b'"\\u00e9"', b'"\\udfff"'),
        # An escaped backslash before "u00e9" is text: the token shows no escaping style.
        ("\u00e9", b'"C:\\\\u00E9"', "\u00e9".join('""').encode()),
    ],
)
def test_encode_like(value: str, original: bytes, expected: bytes) -> None:
    encoded = encode_like(value, original)
    assert encoded == expected
    assert json.loads(encoded) == value


# --- splice: unit cases --------------------------------------------------------------------------


def test_empty_mapping_returns_the_same_bytes() -> None:
    raw = serialize(FIXTURES["anthropic_messages"], "odd_whitespace")
    assert splice(raw, {}) is raw


def test_numbers_and_layout_survive() -> None:
    raw = b'{ "n" :1E400,"big":123456789012345678901234567890, "f": 1.10 ,"z":-0,"s":"x\\u2019y"}\n'
    assert splice(raw, {"$['s']": "x'y"}) == raw.replace(b"x\\u2019y", b"x'y")


def test_unchanged_value_keeps_odd_original_bytes() -> None:
    raw = b'{"a": "\\u0041\\/\\u00E9 \\ud800"}'
    assert splice(raw, {"$['a']": "A/\u00e9 \ud800"}) == raw


def test_lone_surrogates_round_trip() -> None:
    raw = b'{"a": "\\ud800 It\\u2019s \\udc00"}'
    out = splice(raw, {"$['a']": "\ud800 It's \udc00"})
    assert out == b'{"a": "\\ud800 It\'s \\udc00"}'
    assert json.loads(out) == {"a": "\ud800 It's \udc00"}


def test_duplicate_keys_rewrite_every_occurrence() -> None:
    raw = b'{"a": "one\\u200b", "a": "two\\u200b"}'
    assert splice(raw, {"$['a']": "two"}) == b'{"a": "two", "a": "two"}'


def test_body_evidence_decides_for_tokens_without_non_ascii() -> None:
    # The rewritten token itself has no non-ASCII; the body as a whole says how to write it.
    ascii_body = b'{"a": "\\u00e9t\\u00e9", "b": "plain"}'
    assert splice(ascii_body, {"$['b']": "caf\u00e9"}) == b'{"a": "\\u00e9t\\u00e9", "b": "caf\\u00e9"}'
    utf8_body = '{"a": "\u00e9t\u00e9", "b": "plain"}'.encode()
    assert splice(utf8_body, {"$['b']": "caf\u00e9"}) == '{"a": "\u00e9t\u00e9", "b": "caf\u00e9"}'.encode()
    # .NET escapes apostrophes: a cleaned U+2019 must not be the only raw one in the body.
    dotnet = b'{"a":"Don\\u0027t","b":"It\\u2019s \\u00E9"}'
    assert splice(dotnet, {"$['b']": "It's \u00e9"}) == b'{"a":"Don\\u0027t","b":"It\\u0027s \\u00E9"}'
    # An escaped backslash followed by "u00E9" or "/" is text, not evidence of a style.
    windows = b'{"path":"C:\\\\u00E9\\\\/x","b":"a\\u2060b"}'
    assert splice(windows, {"$['b']": "a/\u00e9"}) == b'{"path":"C:\\\\u00E9\\\\/x","b":"a/\\u00e9"}'
    php = b'{"url":"https:\\/\\/example.com","b":"a\\u200bb"}'
    assert splice(php, {"$['b']": "a/b"}) == b'{"url":"https:\\/\\/example.com","b":"a\\/b"}'


# #json continuations
def test_json_continuation_keeps_inner_formatting() -> None:
    inner = '{"cmd": ["bash", "-lc", "echo It\\u2019s"],\n "workdir": "/tmp"}'
    raw = json.dumps({"arguments": inner, "n": 1}).encode()
    out = splice(raw, {"$['arguments']#json$['cmd'][2]": "echo It's"})
    assert json.loads(out) == {"arguments": inner.replace("\\u2019", "'"), "n": 1}
    assert_only_tokens_changed(raw, out, {"$['arguments']"})


def test_json_continuation_can_nest_twice() -> None:
    innermost = json.dumps({"q": "a\u200bb"})
    middle = json.dumps({"payload": innermost}, indent=1)
    raw = json.dumps([middle], ensure_ascii=False).encode()
    out = splice(raw, {"$[0]#json$['payload']#json$['q']": "ab"})
    assert json.loads(out) == [json.dumps({"payload": json.dumps({"q": "ab"})}, indent=1)]


@pytest.mark.parametrize(
    "raw, replacements, message",
    [
        (b'{"a": "x"}', {"$['b']": "y"}, r"no JSON string value at \$\['b'\]"),
        (b'{"a": 1}', {"$['a']": "y"}, r"no JSON string value at \$\['a'\]"),
        (b'{"a": {"b": "c"}}', {"$['a']": "y"}, r"no JSON string value at \$\['a'\]"),
        (b'{"a": "[\\"x\\"]"}', {"$['a']#json$[1]": "y"}, r"no JSON string value at \$\['a'\]#json\$\[1\]"),
        (b'{"a": "not json"}', {"$['a']#json$[0]": "y"}, r"the string at \$\['a'\] is not valid JSON"),
        (b'{"a": "\\ud800"}', {"$['a']#json$[0]": "y"}, r"the string at \$\['a'\] is not valid JSON"),
        (b'{"a": "[\\"x\\"]"}', {"$['a']": "y", "$['a']#json$[0]": "z"}, r"\$\['a'\]: replaced both"),
    ],
)
def test_errors_name_the_path(raw: bytes, replacements: dict[str, str], message: str) -> None:
    with pytest.raises(SpliceError, match=message):
        splice(raw, replacements)


# --- Property tests over real agent bodies -------------------------------------------------------

_STRING_PATHS = {name: [path for path, _ in reference_strings(obj)] for name, obj in FIXTURES.items()}


# What a sanitizer makes of each mark: look-alikes become ASCII, invisible characters go.
SANITIZED = {
    "\N{MODIFIER LETTER APOSTROPHE}": "'",
    "\N{RIGHT SINGLE QUOTATION MARK}": "'",
    "\N{NO-BREAK SPACE}": " ",
    "\U0001f600": "\U0001f600",
}


@st.composite
def marked_bodies(draw: st.DrawFn) -> tuple[str, dict[str, str], Any]:
    """(style, {path: sanitized value} of the marked strings, marked object)."""
    fixture = draw(st.sampled_from(sorted(FIXTURES)))
    style = draw(st.sampled_from(sorted(STYLES)))
    paths = draw(st.lists(st.sampled_from(_STRING_PATHS[fixture]), min_size=1, max_size=8, unique=True))
    values = dict(reference_strings(FIXTURES[fixture]))
    marked = copy(FIXTURES[fixture])
    sanitized = {}
    for path in paths:
        value = clean = values[path]
        for _ in range(draw(st.integers(1, 3))):
            at = draw(st.integers(0, len(value)))
            mark = draw(st.sampled_from(MARKS))
            value = value[:at] + mark + value[at:]
            clean = value.translate({ord(m): SANITIZED.get(m, "") for m in MARKS})
        set_at(marked, path, value)
        sanitized[path] = clean
    return style, sanitized, marked


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=marked_bodies(), keep=st.lists(st.booleans(), min_size=8, max_size=8))
def test_splicing_clean_values_into_marked_bodies(
    case: tuple[str, dict[str, str], Any], keep: list[bool]
) -> None:
    style, sanitized, marked = case
    raw = serialize(marked, style)
    # Clean only some of the marked strings: the rest must stay marked, byte for byte.
    chosen = {
        path: value for (path, value), skip in zip(sanitized.items(), keep, strict=False) if not skip
    } or sanitized
    out = splice(raw, chosen)

    expected = copy(marked)
    for path, value in chosen.items():
        set_at(expected, path, value)
    assert json.loads(out) == expected  # (1) parses, (2) equal except at the rewritten strings
    new_tokens = assert_only_tokens_changed(raw, out, set(chosen))  # (3)
    for path, token in new_tokens.items():  # (4) in the style of the body
        assert token == serialize_string(chosen[path], style)
    if style in ASCII_STYLES:
        assert out.isascii()
    assert splice(raw, {}) == raw  # (5)
    # Together: exactly what the client's own serializer would have sent without the marks.
    assert out == serialize(expected, style)
    assert splice(out, chosen) == out  # idempotent
    assert exact(splice, raw, chosen) == out  # the fast path and the exact tokenizer agree


# Inner JSON styles of tool-call arguments: OpenAI's Python SDK, JS's JSON.stringify, pretty.
INNER_STYLES: dict[str, dict[str, Any]] = {
    "python_sdk": {},
    "js_stringify": {"separators": (",", ":"), "ensure_ascii": False},
    "pretty": {"indent": 2, "ensure_ascii": False},
    "escaped_pretty": {"indent": 4},
}
_ARGUMENT_PATHS = [
    ("openai_responses", "$['input'][4]['arguments']"),
    ("openai_responses", "$['input'][5]['output']"),
    ("openai_responses", "$['input'][6]['arguments']"),
    ("openai_chat_completions", "$['messages'][2]['tool_calls'][0]['function']['arguments']"),
]


@settings(max_examples=100, deadline=None)
@given(
    where=st.sampled_from(_ARGUMENT_PATHS),
    outer_style=st.sampled_from(sorted(STYLES)),
    inner_style=st.sampled_from(sorted(INNER_STYLES)),
    data=st.data(),
)
def test_json_continuation_properties(
    where: tuple[str, str], outer_style: str, inner_style: str, data: st.DataObject
) -> None:
    fixture, outer_path = where
    body = copy(FIXTURES[fixture])
    original_outer = dict(reference_strings(body))[outer_path]
    inner = json.loads(original_outer)
    inner_values = dict(reference_strings(inner))
    paths = data.draw(st.lists(st.sampled_from(sorted(inner_values)), min_size=1, max_size=3, unique=True))
    marked_inner = copy(inner)
    for path in paths:
        value = inner_values[path]
        at = data.draw(st.integers(0, len(value)))
        set_at(marked_inner, path, value[:at] + data.draw(st.sampled_from(MARKS)) + value[at:])
    set_at(body, outer_path, json.dumps(marked_inner, **INNER_STYLES[inner_style]))
    raw = serialize(body, outer_style)

    out = splice(raw, {f"{outer_path}#json{path}": inner_values[path] for path in paths})

    expected_outer = json.dumps(inner, **INNER_STYLES[inner_style])  # (6) inner formatting kept
    set_at(body, outer_path, expected_outer)
    assert json.loads(out) == body
    [token] = assert_only_tokens_changed(raw, out, {outer_path}).values()
    assert token == serialize_string(expected_outer, outer_style)
    assert exact(splice, raw, {f"{outer_path}#json{path}": inner_values[path] for path in paths}) == out
    if outer_style in ASCII_STYLES:
        assert out.isascii()


@settings(max_examples=60, deadline=None)
@given(
    fixture=st.sampled_from(sorted(FIXTURES)),
    data=st.data(),
)
def test_as_written_fixture_files_keep_every_other_byte(fixture: str, data: st.DataObject) -> None:
    raw = (DATA / f"{fixture}.json").read_bytes()
    tokens = list(string_spans(raw))
    chosen = data.draw(st.lists(st.sampled_from(tokens), min_size=1, max_size=6, unique_by=lambda t: t.path))
    new_values = {t.path: data.draw(st.sampled_from(MARKS)) + t.value[::-1] for t in chosen}
    out = splice(raw, new_values)
    parsed = json.loads(out)
    assert (
        dict(reference_strings(parsed))
        == {path: value for path, value in reference_strings(json.loads(raw))} | new_values
    )
    assert_only_tokens_changed(raw, out, set(new_values))
    assert splice(out, {t.path: t.value for t in chosen}) == raw


# --- Fuzz: arbitrary JSON values, both code paths ------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(
    value=json_values,
    dumps_args=st.sampled_from([{}, {"ensure_ascii": False}, {"indent": 1}, {"separators": (",", ":")}]),
    data=st.data(),
)
def test_any_json_value(value: Any, dumps_args: dict[str, Any], data: st.DataObject) -> None:
    raw = json.dumps(value, **dumps_args).encode()
    spans = list(string_spans(raw))
    assert spans == exact(string_spans, raw)
    assert [(t.path, t.value) for t in spans] == [(path, v) for path, v in reference_strings(value)]
    if not spans:
        return
    chosen = data.draw(st.lists(st.sampled_from(spans), min_size=1, max_size=4, unique_by=lambda t: t.path))
    # Lone surrogates too (high ones only: an adjacent high+low pair would decode as one character).
    new_text = st.text() | st.text(
        alphabet=st.sampled_from(["\ud800", "\udbff", "a", "\u00e9", "\U0001f600", '"', "\\", "/"])
    )
    replacements = {t.path: data.draw(new_text) for t in chosen}
    out = splice(raw, replacements)
    assert exact(splice, raw, replacements) == out
    expected = copy(value)
    if isinstance(expected, str):
        expected = replacements["$"]
    else:
        for path, new in replacements.items():
            set_at(expected, path, new)
    assert json.loads(out) == expected
    assert_only_tokens_changed(raw, out, set(replacements))
    if raw.isascii():
        assert out.isascii()
