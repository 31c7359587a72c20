"""End to end: the real SDKs -> a real mitmdump with the add-on -> a local fake API, all on loopback.

One mitmdump serves the whole module. Every test identifies its own requests by the SHA-256
of the body the client sent (captured with an httpx event hook), which is also how it proves
the upstream received that body byte-identical.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import anthropic
import httpx2
import openai
import pytest
from google import genai
from google.genai import types as genai_types

from addons.audit_log import LogRecord, read_records
from tests.support.bodies import CASES, TAG_CODEPOINTS, TAG_PAYLOAD, ZWSP, Case, anthropic_case, codex_websocket_create
from tests.support.fake_api import STREAM_PAUSE, RunningFakeApi, canned
from tests.support.proxy import Mitmdump
from tests.support.raise_on_marker import TRIGGER

pytestmark = pytest.mark.e2e

MITMDUMP_EXTRA_SCRIPTS = (Path(__file__).resolve().parents[1] / "support" / "raise_on_marker.py",)
MAX_BODY = 2_000_000
MITMDUMP_OPTIONS = (f"stegwatch_max_body={MAX_BODY}",)


class Capture:
    """Records the exact bytes and headers each client request carried."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.headers: list[dict[str, str]] = []
        self.lock = threading.Lock()

    def __call__(self, request: httpx2.Request) -> None:
        with self.lock:
            self.bodies.append(request.read())
            self.headers.append({k.lower(): v for k, v in request.headers.items()})

    def last_sha(self) -> str:
        return hashlib.sha256(self.bodies[-1]).hexdigest()


def http_client(proxy: Mitmdump, capture: Capture | None = None) -> httpx2.Client:
    """What a user does: the proxy, and trust in mitmproxy's CA."""
    hooks = {"request": [capture]} if capture else {}
    return httpx2.Client(proxy=proxy.proxy_url, verify=proxy.client_ssl_context(), event_hooks=hooks, timeout=30)


def records_for(proxy: Mitmdump, sha: str, timeout: float = 5.0) -> list[LogRecord]:
    deadline = time.monotonic() + timeout
    while True:
        found = [r for r in read_records(proxy.log) if r.body_sha256 == sha]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def sdk_call(api: str, proxy: Mitmdump, fake: RunningFakeApi, case: Case, capture: Capture, stream: bool = False):
    """Send ``case.body`` with the official SDK for ``api``; return the time the first event
    (or the whole answer) arrived."""
    client = http_client(proxy, capture)
    body = case.body
    if api == "anthropic-messages":
        sdk = anthropic.Anthropic(api_key="sk-ant-test", base_url=fake.fake.base_url, http_client=client, max_retries=0)
        fields = {k: v for k, v in body.items()}
        if stream:
            with sdk.messages.stream(**fields) as events:
                first = None
                for _ in events:
                    first = first or time.monotonic()
            return first
        sdk.messages.create(**fields)
    elif api == "openai-chat":
        sdk = openai.OpenAI(api_key="sk-test", base_url=fake.fake.base_url + "/v1", http_client=client, max_retries=0)
        if stream:
            first = None
            for _ in sdk.chat.completions.create(**body, stream=True):
                first = first or time.monotonic()
            return first
        sdk.chat.completions.create(**body)
    elif api == "openai-responses":
        sdk = openai.OpenAI(api_key="sk-test", base_url=fake.fake.base_url + "/v1", http_client=client, max_retries=0)
        if stream:
            first = None
            for _ in sdk.responses.create(**body, stream=True):
                first = first or time.monotonic()
            return first
        sdk.responses.create(**body)
    elif api == "gemini":
        sdk = genai.Client(api_key="AIza-test", http_options=genai_types.HttpOptions(
            base_url=fake.fake.base_url, api_version="v1beta", httpx_client=client))
        config = genai_types.GenerateContentConfig(
            system_instruction=body["systemInstruction"]["parts"][0]["text"],
            tools=[genai_types.Tool(function_declarations=[genai_types.FunctionDeclaration(
                name="run_shell_command", description="Runs a shell command.")])],
        )
        contents = [genai_types.Content.model_validate(c) for c in body["contents"]]
        if stream:
            first = None
            for _ in sdk.models.generate_content_stream(model="gemini-2.5-pro", contents=contents, config=config):
                first = first or time.monotonic()
            return first
        sdk.models.generate_content(model="gemini-2.5-pro", contents=contents, config=config)
    return time.monotonic()


# --- per API: clean, marked, streaming -----------------------------------------------------

