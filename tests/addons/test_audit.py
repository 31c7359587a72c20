"""The `Audit` add-on driven through mitmproxy's test context: hooks called directly."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import logging
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mitmproxy import exceptions
from mitmproxy.http import Headers, Response
from mitmproxy.io import tnetstring
from mitmproxy.test import taddons, tflow, tutils
from mitmproxy.websocket import WebSocketMessage
from wsproto.frame_protocol import Opcode

import detectors
from detectors import scan
from addons import audit as audit_module
from addons.audit import MARKER, Audit, console_line
from addons.audit_log import MAX_LOGGED_CODEPOINTS, MAX_LOGGED_FINDINGS, LogRecord, read_records
from addons.scan_worker import ScanProcess
from tests.support.detector_findings import read_prompt
from tests.support.bodies import (
    CASES, CLAUDE_SYSTEM, TAG_CODEPOINTS, TAG_PAYLOAD, USER_ASK, ZWSP, anthropic_case, codex_websocket_create,
)


@contextlib.contextmanager
def addon_context(addon):
    """mitmproxy's test context, minus the log handler it leaves on the root logger (bound to
    an event loop that is closed once the test's `asyncio.run` returns)."""
    with taddons.context(addon) as tctx:
        try:
            yield tctx
        finally:
            tctx.master._legacy_log_events.uninstall()


@contextlib.contextmanager
def configured(addon: Audit, log: Path, **options: object) -> Iterator[None]:
    """`addon` under mitmproxy's test context, writing its records to ``log``."""
    with addon_context(addon) as tctx:
        tctx.configure(addon, stegwatch_log=str(log), **options)
        yield


def records_so_far(log: Path) -> list[LogRecord]:
    """The records written to ``log`` until now; none before the add-on first writes it."""
    return read_records(log) if log.exists() else []


def request_flow(body: bytes, path: str = "/v1/messages", host: str = "api.anthropic.com", **headers: str):
    header_fields = Headers(**{"content-type": "application/json", "user-agent": "claude-cli/2.0.14 (external, cli)",
                               "x-api-key": "sk-ant-api03-secret", **headers})
    request = tutils.treq(host=host, port=443, scheme=b"https", method=b"POST", path=path.encode(),
                          headers=header_fields, content=b"")
    request.raw_content = body
    return tflow.tflow(req=request)


async def exchange(addon: Audit, flow) -> None:
    """One request as mitmproxy runs it: the request hook, then the response hook (which, in
    audit mode, waits for the scan that went on while the request was upstream)."""
    await addon.request(flow)
    await addon.response(flow)


async def finish(addon: Audit) -> None:
    """The add-on's ``done``, awaited as mitmproxy awaits it at shutdown."""
    closing = addon.done()
    if closing is not None:
        await closing


async def answer(addon: Audit, flow) -> None:
    """The API's answer arriving: its headers reach the add-on, which may hold them for the audit."""
    flow.response = Response.make(200, b"{}", {"content-type": "application/json"})
    await addon.responseheaders(flow)


def run_hooks(tmp_path, flows, **options):
    """Configure a fresh add-on, call `request` on every flow, return (addon, records)."""
    addon = Audit()
    log = tmp_path / "audit.jsonl"

    async def drive():
        with configured(addon, log, **options):
            for flow in flows:
                await exchange(addon, flow)
            await finish(addon)

    asyncio.run(drive())
    return addon, records_so_far(log)


# --- recognised APIs: findings, evidence, byte-identical bodies ---------------------------

@pytest.mark.parametrize("api", sorted(CASES))
def test_marks_are_found_with_path_role_and_codepoints(tmp_path, api):
    case = CASES[api](marked=True)
    raw = case.encoded()
    flow = request_flow(raw, case.url_path)
    _, records = run_hooks(tmp_path, [flow])
    assert flow.request.raw_content == raw
    [record] = records
    assert (record.api, record.action, record.mode) == (api, "pass", "audit")
    for mark in case.marks:
        at_path = [f for f in record.findings if f.path == mark.path]
        assert at_path, f"nothing found at {mark.path}: {[f.path for f in record.findings]}"
        assert {f.role for f in at_path} == {mark.role}
        assert set(mark.codepoints) <= {cp for f in at_path for cp in f.codepoints}
        assert all(f.severity >= "medium" for f in at_path)
    assert flow.marked == MARKER
    assert flow.metadata["stegwatch"][0]["findings"]


