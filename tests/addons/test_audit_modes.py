"""Sanitize and block modes and the failure policy, through the `Audit` add-on's hooks.

Kept apart from `test_audit.py` (audit mode) because every test here configures a mode; the
helpers are the same ones.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import os
import stat

import pytest

import addons.audit
import detectors
from addons.audit import Audit
from addons.audit_log import read_records
from addons.shapes import decode_body
from tests.addons.test_audit import addon_context, configured, finish, request_flow, run_hooks, websocket_flow
from tests.support.bodies import CASES, TAG_PAYLOAD, ZWSP, anthropic_case, codex_websocket_create


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def with_length(raw: bytes, path: str, **headers: str):
    return request_flow(raw, path, **{"content-length": str(len(raw)), **headers})


# --- sanitize -------------------------------------------------------------------------------

@pytest.mark.parametrize("api", sorted(CASES))
def test_sanitize_rewrites_client_text_and_keeps_the_evidence(tmp_path, api):
    case = CASES[api](marked=True)
    raw = case.encoded()
    flow = with_length(raw, case.url_path)
    _, [record] = run_hooks(tmp_path, [flow], stegwatch_mode="sanitize")
    sent = flow.request.raw_content
    assert record.action == "sanitized" and record.mode == "sanitize"
    assert record.body_sha256 == sha(raw) and record.sanitized_sha256 == sha(sent)
    assert flow.request.headers["content-length"] == str(len(sent))
    text = sent.decode()
    assert TAG_PAYLOAD not in text  # the system prompt's tag run is gone...
    assert ZWSP in text  # ...the tool result is the user's file and stays as read
    [system] = [f for f in record.findings if f.role == "system" and f.severity >= "medium"]
    assert system.rewritten and system.codepoints[:4] == ["U+E0049", "U+E0044", "U+E0034", "U+E0032"]
    assert not any(f.rewritten for f in record.findings if f.role in ("tool_result", "tool_call"))
    assert flow.response is None
    assert "sanitized" in flow.comment


def test_sanitize_scope_all_rewrites_tool_results_too(tmp_path):
    case = anthropic_case(marked=True)
    flow = with_length(case.encoded(), case.url_path)
    _, [record] = run_hooks(tmp_path, [flow], stegwatch_mode="sanitize", stegwatch_sanitize_scope="all")
    assert ZWSP not in flow.request.raw_content.decode()
    assert {f.role for f in record.findings if f.rewritten} == {"system", "tool_call", "tool_result"}


@pytest.mark.parametrize("api", sorted(CASES))
def test_a_clean_body_is_not_touched_in_sanitize_mode(tmp_path, api):
    raw = CASES[api](marked=False).encoded()
    flow = with_length(raw, CASES[api](marked=False).url_path)
    before = flow.request.raw_content
    _, [record] = run_hooks(tmp_path, [flow], stegwatch_mode="sanitize")
    assert flow.request.raw_content is before
    assert record.action == "pass" and record.sanitized_sha256 is None


@pytest.mark.parametrize("coding, compress", [
    ("gzip", gzip.compress),
    ("br", None),
    ("zstd", None),
])
def test_a_compressed_body_is_compressed_again_with_the_same_coding(tmp_path, coding, compress):
    from addons.sanitizer import encode_body

    case = anthropic_case(marked=True)
    wire = encode_body(case.encoded(), coding) if compress is None else compress(case.encoded())
    flow = with_length(wire, case.url_path, **{"content-encoding": coding})
    _, [record] = run_hooks(tmp_path, [flow], stegwatch_mode="sanitize")
    assert record.action == "sanitized"
    assert flow.request.headers["content-encoding"] == coding
    sent = flow.request.raw_content
    assert flow.request.headers["content-length"] == str(len(sent)) and record.sanitized_sha256 == sha(sent)
    assert TAG_PAYLOAD not in decode_body(sent, coding).decode()


@pytest.mark.parametrize("raw, headers, reason", [
    (b'{"model": "claude", "messages": [', {}, "not JSON"),
    (b"\x1f\x8b\x08\x00not really gzip", {"content-encoding": "gzip"}, "bad compression"),
    (b'{"messages": ["' + b"x" * 2000 + b'"]}', {}, "oversized"),
])
@pytest.mark.parametrize("fail", ["open", "closed"])
def test_bad_input_passes_untouched_in_sanitize_mode(tmp_path, raw, headers, reason, fail):
    flow = with_length(raw, "/v1/messages", **headers)
    _, [record] = run_hooks(tmp_path, [flow], stegwatch_mode="sanitize", stegwatch_fail=fail, stegwatch_max_body=1000)
    assert record.action == "skipped" and record.reason.startswith(reason)
    assert flow.request.raw_content == raw and flow.response is None


def test_sanitize_failure_fails_open_by_default(tmp_path, monkeypatch):
    def broken(*args):
        raise RuntimeError("splice broke")

    monkeypatch.setattr(addons.audit, "sanitize_body", broken)
    raw = anthropic_case(marked=True).encoded()
    flow = with_length(raw, "/v1/messages")
    _, [record] = run_hooks(tmp_path, [flow], stegwatch_mode="sanitize")
    assert flow.request.raw_content == raw and flow.response is None
    assert record.action == "pass" and "sanitize failed: RuntimeError: splice broke" in record.reason
    assert record.findings


def test_sanitize_failure_refuses_when_closed(tmp_path, monkeypatch):
    def broken(*args):
        raise RuntimeError("splice broke")

    monkeypatch.setattr(addons.audit, "sanitize_body", broken)
    flow = with_length(anthropic_case(marked=True).encoded(), "/v1/messages")
    _, [record] = run_hooks(tmp_path, [flow], stegwatch_mode="sanitize", stegwatch_fail="closed")
    assert flow.response.status_code == 400
    assert json.loads(flow.response.content)["error"]["type"] == "invalid_request_error"
    assert record.action == "blocked" and "splice broke" in record.reason


def test_sanitize_lower_threshold_also_logs_what_it_rewrote(tmp_path):
    # The log normally leaves out findings below `low`; whatever sanitize rewrote is kept.
    raw = json.dumps({"model": "m", "max_tokens": 8, "system": "Today\N{RIGHT SINGLE QUOTATION MARK}s plan",
                      "messages": [{"role": "user", "content": "hi"}]}).encode()
    flow = with_length(raw, "/v1/messages")
    _, [record] = run_hooks(tmp_path, [flow], stegwatch_mode="sanitize", stegwatch_sanitize_min_severity="info")
    assert record.action == "sanitized"
    assert [f.codepoints for f in record.findings if f.rewritten] == [["U+2019"]]
    assert json.loads(flow.request.raw_content)["system"] == "Today's plan"


def test_originals_are_kept_with_mode_0600_named_by_their_hash(tmp_path):
    keep = tmp_path / "originals"
    raw = anthropic_case(marked=True).encoded()
    flow = with_length(raw, "/v1/messages")
    clean = with_length(anthropic_case(marked=False).encoded(), "/v1/messages")
    run_hooks(tmp_path, [flow, clean], stegwatch_mode="sanitize", stegwatch_keep_originals=str(keep))
    [kept] = list(keep.iterdir())
    assert kept.name == sha(raw) and kept.read_bytes() == raw
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600 and stat.S_IMODE(keep.stat().st_mode) == 0o700


# --- block ----------------------------------------------------------------------------------

@pytest.mark.parametrize("api, shape", [
    ("anthropic-messages", lambda b: (b["type"], b["error"]["type"]) == ("error", "invalid_request_error")),
    ("openai-chat", lambda b: (b["error"]["type"], b["error"]["code"]) == ("invalid_request_error", "stegwatch_blocked")),
    ("openai-responses", lambda b: b["error"]["code"] == "stegwatch_blocked"),
    ("gemini", lambda b: (b["error"]["code"], b["error"]["status"]) == (400, "INVALID_ARGUMENT")),
])
def test_block_answers_locally_in_the_api_error_shape(tmp_path, api, shape):
    case = CASES[api](marked=True)
    flow = with_length(case.encoded(), case.url_path)
    _, [record] = run_hooks(tmp_path, [flow], stegwatch_mode="block")
    assert flow.response.status_code == 400
    assert flow.response.headers["content-type"] == "application/json"
    body = json.loads(flow.response.content)
    assert shape(body)
    message = json.dumps(body)
    assert "stegwatch blocked this request" in message and "U+E0049" in message
    assert record.action == "blocked" and record.reason is None
    assert any(f.severity == "high" for f in record.findings)


def test_block_lets_requests_below_the_threshold_through(tmp_path):
    raw = json.dumps({"model": "m", "max_tokens": 8, "system": "a\N{ZERO WIDTH SPACE}b",
                      "messages": [{"role": "user", "content": "hi"}]}).encode()  # zero-width: medium
    flow = with_length(raw, "/v1/messages")
    _, [record] = run_hooks(tmp_path, [flow], stegwatch_mode="block")
    assert flow.response is None and flow.request.raw_content == raw and record.action == "pass"
    flow = with_length(raw, "/v1/messages")
    _, [record] = run_hooks(tmp_path / "medium", [flow], stegwatch_mode="block", stegwatch_block_min_severity="medium")
    assert flow.response.status_code == 400 and record.action == "blocked"


@pytest.mark.parametrize("fail, blocked", [("open", False), ("closed", True)])
def test_bad_input_is_refused_in_block_mode_only_when_closed(tmp_path, fail, blocked):
    raw = b'{"model": "claude", "messages": ['
    flow = with_length(raw, "/v1/messages")
    _, [record] = run_hooks(tmp_path, [flow], stegwatch_mode="block", stegwatch_fail=fail)
    assert (flow.response is not None) == blocked
    assert record.action == ("blocked" if blocked else "skipped") and record.reason.startswith("not JSON")
    if blocked:
        assert "cannot inspect it" in json.loads(flow.response.content)["error"]["message"]


@pytest.mark.parametrize("mode", ["sanitize", "block"])
def test_internal_error_refuses_when_closed(tmp_path, monkeypatch, mode):
    def broken_scan(text, detectors=None):
        raise RuntimeError("forced by the test")

    monkeypatch.setattr(detectors, "scan", broken_scan)
    flow = with_length(anthropic_case(marked=False).encoded(), "/v1/messages")
    _, [record] = run_hooks(tmp_path, [flow], stegwatch_mode=mode, stegwatch_fail="closed")
    assert flow.response.status_code == 400
    assert json.loads(flow.response.content)["type"] == "error"
    assert record.action == "blocked" and "forced by the test" in record.reason


def test_audit_mode_fails_open_even_when_closed_is_set(tmp_path, monkeypatch):
    def broken_scan(text, detectors=None):
        raise RuntimeError("forced by the test")

    monkeypatch.setattr(detectors, "scan", broken_scan)
    raw = anthropic_case(marked=False).encoded()
    flow = with_length(raw, "/v1/messages")
    _, [record] = run_hooks(tmp_path, [flow], stegwatch_fail="closed")
    assert flow.response is None and flow.request.raw_content == raw and record.action == "skipped"


# --- WebSocket (Responses) ------------------------------------------------------------------

def drive_websocket(tmp_path, flow, **options):
    addon = Audit()
    sent: list[bytes] = []
    addon.send_to_client = lambda _flow, payload: sent.append(payload)
    log = tmp_path / "ws.jsonl"

    async def drive():
        with configured(addon, log, **options):
            await addon.websocket_message(flow)
            await finish(addon)

    asyncio.run(drive())
    return read_records(log), sent


CREATE = codex_websocket_create("You are Codex." + TAG_PAYLOAD, "list files")


def test_websocket_messages_are_sanitized(tmp_path):
    flow = websocket_flow("/v1/responses", (True, CREATE))
    [record], sent = drive_websocket(tmp_path, flow, stegwatch_mode="sanitize")
    message = flow.websocket.messages[-1]
    assert json.loads(message.content)["instructions"] == "You are Codex."
    assert not message.dropped and sent == []
    assert record.action == "sanitized" and record.sanitized_sha256 == sha(message.content)
    assert record.body_sha256 == sha(CREATE.encode())


def test_websocket_messages_are_blocked_with_an_error_event(tmp_path):
    flow = websocket_flow("/v1/responses", (True, CREATE))
    [record], [event] = drive_websocket(tmp_path, flow, stegwatch_mode="block")
    assert flow.websocket.messages[-1].dropped
    payload = json.loads(event)
    assert payload["type"] == "error" and payload["error"]["code"] == "stegwatch_blocked"
    assert "U+E0049" in payload["message"]
    assert record.action == "blocked"


def test_keep_originals_directory_must_be_creatable(tmp_path):
    from mitmproxy import exceptions

    blocker = tmp_path / "file"
    blocker.write_text("x")
    addon = Audit()
    with addon_context(addon) as tctx:
        with pytest.raises(exceptions.OptionsError):
            tctx.configure(addon, stegwatch_keep_originals=str(blocker / "sub"))
    assert os.path.exists(blocker)


# --- other JSON through the proxy: audited only -----------------------------------------------

@pytest.mark.parametrize("mode", ["sanitize", "block"])
def test_unknown_apis_are_audited_only(tmp_path, mode):
    raw = json.dumps({"title": "Fix billing" + TAG_PAYLOAD, "body": "It\N{MODIFIER LETTER APOSTROPHE}s broken"}).encode()
    flow = with_length(raw, "/repos/acme/billing/issues", host="api.github.com")
    _, [record] = run_hooks(tmp_path, [flow], stegwatch_mode=mode, stegwatch_fail="closed")
    assert flow.request.raw_content == raw and flow.response is None
    assert record.api == "generic" and record.action == "pass" and record.findings


def test_bad_input_to_an_unknown_api_is_not_refused_even_when_closed(tmp_path):
    raw = b"name=alice&comment=hi"
    flow = with_length(raw, "/login", host="intranet.example", **{"content-type": "application/x-www-form-urlencoded"})
    _, [record] = run_hooks(tmp_path, [flow], stegwatch_mode="block", stegwatch_fail="closed")
    assert flow.response is None and record.action == "skipped"


@pytest.mark.parametrize("text, sanitize_min, expected", [
    # The Cyrillic a hides the English word around the apostrophe: only once it is rewritten
    # does the apostrophe count as a mark (low -> high), and it is rewritten and logged too.
    ("p\N{CYRILLIC SMALL LETTER A}ssword\N{MODIFIER LETTER APOSTROPHE}claude", "medium", "password'claude"),
    # At the end of the word the first scan rates it info (below the log's floor): logged anyway.
    ("p\N{CYRILLIC SMALL LETTER A}ssword\N{MODIFIER LETTER APOSTROPHE}", "low", "password'"),
])
def test_a_rewrite_found_by_the_rescan_is_logged_too(tmp_path, text, sanitize_min, expected):
    raw = json.dumps({"model": "m", "max_tokens": 8, "system": text, "messages": [{"role": "user", "content": "hi"}]}).encode()
    flow = with_length(raw, "/v1/messages")
    _, [record] = run_hooks(tmp_path, [flow], stegwatch_mode="sanitize", stegwatch_min_severity="high",
                            stegwatch_sanitize_min_severity=sanitize_min)
    assert json.loads(flow.request.raw_content)["system"] == expected
    assert sorted((f.start, f.codepoints[0]) for f in record.findings if f.rewritten) == [(1, "U+0430"), (8, "U+02BC")]
