"""Request bodies to text fields: API recognition, paths, roles, client context, decoding.

The fixtures in tests/data/bodies/ are shaped like real agent turns: Claude Code (Anthropic
Messages), Codex (OpenAI Responses), Gemini CLI (generateContent) and an editor assistant on
OpenAI Chat Completions, with real system prompts, tool schemas, CJK/Devanagari/emoji file
contents and shell output.
"""

from __future__ import annotations

import copy
import gzip
import json
import sys
import zlib
from pathlib import Path

import brotli
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from addons import shapes as shapes_module
from addons.jsonpath import parse_path
from addons.shapes import (
    Api,
    BodyDecodeError,
    BodyParseError,
    Role,
    TextField,
    client_context_spans,
    decode_body,
    extract_fields,
    extract_ws_message,
    generic_fields,
    parse_json_body,
    recognize,
)
from tests.support.bodies import conversation_body

if sys.version_info >= (3, 14):
    from compression import zstd
else:
    from backports import zstd

BODIES = Path(__file__).resolve().parents[1] / "data" / "bodies"
FIXTURES = {
    "claude": ("claude_code_messages.json", "/v1/messages?beta=true", Api.ANTHROPIC_MESSAGES),
    "codex": ("codex_responses.json", "/backend-api/codex/responses", Api.OPENAI_RESPONSES),
    "gemini": (
        "gemini_cli_generate_content.json",
        "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse",
        Api.GEMINI,
    ),
    "chat": ("openai_chat_tools.json", "/v1/chat/completions", Api.OPENAI_CHAT),
}


def raw_body(name: str) -> bytes:
    return (BODIES / FIXTURES[name][0]).read_bytes()


def fields_of(name: str) -> list[TextField]:
    _, url_path, api = FIXTURES[name]
    body = parse_json_body(raw_body(name))
    assert recognize("POST", url_path, body) is api
    return extract_fields(api, body)


def by_path(fields: list[TextField]) -> dict[str, TextField]:
    return {field.path: field for field in fields}


def resolve(value: object, path: str) -> object:
    """The value a field path names, following ``#json`` into strings and ``~`` to names."""
    name_of_member = path.endswith("~")
    documents = parse_path(path.removesuffix("~"))
    for index, parts in enumerate(documents):
        if index:
            value = json.loads(value)  # type: ignore[arg-type]
        for part in parts:
            value = value[part]  # type: ignore[index]
    if name_of_member:
        return documents[-1][-1]
    return value


# --- Recognising the API -------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, path, body, expected",
    [
        # Anthropic Messages, direct and through gateways
        ("POST", "/v1/messages", {"messages": []}, Api.ANTHROPIC_MESSAGES),
        ("POST", "/v1/messages?beta=true", {"messages": []}, Api.ANTHROPIC_MESSAGES),
        ("POST", "/relay/anthropic/v1/messages", {"system": "x", "messages": []}, Api.ANTHROPIC_MESSAGES),
        ("POST", "/v1/messages/count_tokens", {"messages": []}, Api.ANTHROPIC_MESSAGES),
        (
            "POST",
            "/v1/projects/p/locations/us-east5/publishers/anthropic/models/claude-sonnet-4-5:streamRawPredict",
            {"anthropic_version": "vertex-2023-10-16", "messages": []},
            Api.ANTHROPIC_MESSAGES,
        ),
        # OpenAI Chat Completions, including Azure deployments and OpenAI-compatible gateways
        ("POST", "/v1/chat/completions", {"messages": []}, Api.OPENAI_CHAT),
        ("POST", "/openai/v1/chat/completions", {"messages": []}, Api.OPENAI_CHAT),
        ("POST", "/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21", {"messages": []}, Api.OPENAI_CHAT),
        # OpenAI Responses (API and the ChatGPT backend Codex signs in to)
        ("POST", "/v1/responses", {"input": "hi"}, Api.OPENAI_RESPONSES),
        ("POST", "/backend-api/codex/responses", {"instructions": "x", "input": []}, Api.OPENAI_RESPONSES),
        ("POST", "/v1/responses/input_tokens", {"input": []}, Api.OPENAI_RESPONSES),
        ("POST", "/v1/responses/", {"input": "hi"}, Api.OPENAI_RESPONSES),
        # Gemini: v1, v1beta, streaming, Vertex publishers and Code Assist (Gemini CLI with Google login)
        ("POST", "/v1beta/models/gemini-2.5-pro:generateContent", {"contents": []}, Api.GEMINI),
        ("POST", "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse", {"contents": []}, Api.GEMINI),
        ("POST", "/v1/models/gemini-2.0-flash:countTokens", {"contents": []}, Api.GEMINI),
        (
            "POST",
            "/v1/projects/p/locations/us-central1/publishers/google/models/gemini-2.5-pro:generateContent",
            {"contents": []},
            Api.GEMINI,
        ),
        ("POST", "/v1internal:streamGenerateContent?alt=sse", {"model": "gemini-2.5-pro", "request": {"contents": []}}, Api.GEMINI),
        # Unknown path: the body's shape decides
        ("POST", "/api/proxy", {"system": "Be brief.", "messages": [], "max_tokens": 5}, Api.ANTHROPIC_MESSAGES),
        ("POST", "/api/proxy", {"messages": [{"role": "user", "content": [{"type": "tool_result", "content": "x"}]}]}, Api.ANTHROPIC_MESSAGES),
        ("POST", "/api/proxy", {"messages": [{"role": "developer", "content": "x"}]}, Api.OPENAI_CHAT),
        ("POST", "/api/proxy", {"messages": [{"role": "user", "content": "hi"}]}, Api.OPENAI_CHAT),
        ("POST", "/api/proxy", {"input": [{"role": "user", "content": "hi"}]}, Api.OPENAI_RESPONSES),
        ("POST", "/api/proxy", {"contents": [{"parts": [{"text": "hi"}]}]}, Api.GEMINI),
        # The path says one API, the body is plainly another's
        ("POST", "/v1/chat/completions", {"contents": [{"parts": [{"text": "hi"}]}]}, Api.GEMINI),
        # Neither fits
        ("POST", "/v1/embeddings", {"model": "text-embedding-3-small", "input": "hello"}, None),
        ("POST", "/upload", {"name": "report.pdf"}, None),
        ("POST", "/v1/messages", ["not", "an", "object"], None),
        ("POST", "/v1/messages", "text", None),
        ("GET", "/v1/responses", {"input": "hi"}, None),
    ],
)
def test_recognize(method: str, path: str, body: object, expected: Api | None) -> None:
    assert recognize(method, path, body) == expected


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_recognize_fixture_by_shape_alone(name: str) -> None:
    body = parse_json_body(raw_body(name))
    assert recognize("POST", "/gateway/v2/complete", body) is FIXTURES[name][2]