@pytest.mark.parametrize("api", sorted(CASES))
def test_clean_body_gives_no_finding_and_no_evidence(tmp_path, api):
    case = CASES[api](marked=False)
    flow = request_flow(case.encoded(), case.url_path)
    _, [record] = run_hooks(tmp_path, [flow])
    assert record.action == "pass" and record.api == api
    assert [f for f in record.findings if f.severity >= "medium"] == []
    assert flow.marked == "" and flow.comment == ""


def test_a_run_of_a_million_invisibles_gives_a_small_record(tmp_path):
    """The span's length survives (``end - start``), its ends are revealed, and the line stays
    kilobytes, not the tens of megabytes one ``⟦U+200B⟧`` per character would take."""
    run = 1_000_000
    body = {"model": "claude-sonnet-4-5", "max_tokens": 1024, "system": CLAUDE_SYSTEM + ZWSP * run,
            "messages": [{"role": "user", "content": USER_ASK}]}
    flow = request_flow(json.dumps(body, ensure_ascii=False).encode())
    _, [record] = run_hooks(tmp_path, [flow])
    [finding] = [f for f in record.findings if f.path == "$['system']" and f.detector == "invisible"]
    assert (finding.start, finding.end) == (len(CLAUDE_SYSTEM), len(CLAUDE_SYSTEM) + run)
    assert finding.codepoints == ["U+200B"] * MAX_LOGGED_CODEPOINTS
    assert f"⟦…{run - 48} more…⟧" in finding.context
    assert (tmp_path / "audit.jsonl").stat().st_size < 32_000


def test_thousands_of_marks_give_a_bounded_record_that_still_counts_them(tmp_path, caplog):
    """A ZWSP after every word of a real prompt: the record lists `MAX_LOGGED_FINDINGS`, the
    tag run later in the body among them (it is the most severe), and counts the rest."""
    words = (read_prompt("claude_code.txt") * 3).split(" ")[:4000]
    system = (ZWSP + " ").join(words)
    body = {"model": "claude-sonnet-4-5", "max_tokens": 1024, "system": system,
            "messages": [{"role": "user", "content": USER_ASK + "".join(chr(int(cp[2:], 16)) for cp in TAG_CODEPOINTS)}]}
    caplog.set_level(logging.WARNING)
    _, [record] = run_hooks(tmp_path, [request_flow(json.dumps(body, ensure_ascii=False).encode())])
    zero_width = [f for f in scan(system) if f.kind == "zero-width"]
    assert len(zero_width) > 2 * MAX_LOGGED_FINDINGS
    assert len(record.findings) == MAX_LOGGED_FINDINGS
    assert any(f.detector == "tag-smuggling" for f in record.findings)
    [omitted] = record.omitted
    assert (omitted.role, omitted.kind, omitted.first_path) == ("system", "zero-width", "$['system']")
    assert record.count() == len(zero_width) + 1
    assert (tmp_path / "audit.jsonl").stat().st_size < 1_000_000
    assert f"{omitted.count} more counted but not listed" in caplog.text


# Agents put their own context inside user messages; those spans are the client's words.
CLAUDE_CODE_FIRST_MESSAGE = (
    "<system-reminder>\nAs you answer the user's questions, you can use the following context:\n"
    "# currentDate\nToday\N{MODIFIER LETTER APOSTROPHE}s date is 2026-11-24.\n</system-reminder>\n"
    "Fix the failing test in tests/test_billing.py, it\N{MODIFIER LETTER APOSTROPHE}s the rounding one"
)


def test_client_context_inside_a_user_message_gets_its_own_role(tmp_path):
    body = {"model": "claude-sonnet-4-6", "max_tokens": 512,
            "messages": [{"role": "user", "content": [{"type": "text", "text": CLAUDE_CODE_FIRST_MESSAGE}]}]}
    _, [record] = run_hooks(tmp_path, [request_flow(json.dumps(body).encode())])
    apostrophes = [f for f in record.findings if f.codepoints == ["U+02BC"]]
    assert [(f.path, f.role) for f in apostrophes] == [
        ("$['messages'][0]['content'][0]['text']", "client_context"),
        ("$['messages'][0]['content'][0]['text']", "user"),
    ]
    assert "# currentDate\u27e6U+000A\u27e7Today\u27e6U+02BC\u27e7s date is 2026-11-24." in apostrophes[0].context


