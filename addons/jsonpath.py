"""RFC 9535 normalized paths: where a string sits in a JSON body, written one way only.

A normalized path names each member in single quotes and each array element by its index,
e.g. ``$['messages'][0]['content'][1]['text']``. RFC 9535 §2.7 fixes the escaping inside the
quotes: backslash and apostrophe are escaped, ``\\b \\f \\n \\r \\t`` stand for their control
characters and the other C0 controls are written ``\\u00XX``. Every other character, including
non-ASCII letters and invisible format characters, is written as itself, so a member name that
carries a covert mark shows it in the path exactly as the body holds it.

Two extensions, both outside what RFC 9535 can say:

- A string that itself holds JSON (tool-call arguments) continues its path after ``#json``,
  e.g. ``$['input'][2]['arguments']#json$['cmd'][0]`` (see ``shared/README.md``).
- A lone surrogate (a ``"\\ud800"`` escape in the body, which Python keeps) cannot be written as
  itself; it is escaped as ``\\udXXX`` in lower case, the way JSON would write it.

`addons.shapes` also reports a non-ASCII member *name* at the member's path followed by ``~``
(JSONPath-Plus's property-name marker). `parse_path` refuses that suffix: strip it first, and
remember that such a path names a key, which cannot be rewritten as a string value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

JSON_CONTINUATION = "#json"
ROOT = "$"

# Characters that RFC 9535 §2.7 escapes in a normalized name, plus lone surrogates.
_NEEDS_ESCAPE = re.compile("[\\x00-\\x1f'\\\\\ud800-\udfff]")
_SHORT_ESCAPES = {"\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "'": "\\'", "\\": "\\\\"}
_SEGMENT = re.compile(r"\[(?:(\d+)|'((?:[^'\\]|\\.)*)')\]", re.DOTALL)
_UNESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|(.))", re.DOTALL)
_UNESCAPED = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "'": "'", "\\": "\\", "/": "/"}


def _escape_char(match: re.Match[str]) -> str:
    char = match.group()
    return _SHORT_ESCAPES.get(char) or f"\\u{ord(char):04x}"


@lru_cache(maxsize=4096)
def name_segment(name: str) -> str:
    """The bracketed segment of one member name.

    >>> name_segment("messages")
    "['messages']"
    >>> name_segment("it's")
    "['it\\\\'s']"
    >>> name_segment("a\\tb\\x01")
    "['a\\\\tb\\\\u0001']"
    >>> name_segment("caf\\u00e9")
    "['café']"
    """
    if _NEEDS_ESCAPE.search(name) is None:
        return f"['{name}']"
    return "['" + _NEEDS_ESCAPE.sub(_escape_char, name) + "']"


def index_segment(index: int) -> str:
    """The bracketed segment of one array index.

    >>> index_segment(3)
    '[3]'
    """
    return f"[{index}]"


def child(path: str, part: str | int) -> str:
    """``path`` extended by one member name or array index.

    >>> child("$['messages']", 0)
    "$['messages'][0]"
    """
    if isinstance(part, str):
        return path + name_segment(part)
    return path + f"[{part}]"


def normalized_path(parts: Iterable[str | int]) -> str:
    """The normalized path of a member-name / index sequence from the root.

    >>> normalized_path(["messages", 0, "content", 1, "text"])
    "$['messages'][0]['content'][1]['text']"
    >>> normalized_path([])
    '$'
    >>> normalized_path(["o'k\\\\"])
    "$['o\\\\'k\\\\\\\\']"
    """
    segments = [ROOT]
    for part in parts:
        if isinstance(part, bool) or not isinstance(part, str | int):
            raise TypeError(f"a path part is a member name (str) or an index (int), not {part!r}")
        segments.append(name_segment(part) if isinstance(part, str) else f"[{part}]")
    return "".join(segments)


def inside_json_string(path: str) -> str:
    """The root path of the JSON document held by the string at ``path``.

    >>> inside_json_string("$['input'][2]['arguments']")
    "$['input'][2]['arguments']#json$"
    """
    return path + JSON_CONTINUATION + ROOT


def parse_path(path: str) -> tuple[tuple[str | int, ...], ...]:
    """The parts of a normalized path, one tuple per JSON document (split at ``#json``).

    The inverse of `normalized_path` and `inside_json_string`, for code that must find the
    string a path names (for instance to rewrite it in place).

    >>> parse_path("$['input'][2]['arguments']#json$['cmd'][0]")
    (('input', 2, 'arguments'), ('cmd', 0))
    >>> parse_path(normalized_path(["it's", "a\\nb"])) == (("it's", "a\\nb"),)
    True
    >>> parse_path("$[x]")
    Traceback (most recent call last):
    ...
    ValueError: not a normalized path at offset 1: '$[x]'
    """
    documents: list[tuple[str | int, ...]] = []
    position = 0
    while True:
        if not path.startswith(ROOT, position):
            raise ValueError(f"not a normalized path at offset {position}: {path!r}")
        position += len(ROOT)
        parts: list[str | int] = []
        while position < len(path) and path[position] == "[":
            match = _SEGMENT.match(path, position)
            if match is None:
                raise ValueError(f"not a normalized path at offset {position}: {path!r}")
            index, name = match.groups()
            parts.append(int(index) if index is not None else _UNESCAPE.sub(_unescape_char, name))
            position = match.end()
        documents.append(tuple(parts))
        if position == len(path):
            return tuple(documents)
        if not path.startswith(JSON_CONTINUATION, position):
            raise ValueError(f"not a normalized path at offset {position}: {path!r}")
        position += len(JSON_CONTINUATION)


def _unescape_char(match: re.Match[str]) -> str:
    hex_digits, char = match.groups()
    if hex_digits is not None:
        return chr(int(hex_digits, 16))
    return _UNESCAPED.get(char, char)