# --- Fields of real agent bodies -------------------------------------------------------------


@pytest.mark.parametrize(
    "name, path, role, excerpt",
    [
        # Claude Code: system blocks, reminders in the first user message, tools, tool use
        ("claude", "$['system'][0]['text']", Role.SYSTEM, "You are Claude Code, Anthropic's official CLI for Claude."),
        ("claude", "$['system'][1]['text']", Role.SYSTEM, "Working directory: /home/alice/projects/billing-service"),
        ("claude", "$['system'][1]['text']", Role.SYSTEM, "Today's date is 2026-11-24."),
        ("claude", "$['messages'][0]['content'][0]['text']", Role.CLIENT_CONTEXT, "Contents of /home/alice/projects/billing-service/CLAUDE.md"),
        ("claude", "$['messages'][0]['content'][1]['text']", Role.USER, "\u652f\u6255\u6e08\u307f label lost its emoji"),
        ("claude", "$['messages'][0]['content'][2]['text']", Role.CLIENT_CONTEXT, "your todo list is currently empty"),
        ("claude", "$['messages'][1]['content'][0]['thinking']", Role.ASSISTANT, "useGrouping: false"),
        ("claude", "$['messages'][1]['content'][1]['text']", Role.ASSISTANT, "I'll read the formatter first."),
        ("claude", "$['messages'][1]['content'][2]['name']", Role.TOOL_CALL, "Read"),
        ("claude", "$['messages'][1]['content'][2]['input']['file_path']", Role.TOOL_CALL, "src/format.ts"),
        ("claude", "$['messages'][2]['content'][0]['content']", Role.TOOL_RESULT, "\u91d1\u984d\u306e\u8868\u793a (amount display) \U0001f4b4"),
        ("claude", "$['messages'][3]['content'][1]['input']['todos'][1]['activeForm']", Role.TOOL_CALL, "Running the formatter tests"),
        ("claude", "$['messages'][3]['content'][2]['input']['new_string']", Role.TOOL_CALL, "useGrouping: true"),
        ("claude", "$['messages'][4]['content'][1]['content'][0]['text']", Role.TOOL_RESULT, "has been updated"),
        ("claude", "$['messages'][6]['content'][0]['content'][0]['text']", Role.TOOL_RESULT, "npm"),
        ("claude", "$['tools'][0]['name']", Role.TOOL_DEFINITION, "Bash"),
        ("claude", "$['tools'][0]['input_schema']['properties']['description']['description']", Role.TOOL_DEFINITION, "active voice"),
        ("claude", "$['tools'][3]['input_schema']['properties']['todos']['items']['properties']['status']['enum'][1]", Role.TOOL_DEFINITION, "in_progress"),
        ("claude", "$['metadata']['user_id']", Role.METADATA, "_account__session_"),
        ("claude", "$['model']", Role.METADATA, "claude-sonnet-4-5"),
        # Codex: instructions, injected user messages, function calls with JSON in strings
        ("codex", "$['instructions']", Role.SYSTEM, "You are Codex, based on GPT-5."),
        ("codex", "$['input'][0]['content'][0]['text']", Role.CLIENT_CONTEXT, "# AGENTS.md"),
        ("codex", "$['input'][1]['content'][0]['text']", Role.CLIENT_CONTEXT, "<timezone>Europe/Berlin</timezone>"),
        ("codex", "$['input'][2]['content'][0]['text']", Role.USER, "Die Zeiten sind im Winter"),
        ("codex", "$['input'][3]['summary'][0]['text']", Role.ASSISTANT, "Inspecting timezone handling"),
        ("codex", "$['input'][4]['name']", Role.TOOL_CALL, "shell"),
        ("codex", "$['input'][4]['arguments']#json$['command'][2]", Role.TOOL_CALL, 'rg -n "utcoffset|UTC_OFFSET" tidewatch'),
        ("codex", "$['input'][4]['arguments']#json$['workdir']", Role.TOOL_CALL, "/Users/lena/code/tidewatch"),
        ("codex", "$['input'][5]['output']#json$['output']", Role.TOOL_RESULT, "B\u00fcsum"),
        ("codex", "$['input'][6]['input']", Role.TOOL_CALL, "*** Begin Patch"),
        ("codex", "$['input'][7]['output']#json$['output']", Role.TOOL_RESULT, "Success. Updated the following files"),
        ("codex", "$['tools'][0]['parameters']['properties']['justification']['description'], ", None, None),
        ("codex", "$['tools'][1]['format']['definition']", Role.TOOL_DEFINITION, "start: begin_patch hunk+ end_patch"),
        ("codex", "$['prompt_cache_key']", Role.METADATA, "0199f3a2"),
        # Gemini CLI: session context part, thoughts, function calls and responses
        ("gemini", "$['systemInstruction']['parts'][0]['text']", Role.SYSTEM, "You are an interactive CLI agent"),
        ("gemini", "$['contents'][0]['parts'][0]['text']", Role.CLIENT_CONTEXT, "My operating system is: linux"),
        ("gemini", "$['contents'][1]['parts'][0]['text']", Role.ASSISTANT, "Got it."),
        ("gemini", "$['contents'][2]['parts'][0]['text']", Role.USER, "\u0938\u093f\u0924\u093e\u0930"),
        ("gemini", "$['contents'][3]['parts'][0]['text']", Role.ASSISTANT, "Locating the tonic constant"),
        ("gemini", "$['contents'][3]['parts'][1]['functionCall']['args']['absolute_path']", Role.TOOL_CALL, "pitch.ts"),
        ("gemini", "$['contents'][4]['parts'][0]['functionResponse']['response']['output']", Role.TOOL_RESULT, "\u0938\u094d\u0935\u0930 (notes)"),
        ("gemini", "$['contents'][5]['parts'][1]['functionCall']['args']['new_string']", Role.TOOL_CALL, "C\u266f3"),
        ("gemini", "$['contents'][8]['parts'][0]['functionResponse']['response']['output']", Role.TOOL_RESULT, "Exit Code: 0"),
        ("gemini", "$['tools'][0]['functionDeclarations'][0]['parametersJsonSchema']['properties']['absolute_path']['description']", Role.TOOL_DEFINITION, "Relative paths are not supported."),
        # OpenAI Chat: developer and system messages, parts, tool calls, tool results
        ("chat", "$['messages'][0]['content']", Role.SYSTEM, "embedded in the Zed editor"),
        ("chat", "$['messages'][1]['content'][0]['text']", Role.SYSTEM, "/home/camille/dev/lumen"),
        ("chat", "$['messages'][2]['content'][0]['text']", Role.USER, "R\u00e9sume ce diff"),
        ("chat", "$['messages'][3]['tool_calls'][0]['function']['name']", Role.TOOL_CALL, "git_diff"),
        ("chat", "$['messages'][3]['tool_calls'][0]['function']['arguments']#json$['options']['pathspec'][1]", Role.TOOL_CALL, "tests/*.rs"),
        ("chat", "$['messages'][4]['content']", Role.TOOL_RESULT, "diff --git"),
        ("chat", "$['messages'][5]['content']", Role.ASSISTANT, "gestion d'erreur explicite"),
        ("chat", "$['tools'][0]['function']['parameters']['properties']['options']['properties']['format']['enum'][2]", Role.TOOL_DEFINITION, "name-only"),
        ("chat", "$['metadata']['session']", Role.METADATA, "zed-4711"),
        ("chat", "$['user']", Role.METADATA, "user-8f14e45f"),
    ],
)
def test_fixture_field(name: str, path: str, role: Role | None, excerpt: str | None) -> None:
    fields = by_path(fields_of(name))
    if role is None:  # a path that must not be a field (a typo'd path stays absent)
        assert path not in fields
        return
    assert path in fields, sorted(fields)
    field = fields[path]
    assert field.role is role
    assert excerpt in field.text
    assert resolve(parse_json_body(raw_body(name)), path) == field.text


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_every_field_path_names_its_text(name: str) -> None:
    body = parse_json_body(raw_body(name))
    fields = fields_of(name)
    assert fields
    for field in fields:
        assert resolve(body, field.path) == field.text, field.path
    assert len({field.path for field in fields}) == len(fields)


