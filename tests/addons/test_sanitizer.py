"""`addons.sanitizer` (with `addons.policy` choosing): real agent bodies, marks at random places.

The property tests run the add-on's pure pipeline (analyse -> policy -> sanitize) over bodies
shaped like real agent turns for every API (`tests/support/bodies.py` and the captured shapes
in `tests/data/bodies/`), with covert marks injected at random positions of random strings,
including strings inside JSON-holding strings (tool arguments), written raw or ``\\u``-escaped.
"""

from __future__ import annotations

import copy
import os
import gzip
import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from addons.analysis import Analysis, Located, analyse_request
from addons.jsonpath import parse_path
from addons.policy import SCOPES, Rewrite, in_scope, rewrites
from addons.sanitizer import SanitizedBody, encode_body, sanitize_body
from addons.scan_cache import ScanCache
from addons.shapes import Role, TextField, decode_body
from addons.splice import string_spans
from detectors import Severity
from detectors.base import make_finding
from tests.support.bodies import CASES, PDF, RLO, TAG_PAYLOAD, ZWSP

DATA = Path(__file__).resolve().parents[1] / "data" / "bodies"
MAX_BODY = 64 * 1024 * 1024

# Real bodies: the support cases (clean) and the captured agent shapes.
BODIES: list[tuple[str, dict]] = [(make(marked=False).url_path, make(marked=False).body) for make in CASES.values()] + [
    ("/v1/messages", json.loads((DATA / "claude_code_messages.json").read_text())),
    ("/v1/responses", json.loads((DATA / "codex_responses.json").read_text())),
    ("/v1beta/models/gemini-2.5-pro:generateContent", json.loads((DATA / "gemini_cli_generate_content.json").read_text())),
    ("/v1/chat/completions", json.loads((DATA / "openai_chat_tools.json").read_text())),
]

# Marks seen in the wild, each with a replacement: tag smuggling, zero-width characters, a
# modifier-letter apostrophe, full-width digits, a non-breaking hyphen in a date, a Cyrillic
# look-alike, a bidi override pair, a stray variation selector.
MARKS = (
    TAG_PAYLOAD, ZWSP, "\N{WORD JOINER}", "\N{MODIFIER LETTER APOSTROPHE}", "\uff12\uff10\uff12\uff16",
    "2026\N{NON-BREAKING HYPHEN}11\N{NON-BREAKING HYPHEN}24", "p\N{CYRILLIC SMALL LETTER A}ssword",
    f"{RLO}txt.exe{PDF}", "x\N{VARIATION SELECTOR-16}",
)


@dataclass(frozen=True)
class Inner:
    """A string that holds JSON, parsed (so marks can go inside, as in tool arguments)."""

    value: object


def deep(value: object) -> object:
    """``value`` with every JSON-holding string replaced by an `Inner` of its parsed value."""
    if isinstance(value, dict):
        return {key: deep(item) for key, item in value.items()}
    if isinstance(value, list):
        return [deep(item) for item in value]
    if isinstance(value, str) and value[:1] in "{[":
        try:
            parsed = json.loads(value)
        except ValueError:
            return value
        if isinstance(parsed, dict | list):
            return Inner(deep(parsed))
    return value


