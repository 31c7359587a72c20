"""The capture-only proxy: local answers the real SDKs accept, exact records, and never an upstream connection.

Unit tests call the add-on's hooks in mitmproxy's test context. End-to-end tests start the
real ``mitmdump -s addons/capture_proxy.py`` the way ``stegwatch probe`` does (one process,
one listen port per run) and drive it with the official SDKs, which parse every answer.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import json
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path

import anthropic
import httpx2
import openai
import pytest
from google import genai
from google.genai import types as genai_types
from mitmproxy.http import Headers
from mitmproxy.test import taddons, tflow, tutils

from addons.capture_proxy import (
    NO_UPSTREAM,
    READY_FILE,
    CaptureOnly,
    answer_for,
    capture_file,
    read_captures,
)
from addons.probe import CaptureProxy, start_capture_proxy
from tests.support.bodies import CASES
from tests.support.listener import CountingListener

# --- unit: the answers ----------------------------------------------------------------------


def sse_events(raw: bytes) -> list[tuple[str, str]]:
    """(event name, data) of each event of a text/event-stream body."""
    events = []
    for block in raw.decode().split("\n\n"):
        if not block.strip():
            continue
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((fields.get("event", ""), fields["data"]))
    return events


@pytest.mark.parametrize("path, body, content_type, expected", [
    # Anthropic Messages
    ("/v1/messages", {"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 8},
     "application/json", "message"),
    ("/v1/messages?beta=true", {"model": "claude-sonnet-4-5", "messages": [], "system": "x", "stream": True},
     "text/event-stream", "message_stop"),
    ("/v1/messages/count_tokens", {"model": "claude-sonnet-4-5", "messages": []}, "application/json", "input_tokens"),
    # OpenAI Chat Completions
    ("/v1/chat/completions", {"model": "gpt-5", "messages": [{"role": "system", "content": "x"}]},
     "application/json", "chat.completion"),
    ("/v1/chat/completions", {"model": "gpt-5", "messages": [{"role": "system", "content": "x"}], "stream": True},
     "text/event-stream", "[DONE]"),
    # OpenAI Responses
    ("/v1/responses", {"model": "gpt-5-codex", "instructions": "x", "input": []}, "application/json", "response"),
    ("/v1/responses", {"model": "gpt-5-codex", "instructions": "x", "input": [], "stream": True},
     "text/event-stream", "response.completed"),
    # Gemini
    ("/v1beta/models/gemini-2.5-pro:generateContent", {"contents": []}, "application/json", "candidates"),
    ("/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse", {"contents": []}, "text/event-stream", "STOP"),
    ("/v1beta/models/gemini-2.5-pro:streamGenerateContent", {"contents": []}, "application/json", "STOP"),
    ("/v1internal:generateContent", {"model": "gemini-2.5-pro", "request": {"contents": []}},
     "application/json", '"response"'),
    # Everything else: telemetry, feature flags, model lists
    ("/api/event_logging/batch", {"events": [{"event_name": "tengu_startup"}]}, "application/json", "{}"),
    ("/v1/models", None, "application/json", "{}"),
])
def test_each_api_gets_its_minimal_answer(path, body, content_type, expected):
    raw = json.dumps(body).encode() if body is not None else b""
    response = answer_for("POST" if body is not None else "GET", path, Headers(), raw)
    assert response.status_code == 200
    assert response.headers["content-type"] == content_type
    assert expected in response.get_text()


def test_anthropic_stream_has_every_event_in_order():
    body = json.dumps({"model": "claude-opus-4-1", "messages": [], "system": "s", "stream": True}).encode()
    events = sse_events(answer_for("POST", "/v1/messages", Headers(), body).content)
    assert [name for name, _ in events] == [
        "message_start", "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop",
    ]
    assert json.loads(events[0][1])["message"]["model"] == "claude-opus-4-1"


def test_gzip_request_body_is_recognised():
    body = gzip.compress(json.dumps({"model": "gpt-5", "instructions": "x", "input": [], "stream": True}).encode())
    response = answer_for("POST", "/v1/responses", Headers(content_encoding="gzip"), body)
    assert response.headers["content-type"] == "text/event-stream"


def test_websocket_upgrade_is_refused_so_the_client_falls_back_to_http():
    headers = Headers(connection="Upgrade", upgrade="websocket", sec_websocket_version="13")
    response = answer_for("GET", "/v1/responses", headers, b"")
    assert response.status_code == 426


@pytest.mark.parametrize("raw", [b"not json", b'{"messages": [', b"\x1f\x8b broken gzip"])
def test_unreadable_bodies_get_an_empty_json_answer(raw):
    response = answer_for("POST", "/v1/messages", Headers(), raw)
    assert (response.status_code, response.get_text()) == (200, "{}")


# --- unit: the hooks ------------------------------------------------------------------------

@contextlib.contextmanager
def capture_context(directory: Path) -> Iterator[CaptureOnly]:
    addon = CaptureOnly()
    with taddons.context(addon) as tctx:
        try:
            tctx.configure(addon, stegwatch_capture_dir=str(directory))
            yield addon
        finally:
            addon.done()
            tctx.master._legacy_log_events.uninstall()


def test_request_hook_records_then_answers(tmp_path):
    body = json.dumps(CASES["anthropic-messages"](marked=True).body).encode()
    request = tutils.treq(host="api.anthropic.com", port=443, scheme=b"https", method=b"POST", path=b"/v1/messages",
                          headers=Headers([(b"X-Api-Key", b"sk-ant-test"), (b"Content-Type", b"application/json"),
                                           (b"anthropic-version", b"2023-06-01")]),
                          content=body)
    flow = tflow.tflow(req=request)
    flow.client_conn.sockname = ("127.0.0.1", 40123)
    with capture_context(tmp_path) as addon:
        addon.request(flow)
        # Flushed per request: readable while the proxy still runs.
        [captured] = read_captures(capture_file(tmp_path, 40123))
    assert flow.response is not None and flow.response.status_code == 200
    assert captured.method == "POST"
    assert captured.url == "https://api.anthropic.com/v1/messages"
    assert [name for name, _ in captured.headers] == ["X-Api-Key", "Content-Type", "anthropic-version"]
    assert captured.body == body
    assert captured.timestamp is not None


def test_connect_requests_are_left_to_mitmproxy(tmp_path):
    flow = tflow.tflow(req=tutils.treq(method=b"CONNECT", host="api.openai.com", port=443, path=b""))
    with capture_context(tmp_path) as addon:
        addon.request(flow)
    assert flow.response is None
    assert list(tmp_path.glob("*.jsonl")) == []


def test_server_connect_is_always_refused(tmp_path):
    data = type("Data", (), {})()
    data.server = type("Server", (), {"error": None})()
    with capture_context(tmp_path) as addon:
        addon.server_connect(data)
    assert data.server.error == NO_UPSTREAM


def test_a_truncated_last_record_is_ignored(tmp_path):
    path = tmp_path / "1.jsonl"
    record = {"method": "POST", "url": "https://x/v1/messages", "headers": [["a", "b"]],
              "body": base64.b64encode(b"{}").decode(), "timestamp": 1.0}
    path.write_text(json.dumps(record) + "\n" + json.dumps(record)[:20])
    assert len(read_captures(path)) == 1


# --- end to end: a real mitmdump and the official SDKs ---------------------------------------

@pytest.fixture(scope="module")
def capture_proxy(tmp_path_factory) -> Iterator[CaptureProxy]:
    proxy = start_capture_proxy(tmp_path_factory.mktemp("capture"), port_count=3)
    yield proxy
    proxy.stop()


def client_for(proxy: CaptureProxy, port: int) -> httpx2.Client:
    return httpx2.Client(proxy=proxy.proxy_url(port), verify=ssl.create_default_context(cafile=str(proxy.ca_file)),
                         timeout=30)


def sdk_turn(api: str, client: httpx2.Client, stream: bool) -> str:
    """One turn with the official SDK against the vendor's real host; the proxy answers it."""
    body = CASES[api](marked=False).body
    if api == "anthropic-messages":
        sdk = anthropic.Anthropic(api_key="sk-ant-test", http_client=client, max_retries=0)
        if stream:
            with sdk.messages.stream(**body) as events:
                return events.get_final_text()
        return sdk.messages.create(**body).content[0].text
    if api == "openai-chat":
        sdk = openai.OpenAI(api_key="sk-test", http_client=client, max_retries=0)
        if stream:
            return "".join(chunk.choices[0].delta.content or "" for chunk in
                           sdk.chat.completions.create(**body, stream=True) if chunk.choices)
        return sdk.chat.completions.create(**body).choices[0].message.content
    if api == "openai-responses":
        sdk = openai.OpenAI(api_key="sk-test", http_client=client, max_retries=0)
        if stream:
            with sdk.responses.stream(**body) as events:
                return events.get_final_response().output_text
        return sdk.responses.create(**body).output_text
    sdk = genai.Client(api_key="AIza-test", http_options=genai_types.HttpOptions(api_version="v1beta", httpx_client=client))
    config = genai_types.GenerateContentConfig(system_instruction=body["systemInstruction"]["parts"][0]["text"])
    contents = [genai_types.Content.model_validate(c) for c in body["contents"]]
    if stream:
        return "".join(chunk.text or "" for chunk in
                       sdk.models.generate_content_stream(model="gemini-2.5-pro", contents=contents, config=config))
    return sdk.models.generate_content(model="gemini-2.5-pro", contents=contents, config=config).text