@pytest.mark.parametrize("api", sorted(CASES))
def test_clean_request_arrives_byte_identical_with_no_finding(api, mitmdump, fake_api):
    capture = Capture()
    sdk_call(api, mitmdump, fake_api, CASES[api](marked=False), capture)
    sha = capture.last_sha()
    received = fake_api.fake.find(sha)
    assert received is not None, "the upstream did not receive the body the client sent"
    assert received.body == capture.bodies[-1]
    [record] = records_for(mitmdump, sha)
    assert (record.api, record.action) == (api, "pass")
    assert [f for f in record.findings if f.severity >= "medium"] == []
    # Nothing added: the upstream sees the client's headers (names) and nothing else.
    assert set(received.headers) - set(capture.headers[-1]) <= {"host"}
    assert "stegwatch" not in json.dumps(received.headers).lower()


@pytest.mark.parametrize("api", sorted(CASES))
def test_marks_are_found_with_path_role_and_codepoints(api, mitmdump, fake_api):
    capture = Capture()
    case = CASES[api](marked=True)
    sdk_call(api, mitmdump, fake_api, case, capture)
    sha = capture.last_sha()
    assert fake_api.fake.find(sha) is not None
    [record] = records_for(mitmdump, sha)
    assert record.api == api and record.action == "pass"
    sent = json.loads(capture.bodies[-1])
    for mark in case.marks:
        at_path = [f for f in record.findings if f.path == mark.path]
        assert at_path, f"{mark.path} not in {[f.path for f in record.findings]} (sent: {json.dumps(sent)[:300]})"
        assert {f.role for f in at_path} == {mark.role}
        assert set(mark.codepoints) <= {cp for f in at_path for cp in f.codepoints}
    assert "stegwatch" in mitmdump.console_text()


@pytest.mark.parametrize("api", sorted(CASES))
def test_event_streams_still_stream(api, mitmdump, fake_api):
    capture = Capture()
    case = CASES[api](marked=True)
    first_event_at = sdk_call(api, mitmdump, fake_api, case, capture, stream=True)
    received = fake_api.fake.find(capture.last_sha())
    assert received is not None
    last_sent_at = fake_api.fake.last_event_sent_at[received.path]
    # The fake waits STREAM_PAUSE before its last event; a buffering proxy would deliver the
    # first event only after that.
    assert first_event_at < last_sent_at - STREAM_PAUSE / 2
    assert records_for(mitmdump, capture.last_sha())[0].findings


# --- WebSocket ---------------------------------------------------------------------------

def test_responses_over_websocket_are_scanned(mitmdump, fake_api):
    message = codex_websocket_create("You are Codex, based on GPT-5." + TAG_PAYLOAD, "list files" + ZWSP)
    answer = mitmdump.websocket_reply(fake_api.fake.ws_url, message)
    assert json.loads(answer)["type"] == "response.completed"
    assert message in fake_api.fake.ws_messages
    [record] = records_for(mitmdump, hashlib.sha256(message.encode()).hexdigest())
    assert record.api == "openai-responses-ws"
    assert any(set(TAG_CODEPOINTS) <= set(f.codepoints) and f.role == "system" for f in record.findings)
    assert any(f.codepoints == ["U+200B"] for f in record.findings)


# --- odd bodies through the proxy ----------------------------------------------------------

def post_raw(proxy: Mitmdump, fake: RunningFakeApi, path: str, body: bytes, **headers: str) -> httpx2.Response:
    with http_client(proxy) as client:
        return client.post(fake.fake.base_url + path, content=body,
                           headers={"content-type": "application/json", **headers})


@pytest.mark.parametrize("label, body, headers, action, reason", [
    ("malformed", b'{"model": "claude", "messages": [', {}, "skipped", "not JSON"),
    ("not json", b"model=claude&prompt=hi", {}, "skipped", "not JSON"),
    ("bad gzip", b"\x1f\x8b\x08\x00not really gzip", {"content-encoding": "gzip"}, "skipped", "bad compression"),
    ("oversized", b'{"messages": ["' + b"x" * (MAX_BODY + 10) + b'"]}', {}, "skipped", "oversized"),
])
def test_bad_bodies_pass_unchanged_with_one_skipped_record(label, body, headers, action, reason, mitmdump, fake_api):
    response = post_raw(mitmdump, fake_api, "/v1/messages", body, **headers)
    assert response.status_code == 200
    sha = hashlib.sha256(body).hexdigest()
    assert fake_api.fake.find(sha) is not None and fake_api.fake.find(sha).body == body
    [record] = records_for(mitmdump, sha)
    assert record.action == action and record.reason.startswith(reason), record.reason


def test_gzip_body_is_scanned_and_forwarded_as_sent(mitmdump, fake_api):
    body = gzip.compress(anthropic_case(marked=True, tag="gzip").encoded())
    response = post_raw(mitmdump, fake_api, "/v1/messages", body, **{"content-encoding": "gzip"})
    assert response.status_code == 200
    sha = hashlib.sha256(body).hexdigest()
    assert fake_api.fake.find(sha).body == body
    [record] = records_for(mitmdump, sha)
    assert any(f.path == "$['system'][0]['text']" and TAG_CODEPOINTS[0] in f.codepoints for f in record.findings)