@pytest.mark.parametrize(
    "name, left_out",
    [
        # Opaque base64 payloads: a thinking signature, an image, encrypted reasoning
        ("claude", "$['messages'][1]['content'][0]['signature']"),
        ("chat", "$['messages'][2]['content'][1]['image_url']['url']"),
        ("codex", "$['input'][3]['encrypted_content']"),
        # Structural tokens
        ("claude", "$['messages'][1]['content'][2]['id']"),
        ("claude", "$['messages'][0]['role']"),
        ("codex", "$['input'][4]['call_id']"),
        ("chat", "$['messages'][2]['content'][1]['type']"),
    ],
)
def test_opaque_and_structural_tokens_are_left_out(name: str, left_out: str) -> None:
    assert resolve(parse_json_body(raw_body(name)), left_out)
    assert left_out not in by_path(fields_of(name))


def test_claude_code_read_result_carries_an_appended_reminder_span() -> None:
    field = by_path(fields_of("claude"))["$['messages'][2]['content'][0]['content']"]
    assert field.role is Role.TOOL_RESULT
    ((start, end, role),) = field.role_spans
    assert role is Role.CLIENT_CONTEXT
    assert field.text[start:end].startswith("<system-reminder>\nWhenever you read a file")
    assert field.text[start:end].endswith("</system-reminder>")
    assert field.role_at(start) is Role.CLIENT_CONTEXT
    assert field.role_at(end) is Role.TOOL_RESULT
    assert field.role_at(0) is Role.TOOL_RESULT


# --- Client context inside user text ---------------------------------------------------------

CLAUDE_COMMAND = (
    "<command-name>/model</command-name>\n            <command-message>model</command-message>\n"
    "            <command-args></command-args>"
)
CLAUDE_CAVEAT = (
    "Caveat: The messages below were generated by the user while running local commands. "
    "DO NOT respond to these messages or otherwise consider them in your response unless the user "
    "explicitly asks you to."
)
LOCAL_STDOUT = "<local-command-stdout>Set model to \u001b[1mSonnet 4.5\u001b[22m</local-command-stdout>"
IDE_SELECTION = (
    "<ide_selection>The user selected the lines 12 to 14 from /home/alice/projects/billing-service/src/format.ts:\n"
    "const digits = currency === \"JPY\" ? 0 : 2;\n</ide_selection>"
)
CODEX_INSTRUCTIONS = "# AGENTS.md instructions for /Users/lena/code/tidewatch\n\n<INSTRUCTIONS>\nKeep times timezone-aware.\n</INSTRUCTIONS>"