@pytest.mark.e2e
@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
@pytest.mark.parametrize("api", sorted(CASES))
def test_official_sdks_finish_their_turn_on_local_answers(capture_proxy, api, stream):
    port = capture_proxy.ports[0]
    before = len(capture_proxy.captures(port, "t"))
    with client_for(capture_proxy, port) as client:
        assert sdk_turn(api, client, stream) == "ok"
    captured = capture_proxy.captures(port, "t")[before:]
    assert len(captured) == 1
    assert captured[0].method == "POST"
    assert captured[0].host in {"api.anthropic.com", "api.openai.com", "generativelanguage.googleapis.com"}


@pytest.mark.e2e
def test_each_listen_port_has_its_own_capture_file(capture_proxy):
    first, second = capture_proxy.ports[1], capture_proxy.ports[2]
    for port, marker in ((first, "first"), (second, "second")):
        with client_for(capture_proxy, port) as client:
            client.post("https://telemetry.example.com/v1/events", json={"run": marker})
    assert [json.loads(r.body)["run"] for r in capture_proxy.captures(first, "t")] == ["first"]
    assert [json.loads(r.body)["run"] for r in capture_proxy.captures(second, "t")] == ["second"]
    ready = json.loads((capture_proxy.capture_dir / READY_FILE).read_text())
    assert ready["ports"] == sorted(capture_proxy.ports)