@pytest.mark.parametrize("path, body, api", [
    ("/v1/messages/count_tokens", {"model": "m", "messages": [{"role": "user", "content": "hi " + ZWSP}]}, "anthropic-messages"),
    ("/openai/deployments/gpt-5/chat/completions?api-version=2024-10-21",
     {"messages": [{"role": "developer", "content": "Be brief." + ZWSP}]}, "openai-chat"),
    ("/v1/projects/p/locations/us-central1/publishers/google/models/gemini-2.5-pro:streamGenerateContent",
     {"contents": [{"role": "user", "parts": [{"text": "hi" + ZWSP}]}]}, "gemini"),
    ("/gateway/v1/responses", {"model": "m", "input": "hi" + ZWSP}, "openai-responses"),
])
def test_apis_are_recognised_behind_gateways_and_vertex(tmp_path, path, body, api):
    _, [record] = run_hooks(tmp_path, [request_flow(json.dumps(body).encode(), path, host="llm-gateway.internal")])
    assert record.api == api and record.findings


def test_comment_is_appended_to_the_users_own(tmp_path):
    flow = request_flow(anthropic_case(marked=True).encoded())
    flow.comment = "alice: check this one"
    run_hooks(tmp_path, [flow])
    assert flow.comment.startswith("alice: check this one\n")
    assert "stegwatch:" in flow.comment and "U+E0049" in flow.comment


def test_metadata_survives_flow_serialisation(tmp_path):
    flow = request_flow(anthropic_case(marked=True).encoded())
    run_hooks(tmp_path, [flow])
    state = tnetstring.loads(tnetstring.dumps(flow.get_state()))
    assert state["metadata"]["stegwatch"][0]["findings"][0]["detector"]


def test_log_keeps_no_credentials(tmp_path):
    flow = request_flow(
        json.dumps(anthropic_case(marked=True).body).encode(),
        "/v1beta/models/gemini-2.5-pro:generateContent?key=AIzaSyA-secret&alt=sse",
        authorization="Bearer sk-proj-secret", cookie="session=secret", **{"x-goog-api-key": "AIza-secret"},
    )
    addon, _ = run_hooks(tmp_path, [flow])
    text = (tmp_path / "audit.jsonl").read_text()
    assert "secret" not in text
    assert "claude-cli/2.0.14" in text


def test_escaped_body_gives_the_same_findings_as_utf8(tmp_path):
    case = anthropic_case(marked=True)
    flows = [request_flow(case.encoded(ensure_ascii=False)), request_flow(case.encoded(ensure_ascii=True))]
    _, records = run_hooks(tmp_path, flows)
    as_utf8, as_escapes = ([(f.path, f.start, f.end, f.codepoints, f.role) for f in r.findings] for r in records)
    assert as_utf8 == as_escapes and as_utf8


def test_gzip_body_is_scanned_and_forwarded_compressed(tmp_path):
    raw = gzip.compress(anthropic_case(marked=True).encoded())
    flow = request_flow(raw, **{"content-encoding": "gzip"})
    _, [record] = run_hooks(tmp_path, [flow])
    assert flow.request.raw_content == raw
    assert any(f.codepoints[:1] == [TAG_CODEPOINTS[0]] for f in record.findings)


def test_host_outside_stegwatch_hosts_is_not_inspected(tmp_path):
    flows = [request_flow(anthropic_case(marked=True).encoded(), host="telemetry.example.com"),
             request_flow(anthropic_case(marked=True).encoded(), host="api.anthropic.com")]
    _, records = run_hooks(tmp_path, flows, stegwatch_hosts=["api.anthropic.*"])
    assert [r.host for r in records] == ["api.anthropic.com"]
    assert flows[0].marked == ""


def test_unknown_json_post_gets_a_generic_walk(tmp_path):
    flow = request_flow(json.dumps({"event": "tengu_startup", "props": ["a" + ZWSP + "b"]}).encode(), "/api/event")
    _, [record] = run_hooks(tmp_path, [flow])
    assert record.api == "generic"
    assert [f.path for f in record.findings] == ["$['props'][0]"]


# --- bad input: one skipped record, body unchanged ---------------------------------------