@pytest.mark.parametrize(
    "text, expected",
    [
        # Whole texts a client wrote
        (CLAUDE_COMMAND, "whole"),
        (CLAUDE_CAVEAT, "whole"),
        (LOCAL_STDOUT, "whole"),
        ("<system-reminder>\nThe TodoWrite tool hasn't been used recently.\n</system-reminder>\n", "whole"),
        ("\n<environment_context>\n  <cwd>/srv/app</cwd>\n  <shell>bash</shell>\n</environment_context>\n", "whole"),
        # Unknown tags of the same form: recognised by shape, not by name
        ("<workspace-summary>\n3 packages, pnpm 9\n</workspace-summary>", "whole"),
        ("<repo_map>src/\n  main.rs\n</repo_map>\n\nFix the panic in main.rs", "<repo_map>src/\n  main.rs\n</repo_map>"),
        # Blocks prepended or appended to what the user typed
        (IDE_SELECTION + "\nwhy is JPY special-cased?", IDE_SELECTION),
        ("Refactor this please.\n\n<system-reminder>Plan mode is active.</system-reminder>", "<system-reminder>Plan mode is active.</system-reminder>"),
        ("Bitte pr\u00fcfe das.\n<editor-state>\nfile: a.py\n</editor-state>", "<editor-state>\nfile: a.py\n</editor-state>"),
        # Context-word blocks anywhere in the text
        (CODEX_INSTRUCTIONS, "<INSTRUCTIONS>\nKeep times timezone-aware.\n</INSTRUCTIONS>"),
        ("First point.\n<system-reminder>Today's date is 2026-11-24.</system-reminder>\nSecond point.", "<system-reminder>Today's date is 2026-11-24.</system-reminder>"),
        # What the user wrote stays the user's
        ("Why does <div>hello</div> not render in the preview?", None),
        ("<p>\u65e5\u672c\u8a9e\u306e\u6bb5\u843d</p> \u3092\u82f1\u8a9e\u306b\u3057\u3066", None),
        ("Claude Code wraps context in <system-reminder> tags, right?", None),
        ("a < b and c > d, \u00bfverdad? \U0001f914", None),
        ("<my-component> is a custom element we ship", None),
        ("Please explain this snippet: <x>1</x>", None),
        ("", None),
    ],
)
def test_user_text_client_context(text: str, expected: str | None) -> None:
    field = extract_fields(Api.OPENAI_CHAT, {"messages": [{"role": "user", "content": text}]})
    if not text:
        assert field == []
        return
    (only,) = field
    if expected == "whole":
        assert only.role is Role.CLIENT_CONTEXT
        assert only.role_spans == ()
    elif expected is None:
        assert only.role is Role.USER
        assert only.role_spans == ()
    else:
        assert only.role is Role.USER
        assert [only.text[start:end] for start, end, _ in only.role_spans] == [expected]
        assert all(role is Role.CLIENT_CONTEXT for _, _, role in only.role_spans)


@pytest.mark.parametrize(
    "text, expected_spans",
    [
        # Claude Code appends a reminder to what Read returns
        ("     1\u2192print('hi')\n\n<system-reminder>\nWhenever you read a file...\n</system-reminder>\n", 1),
        ("<system-reminder>Warning: the file exists but the contents are empty.</system-reminder>", 1),
        # A file the agent read is its author's, wherever a tag sits in it
        ("<system-reminder>copied into a test fixture</system-reminder>\nmore of the file", 0),
        ("<?xml version=\"1.0\"?>\n<project>\n  <build-config>x</build-config>\n</project>\n", 0),
        ("<build-config>\n  release\n</build-config>", 0),
        ("$ ls\nREADME.md  src\n", 0),
    ],
)
def test_tool_output_client_context(text: str, expected_spans: int) -> None:
    assert len(client_context_spans(text, tool_output=True)) == expected_spans


def test_client_context_spans_are_code_point_offsets() -> None:
    text = "\U0001f600 \u00e9t\u00e9\n<system-reminder>x</system-reminder>"
    ((start, end),) = client_context_spans(text)
    assert text[start:end] == "<system-reminder>x</system-reminder>"
    assert start == 6


def test_gemini_session_context_part_and_typed_prompt() -> None:
    body = {
        "contents": [
            {
                "role": "user",
                "parts": [
                    {"text": "<session_context>\nMy operating system is: darwin\n</session_context>"},
                    {"text": "Tr\u00e8s bien, lance les tests."},
                ],
            }
        ]
    }
    roles = [field.role for field in extract_fields(Api.GEMINI, body)]
    assert roles == [Role.CLIENT_CONTEXT, Role.USER]


def test_assistant_and_system_text_never_become_client_context() -> None:
    body = {"system": "<env>\nWorking directory: /srv\n</env>", "messages": [
        {"role": "assistant", "content": "<system-reminder>echoed</system-reminder>"}
    ]}
    assert [field.role for field in extract_fields(Api.ANTHROPIC_MESSAGES, body)] == [Role.SYSTEM, Role.ASSISTANT]


# --- JSON inside strings ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "arguments, expected",
    [
        ('{"cmd": ["ls", "-la"]}', [("#json$['cmd'][0]", "ls"), ("#json$['cmd'][1]", "-la")]),
        ('  \n{"path": "a.txt"}', [("#json$['path']", "a.txt")]),
        # Nested: a JSON string inside the JSON string
        ('{"payload": "{\\"inner\\": \\"deep\\"}"}', [("#json$['payload']#json$['inner']", "deep")]),
        # \u escapes inside the inner JSON are decoded
        ('{"q": "caf\\u00e9"}', [("#json$['q']", "caf\u00e9")]),
        # A lone surrogate escape: orjson refuses it, the json module keeps it
        ('{"q": "\\ud800x"}', [("#json$['q']", "\ud800x")]),
        # Not JSON after all: scanned as the plain string it is
        ('{"cmd": ["ls"', [("", '{"cmd": ["ls"')]),
        ("[Request interrupted by user]", [("", "[Request interrupted by user]")]),
        ("{NaN}", [("", "{NaN}")]),
        # JSON without strings holds nothing to scan
        ("[1, 2, 3]", []),
        # Scalars are not parsed
        ('"quoted"', [("", '"quoted"')]),
    ],
)
def test_json_inside_strings(arguments: str, expected: list[tuple[str, str]]) -> None:
    body = {"messages": [{"role": "assistant", "tool_calls": [{"function": {"name": "f", "arguments": arguments}}]}]}
    base = "$['messages'][0]['tool_calls'][0]['function']['arguments']"
    fields = [field for field in extract_fields(Api.OPENAI_CHAT, body) if field.path.startswith(base)]
    assert [(field.path.removeprefix(base), field.text) for field in fields] == expected
    assert all(field.role is Role.TOOL_CALL for field in fields)


