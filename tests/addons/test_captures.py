"""Reading saved traffic: mitmproxy dumps, HAR, JSON and JSONL bodies, and corrupt files."""

from __future__ import annotations

import base64
import gzip
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from mitmproxy import http
from mitmproxy.io import FlowWriter
from mitmproxy.test import tflow, tutils

from addons.captured import CapturedRequest
from addons.captures import CaptureError, capture_kind, read_requests
from tests.support.bodies import CASES, ZWSP, anthropic_case, openai_responses_case


def agent_flow(case_name: str = "anthropic-messages", marked: bool = True, **headers: str) -> http.HTTPFlow:
    case = CASES[case_name](marked=marked)
    flow = tflow.tflow(
        req=tutils.treq(method=b"POST", host="api.example.com", port=443, path=case.url_path.encode(), content=case.encoded()),
        resp=tutils.tresp(content=b'{"type":"message"}'),
    )
    flow.request.scheme = "https"
    for name, value in {"user-agent": "claude-cli/2.0.1 (external, cli)", "x-api-key": "sk-ant-secret", **headers}.items():
        flow.request.headers[name] = value
    return flow


def write_dump(path: Path, flows: list) -> list[int]:
    """Write ``flows`` with mitmproxy's FlowWriter; return each record's start offset."""
    starts = []
    with path.open("wb") as handle:
        writer = FlowWriter(handle)
        for flow in flows:
            starts.append(handle.tell())
            writer.add(flow)
    return starts


# --- mitmproxy flow dumps --------------------------------------------------------------------

def test_flow_dump_gives_each_request_as_sent(tmp_path):
    flows = [agent_flow("anthropic-messages"), agent_flow("openai-chat"), agent_flow("gemini")]
    path = tmp_path / "session.mitm"
    write_dump(path, flows)
    requests = list(read_requests(path))
    assert [r.origin for r in requests] == [f"{path}#0", f"{path}#1", f"{path}#2"]
    assert [r.body for r in requests] == [f.request.raw_content for f in flows]
    assert [r.flow_id for r in requests] == [f.id for f in flows]
    first = requests[0]
    assert (first.method, first.url, first.host, first.path) == (
        "POST", "https://api.example.com/v1/messages", "api.example.com", "/v1/messages")
    assert first.header("User-Agent") == "claude-cli/2.0.1 (external, cli)"
    assert not any(r.websocket for r in requests)


def test_compressed_body_stays_as_it_went_on_the_wire(tmp_path):
    flow = agent_flow()
    plain = flow.request.raw_content
    flow.request.headers["content-encoding"] = "gzip"
    flow.request.raw_content = gzip.compress(plain)
    path = tmp_path / "gzip.mitm"
    write_dump(path, [flow])
    [request] = read_requests(path)
    assert request.header("content-encoding") == "gzip"
    assert gzip.decompress(request.body) == plain


def test_websocket_client_messages_are_requests_of_their_own(tmp_path):
    flow = tflow.twebsocketflow()
    flow.request.path = "/v1/responses"
    message = json.dumps({"type": "response.create", "model": "gpt-5-codex", "input": "ls" + ZWSP}).encode()
    flow.websocket.messages.append(
        type(flow.websocket.messages[0])(1, True, message, timestamp=1764000000.0)  # TEXT, from the client
    )
    path = tmp_path / "ws.mitm"
    write_dump(path, [flow])
    requests = list(read_requests(path))
    from_client = [m for m in flow.websocket.messages if m.from_client]
    assert [r.websocket for r in requests] == [False] + [True] * len(from_client)
    assert [r.body for r in requests[1:]] == [m.content for m in from_client]
    assert requests[-1].body == message and requests[-1].flow_id == flow.id
    assert all(r.origin.startswith(f"{path}#0/ws") for r in requests[1:])


def test_non_http_flows_are_passed_over(tmp_path):
    path = tmp_path / "mixed.mitm"
    write_dump(path, [tflow.ttcpflow(), agent_flow(), tflow.tdnsflow()])
    assert [r.origin for r in read_requests(path)] == [f"{path}#1"]