def test_escaped_body_gives_the_same_findings_as_utf8(mitmdump, fake_api):
    case = anthropic_case(marked=True, tag="escapes")
    results = []
    for body in (case.encoded(ensure_ascii=False), case.encoded(ensure_ascii=True)):
        post_raw(mitmdump, fake_api, "/v1/messages", body)
        [record] = records_for(mitmdump, hashlib.sha256(body).hexdigest())
        results.append([(f.path, f.role, f.start, f.end, f.codepoints) for f in record.findings])
    assert results[0] == results[1] and results[0]


def test_response_reaches_the_client_unchanged(mitmdump, fake_api):
    body = anthropic_case(marked=True, tag="response").encoded()
    response = post_raw(mitmdump, fake_api, "/v1/messages", body)
    assert response.content == json.dumps(canned("/v1/messages", body)[0]).encode()


def test_internal_error_fails_open(mitmdump, fake_api):
    body = anthropic_case(marked=True, tag=TRIGGER).encoded()
    response = post_raw(mitmdump, fake_api, "/v1/messages", body)
    assert response.status_code == 200
    sha = hashlib.sha256(body).hexdigest()
    assert fake_api.fake.find(sha).body == body
    [record] = records_for(mitmdump, sha)
    assert record.action == "skipped" and record.reason.startswith("internal error: RuntimeError")
    assert mitmdump.process.poll() is None


# --- load ----------------------------------------------------------------------------------

def test_200_concurrent_mixed_requests(mitmdump, fake_api):
    apis = sorted(CASES)
    jobs = []
    for n in range(200):
        api = apis[n % len(apis)]
        case = CASES[api](marked=n % 3 == 0, tag=f" load-{n}")
        jobs.append((api, case.url_path, case.encoded(ensure_ascii=n % 5 == 0), bool(case.marks)))
    log_lines_before = len(mitmdump.log.read_bytes().splitlines())
    client = http_client(mitmdump)

    def send(job):
        api, path, body, _ = job
        return client.post(fake_api.fake.base_url + path, content=body, headers={"content-type": "application/json"}).status_code

    with ThreadPoolExecutor(max_workers=32) as pool:
        statuses = list(pool.map(send, jobs))
    client.close()
    assert statuses == [200] * 200
    received = fake_api.fake.bodies_by_sha()
    for api, _, body, _ in jobs:
        sha = hashlib.sha256(body).hexdigest()
        assert received[sha].body == body
    lines = mitmdump.log.read_bytes().splitlines()[log_lines_before:]
    records = [LogRecord.model_validate_json(line) for line in lines]  # every line valid JSON
    by_sha: dict[str, list[LogRecord]] = {}
    for record in records:
        by_sha.setdefault(record.body_sha256, []).append(record)
    for api, _, body, marked in jobs:
        [record] = by_sha[hashlib.sha256(body).hexdigest()]
        assert record.api == api and record.action == "pass"
        assert bool([f for f in record.findings if f.severity >= "medium"]) == marked


# --- configured the way the README tells users: environment variables only ------------------

@pytest.mark.parametrize("sdk", ["anthropic", "openai", "google-genai"])
def test_sdks_configured_by_environment_variables(sdk, mitmdump, fake_api, monkeypatch):
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", mitmdump.proxy_url)
    monkeypatch.setenv("SSL_CERT_FILE", str(mitmdump.ca_file))
    marker = f"env-configured {sdk} {time.monotonic_ns()}"
    if sdk == "anthropic":
        client = anthropic.Anthropic(api_key="sk-ant-test", base_url=fake_api.fake.base_url, max_retries=0)
        client.messages.create(model="claude-sonnet-4-6", max_tokens=16, messages=[{"role": "user", "content": marker}])
    elif sdk == "openai":
        client = openai.OpenAI(api_key="sk-test", base_url=fake_api.fake.base_url + "/v1", max_retries=0)
        client.chat.completions.create(model="gpt-5", messages=[{"role": "user", "content": marker}])
    else:
        client = genai.Client(api_key="AIza-test", http_options=genai_types.HttpOptions(base_url=fake_api.fake.base_url))
        client.models.generate_content(model="gemini-2.5-pro", contents=marker)
    [received] = [r for r in fake_api.fake.received if marker.encode() in r.body]
    [record] = records_for(mitmdump, received.sha256)  # the proxy saw exactly what it forwarded
    assert record.action == "pass" and record.findings == []
    assert "x-api-key" not in record.client and "authorization" not in record.client