def test_json_inside_tool_result_and_system_strings() -> None:
    body = {
        "system": '{"persona": "reviewer"}',
        "messages": [{"role": "user", "content": [{"type": "tool_result", "content": '[{"name": "\u00e9t\u00e9.txt"}]'}]}],
    }
    assert [(f.path, f.role, f.text) for f in extract_fields(Api.ANTHROPIC_MESSAGES, body)] == [
        ("$['system']#json$['persona']", Role.SYSTEM, "reviewer"),
        ("$['messages'][0]['content'][0]['content']#json$[0]['name']", Role.TOOL_RESULT, "\u00e9t\u00e9.txt"),
    ]


# --- Member names -----------------------------------------------------------------------------


def test_non_ascii_member_names_are_fields() -> None:
    mark = "file\N{ZERO WIDTH SPACE}_path"
    body = {"tools": [{"name": "Read", "input_schema": {"properties": {mark: {"type": "string"}}}}]}
    names = [field for field in extract_fields(Api.ANTHROPIC_MESSAGES, body) if field.path.endswith("~")]
    assert [(field.path, field.role, field.text) for field in names] == [
        (f"$['tools'][0]['input_schema']['properties']['{mark}']~", Role.TOOL_DEFINITION, mark)
    ]
    assert resolve(body, names[0].path) == mark


# --- Escaped and raw UTF-8 bodies -------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_escaped_body_gives_the_same_fields(name: str) -> None:
    raw = raw_body(name)
    assert not raw.isascii()
    escaped = json.dumps(json.loads(raw), ensure_ascii=True).encode()
    assert escaped.isascii()
    api = FIXTURES[name][2]
    assert extract_fields(api, parse_json_body(escaped)) == extract_fields(api, parse_json_body(raw))


def test_escaped_marks_decode_to_the_same_code_points() -> None:
    raw = b'{"system": "It\\u2019s 2026\\u201111\\u201124", "messages": []}'
    (field,) = extract_fields(Api.ANTHROPIC_MESSAGES, parse_json_body(raw))
    assert field.text == "It\N{RIGHT SINGLE QUOTATION MARK}s 2026\N{NON-BREAKING HYPHEN}11\N{NON-BREAKING HYPHEN}24"
    assert field.text.index("\N{RIGHT SINGLE QUOTATION MARK}") == 2


# --- Smaller shapes of each API ---------------------------------------------------------------


def roles(api: Api, body: object) -> list[tuple[str, Role]]:
    return [(field.path, field.role) for field in extract_fields(api, body)]


def test_anthropic_documents_images_and_nested_results() -> None:
    png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
    body = {
        "system": [{"type": "text", "text": "You are a careful reviewer."}],
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": png}},
                    {
                        "type": "document",
                        "source": {"type": "text", "media_type": "text/plain", "data": "Quarterly report: revenue up 4 %."},
                        "title": "Q3 report",
                        "context": "Written by finance, unaudited",
                    },
                    {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": png}},
                    {
                        "type": "tool_result",
                        "tool_use_id": "toolu_1",
                        "content": [
                            {"type": "text", "text": "screenshot taken"},
                            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": png}},
                        ],
                    },
                ],
            },
            {"role": "assistant", "content": [{"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpPkNRj2YfWXGmKDxH4mPnZ5sQ7vB4URj"}]},
        ],
    }
    assert roles(Api.ANTHROPIC_MESSAGES, body) == [
        ("$['system'][0]['text']", Role.SYSTEM),
        ("$['messages'][0]['content'][1]['source']['data']", Role.USER),
        ("$['messages'][0]['content'][1]['title']", Role.USER),
        ("$['messages'][0]['content'][1]['context']", Role.USER),
        ("$['messages'][0]['content'][3]['content'][0]['text']", Role.TOOL_RESULT),
    ]