def shallow(value: object) -> object:
    if isinstance(value, Inner):
        return json.dumps(shallow(value.value))
    if isinstance(value, dict):
        return {key: shallow(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shallow(item) for item in value]
    return value


def string_slots(value: object, trail: tuple = ()) -> list[tuple]:
    """Where a string sits in a `deep` value: the keys and indexes to reach it."""
    if isinstance(value, Inner):
        return string_slots(value.value, trail)
    if isinstance(value, dict):
        return [slot for key, item in value.items() for slot in string_slots(item, (*trail, key))]
    if isinstance(value, list):
        return [slot for index, item in enumerate(value) for slot in string_slots(item, (*trail, index))]
    return [trail] if isinstance(value, str) else []


def container_at(value: object, trail: tuple) -> object:
    for part in trail:
        value = value[part]
        if isinstance(value, Inner):
            value = value.value
    return value


def unwrap(value: object) -> object:
    return value.value if isinstance(value, Inner) else value


def set_string(root: object, trail: tuple, new: str) -> None:
    parent = root
    for part in trail[:-1]:
        parent = unwrap(parent[part])
    parent[trail[-1]] = new


@st.composite
def marked_bodies(draw: st.DrawFn) -> tuple[str, bytes]:
    url_path, body = draw(st.sampled_from(BODIES))
    tree = deep(copy.deepcopy(body))
    slots = string_slots(tree)
    for _ in range(draw(st.integers(1, 6))):
        trail = draw(st.sampled_from(slots))
        text = container_at(tree, trail)
        position = draw(st.integers(0, len(text)))
        set_string(tree, trail, text[:position] + draw(st.sampled_from(MARKS)) + text[position:])
    ensure_ascii = draw(st.booleans())
    indent = draw(st.sampled_from([None, 1]))
    return url_path, json.dumps(shallow(tree), ensure_ascii=ensure_ascii, indent=indent).encode()


def pipeline(url_path: str, raw: bytes, threshold: Severity, scope: str) -> tuple[Analysis, list[Rewrite], SanitizedBody]:
    analysis = analyse_request("POST", url_path, raw, None, ScanCache(), MAX_BODY)
    assert analysis.action == "pass", analysis.reason
    plan = rewrites(analysis.located, threshold, scope)
    return analysis, plan, sanitize_body(analysis.decoded, plan)


def expected_value(raw: bytes, result: SanitizedBody) -> object:
    """The original value with the applied findings' replacements written in, by hand."""
    tree = deep(json.loads(raw))
    by_path: dict[str, list] = {}
    for path, finding in result.applied:
        by_path.setdefault(path, []).append(finding)
    for path, findings in by_path.items():
        trail = tuple(part for document in parse_path(path) for part in document)
        text = container_at(tree, trail)
        for finding in sorted(findings, key=lambda f: f.start, reverse=True):
            text = text[:finding.start] + finding.replacement + text[finding.end:]
        set_string(tree, trail, text)
    return tree


SETTINGS = settings(max_examples=int(os.environ.get("STEGWATCH_EXAMPLES", "120")), deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- properties over real bodies with random marks ------------------------------------------

@SETTINGS
@given(marked_bodies(), st.sampled_from(tuple(SCOPES)), st.sampled_from([Severity.LOW, Severity.MEDIUM, Severity.HIGH]))
def test_sanitized_body_parses_and_differs_only_at_rewritten_code_points(body, scope, threshold):
    url_path, raw = body
    analysis, _, result = pipeline(url_path, raw, threshold, scope)
    new = result.body
    parsed = json.loads(new)
    assert deep(parsed) == expected_value(raw, result)
    # Every applied finding (offsets of the original string) was in scope, at or above the
    # threshold, with a replacement.
    fields = {text_field.path: text_field for text_field in analysis.fields}
    for path, finding in result.applied:
        assert in_scope(Located(fields[path], finding), scope)
        assert finding.severity >= threshold and finding.replacement is not None
    # Byte for byte: every string token the rewrite did not reach, and every byte between
    # tokens (keys, numbers, whitespace), is as the client wrote it.
    rewritten_outer = {path.split("#json", 1)[0] for path, _ in result.applied}
    old_tokens, new_tokens = list(string_spans(raw)), list(string_spans(new))
    assert [t.path for t in old_tokens] == [t.path for t in new_tokens]
    old_cursor = new_cursor = 0
    for old, fresh in zip(old_tokens, new_tokens):
        assert raw[old_cursor:old.start] == new[new_cursor:fresh.start]
        if old.path not in rewritten_outer:
            assert raw[old.start:old.end] == new[fresh.start:fresh.end]
        old_cursor, new_cursor = old.end, fresh.end
    assert raw[old_cursor:] == new[new_cursor:]
    if raw.isascii():
        assert new.isascii(), "a \\u-escaped body must stay escaped"


@SETTINGS
@given(marked_bodies(), st.sampled_from(tuple(SCOPES)), st.sampled_from([Severity.LOW, Severity.MEDIUM, Severity.HIGH]))
def test_sanitizing_twice_changes_nothing_and_rescanning_finds_nothing_in_scope(body, scope, threshold):
    url_path, raw = body
    _, _, first = pipeline(url_path, raw, threshold, scope)
    analysis, plan, second = pipeline(url_path, first.body, threshold, scope)
    assert second.body is first.body and not second.applied and plan == []
    left = [
        item for item in analysis.located
        if in_scope(item, scope) and item.finding.severity >= threshold and item.finding.replacement is not None
    ]
    assert left == []


@SETTINGS
@given(marked_bodies(), st.sampled_from(tuple(SCOPES)))
def test_text_outside_the_scope_is_untouched(body, scope):
    url_path, raw = body
    analysis, _, result = pipeline(url_path, raw, Severity.LOW, scope)
    after = {f.path: f.text for f in analyse_request("POST", url_path, result.body, None, ScanCache(), MAX_BODY).fields}
    for text_field in analysis.fields:
        roles = {text_field.role, *(role for _, _, role in text_field.role_spans)}
        if not roles & SCOPES[scope] or text_field.path.endswith("~"):
            assert after.get(text_field.path, text_field.text) == text_field.text, text_field.path


@pytest.mark.parametrize("url_path, body", BODIES, ids=[f"{p}-{n}" for n, (p, _) in enumerate(BODIES)])
@pytest.mark.parametrize("ensure_ascii", [False, True])
def test_a_clean_body_is_returned_as_the_same_bytes(url_path, body, ensure_ascii):
    raw = json.dumps(body, ensure_ascii=ensure_ascii).encode()
    for scope in SCOPES:
        _, plan, result = pipeline(url_path, raw, Severity.MEDIUM, scope)
        assert result.body is raw and not result.changed


# --- scope: who wrote the text decides --------------------------------------------------------

@pytest.mark.parametrize("api", sorted(CASES))
@pytest.mark.parametrize("scope, rewritten_roles", [
    ("client", {"system"}),
    ("conversation", {"system"}),
    ("all", {"system", "tool_call", "tool_result"}),
])
def test_each_scope_rewrites_only_its_roles(api, scope, rewritten_roles):
    case = CASES[api](marked=True)
    raw = case.encoded()
    analysis, plan, result = pipeline(case.url_path, raw, Severity.MEDIUM, scope)
    roles = {item.role for item in analysis.located for path, f in result.applied
             if (item.field.path, item.finding.start) == (path, f.start)}
    assert roles == rewritten_roles
    assert TAG_PAYLOAD not in result.body.decode()
    assert (ZWSP in json.loads(result.body).__repr__() or ZWSP in result.body.decode()) == ("tool_result" not in rewritten_roles)


def test_client_context_inside_a_user_message_is_client_text():
    reminder = "<system-reminder>\nToday\N{MODIFIER LETTER APOSTROPHE}s date is 2026-11-24.\n</system-reminder>\n"
    ask = "Why doesn\N{MODIFIER LETTER APOSTROPHE}t this work?"
    body = {"model": "claude-sonnet-4-6", "max_tokens": 64, "system": "You are Claude Code.",
            "messages": [{"role": "user", "content": reminder + ask}]}
    raw = json.dumps(body, ensure_ascii=False).encode()
    _, _, client = pipeline("/v1/messages", raw, Severity.MEDIUM, "client")
    text = json.loads(client.body)["messages"][0]["content"]
    assert text == reminder.replace("\N{MODIFIER LETTER APOSTROPHE}", "'") + ask
    _, _, conversation = pipeline("/v1/messages", raw, Severity.MEDIUM, "conversation")
    assert "\N{MODIFIER LETTER APOSTROPHE}" not in json.loads(conversation.body)["messages"][0]["content"]


def test_member_names_are_reported_but_never_rewritten():
    body = {"model": "m", "max_tokens": 8, "system": "ok", "metadata": {"user\N{ZERO WIDTH SPACE}id": "u"},
            "messages": [{"role": "user", "content": "hi"}]}
    raw = json.dumps(body).encode()
    analysis, plan, result = pipeline("/v1/messages", raw, Severity.MEDIUM, "all")
    assert any(item.field.path.endswith("~") for item in analysis.located)
    assert plan == [] and result.body is raw


# --- the wire: compression and escaping -------------------------------------------------------

@pytest.mark.parametrize("coding", ["gzip", "deflate", "br", "zstd", "gzip, br"])
def test_compressed_bodies_are_compressed_again_with_the_same_coding(coding):
    clean = json.dumps({"system": "It\N{MODIFIER LETTER APOSTROPHE}s late"}).encode()
    assert decode_body(encode_body(clean, coding), coding) == clean


def test_a_gzip_body_round_trips_through_the_pipeline():
    case = CASES["anthropic-messages"](marked=True)
    wire = gzip.compress(case.encoded())
    analysis = analyse_request("POST", case.url_path, wire, "gzip", ScanCache(), MAX_BODY)
    result = sanitize_body(analysis.decoded, rewrites(analysis.located, Severity.MEDIUM, "client"))
    assert result.changed
    again = encode_body(result.body, "gzip")
    assert gzip.decompress(again) == result.body


def test_escaped_strings_keep_their_escapes():
    text = "Caf\N{LATIN SMALL LETTER E WITH ACUTE} ouvert aujourd\N{MODIFIER LETTER APOSTROPHE}hui"
    raw = json.dumps({"system": text, "n": 1.0}).encode()  # \u00e9 and \u02bc
    field = TextField("$['system']", Role.SYSTEM, text)
    start = text.index("\N{MODIFIER LETTER APOSTROPHE}")
    mark = make_finding("lookalike-punctuation", "modifier-letter-apostrophe", text, start, start + 1, Severity.HIGH, "m", "'")
    assert sanitize_body(raw, [Rewrite(field, (mark,))]).body == b'{"system": "Caf\\u00e9 ouvert aujourd\'hui", "n": 1.0}'


def test_a_mark_inside_a_role_string_does_not_move_text_between_scopes():
    # Found by hypothesis: tags inside "role" made the message unknown on the first pass and a
    # system message on the second, so a second sanitize changed the body again.
    tags = "".join(chr(0xE0000 + ord(c)) for c in "ID42")
    raw = json.dumps({
        "model": "gpt-5",
        "messages": [
            {"role": f"{tags}system", "content": f"{tags}You are Codex, based on GPT-5."},
            {"role": "user", "content": "Fix the failing test."},
        ],
    }, ensure_ascii=False).encode()
    _, _, first = pipeline("/v1/chat/completions", raw, Severity.LOW, "client")
    assert first.changed and tags.encode() not in first.body
    _, plan, second = pipeline("/v1/chat/completions", first.body, Severity.LOW, "client")
    assert plan == [] and second.body is first.body