@pytest.mark.parametrize("raw, headers, reason", [
    (b"this is not json at all", {}, "not JSON"),
    (b'{"model": "claude", "messages": [{"role": "user", "content": "trunc', {}, "not JSON"),
    (b"\x1f\x8b\x08\x00garbage", {"content-encoding": "gzip"}, "bad compression"),
    (b"plain", {"content-encoding": "compress"}, "bad compression"),
    (b'"a JSON string, not a request"', {}, "unknown shape"),
    (b'[{"role": "user", "content": "hi"}]', {}, "unknown shape"),
    (gzip.compress(b'{"messages": ["' + b"x" * 2_000_000 + b'"]}'), {"content-encoding": "gzip"}, "oversized after decoding"),
    (b'{"messages": [' + b'"x",' * 400_000 + b'"x"]}', {}, "oversized"),
])
def test_bad_input_is_skipped_with_a_reason(tmp_path, raw, headers, reason):
    flow = request_flow(raw, **headers)
    _, [record] = run_hooks(tmp_path, [flow], stegwatch_max_body=1_000_000)
    assert record.action == "skipped" and record.reason.startswith(reason), record.reason
    assert flow.request.raw_content == raw
    assert flow.marked == "" and flow.response is None


def test_streamed_request_body_is_logged_as_skipped(tmp_path):
    flow = request_flow(b"")
    flow.request.raw_content = None
    flow.request.stream = True
    _, [record] = run_hooks(tmp_path, [flow])
    assert record.action == "skipped" and "stream_large_bodies" in record.reason


def test_internal_error_fails_open(tmp_path, monkeypatch, caplog):
    def broken_scan(text, detectors=None):
        raise RuntimeError("forced by the test")

    monkeypatch.setattr(detectors, "scan", broken_scan)
    raw = anthropic_case(marked=True).encoded()
    flow = request_flow(raw)
    with caplog.at_level(logging.ERROR, logger="stegwatch"):
        _, [record] = run_hooks(tmp_path, [flow])
    assert record.action == "skipped" and "forced by the test" in record.reason
    assert flow.request.raw_content == raw and flow.response is None and flow.error is None
    assert "forced by the test" in caplog.text


# --- options -------------------------------------------------------------------------------

@pytest.mark.parametrize("option, value", [
    ("stegwatch_mode", "paranoid"),
    ("stegwatch_sanitize_scope", "everything"),
    ("stegwatch_sanitize_min_severity", "severe"),
    ("stegwatch_block_min_severity", "severe"),
    ("stegwatch_fail", "maybe"),
    ("stegwatch_min_severity", "severe"),
    ("stegwatch_max_body", -1),
])
def test_bad_options_are_refused(option, value):
    addon = Audit()
    with addon_context(addon) as tctx:
        with pytest.raises(exceptions.OptionsError):
            tctx.configure(addon, **{option: value})


def test_min_severity_high_silences_medium_alarms(tmp_path):
    flow = request_flow(json.dumps({"messages": [{"role": "user", "content": "plain text"}], "model": "m"}).encode())
    _, [record] = run_hooks(tmp_path, [flow], stegwatch_min_severity="high")
    assert record.action == "pass" and flow.marked == ""


# --- conversations: repeats and the per-string cache ---------------------------------------

def next_turn(body: dict, reply: str) -> dict:
    later = json.loads(json.dumps(body))
    later["messages"] += [{"role": "assistant", "content": [{"type": "text", "text": reply}]},
                          {"role": "user", "content": [{"type": "text", "text": "Now run the tests please."}]}]
    return later


def test_findings_of_an_earlier_turn_are_repeats_and_not_printed_again(tmp_path, caplog):
    first = anthropic_case(marked=True).body
    flows = [request_flow(json.dumps(first).encode()), request_flow(json.dumps(next_turn(first, "Done.")).encode())]
    with caplog.at_level(logging.WARNING, logger="stegwatch"):
        _, records = run_hooks(tmp_path, flows)
    assert records[0].findings and not any(f.repeat for f in records[0].findings)
    assert records[1].findings and all(f.repeat for f in records[1].findings)
    assert len([r for r in caplog.records if r.getMessage().startswith("stegwatch HIGH")]) == 1
    assert flows[1].marked == MARKER  # the flow still carries the mark