def test_openai_responses_items() -> None:
    body = {
        "instructions": "You are terse.",
        "input": [
            {"role": "developer", "content": "Prefer ripgrep."},
            {"type": "message", "role": "user", "content": [
                {"type": "input_text", "text": "Was steht im Log?"},
                {"type": "input_image", "image_url": "data:image/jpeg;base64,/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJ"},
            ]},
            {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Ich schaue nach.", "annotations": []}]},
            {"type": "local_shell_call", "call_id": "c1", "action": {"type": "exec", "command": ["tail", "-n", "5", "app.log"], "env": {"LANG": "de_DE.UTF-8"}}},
            {"type": "local_shell_call_output", "call_id": "c1", "output": "ERROR Verbindung abgelehnt"},
            {"type": "function_call_output", "call_id": "c2", "output": [{"type": "input_text", "text": "done"}]},
            {"type": "item_reference", "id": "msg_123"},
        ],
        "tools": [{"type": "function", "name": "grep", "description": "Search files", "parameters": {}}],
        "metadata": {"ticket": "OPS-17"},
        "user": "u-1",
        "prompt_cache_key": "k-9",
    }
    assert roles(Api.OPENAI_RESPONSES, body) == [
        ("$['instructions']", Role.SYSTEM),
        ("$['input'][0]['content']", Role.SYSTEM),
        ("$['input'][1]['content'][0]['text']", Role.USER),
        ("$['input'][2]['content'][0]['text']", Role.ASSISTANT),
        ("$['input'][3]['action']['type']", Role.TOOL_CALL),
        ("$['input'][3]['action']['command'][0]", Role.TOOL_CALL),
        ("$['input'][3]['action']['command'][1]", Role.TOOL_CALL),
        ("$['input'][3]['action']['command'][2]", Role.TOOL_CALL),
        ("$['input'][3]['action']['command'][3]", Role.TOOL_CALL),
        ("$['input'][3]['action']['env']['LANG']", Role.TOOL_CALL),
        ("$['input'][4]['output']", Role.TOOL_RESULT),
        ("$['input'][5]['output'][0]['text']", Role.TOOL_RESULT),
        ("$['tools'][0]['type']", Role.TOOL_DEFINITION),
        ("$['tools'][0]['name']", Role.TOOL_DEFINITION),
        ("$['tools'][0]['description']", Role.TOOL_DEFINITION),
        ("$['metadata']['ticket']", Role.METADATA),
        ("$['user']", Role.METADATA),
        ("$['prompt_cache_key']", Role.METADATA),
    ]


def test_openai_responses_string_input_is_the_user() -> None:
    assert roles(Api.OPENAI_RESPONSES, {"input": "Summarise CHANGELOG.md"}) == [("$['input']", Role.USER)]


def test_gemini_snake_case_and_code_assist_wrapper() -> None:
    body = {
        "model": "gemini-2.5-pro",
        "project": "clever-otter-123",
        "request": {
            "system_instruction": {"parts": [{"text": "You are Gemini CLI."}]},
            "contents": [
                {"role": "user", "parts": [{"text": "ls?"}]},
                {"role": "model", "parts": [{"function_call": {"name": "list_directory", "args": {"path": "/home/arjun"}}}]},
                {"role": "user", "parts": [{"function_response": {"name": "list_directory", "response": {"output": "src\nREADME.md"}}}]},
                {"role": "user", "parts": [{"inline_data": {"mime_type": "image/png", "data": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB"}}]},
            ],
            "tools": [{"function_declarations": [{"name": "list_directory", "description": "Lists a directory."}]}],
        },
    }
    assert recognize("POST", "/v1internal:generateContent", body) is Api.GEMINI
    assert roles(Api.GEMINI, body) == [
        ("$['model']", Role.METADATA),
        ("$['project']", Role.METADATA),
        ("$['request']['system_instruction']['parts'][0]['text']", Role.SYSTEM),
        ("$['request']['contents'][0]['parts'][0]['text']", Role.USER),
        ("$['request']['contents'][1]['parts'][0]['function_call']['name']", Role.TOOL_CALL),
        ("$['request']['contents'][1]['parts'][0]['function_call']['args']['path']", Role.TOOL_CALL),
        ("$['request']['contents'][2]['parts'][0]['function_response']['name']", Role.TOOL_RESULT),
        ("$['request']['contents'][2]['parts'][0]['function_response']['response']['output']", Role.TOOL_RESULT),
        ("$['request']['tools'][0]['function_declarations'][0]['name']", Role.TOOL_DEFINITION),
        ("$['request']['tools'][0]['function_declarations'][0]['description']", Role.TOOL_DEFINITION),
    ]


@pytest.mark.parametrize(
    "message, expected",
    [
        (
            {"type": "response.create", "response": {"instructions": "Be exact.", "input": [{"role": "user", "content": "hi"}]}},
            [("$['response']['instructions']", Role.SYSTEM), ("$['response']['input'][0]['content']", Role.USER)],
        ),
        (
            {"type": "response.create", "model": "gpt-5-codex", "instructions": "Be exact.", "input": [
                {"type": "function_call_output", "call_id": "c", "output": "ok \u2705"}]},
            [("$['model']", Role.METADATA), ("$['instructions']", Role.SYSTEM), ("$['input'][0]['output']", Role.TOOL_RESULT)],
        ),
        (
            {"type": "conversation.item.create", "item": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "go"}]}},
            [("$['item']['content'][0]['text']", Role.USER)],
        ),
        # Event names are structural tokens; an odd one is still a field
        ({"type": "response.cancel"}, []),
        ({"type": "response.create\u2019"}, [("$['type']", Role.METADATA)]),
        (["not", "an", "event"], [("$[0]", Role.METADATA), ("$[1]", Role.METADATA), ("$[2]", Role.METADATA)]),
    ],
)
def test_websocket_messages(message: object, expected: list[tuple[str, Role]]) -> None:
    assert [(field.path, field.role) for field in extract_ws_message(message)] == expected
    assert extract_fields(Api.OPENAI_RESPONSES_WS, message) == extract_ws_message(message)


def test_generic_fields_keep_every_string() -> None:
    body = {"type": "x", "data": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB", "n": 1, "list": [None, True, "t"]}
    assert [(f.path, f.role, f.text) for f in generic_fields(body)] == [
        ("$['type']", Role.METADATA, "x"),
        ("$['data']", Role.METADATA, "iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB"),
        ("$['list'][2]", Role.METADATA, "t"),
    ]
    assert extract_fields(Api.GENERIC, body) == generic_fields(body)


@pytest.mark.parametrize(
    "api, body",
    [
        (Api.ANTHROPIC_MESSAGES, {"messages": "not a list", "system": 7}),
        (Api.ANTHROPIC_MESSAGES, {"messages": [["odd"], {"role": ["user"], "content": {"type": ["text"]}}]}),
        (Api.OPENAI_CHAT, {"messages": [{"role": {"x": 1}, "content": [{"type": {}}, "bare"]}]}),
        (Api.OPENAI_RESPONSES, {"input": [{"type": ["message"], "role": 5}, 3, "s"], "instructions": ["x"]}),
        (Api.GEMINI, {"contents": {"parts": "text"}, "systemInstruction": "plain"}),
        (Api.GEMINI, {"contents": [{"role": None, "parts": [{"functionCall": "odd"}, 1]}]}),
    ],
)
def test_odd_shapes_still_give_every_string(api: Api, body: object) -> None:
    expected = sorted(field.text for field in generic_fields(body))
    assert sorted(field.text for field in extract_fields(api, body)) == expected


# --- Deep nesting and arbitrary values --------------------------------------------------------

DEPTH = 10_000


def nested(depth: int, leaf: object) -> object:
    value = leaf
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


@pytest.mark.parametrize("api", list(Api))
def test_ten_thousand_levels_do_not_recurse(api: Api) -> None:
    body = {"messages": [{"role": "user", "content": [{"type": "tool_use", "input": nested(DEPTH, "leaf\u2019")}]}],
            "input": nested(DEPTH, "x"), "contents": nested(DEPTH, "y")}
    for fields in (extract_fields(api, body), generic_fields(body)):
        leaves = {field.text: field for field in fields}
        assert {"leaf\u2019", "x", "y"} <= leaves.keys()
        assert resolve(body, leaves["leaf\u2019"].path) == "leaf\u2019"
        assert leaves["x"].path.count("[") == DEPTH + 1


def test_deep_json_inside_a_string_is_scanned_as_plain_text() -> None:
    arguments = "[" * DEPTH + "]" * DEPTH
    body = {"messages": [{"role": "assistant", "tool_calls": [{"function": {"arguments": arguments}}]}]}
    (field,) = extract_fields(Api.OPENAI_CHAT, body)
    assert field.text == arguments


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(
        st.sampled_from(
            ["messages", "content", "role", "type", "text", "input", "system", "tools", "parts", "contents",
             "tool_calls", "function", "arguments", "response", "item", "request", "data", "source", "name"]
        )
        | st.text(max_size=6),
        children,
        max_size=5,
    ),
    max_leaves=40,
)
json_strings = st.one_of(st.text(), st.just('{"a": ["b"]}'), st.just("<system-reminder>x</system-reminder>"))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(json_values, st.sampled_from(list(Api)))
def test_extraction_never_raises_and_paths_resolve(body: object, api: Api) -> None:
    for field in [*extract_fields(api, body), *generic_fields(body)]:
        assert isinstance(field.role, Role)
        assert field.text
        assert resolve(body, field.path) == field.text


@settings(max_examples=200)
@given(st.recursive(json_strings, lambda children: st.lists(children, max_size=3) | st.dictionaries(
    st.sampled_from(["role", "content", "text", "type"]), children, max_size=3), max_leaves=20))
def test_websocket_extraction_never_raises(message: object) -> None:
    for field in extract_ws_message(message):
        assert resolve(message, field.path) == field.text


# --- Decoding bodies --------------------------------------------------------------------------

PLAIN = json.dumps(json.loads(raw_body("claude"))).encode()


def gzip_members(data: bytes) -> bytes:
    half = len(data) // 2
    return gzip.compress(data[:half]) + gzip.compress(data[half:])


@pytest.mark.parametrize(
    "encoding, compress",
    [
        (None, lambda data: data),
        ("", lambda data: data),
        ("identity", lambda data: data),
        ("gzip", gzip.compress),
        ("GZIP", gzip.compress),
        ("x-gzip", gzip.compress),
        ("gzip", gzip_members),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data)[2:-4]),  # raw deflate, as some clients send
        ("br", brotli.compress),
        ("zstd", zstd.compress),
        ("gzip, br", lambda data: brotli.compress(gzip.compress(data))),
        ("deflate,zstd", lambda data: zstd.compress(zlib.compress(data))),
        ("identity, gzip", gzip.compress),
    ],
)
def test_decode_round_trip(encoding: str | None, compress) -> None:  # type: ignore[no-untyped-def]
    assert decode_body(compress(PLAIN), encoding) == PLAIN


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "zstd"])
def test_decode_empty_body(encoding: str) -> None:
    assert decode_body(b"", encoding) == b""