@pytest.mark.parametrize("cut", ["middle of record 2", "header of record 2", "one byte short"])
def test_truncated_dump_yields_what_precedes_the_damage_then_names_the_offset(tmp_path, cut):
    path = tmp_path / "full.mitm"
    starts = write_dump(path, [agent_flow(), agent_flow("openai-chat"), agent_flow("gemini")])
    data = path.read_bytes()
    end = {"middle of record 2": (starts[2] + len(data)) // 2, "header of record 2": starts[2] + 3,
           "one byte short": len(data) - 1}[cut]
    truncated = tmp_path / "truncated.mitm"
    truncated.write_bytes(data[:end])
    got: list[CapturedRequest] = []
    with pytest.raises(CaptureError) as raised:
        for request in read_requests(truncated):
            got.append(request)
    assert len(got) == 2
    assert raised.value.offset == starts[2] and raised.value.path == truncated
    assert f"{truncated}: at byte offset {starts[2]}: flow record 2" in str(raised.value)


def test_dump_cut_at_a_record_boundary_is_a_shorter_capture(tmp_path):
    path = tmp_path / "full.mitm"
    starts = write_dump(path, [agent_flow(), agent_flow()])
    path.write_bytes(path.read_bytes()[:starts[1]])
    assert len(list(read_requests(path))) == 1


def test_garbage_with_a_dump_extension_fails_at_offset_zero(tmp_path):
    path = tmp_path / "notes.mitm"
    path.write_text("These are my notes, not a flow dump.\n")
    with pytest.raises(CaptureError) as raised:
        list(read_requests(path))
    assert raised.value.offset == 0


# --- HAR -------------------------------------------------------------------------------------

def chrome_har(entries: list[dict]) -> dict:
    """A HAR as Chrome DevTools' "Save all as HAR" writes it."""
    return {"log": {
        "version": "1.2",
        "creator": {"name": "WebInspector", "version": "537.36"},
        "pages": [{"startedDateTime": "2026-11-24T09:12:01.204Z", "id": "page_1", "title": "https://claude.ai/",
                   "pageTimings": {"onContentLoad": 812.4, "onLoad": 1203.9}}],
        "entries": entries,
    }}


def har_entry(url: str, body: bytes | None, *, base64_body: bool = False, method: str = "POST", **extra) -> dict:
    request: dict = {
        "method": method, "url": url, "httpVersion": "http/2.0",
        "headers": [{"name": ":authority", "value": "api.anthropic.com"}, {"name": "content-type", "value": "application/json"},
                    {"name": "user-agent", "value": "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0.0.0"},
                    {"name": "x-api-key", "value": "sk-ant-secret"}],
        "queryString": [], "cookies": [], "headersSize": -1, "bodySize": len(body or b""),
    }
    if body is not None:
        request["postData"] = (
            {"mimeType": "application/json", "text": base64.b64encode(body).decode(), "encoding": "base64"}
            if base64_body else {"mimeType": "application/json", "text": body.decode("utf-8")}
        )
    return {
        "_initiator": {"type": "script"}, "_priority": "High", "_resourceType": "fetch", "cache": {},
        "connection": "443", "pageref": "page_1", "request": request,
        "response": {"status": 200, "statusText": "", "httpVersion": "http/2.0", "headers": [], "cookies": [],
                     "content": {"size": 2, "mimeType": "application/json", "text": "{}"}, "redirectURL": "",
                     "headersSize": -1, "bodySize": -1, "_transferSize": 512, "_error": None},
        "serverIPAddress": "160.79.104.10", "startedDateTime": "2026-11-24T09:12:03.512Z", "time": 812.3,
        "timings": {"blocked": 1.2, "dns": -1, "ssl": -1, "connect": -1, "send": 0.3, "wait": 790.1, "receive": 20.7},
        **extra,
    }


def test_har_from_a_browser_gives_post_data_headers_and_time(tmp_path):
    marked = anthropic_case(marked=True).encoded()
    entries = [
        har_entry("https://claude.ai/api/bootstrap", None, method="GET"),
        har_entry("https://api.anthropic.com/v1/messages?beta=true", marked),
        har_entry("https://api.anthropic.com/v1/messages", gzip.compress(marked), base64_body=True),
    ]
    path = tmp_path / "claude.ai.har"
    path.write_text(json.dumps(chrome_har(entries), ensure_ascii=False), encoding="utf-8")
    requests = list(read_requests(path))
    assert [r.origin for r in requests] == [f"{path}#0", f"{path}#1", f"{path}#2"]
    assert (requests[0].method, requests[0].body) == ("GET", b"")
    assert requests[1].body == marked and requests[1].path == "/v1/messages?beta=true"
    assert gzip.decompress(requests[2].body) == marked
    assert requests[1].header("x-api-key") == "sk-ant-secret"  # kept for recognition; writers filter it
    assert requests[1].timestamp == datetime(2026, 11, 24, 9, 12, 3, 512000, tzinfo=UTC).timestamp()