def test_the_same_mark_twice_in_one_request_is_new_both_times(tmp_path):
    body = {"model": "m", "messages": [{"role": "user", "content": "one" + ZWSP + "two" + ZWSP + "three"}]}
    _, [record] = run_hooks(tmp_path, [request_flow(json.dumps(body).encode())])
    assert [(f.start, f.repeat) for f in record.findings] == [(3, False), (7, False)]


def test_another_conversation_reports_the_same_mark_again(tmp_path):
    first = anthropic_case(marked=True).body
    other = json.loads(json.dumps(first))
    other["messages"][0]["content"][0]["text"] = "Add a --dry-run flag to the deploy script."
    _, records = run_hooks(tmp_path, [request_flow(json.dumps(first).encode()), request_flow(json.dumps(other).encode())])
    assert not any(f.repeat for f in records[1].findings)


def test_a_new_turn_scans_only_new_long_strings(tmp_path, monkeypatch):
    scanned: list[str] = []
    real_scan = detectors.scan

    def counting_scan(text, detectors=None):
        scanned.append(text)
        return real_scan(text)

    monkeypatch.setattr(detectors, "scan", counting_scan)
    long_reply = "Here is the patched function:\n```python\ndef total(items):\n    return sum(i.price for i in items)\n```\n" * 6
    first = anthropic_case(marked=True).body
    first["system"][0]["text"] *= 3  # long enough to be cached
    second = next_turn(first, long_reply)
    third = next_turn(second, "ok")
    run_hooks(tmp_path, [request_flow(json.dumps(body).encode()) for body in (first, second, third)])
    assert scanned.count(first["system"][0]["text"]) == 1
    assert scanned.count(long_reply) == 1


# --- concurrency: large bodies leave the event loop -----------------------------------------

def slowed_scan(monkeypatch, threads: dict[str, str], seconds: float = 0.6) -> None:
    """`detectors.scan`, taking ``seconds`` longer on texts that start with BIG; records the
    thread each text was scanned on."""
    real_scan = detectors.scan

    def slow_scan(text, detectors=None):
        threads[text[:20]] = threading.current_thread().name
        if text.startswith("BIG"):
            time.sleep(seconds)
        return real_scan(text)

    monkeypatch.setattr(detectors, "scan", slow_scan)


def big_and_small_flows():
    big = request_flow(json.dumps({"model": "m", "messages": [{"role": "user", "content": "BIG" + "x" * 200_000}]}).encode())
    small = request_flow(json.dumps({"model": "m", "messages": [{"role": "user", "content": "small one " + ZWSP}]}).encode())
    return big, small


def test_large_body_is_scanned_off_the_event_loop_and_small_requests_do_not_wait(tmp_path, monkeypatch):
    threads: dict[str, str] = {}
    slowed_scan(monkeypatch, threads)
    big, small = big_and_small_flows()
    addon = Audit()
    finished: dict[str, float] = {}

    async def timed(name, flow):
        await addon.request(flow)
        finished[name] = time.monotonic()

    async def drive():
        # Sanitize mode must scan before forwarding; the scan still leaves the event loop.
        with configured(addon, tmp_path / "a.jsonl", stegwatch_mode="sanitize"):
            start = time.monotonic()
            big_task = asyncio.create_task(timed("big", big))
            await asyncio.sleep(0.05)
            await timed("small", small)
            await big_task
            await finish(addon)
            return start

    start = asyncio.run(drive())
    assert threads["BIG" + "x" * 17].startswith("stegwatch-scan")
    assert finished["small"] - start < 0.3 < finished["big"] - start


def test_audit_mode_forwards_at_once_and_the_response_waits_for_the_record(tmp_path, monkeypatch):
    threads: dict[str, str] = {}
    slowed_scan(monkeypatch, threads)
    big, small = big_and_small_flows()
    log = tmp_path / "a.jsonl"
    addon = Audit()
    seen: dict[str, object] = {}

    async def drive():
        with configured(addon, log):
            start = time.monotonic()
            await addon.request(big)
            seen["forwarded after"] = time.monotonic() - start
            seen["records when forwarded"] = len(records_so_far(log))
            await exchange(addon, small)  # a small request is not held up by the big scan
            seen["small done after"] = time.monotonic() - start
            await answer(addon, big)
            seen["response released after"] = time.monotonic() - start
            seen["records at response"] = [record.flow_id for record in read_records(log)]
            await finish(addon)

    asyncio.run(drive())
    assert seen["forwarded after"] < 0.3 and seen["records when forwarded"] == 0
    assert seen["small done after"] < 0.3
    assert seen["response released after"] >= 0.6
    assert seen["records at response"] == [small.id, big.id]
    assert small.marked and not big.marked


