"""`stegwatch scan PATH…` on captures: the same findings as live mode, reports, exit status,
errors that name file and offset, directories, progress and worker processes."""

from __future__ import annotations

import copy
import gzip
import hashlib
import io
import json
from collections import Counter
from pathlib import Path

import httpx2
import pytest
from mitmproxy.io import FlowWriter
from mitmproxy.test import tflow, tutils

from addons import cli, offline_scan
from addons.audit_log import read_records
from addons.captures import read_requests
from addons.offline_scan import OfflineScanner, ScanOptions, ScanTotals, choose_jobs, scan_paths, wants_progress
from detectors import Severity
from tests.support.bodies import CASES, TAG_CODEPOINTS, TAG_PAYLOAD, ZWSP, anthropic_case, codex_websocket_create
from tests.support.proxy import Mitmdump, start_mitmdump

CLEAN_NOTES = "Release notes: « déjà prêt » — 準備完了 🙂\nThe build passed on 2026-11-24.\n"


def agent_flow(body: bytes, path: str = "/v1/messages", agent: str = "claude-cli/2.0.1 (external, cli)", **headers: str):
    flow = tflow.tflow(
        req=tutils.treq(method=b"POST", host="api.anthropic.com", port=443, path=path.encode(), content=body),
        resp=tutils.tresp(content=b"{}"),
    )
    flow.request.scheme = "https"
    flow.request.headers["user-agent"] = agent
    for name, value in headers.items():
        flow.request.headers[name] = value
    return flow


def write_dump(path: Path, flows: list) -> Path:
    with path.open("wb") as handle:
        writer = FlowWriter(handle)
        for flow in flows:
            writer.add(flow)
    return path


def conversation(turns: int) -> list[bytes]:
    """One Claude Code conversation, turn by turn: each request resends every earlier turn."""
    body = anthropic_case(marked=True).body
    bodies = []
    for turn in range(turns):
        body = copy.deepcopy(body)
        body["messages"] += [
            {"role": "assistant", "content": [{"type": "text", "text": f"Step {turn}: running the tests again."}]},
            {"role": "user", "content": [{"type": "text", "text": f"Go on with step {turn + 1}, merci !"}]},
        ]
        bodies.append(json.dumps(body, ensure_ascii=False).encode())
    return bodies