def test_har_websocket_send_messages_become_websocket_requests(tmp_path):
    create = json.dumps(openai_responses_case(marked=True).body | {"type": "response.create"})
    entry = har_entry("wss://api.openai.com/v1/responses", None, method="GET", _webSocketMessages=[
        {"type": "send", "time": 1764000000.5, "opcode": 1, "data": create},
        {"type": "receive", "time": 1764000001.0, "opcode": 1, "data": '{"type":"response.completed"}'},
    ])
    path = tmp_path / "codex.har"
    path.write_text(json.dumps(chrome_har([entry])), encoding="utf-8")
    requests = list(read_requests(path))
    assert [(r.websocket, r.origin) for r in requests] == [(False, f"{path}#0"), (True, f"{path}#0/ws0")]
    assert requests[1].body == create.encode()


def test_har_body_with_a_lone_surrogate_keeps_it_as_a_json_escape(tmp_path):
    body = '{"messages": [{"role": "user", "content": "key: a\\ud800b"}]}'
    entry = har_entry("https://api.openai.com/v1/chat/completions", None)
    entry["request"]["postData"] = {"mimeType": "application/json", "text": json.loads(json.dumps(body))}
    path = tmp_path / "s.har"
    path.write_text(json.dumps(chrome_har([entry])), encoding="utf-8")  # json.dumps writes "\\ud800"
    [request] = read_requests(path)
    assert json.loads(request.body)["messages"][0]["content"] == "key: a\ud800b"


@pytest.mark.parametrize(
    "entries, index, message",
    [
        ([{"request": "not an object"}], 0, "request is missing"),
        ([har_entry("https://x/v1/messages", b"{}"), {"startedDateTime": "2026-11-24T09:12:03Z"}], 1, "request is missing"),
        ([har_entry("https://x/v1/messages", b"{}") | {"request": {"method": "POST", "url": "https://x",
                                                               "postData": {"text": "%%%", "encoding": "base64"}}}],
         0, "invalid base64"),
    ],
)
def test_har_entry_of_the_wrong_shape_names_its_index(tmp_path, entries, index, message):
    path = tmp_path / "bad.har"
    path.write_text(json.dumps(chrome_har(entries)), encoding="utf-8")
    with pytest.raises(CaptureError) as raised:
        list(read_requests(path))
    assert (raised.value.offset, raised.value.unit) == (index, "entry")
    assert message in raised.value.message and f"at entry {index}" in str(raised.value)


def test_json_that_is_not_a_har_is_refused_as_har(tmp_path):
    path = tmp_path / "x.har"
    path.write_text('{"log": {"version": "1.2"}}')
    with pytest.raises(CaptureError, match="no log.entries"):
        list(read_requests(path))


# --- JSON and JSONL bodies -------------------------------------------------------------------

def test_json_body_file_is_one_request_recognised_by_shape(tmp_path):
    body = anthropic_case(marked=True).encoded()
    path = tmp_path / "turn-12.json"
    path.write_bytes(body)
    [request] = read_requests(path)
    assert (request.method, request.url, request.body, request.origin) == ("POST", "", body, str(path))


def test_json_file_holding_a_har_is_read_as_har(tmp_path):
    path = tmp_path / "export.json"
    path.write_text(json.dumps(chrome_har([har_entry("https://api.anthropic.com/v1/messages", b'{"messages": []}')])))
    [request] = read_requests(path)
    assert request.path == "/v1/messages" and request.origin == f"{path}#0"


@pytest.mark.parametrize(
    "content, offset_of",
    [
        # The offset counts bytes: "prêt" and "準備" before the error are 2 and 6 bytes wide.
        ('{"system": "Tout est prêt", "messages": [}'.encode(), b"}"),
        ('{"system": "準備完了", "messages": [1,]}'.encode(), b",]"),
        (b'{"model": "gpt-5", "input": "truncated in the middle of a str', None),
        (b"\xef\xbb\xbf{\"a\": tru}", b"tru"),  # after a BOM, which counts
    ],
)
def test_bad_json_names_the_byte_offset(tmp_path, content, offset_of):
    path = tmp_path / "body.json"
    path.write_bytes(content)
    with pytest.raises(CaptureError) as raised:
        list(read_requests(path))
    expected = len(content) if offset_of is None else content.rindex(offset_of)
    assert raised.value.offset == expected, str(raised.value)
    assert str(raised.value).startswith(f"{path}: at byte offset {expected}: invalid JSON")