def test_a_stuck_audit_holds_the_answer_only_up_to_the_limit(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(audit_module, "SETTLE_LIMIT_S", 0.2)
    slowed_scan(monkeypatch, {}, seconds=0.8)
    big, _ = big_and_small_flows()
    log = tmp_path / "a.jsonl"
    addon = Audit()
    seen: dict[str, object] = {}

    async def drive():
        with configured(addon, log):
            start = time.monotonic()
            await addon.request(big)
            with caplog.at_level(logging.WARNING, logger="stegwatch"):
                await answer(addon, big)
            seen["released after"] = time.monotonic() - start
            seen["records then"] = len(records_so_far(log))
            await finish(addon)

    asyncio.run(drive())
    assert 0.2 <= seen["released after"] < 0.7 and seen["records then"] == 0
    assert "still running after 0.2 s" in caplog.text
    assert [record.flow_id for record in read_records(log)] == [big.id]  # the record still comes


def test_shutdown_waits_for_audits_still_running(tmp_path, monkeypatch):
    slowed_scan(monkeypatch, {}, seconds=0.3)
    big, _ = big_and_small_flows()
    log = tmp_path / "a.jsonl"
    addon = Audit()

    async def drive():
        with configured(addon, log):
            await addon.request(big)
            closing = addon.done()
            assert closing is not None and addon.log is not None  # the log stays open for the record
            await closing
            assert addon.log is None

    asyncio.run(drive())
    assert [record.flow_id for record in read_records(log)] == [big.id]


def test_an_internal_error_in_a_background_audit_still_gives_one_record(tmp_path, monkeypatch):
    def broken_scan(text, detectors=None):
        raise RuntimeError("boom in the background")

    monkeypatch.setattr(detectors, "scan", broken_scan)
    big, _ = big_and_small_flows()
    _, [record] = run_hooks(tmp_path, [big])
    assert record.action == "skipped" and "boom in the background" in record.reason


# --- WebSocket and responses ---------------------------------------------------------------

def websocket_flow(path: str, *messages: tuple[bool, str]):
    flow = tflow.twebsocketflow(messages=False)
    flow.request.path = path
    for from_client, text in messages:
        flow.websocket.messages.append(WebSocketMessage(Opcode.TEXT, from_client, text.encode()))
    return flow


def test_client_websocket_messages_of_the_responses_api_are_scanned(tmp_path):
    create = codex_websocket_create("You are Codex." + TAG_PAYLOAD, "hi")
    flow = websocket_flow("/v1/responses", (True, create))
    addon = Audit()
    log = tmp_path / "ws.jsonl"

    async def drive():
        with configured(addon, log):
            await addon.websocket_message(flow)
            flow.websocket.messages.append(WebSocketMessage(Opcode.TEXT, False, b'{"type": "response.created"}'))
            await addon.websocket_message(flow)  # server -> client: not inspected
            await finish(addon)

    asyncio.run(drive())
    [record] = read_records(log)
    assert record.api == "openai-responses-ws" and record.action == "pass"
    assert any(set(TAG_CODEPOINTS) <= set(f.codepoints) and f.role == "system" for f in record.findings)
    assert flow.marked == MARKER


def test_websocket_audits_keep_message_order_and_the_server_reply_waits_for_them(tmp_path, monkeypatch):
    threads: dict[str, str] = {}
    slowed_scan(monkeypatch, threads, seconds=0.4)

    flow = websocket_flow("/v1/responses")
    addon = Audit()
    log = tmp_path / "ws.jsonl"
    seen: dict[str, object] = {}

    async def drive():
        with configured(addon, log):
            start = time.monotonic()
            for text in ("BIG" + "x" * 200_000 + ZWSP, "small " + ZWSP):
                flow.websocket.messages.append(WebSocketMessage(Opcode.TEXT, True, codex_websocket_create("You are Codex.", text).encode()))
                await addon.websocket_message(flow)
            seen["forwarded after"] = time.monotonic() - start
            flow.websocket.messages.append(WebSocketMessage(Opcode.TEXT, False, b'{"type": "response.created"}'))
            await addon.websocket_message(flow)
            seen["reply released after"] = time.monotonic() - start
            seen["records at reply"] = len(read_records(log))
            await finish(addon)

    asyncio.run(drive())
    assert seen["forwarded after"] < 0.3 <= seen["reply released after"]
    assert seen["records at reply"] == 2
    first, second = read_records(log)
    # The slow first message is recorded first.
    assert [f.start for f in first.findings if f.codepoints == ["U+200B"]] == [200_003]
    assert [f.start for f in second.findings if f.codepoints == ["U+200B"]] == [6]


def test_websocket_to_another_path_is_ignored(tmp_path):
    flow = websocket_flow("/socket.io/", (True, json.dumps({"text": ZWSP})))
    addon = Audit()

    async def drive():
        with configured(addon, tmp_path / "ws.jsonl"):
            await addon.websocket_message(flow)

    asyncio.run(drive())
    assert not (tmp_path / "ws.jsonl").read_text()


@pytest.mark.parametrize("content_type, streams", [
    ("text/event-stream", True),
    ("text/event-stream; charset=utf-8", True),
    ("application/json", False),
])
def test_event_streams_are_streamed(content_type, streams):
    flow = tflow.tflow(resp=tutils.tresp(headers=Headers(**{"content-type": content_type})))
    flow.response.stream = False
    addon = Audit()
    with addon_context(addon):
        asyncio.run(addon.responseheaders(flow))
    assert bool(flow.response.stream) is streams


def test_request_answered_by_another_addon_is_left_alone(tmp_path):
    flow = request_flow(anthropic_case(marked=True).encoded())
    flow.response = Response.make(403, b"blocked")
    _, records = run_hooks(tmp_path, [flow])
    assert records == []


def test_console_line_names_everything_a_user_needs(tmp_path):
    flow = request_flow(anthropic_case(marked=True).encoded())
    _, [record] = run_hooks(tmp_path, [flow])
    line = console_line(record, [f for f in record.findings if f.severity >= "medium"])
    assert re.match(r"stegwatch HIGH anthropic-messages api\.anthropic\.com/v1/messages: \d+ new findings; first: \[system\] ", line)
    assert "\u27e6U+E0049\u27e7" in line and "$['system'][0]['text']" in line


# --- fuzz: whatever the body, no exception escapes and the body passes unchanged -------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=40,
)
API_PATHS = st.sampled_from([
    "/v1/messages", "/v1/messages/count_tokens", "/v1/chat/completions", "/v1/responses",
    "/v1beta/models/gemini-2.5-pro:generateContent", "/v1/projects/p/locations/us/publishers/google/models/g:streamGenerateContent",
    "/api/event", "/",
])