def run_scan(argv: list[str], capsys) -> tuple[int, str, str]:
    status = cli.main(["scan", *argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


# --- live and offline agree ------------------------------------------------------------------

def dated_claude_body(system_date: str, ask: str) -> bytes:
    body = anthropic_case(marked=False).body
    body["system"][0]["text"] += f"\nToday's date is {system_date}.\nPlatform: linux"
    body["messages"][0]["content"][0]["text"] = ask
    return json.dumps(body, ensure_ascii=False).encode()


def live_traffic() -> list[tuple[str, bytes, dict[str, str]]]:
    """(path, body, headers) of what the clients send: every API marked and clean, a
    conversation whose marks repeat, a gzip body, and a client whose date template drifts."""
    sent = []
    for name in sorted(CASES):
        for marked in (True, False):
            case = CASES[name](marked=marked, tag=f" [{name} {marked}]")
            sent.append((case.url_path, case.encoded(), {}))
    sent += [("/v1/messages", body, {"user-agent": "claude-cli/2.0.1 (external, cli)"}) for body in conversation(3)]
    gzipped = CASES["openai-responses"](marked=True, tag=" gzip").encoded()
    sent.append(("/v1/responses", gzip.compress(gzipped), {"content-encoding": "gzip"}))
    agent = {"user-agent": "claude-cli/2.0.2 (external, cli)"}
    sent.append(("/v1/messages", dated_claude_body("2026-11-24", "first task"), agent))
    # The same template line with a new date separator: built, so that this file scans clean.
    sent.append(("/v1/messages", dated_claude_body("2026-11-25".replace("-", "/"), "second task"), agent))
    return sent


def send_websocket_turn(proxy: Mitmdump, fake_api) -> bytes:
    message = codex_websocket_create("You are Codex, based on GPT-5." + TAG_PAYLOAD, "list files" + ZWSP)
    proxy.websocket_reply(fake_api.fake.ws_url, message)
    return message.encode()


def comparable(findings) -> Counter:
    return Counter((f["path"], f["role"], tuple(f["codepoints"]), f["kind"], f["severity"], f["repeat"]) for f in findings)


@pytest.mark.e2e
def test_offline_scan_of_a_real_mitmdump_capture_equals_the_live_audit_log(fake_api, fake_api_ca, tmp_path, capsys):
    capture = tmp_path / "session.mitm"
    proxy = start_mitmdump(tmp_path / "proxy", fake_api_ca, options=(f"save_stream_file={capture}",))
    try:
        with httpx2.Client(proxy=proxy.proxy_url, verify=proxy.client_ssl_context(), timeout=30) as client:
            for path, body, headers in live_traffic():
                response = client.post(fake_api.fake.base_url + path, content=body,
                                       headers={"content-type": "application/json", **headers})
                assert response.status_code == 200
        message = send_websocket_turn(proxy, fake_api)
    finally:
        proxy.stop()  # mitmdump writes the last flows and closes the capture on its way out
    live = read_records(proxy.log)
    assert len(live) == len(live_traffic()) + 1
    assert hashlib.sha256(message).hexdigest() in {r.body_sha256 for r in live}

    status, out, err = run_scan(["--format", "json", "--min-severity", "low", str(capture)], capsys)
    assert status == 1 and err == ""
    offline = json.loads(out)
    sha_of = {request.origin: hashlib.sha256(request.body).hexdigest() for request in read_requests(capture)}
    offline_by_sha: dict[str, list[dict]] = {}
    for finding in offline["findings"]:
        offline_by_sha.setdefault(sha_of[finding["origin"]], []).append(
            {**finding, "path": finding["json_path"]})
    live_by_sha = {r.body_sha256: [f.model_dump(mode="json") for f in r.findings] for r in live}
    assert set(offline_by_sha) <= set(live_by_sha)
    for sha, findings in live_by_sha.items():
        assert comparable(offline_by_sha.get(sha, [])) == comparable(findings), sha
    # The comparison is not empty: marks of every kind, repeats, drift and the WebSocket turn are in it.
    every = [f for findings in live_by_sha.values() for f in findings]
    assert any(f["repeat"] for f in every)
    assert any(f["kind"] == "date-template-drift" for f in every), Counter(f["kind"] for f in every)  # cross-request memory
    assert any(set(TAG_CODEPOINTS) <= set(f["codepoints"]) for f in offline_by_sha[hashlib.sha256(message).hexdigest()])
    assert {r.api for r in live} == {"anthropic-messages", "openai-chat", "openai-responses", "gemini", "openai-responses-ws"}


# --- findings in captures --------------------------------------------------------------------

@pytest.mark.parametrize("api", sorted(CASES))
def test_marks_in_a_capture_come_with_path_role_and_code_points(api, tmp_path):
    case = CASES[api](marked=True)
    path = write_dump(tmp_path / "c.mitm", [agent_flow(case.encoded(), case.url_path)])
    result = OfflineScanner().scan_file(str(path))
    assert result.error is None and result.requests == 1
    for mark in case.marks:
        at_path = [hit for hit in result.hits if hit.json_path == mark.path]
        assert {hit.role for hit in at_path} == {mark.role}
        assert set(mark.codepoints) <= {cp for hit in at_path for cp in hit.finding.codepoints}
    assert {hit.api for hit in result.hits} == {api}
    assert all(hit.origin == f"{path}#0" and hit.file == str(path) for hit in result.hits)


def test_clean_agent_traffic_has_no_finding(tmp_path):
    flows = [agent_flow(CASES[name](marked=False).encoded(), CASES[name].__call__(False).url_path) for name in sorted(CASES)]
    path = write_dump(tmp_path / "clean.mitm", flows)
    result = OfflineScanner().scan_file(str(path))
    assert (result.requests, result.hits, result.error) == (4, [], None)


def test_a_mark_resent_every_turn_is_a_repeat_after_its_first_request(tmp_path):
    path = write_dump(tmp_path / "c.mitm", [agent_flow(body) for body in conversation(4)])
    result = OfflineScanner().scan_file(str(path))
    system = [hit for hit in result.hits if hit.json_path == "$['system'][0]['text']"]
    assert [hit.repeat for hit in system] == [False, True, True, True]
    assert [hit.origin for hit in system] == [f"{path}#{n}" for n in range(4)]


def test_each_file_is_a_session_of_its_own(tmp_path):
    body = anthropic_case(marked=True).encoded()
    one = write_dump(tmp_path / "one.mitm", [agent_flow(body)])
    two = write_dump(tmp_path / "two.mitm", [agent_flow(body)])
    scanner = OfflineScanner()
    first, second = scanner.scan_file(str(one)), scanner.scan_file(str(two))
    assert [h.repeat for h in first.hits] == [h.repeat for h in second.hits] == [False] * len(first.hits)
    assert scanner.cache.hits > 0, "the string cache lasts the whole scan"


def test_body_over_max_body_is_skipped_with_the_reason(tmp_path):
    body = anthropic_case(marked=True).encoded()
    path = write_dump(tmp_path / "c.mitm", [agent_flow(body)])
    result = OfflineScanner(ScanOptions(max_body=100)).scan_file(str(path))
    assert result.hits == [] and result.skipped == [(f"{path}#0", f"oversized: {len(body)} bytes > stegwatch_max_body 100")]


def test_default_max_body_is_the_add_on_s():
    from addons.audit import DEFAULT_MAX_BODY

    assert offline_scan.DEFAULT_MAX_BODY == cli.DEFAULT_MAX_BODY == DEFAULT_MAX_BODY


# --- the command: text report, exit status, errors ------------------------------------------

def test_text_report_groups_by_request_and_reveals_the_marks(tmp_path, capsys):
    path = write_dump(tmp_path / "c.mitm", [agent_flow(body) for body in conversation(2)])
    status, out, err = run_scan([str(path)], capsys)
    assert status == 1 and err == ""
    assert out.startswith(f"{path}#0 (anthropic-messages)\n")
    assert f"{path}#1" not in out, "the second turn only repeats the first one's marks"
    assert "  [system] $['system'][0]['text']: high tag-smuggling/" in out
    assert "\u27e6U+E0049\u27e7\u27e6U+E0044\u27e7" in out and "payload: 'ID42'" in out
    assert "[tool_result] $['messages'][2]['content'][0]['content']: medium invisible/" in out
    assert chr(0xE0049) not in out and ZWSP not in out, "marks are revealed, never echoed"
    assert out.splitlines()[-1].startswith("4 findings at or above medium (worst: high), repeated 4 times in later requests; 1 file, 2 requests")


def test_exit_status_error_wins_and_the_scan_goes_on(tmp_path, capsys):
    marked = write_dump(tmp_path / "a-marked.mitm", [agent_flow(anthropic_case(marked=True).encoded())])
    broken = tmp_path / "b-broken.json"
    broken.write_text('{"messages": [{"role": "user", "content": "où"}, }')
    clean = tmp_path / "c-clean.txt"
    clean.write_text(CLEAN_NOTES)
    status, out, err = run_scan([str(tmp_path)], capsys)
    assert status == 2
    offset = broken.read_bytes().rindex(b"}")  # in bytes: "où" takes three
    assert err == f"stegwatch: error: {broken}: at byte offset {offset}: invalid JSON (unexpected character, expected a JSON value)\n"
    assert f"{marked}#0 (anthropic-messages)" in out and out.rstrip().endswith("; 1 error")
    assert run_scan([str(marked)], capsys)[0] == 1
    assert run_scan([str(clean)], capsys)[0] == 0
    assert run_scan([str(clean), str(broken)], capsys)[0] == 2


def test_truncated_capture_reports_what_it_read_and_the_offset(tmp_path, capsys):
    full = write_dump(tmp_path / "full.mitm", [agent_flow(anthropic_case(marked=True).encoded()), agent_flow(b'{"messages": []}')])
    data = full.read_bytes()
    cut = tmp_path / "cut.mitm"
    cut.write_bytes(data[:-40])
    status, out, err = run_scan(["--format", "json", str(cut)], capsys)
    document = json.loads(out)
    assert status == 2
    [error] = document["errors"]
    assert error["offset"] > 0 and error["unit"] == "byte" and error["file"] == str(cut)
    assert f"at byte offset {error['offset']}: flow record 1 is corrupt or truncated" in err
    assert {f["origin"] for f in document["findings"]} == {f"{cut}#0"}


def test_directories_are_walked_and_binary_files_passed_over(tmp_path, capsys):
    (tmp_path / "sessions" / "2026-11").mkdir(parents=True)
    write_dump(tmp_path / "sessions" / "2026-11" / "a.mitm", [agent_flow(anthropic_case(marked=True).encoded())])
    (tmp_path / "sessions" / "notes.md").write_text("Today\N{MODIFIER LETTER APOSTROPHE}s date is 2026-11-24.\n")
    (tmp_path / "sessions" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR")
    (tmp_path / "sessions" / ".git").mkdir()
    (tmp_path / "sessions" / ".git" / "COMMIT_EDITMSG").write_text("fix: zero\N{ZERO WIDTH SPACE}width\n")
    status, out, _ = run_scan(["--format", "json", str(tmp_path / "sessions")], capsys)
    document = json.loads(out)
    assert status == 1
    # A directory's files come before its subdirectories, each in sorted order.
    assert [(f["file"], f["kind"]) for f in document["files"]] == [
        (str(tmp_path / "sessions" / "notes.md"), "text"), (str(tmp_path / "sessions" / "2026-11" / "a.mitm"), "mitm")]
    text_hit = next(f for f in document["findings"] if f["file"].endswith("notes.md"))
    assert (text_hit["line"], text_hit["column"], text_hit["codepoints"]) == (1, 6, ["U+02BC"])


def test_json_report_has_every_occurrence_with_its_repeat_flag(tmp_path, capsys):
    path = write_dump(tmp_path / "c.mitm", [agent_flow(body) for body in conversation(2)])
    status, out, _ = run_scan(["--format", "json", "-o", str(tmp_path / "report.json"), str(path)], capsys)
    assert status == 1 and out == ""
    document = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert document["source"] == str(path) and document["count"] == len(document["findings"]) == 8
    assert [f["repeat"] for f in document["findings"]] == [False] * 4 + [True] * 4
    first = document["findings"][0]
    assert (first["origin"], first["api"], first["role"], first["json_path"]) == (
        f"{path}#0", "anthropic-messages", "system", "$['system'][0]['text']")
    assert first["line"] is None and "\u27e6U+E0049\u27e7" in first["context"]
    assert document["files"] == [{"file": str(path), "kind": "mitm", "bytes": path.stat().st_size, "requests": 2, "findings": 8}]


def test_har_and_jsonl_captures_scan_like_dumps(tmp_path, capsys):
    case = CASES["openai-chat"](marked=True)
    har = {"log": {"version": "1.2", "creator": {"name": "Charles Proxy", "version": "5.0"}, "entries": [{
        "startedDateTime": "2026-11-24T09:12:03.512+01:00", "time": 200,
        "request": {"method": "POST", "url": "https://api.openai.com/v1/chat/completions", "httpVersion": "HTTP/1.1",
                    "headers": [{"name": "User-Agent", "value": "OpenAI/Python 1.109.1"}], "queryString": [], "cookies": [],
                    "headersSize": 120, "bodySize": len(case.encoded()),
                    "postData": {"mimeType": "application/json", "text": case.encoded().decode()}},
        "response": {"status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1", "headers": [], "cookies": [],
                     "content": {"size": 0, "mimeType": "application/json"}, "redirectURL": "", "headersSize": 0, "bodySize": 0},
        "cache": {}, "timings": {"send": 1, "wait": 190, "receive": 9}}]}}
    (tmp_path / "charles.har").write_text(json.dumps(har), encoding="utf-8")
    (tmp_path / "bodies.jsonl").write_bytes(case.encoded() + b"\n")
    status, out, _ = run_scan(["--format", "json", "--min-severity", "medium", str(tmp_path)], capsys)
    document = json.loads(out)
    by_file = Counter((f["file"], f["json_path"], f["role"]) for f in document["findings"])
    for name in ("charles.har", "bodies.jsonl"):
        for mark in case.marks:
            assert by_file[(str(tmp_path / name), mark.path, mark.role)] >= 1, (name, mark)
    assert status == 1


def test_websocket_messages_of_other_apis_are_not_read_as_responses(tmp_path):
    flow = tflow.twebsocketflow()
    flow.request.path = "/socket.io/?EIO=4"
    flow.websocket.messages.append(type(flow.websocket.messages[0])(1, True, b'{"input": "x' + ZWSP.encode() + b'"}'))
    path = write_dump(tmp_path / "ws.mitm", [flow])
    result = OfflineScanner(ScanOptions(min_severity=Severity.INFO)).scan_file(str(path))
    assert result.hits == [] and result.requests == 1 + sum(m.from_client for m in flow.websocket.messages)


# --- progress ----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "terminal, total_bytes, elapsed, shown",
    [
        (False, 10 * 1024**3, 600.0, False),  # never on a pipe or a file, however long
        (True, 1_000, 0.0, False),  # a quick scan stays quiet
        (True, offline_scan.PROGRESS_MIN_BYTES, 0.0, True),  # a large one shows from the start
        (True, 1_000, offline_scan.PROGRESS_AFTER_SECONDS + 0.1, True),  # a slow one once it is slow
    ],
)
def test_progress_bar_only_on_a_terminal_for_a_long_scan(terminal, total_bytes, elapsed, shown):
    assert wants_progress(terminal, total_bytes, elapsed) is shown


def test_quiet_when_stderr_is_not_a_terminal(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(offline_scan, "PROGRESS_MIN_BYTES", 0)  # "long" by size, yet stderr is captured
    path = write_dump(tmp_path / "c.mitm", [agent_flow(CASES["gemini"](marked=False).encoded(), CASES["gemini"](False).url_path)])
    status, out, err = run_scan([str(path)], capsys)
    assert (status, err) == (0, "")


def test_progress_bar_is_drawn_on_a_terminal_stderr(tmp_path, monkeypatch, capsys):
    terminal = io.StringIO()
    terminal.isatty = lambda: True  # type: ignore[method-assign]
    monkeypatch.setattr(offline_scan.sys, "stderr", terminal)
    monkeypatch.setattr(offline_scan, "PROGRESS_MIN_BYTES", 0)
    path = write_dump(tmp_path / "c.mitm", [agent_flow(anthropic_case(marked=False).encoded())])
    assert cli.main(["scan", str(path)]) == 0
    assert "stegwatch scan" in terminal.getvalue()
    assert capsys.readouterr().out.startswith("no findings at or above medium")


# --- worker processes ----------------------------------------------------------------------

def test_choose_jobs(monkeypatch):
    monkeypatch.setattr(offline_scan.os, "sched_getaffinity", lambda pid: set(range(8)), raising=False)
    large = offline_scan.PARALLEL_MIN_BYTES
    assert choose_jobs(0, large - 1, ["d"], load=0.0) == 1  # a small scan: no processes to start
    assert choose_jobs(0, large, ["d"], load=0.0) == offline_scan.MAX_AUTO_JOBS
    assert choose_jobs(0, large, ["d"], load=5.6) == 3  # a busy machine: the idle CPUs, a partly idle one counted
    assert choose_jobs(0, large, ["d"], load=12.0) == 1
    assert choose_jobs(6, 0, ["d"], load=12.0) == 6  # asked for
    assert choose_jobs(2, large, ["d", "-"]) == 1  # standard input stays in this process


def test_workers_give_the_same_report_as_one_process(tmp_path):
    for number in range(3):
        write_dump(tmp_path / f"s{number}.mitm", [agent_flow(body) for body in conversation(2 + number)])
    (tmp_path / "notes.txt").write_text("Today\N{MODIFIER LETTER APOSTROPHE}s date is 2026-11-24.\n")

    def scanned(jobs: int) -> tuple[list, ScanTotals]:
        totals = ScanTotals()
        results = list(scan_paths([str(tmp_path)], ScanOptions(min_severity=Severity.LOW), totals, jobs=jobs))
        return [(r.file, r.requests, [(h.origin, h.json_path, h.finding, h.repeat) for h in r.hits]) for r in results], totals

    one, one_totals = scanned(1)
    two, two_totals = scanned(2)
    assert one == two and one_totals == two_totals
    assert one_totals.files == 4 and one_totals.hits > 0


def test_an_internal_error_on_one_request_is_reported_and_the_rest_still_scanned(tmp_path, capsys, monkeypatch):
    bodies = [anthropic_case(marked=True).encoded(), b'{"messages": [{"role": "user", "content": "boom"}]}']
    path = write_dump(tmp_path / "c.mitm", [agent_flow(bodies[1]), agent_flow(bodies[0])])
    real = offline_scan.OfflineScanner.scan_request

    def fails_on_boom(self, request, file=""):
        if b"boom" in request.body:
            raise RuntimeError("boom")
        return real(self, request, file)

    monkeypatch.setattr(offline_scan.OfflineScanner, "scan_request", fails_on_boom)
    status, out, err = run_scan([str(path)], capsys)
    assert status == 2 and f"{path}#0: internal error: RuntimeError: boom" in err
    assert f"{path}#1 (anthropic-messages)" in out


# --- memory follows the largest body, not the capture ----------------------------------------

def test_memory_does_not_grow_with_the_size_of_the_capture(tmp_path):
    import tracemalloc

    from tests.support.bodies import conversation_body

    def capture(name: str, flows: int) -> Path:
        bodies = []
        for number in range(flows):
            body = conversation_body(120_000, marked=False)
            body["messages"][0]["content"][0]["text"] += f" (session {number})"
            bodies.append(json.dumps(body, ensure_ascii=False).encode())
        return write_dump(tmp_path / name, [agent_flow(body) for body in bodies])

    def peak_while_scanning(path: Path) -> int:
        scanner = OfflineScanner(cache_bytes=512 * 1024)  # a small cache, so that it cannot hide growth
        tracemalloc.start()
        try:
            result = scanner.scan_file(str(path))
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
            assert result.error is None

    # Past a few dozen flows the peak stops growing (the cyclic GC's garbage settles): 4 MB
    # against 16 MB of capture, measured at about 5.5 and 6.9 MB of peak.
    small, large = capture("small.mitm", 32), capture("large.mitm", 128)
    small_peak, large_peak = peak_while_scanning(small), peak_while_scanning(large)
    assert large.stat().st_size > 3.5 * small.stat().st_size
    assert large_peak < 1.5 * small_peak, (small_peak, large_peak)
    assert large_peak < large.stat().st_size / 2, (large_peak, large.stat().st_size)


def test_a_directory_that_cannot_be_listed_is_an_error(tmp_path, capsys, monkeypatch):
    (tmp_path / "ok.txt").write_text(CLEAN_NOTES)
    locked = tmp_path / "locked"
    locked.mkdir()
    real_walk = offline_scan.os.walk

    def walk(top, onerror=None, followlinks=False):
        # What os.walk does for a directory it may not list (root ignores permissions, so simulate it).
        for root, directories, files in real_walk(top, followlinks=followlinks):
            if "locked" in directories:
                directories.remove("locked")
                onerror(PermissionError(13, "Permission denied", str(locked)))
            yield root, directories, files

    monkeypatch.setattr(offline_scan.os, "walk", walk)
    assert list(offline_scan.expand_paths([str(tmp_path)])) == [(str(tmp_path / "ok.txt"), False), (str(locked), True)]
    status, _, err = run_scan([str(tmp_path)], capsys)
    assert status == 2 and f"cannot read {locked}" in err


def test_a_body_the_capture_did_not_keep_is_counted_as_skipped(tmp_path):
    streamed = agent_flow(b"")
    streamed.request.raw_content = None   # mitmproxy's stream_large_bodies forwarded it unkept
    path = write_dump(tmp_path / "streamed.mitm", [streamed, agent_flow(anthropic_case(marked=False).encoded())])
    result = OfflineScanner(ScanOptions()).scan_file(str(path))
    assert result.skipped == [(f"{path}#0", "oversized: the body was streamed (stream_large_bodies) and not kept")]
