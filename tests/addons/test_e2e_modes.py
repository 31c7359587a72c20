"""End to end, sanitize and block modes: the official SDKs -> a real mitmdump -> the local fake API.

Two mitmdumps serve the module: one sanitizing, one blocking, both with ``stegwatch_fail=closed``
and the test script that forces an internal error on a trigger string. Each test tags its
bodies with a unique string, to find what the upstream received (or prove it received nothing).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import time
from collections.abc import Iterator
from pathlib import Path

import anthropic
import google.genai.errors
import openai
import pytest

from addons.splice import string_spans
from tests.addons.test_e2e import Capture, post_raw, records_for, sdk_call
from tests.support.bodies import CASES, RLO, TAG_PAYLOAD, ZWSP, Case, codex_websocket_create
from tests.support.fake_api import Received, RunningFakeApi
from tests.support.proxy import Mitmdump, start_mitmdump
from tests.support.raise_on_marker import TRIGGER

pytestmark = pytest.mark.e2e

RAISE_ON_MARKER = Path(__file__).resolve().parents[1] / "support" / "raise_on_marker.py"
MAX_BODY = 1_000_000
SDK_ERRORS = {
    "anthropic-messages": anthropic.BadRequestError,
    "openai-chat": openai.BadRequestError,
    "openai-responses": openai.BadRequestError,
    "gemini": google.genai.errors.ClientError,
}


def start(fake_api_ca: Path, workdir: Path, mode: str) -> Mitmdump:
    return start_mitmdump(workdir, fake_api_ca, [RAISE_ON_MARKER], [
        f"stegwatch_mode={mode}", "stegwatch_fail=closed", f"stegwatch_max_body={MAX_BODY}",
        f"stegwatch_keep_originals={workdir / 'originals'}",
    ])


@pytest.fixture(scope="module")
def sanitizing(fake_api_ca: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mitmdump]:
    proxy = start(fake_api_ca, tmp_path_factory.mktemp("sanitize"), "sanitize")
    yield proxy
    proxy.stop()


@pytest.fixture(scope="module")
def blocking(fake_api_ca: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mitmdump]:
    proxy = start(fake_api_ca, tmp_path_factory.mktemp("block"), "block")
    yield proxy
    proxy.stop()


def unique(label: str) -> str:
    return f" [{label} {time.monotonic_ns()}]"


def all_text(value: object) -> str:
    """Every string in a JSON value, also inside strings that hold JSON (tool arguments)."""
    if isinstance(value, dict):
        return "\n".join(all_text(item) for item in value.values())
    if isinstance(value, list):
        return "\n".join(all_text(item) for item in value)
    if isinstance(value, str):
        try:
            inner = json.loads(value)
        except ValueError:
            return value
        return all_text(inner) if isinstance(inner, dict | list) else value
    return ""


def received_with(fake: RunningFakeApi, tag: str) -> list:
    return [r for r in fake.fake.received if tag.encode() in r.body]


def ws_received_with(fake: RunningFakeApi, tag: str) -> list[str | bytes]:
    return [m for m in fake.fake.ws_messages if tag in (m if isinstance(m, str) else m.decode())]


def send_clean_body(api: str, proxy: Mitmdump, fake: RunningFakeApi, label: str) -> Received:
    """Send a clean ``api`` body through ``proxy`` with the SDK; check that the upstream received
    the client's bytes unchanged, and return what it received."""
    tag = unique(f"{label} {api}")
    capture = Capture()
    sdk_call(api, proxy, fake, CASES[api](marked=False, tag=tag), capture)
    [received] = received_with(fake, tag)
    assert received.body == capture.bodies[-1]
    return received


# --- sanitize -------------------------------------------------------------------------------

@pytest.mark.parametrize("api", sorted(CASES))
def test_sanitize_forwards_the_cleaned_body_and_the_sdk_gets_its_answer(api, sanitizing, fake_api):
    tag = unique(f"sanitize {api}")
    case: Case = CASES[api](marked=True, tag=tag)
    capture = Capture()
    sdk_call(api, sanitizing, fake_api, case, capture)  # raises if the SDK did not get its answer
    sent = capture.bodies[-1]
    [received] = received_with(fake_api, tag)
    [record] = records_for(sanitizing, hashlib.sha256(sent).hexdigest())
    assert record.action == "sanitized" and record.sanitized_sha256 == received.sha256
    # Client scope: the system prompt's tag run is gone; the tool result and the tool argument
    # (the user's file, the model's command) arrive as they were sent.
    text = all_text(json.loads(received.body))
    assert TAG_PAYLOAD[0] not in text and ZWSP in text and RLO in text
    assert int(received.headers["content-length"]) == len(received.body)
    # No trace: the same header names the client sent, nothing of ours.
    assert set(received.headers) - set(capture.headers[-1]) <= {"host"}
    assert "stegwatch" not in json.dumps(received.headers).lower()
    # Only the rewritten string changed, byte for byte.
    rewritten = {f.path.split("#json", 1)[0] for f in record.findings if f.rewritten}
    assert rewritten and all(f.role == "system" for f in record.findings if f.rewritten)
    for before, after in zip(string_spans(sent), string_spans(received.body), strict=True):
        assert before.path == after.path
        if before.path not in rewritten:
            assert sent[before.start:before.end] == received.body[after.start:after.end]
    kept = sanitizing.log.parent / "originals" / record.body_sha256
    assert kept.read_bytes() == sent


@pytest.mark.parametrize("api", sorted(CASES))
def test_sanitize_leaves_a_clean_body_byte_identical(api, sanitizing, fake_api):
    received = send_clean_body(api, sanitizing, fake_api, "clean")
    [record] = records_for(sanitizing, received.sha256)
    assert record.action == "pass" and record.sanitized_sha256 is None