def shaped_bodies():
    """Bodies that look like the APIs but with every field replaced by anything."""
    anything = JSON_VALUES
    return st.one_of(
        st.fixed_dictionaries({"system": anything, "messages": anything, "tools": anything}),
        st.fixed_dictionaries({"messages": st.lists(st.fixed_dictionaries({"role": st.sampled_from(["system", "user", "assistant", "tool", "developer"]), "content": anything}), max_size=4)}),
        st.fixed_dictionaries({"instructions": anything, "input": anything}),
        st.fixed_dictionaries({"contents": st.lists(st.fixed_dictionaries({"parts": anything}), max_size=3), "systemInstruction": anything}),
    )


def deep(depth: int) -> bytes:
    return b'{"messages": ' + b"[" * depth + b'"x"' + b"]" * depth + b"}"


FUZZ_BODIES = st.one_of(
    st.binary(min_size=1, max_size=300),
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    shaped_bodies().map(lambda v: json.dumps(v, ensure_ascii=False).encode("utf-8", "surrogatepass")),
    st.integers(min_value=100, max_value=50_000).map(deep),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=FUZZ_BODIES, path=API_PATHS, encoding=st.sampled_from([None, "gzip", "br", "zstd", "deflate", "identity", "x-unknown"]))
def test_fuzzed_bodies_never_raise_and_always_pass(tmp_path_factory, body, path, encoding):
    headers = {"content-encoding": encoding} if encoding else {}
    flow = request_flow(body, path, **headers)
    tmp = tmp_path_factory.mktemp("fuzz")
    _, records = run_hooks(tmp, [flow])
    assert flow.request.raw_content == body
    assert flow.response is None and flow.error is None
    assert len(records) == 1
    assert records[0].action in ("pass", "skipped")
    assert records[0].reason is None or not records[0].reason.startswith("internal error"), records[0].reason


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(message=FUZZ_BODIES)
def test_fuzzed_websocket_messages_never_raise(tmp_path_factory, message):
    flow = tflow.twebsocketflow(messages=False)
    flow.request.path = "/v1/responses"
    flow.websocket.messages.append(WebSocketMessage(Opcode.BINARY, True, message))
    addon = Audit()
    log = tmp_path_factory.mktemp("wsfuzz") / "ws.jsonl"

    async def drive():
        with configured(addon, log):
            await addon.websocket_message(flow)
            await finish(addon)

    asyncio.run(drive())
    [record] = read_records(log)
    assert record.api == "openai-responses-ws" and record.action in ("pass", "skipped")
    assert record.reason is None or not record.reason.startswith("internal error"), record.reason
    assert flow.websocket.messages[-1].content == message