@pytest.mark.e2e
def test_responses_websocket_upgrade_is_refused_and_recorded(capture_proxy):
    port = capture_proxy.ports[1]
    with client_for(capture_proxy, port) as client:
        response = client.get("https://api.openai.com/v1/responses", headers={
            "Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": base64.b64encode(b"0123456789abcdef").decode()})
    assert response.status_code == 426
    assert any(r.method == "GET" and r.header("upgrade") == "websocket" for r in capture_proxy.captures(port, "t"))


@pytest.mark.e2e
def test_no_upstream_connection_is_ever_opened(capture_proxy):
    upstream = CountingListener()  # the proxy must never connect to it
    port = capture_proxy.ports[2]
    try:
        with client_for(capture_proxy, port) as client:
            # HTTPS through CONNECT, plain HTTP, an API call and a telemetry call, all to the upstream.
            assert client.post(f"https://127.0.0.1:{upstream.port}/v1/messages",
                               json=CASES["anthropic-messages"](marked=False).body).status_code == 200
            assert client.post(f"http://127.0.0.1:{upstream.port}/v1/traces", content=b"\x00\x01").status_code == 200
            assert client.get(f"https://localhost:{upstream.port}/flags").json() == {}
        # A CONNECT tunnel that is not TLS: mitmproxy would relay it as raw TCP if it could.
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            raw.sendall(f"CONNECT 127.0.0.1:{upstream.port} HTTP/1.1\r\nHost: 127.0.0.1:{upstream.port}\r\n\r\n".encode())
            raw.recv(4096)
            raw.sendall(b"SSH-2.0-OpenSSH_9.6\r\n")
            raw.settimeout(2)
            with contextlib.suppress(OSError):
                raw.recv(4096)
        assert upstream.connections == 0
        urls = [r.url for r in capture_proxy.captures(port, "t")]
        assert f"https://127.0.0.1:{upstream.port}/v1/messages" in urls
        assert f"http://127.0.0.1:{upstream.port}/v1/traces" in urls
    finally:
        upstream.close()


@pytest.mark.e2e
def test_compressed_bodies_are_recorded_as_sent_and_still_answered(capture_proxy):
    port = capture_proxy.ports[0]
    body = json.dumps(CASES["openai-responses"](marked=True).body | {"stream": True}).encode()
    sent = gzip.compress(body)
    with client_for(capture_proxy, port) as client:
        response = client.post("https://api.openai.com/v1/responses", content=sent,
                               headers={"content-type": "application/json", "content-encoding": "gzip"})
    assert response.headers["content-type"] == "text/event-stream"
    last = capture_proxy.captures(port, "t")[-1]
    assert last.body == sent and gzip.decompress(last.body) == body


@pytest.mark.e2e
def test_http2_clients_are_answered_and_recorded(capture_proxy):
    # Node and Rust clients (Claude Code, Gemini CLI, Codex) negotiate HTTP/2 when offered.
    port = capture_proxy.ports[1]
    context = ssl.create_default_context(cafile=str(capture_proxy.ca_file))
    with httpx2.Client(proxy=capture_proxy.proxy_url(port), verify=context, http1=False, http2=True) as client:
        response = client.post("https://api.anthropic.com/v1/messages",
                               json=CASES["anthropic-messages"](marked=False).body | {"stream": True})
    assert (response.http_version, response.status_code) == ("HTTP/2", 200)
    assert [name for name, _ in sse_events(response.content)][-1] == "message_stop"
    assert capture_proxy.captures(port, "t")[-1].url == "https://api.anthropic.com/v1/messages"