def test_sanitize_recompresses_a_gzip_body(sanitizing, fake_api):
    tag = unique("gzip")
    original = CASES["anthropic-messages"](marked=True, tag=tag).encoded()
    response = post_raw(sanitizing, fake_api, "/v1/messages", gzip.compress(original), **{"content-encoding": "gzip"})
    assert response.status_code == 200
    [received] = [r for r in fake_api.fake.received if r.headers.get("content-encoding") == "gzip"
                  and tag.encode() in gzip.decompress(r.body)]
    text = all_text(json.loads(gzip.decompress(received.body)))
    assert TAG_PAYLOAD[0] not in text and ZWSP in text
    assert int(received.headers["content-length"]) == len(received.body)


def test_sanitize_keeps_an_escaped_body_escaped(sanitizing, fake_api):
    tag = unique("escaped")
    original = CASES["openai-chat"](marked=True, tag=tag).encoded(ensure_ascii=True)
    assert post_raw(sanitizing, fake_api, "/v1/chat/completions", original).status_code == 200
    [received] = received_with(fake_api, tag)
    assert received.body.isascii() and received.body != original
    assert TAG_PAYLOAD[0] not in all_text(json.loads(received.body))
    # Outside the rewritten system message, the bytes are the client's.
    cut = original.index(b'"role": "user"')
    assert received.body.endswith(original[cut:])


@pytest.mark.parametrize("label, body, headers, reason", [
    ("malformed", b'{"model": "claude", "messages": [', {}, "not JSON"),
    ("bad gzip", b"\x1f\x8b\x08\x00not really gzip", {"content-encoding": "gzip"}, "bad compression"),
    ("oversized", b'{"system": "' + TAG_PAYLOAD.encode() + b"x" * (MAX_BODY + 10) + b'"}', {}, "oversized"),
])
def test_sanitize_passes_bad_input_untouched_even_when_closed(label, body, headers, reason, sanitizing, fake_api):
    response = post_raw(sanitizing, fake_api, "/v1/messages", body, **headers)
    assert response.status_code == 200
    sha = hashlib.sha256(body).hexdigest()
    assert fake_api.fake.find(sha).body == body
    [record] = records_for(sanitizing, sha)
    assert record.action == "skipped" and record.reason.startswith(reason)


@pytest.mark.parametrize("api", sorted(CASES))
def test_sanitize_with_a_forced_internal_error_refuses_when_closed(api, sanitizing, fake_api):
    tag = unique(f"forced {api}") + TRIGGER
    with pytest.raises(SDK_ERRORS[api]) as raised:
        sdk_call(api, sanitizing, fake_api, CASES[api](marked=True, tag=tag), Capture())
    assert "internal error" in str(raised.value) and "stegwatch_fail=closed" in str(raised.value)
    assert received_with(fake_api, tag) == []
    assert sanitizing.process.poll() is None


def test_sanitize_rewrites_websocket_messages(sanitizing, fake_api):
    tag = unique("ws sanitize")
    create = codex_websocket_create("You are Codex." + TAG_PAYLOAD + tag, "list files")
    assert json.loads(sanitizing.websocket_reply(fake_api.fake.ws_url, create))["type"] == "response.completed"
    [forwarded] = ws_received_with(fake_api, tag)
    assert json.loads(forwarded)["instructions"] == "You are Codex." + tag
    [record] = records_for(sanitizing, hashlib.sha256(create.encode()).hexdigest())
    assert record.action == "sanitized" and record.api == "openai-responses-ws"


# --- block ----------------------------------------------------------------------------------

@pytest.mark.parametrize("api", sorted(CASES))
def test_block_makes_the_sdk_raise_its_normal_error_and_forwards_nothing(api, blocking, fake_api):
    tag = unique(f"block {api}")
    capture = Capture()
    with pytest.raises(SDK_ERRORS[api]) as raised:
        sdk_call(api, blocking, fake_api, CASES[api](marked=True, tag=tag), capture)
    message = str(raised.value)
    assert "stegwatch blocked this request" in message and "U+E0049" in message
    assert received_with(fake_api, tag) == []
    [record] = records_for(blocking, capture.last_sha())
    assert record.action == "blocked" and record.mode == "block"
    kept = blocking.log.parent / "originals" / record.body_sha256
    assert kept.read_bytes() == capture.bodies[-1]


@pytest.mark.parametrize("api", sorted(CASES))
def test_block_forwards_a_clean_request_byte_identical(api, blocking, fake_api):
    send_clean_body(api, blocking, fake_api, "block clean")


def test_block_refuses_bad_input_when_closed(blocking, fake_api):
    body = b'{"model": "claude", "messages": [' + unique("bad").encode()
    response = post_raw(blocking, fake_api, "/v1/messages", body)
    assert response.status_code == 400 and response.json()["error"]["type"] == "invalid_request_error"
    assert fake_api.fake.find(hashlib.sha256(body).hexdigest()) is None
    [record] = records_for(blocking, hashlib.sha256(body).hexdigest())
    assert record.action == "blocked" and record.reason.startswith("not JSON")


def test_block_answers_a_websocket_message_with_an_error_event(blocking, fake_api):
    tag = unique("ws block")
    create = codex_websocket_create("You are Codex." + TAG_PAYLOAD + tag, "list files")
    event = json.loads(blocking.websocket_reply(fake_api.fake.ws_url, create))
    assert event["type"] == "error" and event["error"]["code"] == "stegwatch_blocked"
    assert "U+E0049" in event["message"]
    assert not ws_received_with(fake_api, tag)