@pytest.mark.parametrize("mode", ["audit", "sanitize"])
def test_a_large_unseen_body_is_scanned_in_the_child_process(tmp_path, monkeypatch, mode):
    calls: list[str] = []
    real_scan, real_analyse = ScanProcess.scan, ScanProcess.analyse

    def spying_scan(self, texts):
        calls.append(f"scan {len(texts)} texts")
        return real_scan(self, texts)

    async def spying_analyse(self, *args):
        calls.append("analyse")
        return await real_analyse(self, *args)

    monkeypatch.setattr(ScanProcess, "scan", spying_scan)
    monkeypatch.setattr(ScanProcess, "analyse", spying_analyse)
    tool_output = ("PASSED tests/test_billing.py::test_total 合計 🙂\n" * 6000) + ZWSP
    body = anthropic_case(marked=False).body
    body["messages"][2]["content"][0]["content"] = tool_output
    flow = request_flow(json.dumps(body).encode())
    addon, [record] = run_hooks(tmp_path, [flow], stegwatch_mode=mode)
    assert len(tool_output) >= 256 * 1024 and addon.scan_process.failures == 0
    # Audit mode hands the child the whole body (the request is already upstream); sanitize
    # mode parses here, to splice, and sends the child only the unseen strings.
    if mode == "audit":
        assert calls == ["analyse"]
    else:
        [call] = calls
        assert call.startswith("scan ") and int(call.split()[1]) > 1
    [found] = [f for f in record.findings if f.codepoints == ["U+200B"]]
    assert (found.path, found.role, found.start) == ("$['messages'][2]['content'][0]['content']", "tool_result", len(tool_output) - 1)


def test_the_child_sends_back_only_the_fields_the_addon_reads(tmp_path):
    tool_output = ("PASSED tests/test_billing.py::test_total 合計 🙂\n" * 6000) + ZWSP
    case = anthropic_case(marked=True)
    case.body["messages"][2]["content"][0]["content"] = tool_output
    process = ScanProcess()
    try:
        analysis = asyncio.run(process.analyse("POST", "/v1/messages", case.encoded(), None, 64 << 20, "seed"))
    finally:
        process.close()
    assert analysis is not None and analysis.decoded is None
    roles = {text_field.role.value for text_field in analysis.fields}
    assert "system" in roles and "tool_result" in roles  # client text, and the field with the ZWSP
    assert all(text_field.role.value in ("system", "tool_definition", "client_context") or text_field.role_spans
               or any(item.field is text_field for item in analysis.located) for text_field in analysis.fields)
    assert "U+200B" in {item.finding.codepoints[0] for item in analysis.located}


def test_a_websocket_session_is_one_conversation(tmp_path):
    create = codex_websocket_create("You are Codex." + ZWSP, "hi")
    flow = websocket_flow("/v1/responses", (True, create))
    addon = Audit()
    log = tmp_path / "ws.jsonl"

    async def drive():
        with configured(addon, log):
            await addon.websocket_message(flow)
            flow.websocket.messages.append(WebSocketMessage(Opcode.TEXT, True, create.encode()))
            await addon.websocket_message(flow)
            await finish(addon)

    asyncio.run(drive())
    first, second = read_records(log)
    assert [f.repeat for f in first.findings] == [False] and [f.repeat for f in second.findings] == [True]
    assert len(flow.metadata["stegwatch"]) == 2
    assert flow.comment.count("stegwatch:") == 1