@pytest.mark.parametrize(
    "encoding, data, message",
    [
        # A wrong header: the body is not what Content-Encoding says
        ("gzip", PLAIN, "Content-Encoding gzip: not gzip data"),
        ("br", PLAIN, "Content-Encoding br"),
        ("zstd", PLAIN, "Content-Encoding zstd"),
        ("deflate", PLAIN, "Content-Encoding deflate"),
        ("gzip", brotli.compress(PLAIN), "Content-Encoding gzip"),
        # Truncated in flight
        ("gzip", gzip.compress(PLAIN)[:-200], "Content-Encoding gzip"),
        ("deflate", zlib.compress(PLAIN)[:-200], "Content-Encoding deflate"),
        ("br", brotli.compress(PLAIN)[:-200], "Content-Encoding br"),
        ("zstd", zstd.compress(PLAIN)[:-200], "Content-Encoding zstd"),
        # Corrupt
        ("gzip", gzip.compress(PLAIN)[:40] + b"\xff" * 64 + gzip.compress(PLAIN)[104:], "Content-Encoding gzip"),
        # Unknown codings
        ("compress", PLAIN, "unsupported Content-Encoding 'compress'"),
        ("gzip, lz4", gzip.compress(PLAIN), "unsupported Content-Encoding 'lz4'"),
    ],
)
def test_decode_errors(encoding: str, data: bytes, message: str) -> None:
    with pytest.raises(BodyDecodeError, match="^" + message.replace("(", "\\(")):
        decode_body(data, encoding)


@pytest.mark.parametrize(
    "encoding, compress",
    [("gzip", gzip.compress), ("deflate", zlib.compress), ("br", brotli.compress), ("zstd", zstd.compress)],
)
def test_decode_refuses_a_compression_bomb(encoding: str, compress) -> None:  # type: ignore[no-untyped-def]
    bomb = compress(b"\x00" * 20_000_000)
    assert len(bomb) < 100_000
    with pytest.raises(BodyDecodeError, match="more than 1000000 bytes"):
        decode_body(bomb, encoding, max_size=1_000_000)
    assert decode_body(compress(PLAIN), encoding, max_size=len(PLAIN)) == PLAIN


