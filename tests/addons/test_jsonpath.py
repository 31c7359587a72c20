"""RFC 9535 normalized paths: escaping (§2.7), `#json` continuation and parsing back."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from addons.jsonpath import child, inside_json_string, name_segment, normalized_path, parse_path


@pytest.mark.parametrize(
    "parts, expected",
    [
        # Plain names and indices
        ([], "$"),
        (["messages", 0, "content", 1, "text"], "$['messages'][0]['content'][1]['text']"),
        (["input", 2, "arguments"], "$['input'][2]['arguments']"),
        (["$schema"], "$['$schema']"),
        (["a b", "x.y", "[0]"], "$['a b']['x.y']['[0]']"),
        # RFC 9535 §2.7: backslash and apostrophe are escaped
        (["it's"], "$['it\\'s']"),
        (["C:\\Users"], "$['C:\\\\Users']"),
        # Control characters: short escapes, the rest as \u00XX in lower-case hex
        (["line\nbreak\ttab"], "$['line\\nbreak\\ttab']"),
        (["\b\f\r"], "$['\\b\\f\\r']"),
        (["nul\x00esc\x1b"], "$['nul\\u0000esc\\u001b']"),
        # Everything else is written as itself, including marks a reviewer should see
        (["café", "日本語", "\U0001f600"], "$['café']['日本語']['\U0001f600']"),
        (["user\N{RIGHT SINGLE QUOTATION MARK}s"], "$['user\N{RIGHT SINGLE QUOTATION MARK}s']"),
        (["zero\N{ZERO WIDTH SPACE}width"], "$['zero\N{ZERO WIDTH SPACE}width']"),
        (["del\x7f"], "$['del\x7f']"),
        # Lone surrogates cannot be written as themselves: escaped the way JSON writes them
        (["\ud800"], "$['\\ud800']"),
    ],
)
def test_normalized_path(parts: list[str | int], expected: str) -> None:
    assert normalized_path(parts) == expected
    assert parse_path(expected) == (tuple(parts),)


@pytest.mark.parametrize("bad_part", [True, 1.5, None, b"bytes"])
def test_normalized_path_rejects_other_types(bad_part: object) -> None:
    with pytest.raises(TypeError):
        normalized_path(["a", bad_part])  # type: ignore[list-item]


def test_child_and_json_continuation() -> None:
    path = child(child(child("$", "input"), 2), "arguments")
    inner = child(child(inside_json_string(path), "cmd"), 0)
    assert inner == "$['input'][2]['arguments']#json$['cmd'][0]"
    assert parse_path(inner) == (("input", 2, "arguments"), ("cmd", 0))


@pytest.mark.parametrize(
    "path, expected",
    [
        ("$", ((),)),
        ("$#json$", ((), ())),
        ("$['a#json$b']", (("a#json$b",),)),
        ("$['a']#json$[3]#json$['b']", (("a",), (3,), ("b",))),
        ("$['x\\'y\\\\z']", (("x'y\\z",),)),
    ],
)
def test_parse_path(path: str, expected: tuple[tuple[str | int, ...], ...]) -> None:
    assert parse_path(path) == expected


@pytest.mark.parametrize(
    "bad_path",
    ["", "messages", "$.messages", "$[x]", "$['open", "$['a']#jso", "$['a']~", "$[-1]", "$['a']#json"],
)
def test_parse_path_rejects(bad_path: str) -> None:
    with pytest.raises(ValueError):
        parse_path(bad_path)


def test_name_segment_is_memoised_but_pure() -> None:
    assert name_segment("content") is name_segment("content")


_part = st.one_of(st.integers(min_value=0, max_value=10**6), st.text())


@given(st.lists(st.lists(_part, max_size=6), min_size=1, max_size=4))
def test_round_trip(documents: list[list[str | int]]) -> None:
    path = "#json".join(normalized_path(parts) for parts in documents)
    assert parse_path(path) == tuple(tuple(parts) for parts in documents)