def test_jsonl_gives_one_request_per_line_then_stops_at_a_bad_line(tmp_path):
    lines = [CASES[name](marked=False).encoded() for name in sorted(CASES)]
    bad = '{"messages": [{"role": "user", "content": "ça marche"}, ]}'.encode()
    path = tmp_path / "bodies.jsonl"
    path.write_bytes(b"\n".join(lines[:2]) + b"\n\n" + bad + b"\n" + lines[2] + b"\n")
    got = []
    with pytest.raises(CaptureError) as raised:
        for request in read_requests(path):
            got.append(request)
    assert [r.body for r in got] == lines[:2]
    assert [r.origin for r in got] == [f"{path}:1", f"{path}:2"]
    line_start = len(lines[0]) + len(lines[1]) + 3
    assert raised.value.offset == line_start + bad.index(b", ]")  # the trailing comma, in bytes
    assert "line 4: invalid JSON" in str(raised.value)


def test_unreadable_file_is_a_capture_error_without_offset(tmp_path):
    with pytest.raises(CaptureError) as raised:
        list(read_requests(tmp_path / "gone.har"))
    assert raised.value.offset is None and "cannot read" in str(raised.value)


# --- what is a capture -----------------------------------------------------------------------

@pytest.mark.parametrize(
    "name, content, kind",
    [
        ("a.mitm", b"", "mitm"),
        ("a.flows", b"", "mitm"),
        ("b.HAR", b"", "har"),
        ("c.json", b"", "json"),
        ("d.ndjson", b"", "jsonl"),
        ("notes.md", "Today\N{RIGHT SINGLE QUOTATION MARK}s notes".encode(), None),
        ("count.txt", b"12:not a dump", None),
        ("dump.bin", None, "mitm"),  # a flow dump saved under another name
    ],
)
def test_capture_kind_by_extension_then_by_content(tmp_path, name, content, kind):
    path = tmp_path / name
    if content is None:
        buffer = io.BytesIO()
        FlowWriter(buffer).add(agent_flow())
        content = buffer.getvalue()
    path.write_bytes(content)
    assert capture_kind(path) == kind


def test_reading_a_text_file_as_a_capture_is_refused(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with pytest.raises(CaptureError, match="not a capture"):
        list(read_requests(path))


# --- corruption never escapes as anything but CaptureError -----------------------------------

@pytest.mark.parametrize("seed", range(4))
def test_corrupted_bytes_give_requests_or_a_capture_error(tmp_path, seed):
    import random

    source = tmp_path / "full.mitm"
    write_dump(source, [agent_flow(name) for name in sorted(CASES)] + [tflow.twebsocketflow()])
    data = source.read_bytes()
    generator = random.Random(seed)
    for trial in range(60):
        damaged = bytearray(data)
        for _ in range(generator.randint(1, 4)):
            position = generator.randrange(len(damaged))
            damaged[position] = generator.choice([ord(":"), ord(","), ord("}"), ord("]"), ord("0"), ord("9"), 0, 0xFF])
        path = tmp_path / f"damaged-{trial}.mitm"
        path.write_bytes(bytes(damaged))
        try:
            for request in read_requests(path):
                assert isinstance(request.body, bytes)
        except CaptureError as error:
            assert error.offset is not None and 0 <= error.offset <= len(damaged)


@pytest.mark.parametrize(
    "request_value, extra",
    [
        ({"method": "POST", "url": "https://x/v1/messages", "headers": {"user-agent": "x"}, "postData": {"text": 12}}, {}),
        ({"method": None, "url": "https://x/v1/messages", "headers": [["a", "b"], {"name": 1, "value": None}]}, {}),
        ({"method": "POST", "url": "https://x/v1/responses"}, {"_webSocketMessages": {"type": "send"}}),
        ({"method": "POST", "url": "https://x/v1/responses"}, {"_webSocketMessages": [{"type": "send", "data": None}, 7]}),
        ({"method": "POST", "url": 42}, {}),
    ],
)
def test_odd_har_values_give_requests_or_a_capture_error(tmp_path, request_value, extra):
    path = tmp_path / "odd.har"
    path.write_text(json.dumps({"log": {"entries": [{"request": request_value, **extra}]}}))
    try:
        requests = list(read_requests(path))
    except CaptureError as error:
        assert (error.offset, error.unit) == (0, "entry")
    else:
        assert all(isinstance(r.body, bytes) and isinstance(r.method, str) for r in requests)