# --- Parsing bodies ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        (b'{"a": "\\u00e9\\ud83d\\ude00"}', {"a": "\u00e9\U0001f600"}),
        ('{"a": "\u00e9\U0001f600"}'.encode(), {"a": "\u00e9\U0001f600"}),
        # A lone surrogate escape is legal JSON; orjson refuses it, the fallback keeps it
        (b'{"a": "\\ud800", "b": [1.5, null]}', {"a": "\ud800", "b": [1.5, None]}),
        (b'["\\udfff"]', ["\udfff"]),
        (b"  [1, 2]\n", [1, 2]),
        (b'"just a string"', "just a string"),
    ],
)
def test_parse_json_body(raw: bytes, expected: object) -> None:
    assert parse_json_body(raw) == expected


@pytest.mark.parametrize(
    "raw, offset, message",
    [
        (b"", 0, "empty"),
        (b'{"a": 1,}', 7, "trailing comma"),
        ('{"\u00e9\u00e9": x}'.encode(), 9, "expected a JSON value"),
        (b'{"messages": [', 14, ""),
        (b'{"a": "\xff"}', 7, "not UTF-8 at byte 7"),
        (b'{"a": NaN}', 6, ""),
        (b'{"a": "\\ud800", "b": NaN}', 0, "NaN is not JSON"),
        (b'{"a": "\\ud800",}', 14, "invalid JSON at byte 14"),
        (b"\xef\xbb\xbf{}", 0, "byte order mark"),
        (b"[" * 5000 + b"]" * 5000, 1025, "nested too deeply"),
    ],
)
def test_parse_json_body_errors(raw: bytes, offset: int, message: str) -> None:
    with pytest.raises(BodyParseError) as caught:
        parse_json_body(raw)
    assert caught.value.offset == offset
    assert message in str(caught.value)


def test_every_fixture_parses_the_same_as_the_json_module() -> None:
    for name in FIXTURES:
        raw = raw_body(name)
        assert parse_json_body(raw) == json.loads(raw)


def test_fixtures_are_not_shared_state() -> None:
    body = parse_json_body(raw_body("codex"))
    before = copy.deepcopy(body)
    extract_fields(Api.OPENAI_RESPONSES, body)
    assert body == before


@pytest.mark.parametrize(
    "data, kept",
    [
        ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", False),
        # Anything besides base64 in the payload is scanned: a control character, a hidden tag
        ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJ\x1b[0mAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", True),
        ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==\U000e0041", True),
    ],
)
def test_only_pure_base64_payloads_are_left_out(data: str, kept: bool) -> None:
    body = {"messages": [{"role": "user", "content": [{"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": data}}]}]}
    paths = [field.path for field in extract_fields(Api.ANTHROPIC_MESSAGES, body)]
    assert paths == (["$['messages'][0]['content'][0]['source']['data']"] if kept else [])


# --- a resent conversation reuses the fields of its unchanged messages ---------------------------

def _fresh_fields(api: Api, body: dict) -> list:
    saved, shapes_module._MEMO = shapes_module._MEMO, shapes_module._NodeMemo()
    try:
        return extract_fields(api, body, remember=True)
    finally:
        shapes_module._MEMO = saved


def test_the_next_turn_of_a_conversation_gives_the_fields_a_fresh_walk_gives() -> None:
    body = conversation_body(200_000, marked=True)
    extract_fields(Api.ANTHROPIC_MESSAGES, body, remember=True)
    later = copy.deepcopy(body)
    later["messages"] += [
        {"role": "assistant", "content": [{"type": "text", "text": "Done: the rounding test passes."}]},
        {"role": "user", "content": [{"type": "text", "text": "<system-reminder>cwd: /home/alice</system-reminder> Thanks!"}]},
    ]
    assert extract_fields(Api.ANTHROPIC_MESSAGES, later, remember=True) == _fresh_fields(Api.ANTHROPIC_MESSAGES, later)


def test_an_edited_earlier_message_is_walked_again() -> None:
    body = conversation_body(50_000, marked=False)
    extract_fields(Api.ANTHROPIC_MESSAGES, body, remember=True)
    edited = copy.deepcopy(body)
    edited["messages"][1]["content"][0]["text"] = "Rewritten history\N{ZERO WIDTH SPACE}"
    fields = extract_fields(Api.ANTHROPIC_MESSAGES, edited, remember=True)
    assert fields == _fresh_fields(Api.ANTHROPIC_MESSAGES, edited)
    assert "Rewritten history\N{ZERO WIDTH SPACE}" in [f.text for f in fields]


def test_the_same_item_in_instructions_and_in_input_keeps_each_role() -> None:
    item = {"type": "message", "content": [{"type": "input_text", "text": "Be brief."}]}
    body = {"instructions": [item], "input": [item]}
    extract_fields(Api.OPENAI_RESPONSES, copy.deepcopy(body), remember=True)
    fields = extract_fields(Api.OPENAI_RESPONSES, body, remember=True)
    assert fields == _fresh_fields(Api.OPENAI_RESPONSES, body)
    assert [f.role for f in fields] == [Role.SYSTEM, Role.USER]


def test_the_memo_forgets_everything_past_its_bounds() -> None:
    memo = shapes_module._NodeMemo(limit=2, chars=10)
    field = TextField("$['messages'][0]", Role.USER, "hello")
    memo.put("$['messages'][0]", (), {"a": "hello"}, [field])
    assert memo.get("$['messages'][0]", (), {"a": "hello"}) == [field]
    memo.put("$['messages'][1]", (), {"a": "world!"}, [TextField("$['messages'][1]", Role.USER, "world!")])
    assert memo.get("$['messages'][0]", (), {"a": "hello"}) is None  # 11 characters: cleared first


def test_a_node_changed_in_place_is_walked_again() -> None:
    body = conversation_body(50_000, marked=False)
    extract_fields(Api.ANTHROPIC_MESSAGES, body, remember=True)
    body["tools"][0]["description"] += "\N{ZERO WIDTH JOINER}"
    fields = extract_fields(Api.ANTHROPIC_MESSAGES, body, remember=True)
    assert any(f.text.endswith("\N{ZERO WIDTH JOINER}") for f in fields)
