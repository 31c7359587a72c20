"""The ``stegwatch`` content view, driven through mitmproxy's own content-view machinery.

Flows are built with mitmproxy's test helpers and run through the real `Audit` hook, so the
view is chosen (or not) by `contentviews.prettify_message` exactly as mitmweb would choose it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from mitmproxy import contentviews
from mitmproxy.test import taddons, tflow, tutils
from mitmproxy.websocket import WebSocketMessage
from wsproto.frame_protocol import Opcode

from addons.audit import Audit
from addons.contentview import ContentviewRegistration, reveal_named, stegwatch_view
from tests.addons.test_audit import exchange
from tests.support.bodies import CASES, TAG_PAYLOAD, codex_websocket_create

BODIES = Path(__file__).resolve().parents[1] / "data" / "bodies"
REAL_BODIES = {
    "claude_code_messages.json": "/v1/messages",
    "codex_responses.json": "/v1/responses",
    "gemini_cli_generate_content.json": "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse",
    "openai_chat_tools.json": "/v1/chat/completions",
}


def request_flow(path: str, content: bytes, audited: bool = True) -> tflow.HTTPFlow:
    flow = tflow.tflow(
        req=tutils.treq(
            method=b"POST", path=path.encode(), host="api.example.com", content=content,
            headers=((b"content-type", b"application/json"),),
        ),
        resp=tutils.tresp(content=b'{"id": "msg_01", "content": [{"type": "text", "text": "Done."}]}'),
    )
    flow.response = None
    if audited:
        addon = Audit()
        with taddons.context(addon):
            asyncio.run(exchange(addon, flow))
    return flow


@pytest.fixture(autouse=True)
def registered():
    with taddons.context(ContentviewRegistration()):
        assert contentviews.registry["stegwatch"] is stegwatch_view  # added by load()
        yield


# --- marked bodies of every API: the view wins and shows the evidence --------------------------


@pytest.mark.parametrize("api", sorted(CASES))
def test_marked_request_opens_in_the_stegwatch_view_with_paths_roles_and_revealed_marks(api):
    case = CASES[api](marked=True)
    flow = request_flow(case.url_path, case.encoded())
    result = contentviews.prettify_message(flow.request, flow)
    assert result.view_name == "stegwatch"
    assert result.text.startswith(f"stegwatch · {api} ·")
    for mark in case.marks:
        assert f"── [{mark.role}] {mark.path} ‼" in result.text
    assert "⟦U+202E RIGHT-TO-LEFT OVERRIDE⟧txt.exe⟦U+202C POP DIRECTIONAL FORMATTING⟧" in result.text
    assert "⟦U+200B ZERO WIDTH SPACE⟧" in result.text
    assert "⟦U+E0049 TAG LATIN CAPITAL LETTER I⟧" in result.text
    findings = result.text.split("Findings (worst first)\n", 1)[1]
    assert findings.index("HIGH") < findings.index("MEDIUM")
    # Unmarked multilingual text and emoji stay as they are.
    assert "« montant invalide » — 金额无效 🙂" in result.text


def test_a_look_alike_apostrophe_in_a_user_turn_is_revealed_with_its_name():
    case = CASES["anthropic-messages"](marked=False)
    case.body["messages"][0]["content"][0]["text"] = "Update the changelog for today\u02bcs release; don\u2019t bump the version."
    flow = request_flow(case.url_path, case.encoded())
    result = contentviews.prettify_message(flow.request, flow)
    assert result.view_name == "stegwatch"
    assert "today⟦U+02BC MODIFIER LETTER APOSTROPHE⟧s release" in result.text
    assert "MEDIUM" in result.text or "HIGH" in result.text


def test_a_gzip_request_is_shown_decoded():
    case = CASES["openai-responses"](marked=True)
    flow = request_flow(case.url_path, b"")
    flow.request.headers["content-encoding"] = "gzip"
    flow.request.content = case.encoded()  # mitmproxy compresses it to match the header
    assert flow.request.raw_content != case.encoded()
    result = contentviews.prettify_message(flow.request, flow, view_name="stegwatch")
    assert result.description == "[decoded gzip]"
    assert "── [tool_result] $['input'][2]['output'] ‼" in result.text


def test_the_response_of_a_marked_flow_keeps_mitmproxys_own_view():
    case = CASES["openai-chat"](marked=True)
    flow = request_flow(case.url_path, case.encoded())
    flow.response = tutils.tresp(content=b'{"choices": [{"message": {"content": "Done."}}]}')
    flow.response.headers["content-type"] = "application/json"
    assert contentviews.prettify_message(flow.response, flow).view_name == "JSON"
    chosen = contentviews.prettify_message(flow.response, flow, view_name="stegwatch")
    assert chosen.text.startswith("stegwatch: not an AI API request")


# --- real agent-shaped clean bodies: JSON stays the default; chosen by hand, fields are shown --


@pytest.mark.parametrize("name, path", sorted(REAL_BODIES.items()))
def test_clean_agent_body_opens_in_json_and_the_stegwatch_view_lists_its_fields(name, path):
    content = (BODIES / name).read_bytes()
    flow = request_flow(path, content)
    if not any(record["findings"] for record in flow.metadata.get("stegwatch", [])):
        assert contentviews.prettify_message(flow.request, flow).view_name == "JSON"
    chosen = contentviews.prettify_message(flow.request, flow, view_name="stegwatch")
    assert chosen.view_name == "stegwatch"
    assert "── [system] $[" in chosen.text
    assert "── [user] $[" in chosen.text


# --- other bodies fall back cleanly ---------------------------------------------------------


@pytest.mark.parametrize(
    "path, content, expected",
    [
        ("/v1/messages", b"<html><body>Bad gateway</body></html>", "not an AI API request: not JSON"),
        ("/api/v2/upload", b'{"user": {"name": "Zo\\u00eb", "city": "K\\u00f8benhavn"}}', "not an AI API request (JSON of an unknown shape)"),
        ("/v1/messages", b'"just a string"', "not an AI API request: unknown shape"),
    ],
)
def test_a_body_that_is_not_an_ai_request_says_so(path, content, expected):
    flow = request_flow(path, content)
    assert stegwatch_view.render_priority(content, contentviews.make_metadata(flow.request, flow)) == 0
    result = contentviews.prettify_message(flow.request, flow, view_name="stegwatch")
    assert result.text.startswith(f"stegwatch: {expected}")


def test_priority_is_above_one_only_when_the_flow_has_findings():
    marked, clean = CASES["gemini"](marked=True), CASES["gemini"](marked=False)
    marked_flow = request_flow(marked.url_path, marked.encoded())
    clean_flow = request_flow(clean.url_path, clean.encoded())
    unaudited = request_flow(marked.url_path, marked.encoded(), audited=False)
    priority = stegwatch_view.render_priority
    assert priority(marked.encoded(), contentviews.make_metadata(marked_flow.request, marked_flow)) > 1
    assert priority(clean.encoded(), contentviews.make_metadata(clean_flow.request, clean_flow)) <= 1
    assert priority(marked.encoded(), contentviews.make_metadata(unaudited.request, unaudited)) <= 1


def test_a_long_tool_result_shows_the_window_around_its_mark():
    case = CASES["anthropic-messages"](marked=False)
    log_tail = "".join(f"2026-11-24 09:{i % 60:02d}:00 INFO worker-{i} processed batch {i}\n" for i in range(400))
    case.body["messages"][2]["content"][0]["content"] = log_tail + "done\N{ZERO WIDTH JOINER}" + log_tail
    flow = request_flow(case.url_path, case.encoded())
    text = contentviews.prettify_message(flow.request, flow).text
    assert "the parts around the findings" in text
    assert "done⟦U+200D ZERO WIDTH JOINER⟧" in text
    assert len(text) < 8000


# --- WebSocket messages of the OpenAI Responses API -------------------------------------------


def test_client_websocket_message_is_shown_and_server_messages_are_left_alone():
    create = codex_websocket_create("You are Codex, based on GPT-5." + TAG_PAYLOAD, "Run the tests")
    flow = tflow.twebsocketflow(messages=False)
    flow.request.path = "/v1/responses"
    flow.websocket.messages.clear()  # the helper's flow comes with three sample messages
    flow.websocket.messages.append(WebSocketMessage(Opcode.TEXT, True, create.encode()))
    addon = Audit()
    with taddons.context(addon):
        asyncio.run(addon.websocket_message(flow))
    flow.websocket.messages.append(WebSocketMessage(Opcode.TEXT, False, b'{"type": "response.created"}'))
    client, server = flow.websocket.messages
    shown = contentviews.prettify_message(client, flow)
    assert shown.view_name == "stegwatch"
    assert "── [system] $['instructions'] ‼" in shown.text
    assert "⟦U+E0049 TAG LATIN CAPITAL LETTER I⟧" in shown.text
    assert contentviews.prettify_message(server, flow).view_name != "stegwatch"


# --- the revealing helper -------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload, expected",
    [
        ("def f():\n\treturn 1\n", "def f():\n\treturn 1\n"),
        ("a\N{SOFT HYPHEN}b", "a⟦U+00AD SOFT HYPHEN⟧b"),
        ("Z\N{ZERO WIDTH NON-JOINER}\N{WORD JOINER}", "Z⟦U+200C ZERO WIDTH NON-JOINER⟧⟦U+2060 WORD JOINER⟧"),
        ("x\ud800y", "x⟦U+D800 <surrogate-D800>⟧y"),
    ],
)
def test_reveal_named_keeps_layout_and_names_hidden_characters(payload, expected):
    assert reveal_named(payload) == expected
