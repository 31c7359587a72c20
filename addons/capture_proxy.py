"""The capture-only proxy of ``stegwatch probe``: record every request, answer it locally, never forward.

``stegwatch probe`` runs an agent many times under different environments and compares what
it sends. It must not reach a real API (no key, no network, no cost, no side effects), yet the
agent has to finish its turn. So this mitmproxy add-on answers every request itself, in the
``request`` hook, with the smallest valid answer of the API that `addons.shapes.recognize`
sees: an Anthropic message (JSON, or the full ``message_start`` ... ``message_stop`` event
stream), an OpenAI chat completion or response (JSON or event stream), a Gemini
``generateContent`` answer (JSON, an event stream for ``alt=sse``, a JSON array otherwise).
A WebSocket upgrade (the Responses WebSocket API) is refused with ``426 Upgrade Required``, so
that a client with an HTTP transport falls back to it. Anything else (telemetry, feature
flags, model lists) gets ``200 {}``; it is recorded too, because marks can ride there as well.

It never opens an upstream connection: answers are set before mitmproxy would connect, and
the ``server_connect`` hook refuses any connection that would still be attempted (a raw TCP
tunnel, a request another add-on let through). Run it with ``connection_strategy=lazy`` and
``upstream_cert=false`` so that no TLS handshake looks upstream for a certificate either.

Each request is appended to ``<stegwatch_capture_dir>/<listen port>.jsonl`` and flushed at
once: method, URL, headers in wire order, the raw body (base64; still compressed if it was),
the time. The probe gives each run of the agent its own listen port, so attribution to a run
is exact even for a straggling request. When the proxy listens, it writes ``ready.json`` with
its process id and ports. `read_captures` turns a capture file back into `CapturedRequest`s.
What is recorded includes credentials the agent sent; the probe keeps the directory private
and deletes it unless the user asks to keep it.

Nothing is judged here: the add-on neither scans nor changes a request, and legitimate
variation (a new date, another user's home) is recorded like everything else, because only
the comparison across runs (`addons.differ`) can tell honest content from a mark.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import time
from pathlib import Path
from typing import IO, Any, Optional

from mitmproxy import addonmanager, ctx, exceptions, http
from mitmproxy.proxy import server_hooks

# mitmdump loads this file by path, with its own directory on sys.path instead of the project root.
_PROJECT_ROOT = str(Path(__file__).resolve().parent.parent)
if _PROJECT_ROOT not in sys.path:
    sys.path.insert(0, _PROJECT_ROOT)

from addons.captured import CapturedRequest  # noqa: E402 - needs the path above
from addons.shapes import (  # noqa: E402
    Api,
    BodyDecodeError,
    BodyParseError,
    decode_body,
    parse_json_body,
    recognize,
)

READY_FILE = "ready.json"
NO_UPSTREAM = "stegwatch capture-only proxy: upstream connections are disabled"
# Answers say "ok"; ids are fixed so that an agent echoing them back does not vary per run.
ANSWER_TEXT = "ok"
MESSAGE_ID = "msg_stegwatch_probe"
RESPONSE_ID = "resp_stegwatch_probe"
COMPLETION_ID = "chatcmpl-stegwatch-probe"

Event = tuple[str, dict[str, Any]]


def capture_file(directory: Path, port: int) -> Path:
    return directory / f"{port}.jsonl"


def read_captures(path: Path, origin: str = "") -> list[CapturedRequest]:
    """The requests recorded in one capture file, in arrival order (empty if there is none)."""
    if not path.exists():
        return []
    captured = []
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.endswith("\n"):
                break  # a record still being written when the run was cut short
            record = json.loads(line)
            captured.append(CapturedRequest(
                method=record["method"],
                url=record["url"],
                headers=tuple((name, value) for name, value in record["headers"]),
                body=base64.b64decode(record["body"]),
                origin=f"{origin}#{number}" if origin else f"{path.name}#{number}",
                websocket=False,
                timestamp=record["timestamp"],
            ))
    return captured


# --- minimal answers -----------------------------------------------------------------------

def _sse(events: list[Event], done_marker: bool = False) -> bytes:
    chunks = [(f"event: {name}\n" if name else "") + f"data: {json.dumps(payload)}\n\n" for name, payload in events]
    if done_marker:
        chunks.append("data: [DONE]\n\n")
    return "".join(chunks).encode()


def _anthropic(body: dict, path: str) -> tuple[object, list[Event]]:
    if path.endswith("/count_tokens"):
        return {"input_tokens": 1}, []
    message = {
        "id": MESSAGE_ID, "type": "message", "role": "assistant", "model": _model(body, "claude"),
        "content": [{"type": "text", "text": ANSWER_TEXT}], "stop_reason": "end_turn", "stop_sequence": None,
        "usage": {"input_tokens": 1, "output_tokens": 1},
    }
    events = [
        ("message_start", {"type": "message_start",
                           "message": {**message, "content": [], "stop_reason": None, "usage": {"input_tokens": 1, "output_tokens": 0}}}),
        ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
        ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": ANSWER_TEXT}}),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                           "usage": {"output_tokens": 1}}),
        ("message_stop", {"type": "message_stop"}),
    ]
    return message, events


def _openai_chat(body: dict) -> tuple[object, list[Event]]:
    model = _model(body, "gpt")
    usage = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
    completion = {
        "id": COMPLETION_ID, "object": "chat.completion", "created": 0, "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": ANSWER_TEXT}, "finish_reason": "stop"}],
        "usage": usage,
    }
    chunk = {"id": COMPLETION_ID, "object": "chat.completion.chunk", "created": 0, "model": model}
    events: list[Event] = [
        ("", {**chunk, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ANSWER_TEXT}, "finish_reason": None}]}),
        ("", {**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}),
    ]
    options = body.get("stream_options")
    if isinstance(options, dict) and options.get("include_usage"):
        events.append(("", {**chunk, "choices": [], "usage": usage}))
    return completion, events


def _responses_object(model: str, status: str) -> dict[str, Any]:
    done = status == "completed"
    return {
        "id": RESPONSE_ID, "object": "response", "created_at": 0, "status": status, "model": model,
        "output": [_responses_item("completed")] if done else [],
        "parallel_tool_calls": True, "tool_choice": "auto", "tools": [], "error": None, "incomplete_details": None,
        "usage": {"input_tokens": 1, "output_tokens": 1, "total_tokens": 2,
                  "input_tokens_details": {"cached_tokens": 0}, "output_tokens_details": {"reasoning_tokens": 0}}
        if done else None,
    }


def _responses_item(status: str, text: str = ANSWER_TEXT) -> dict[str, Any]:
    return {"type": "message", "id": MESSAGE_ID, "status": status, "role": "assistant",
            "content": [{"type": "output_text", "text": text, "annotations": []}] if status == "completed" else []}


def _openai_responses(body: dict, path: str) -> tuple[object, list[Event]]:
    if path.endswith("/input_tokens"):
        return {"object": "response.input_tokens", "input_tokens": 1}, []
    model = _model(body, "gpt")
    part = {"type": "output_text", "text": ANSWER_TEXT, "annotations": []}
    where = {"item_id": MESSAGE_ID, "output_index": 0, "content_index": 0}
    steps: list[tuple[str, dict[str, Any]]] = [
        ("response.created", {"response": _responses_object(model, "in_progress")}),
        ("response.in_progress", {"response": _responses_object(model, "in_progress")}),
        ("response.output_item.added", {"output_index": 0, "item": _responses_item("in_progress")}),
        ("response.content_part.added", {**where, "part": {**part, "text": ""}}),
        ("response.output_text.delta", {**where, "delta": ANSWER_TEXT, "logprobs": []}),
        ("response.output_text.done", {**where, "text": ANSWER_TEXT, "logprobs": []}),
        ("response.content_part.done", {**where, "part": part}),
        ("response.output_item.done", {"output_index": 0, "item": _responses_item("completed")}),
        ("response.completed", {"response": _responses_object(model, "completed")}),
    ]
    events = [(name, {"type": name, "sequence_number": number, **fields}) for number, (name, fields) in enumerate(steps)]
    return _responses_object(model, "completed"), events


def _gemini(path: str) -> tuple[object, list[Event]]:
    if ":countTokens" in path:
        return {"totalTokens": 1}, []

    def answer(text: str, finish: str | None) -> dict[str, Any]:
        candidate: dict[str, Any] = {"content": {"role": "model", "parts": [{"text": text}]}, "index": 0}
        if finish:
            candidate["finishReason"] = finish
        return {"candidates": [candidate], "modelVersion": "gemini-probe",
                "usageMetadata": {"promptTokenCount": 1, "candidatesTokenCount": 1, "totalTokenCount": 2}}

    wrap = (lambda value: {"response": value}) if "/v1internal:" in path else (lambda value: value)  # Code Assist
    return wrap(answer(ANSWER_TEXT, "STOP")), [("", wrap(answer(ANSWER_TEXT, None))), ("", wrap(answer("", "STOP")))]


def _model(body: dict, default: str) -> str:
    model = body.get("model")
    return model if isinstance(model, str) and model else default


def answer_for(method: str, path: str, headers: http.Headers, raw: bytes) -> http.Response:
    """The local answer to one request: the API's minimal valid response, or ``200 {}``."""
    if headers.get("upgrade", "").lower() == "websocket":
        return _json_response(426, {"error": {"type": "websocket_unavailable",
                                              "message": "stegwatch probe answers over HTTP only"}})
    try:
        body = parse_json_body(decode_body(raw, headers.get("content-encoding"))) if raw else None
    except (BodyDecodeError, BodyParseError):
        body = None
    route = path.split("?", 1)[0].rstrip("/")
    api = recognize(method, path, body) if isinstance(body, dict) else None
    if api is None or not isinstance(body, dict):
        return _json_response(200, {})
    wants_stream = body.get("stream") is True
    done_marker = False
    if api is Api.ANTHROPIC_MESSAGES:
        answer, events = _anthropic(body, route)
    elif api is Api.OPENAI_CHAT:
        answer, events = _openai_chat(body)
        done_marker = True
    elif api is Api.OPENAI_RESPONSES:
        answer, events = _openai_responses(body, route)
    elif api is Api.GEMINI:
        answer, events = _gemini(route)
        wants_stream = ":streamGenerateContent" in route
        if wants_stream and "alt=sse" not in path:
            return _json_response(200, [payload for _, payload in events])  # Gemini's JSON-array stream
    else:
        return _json_response(200, {})
    if wants_stream and events:
        return http.Response.make(200, _sse(events, done_marker), {
            "content-type": "text/event-stream", "cache-control": "no-cache"})
    return _json_response(200, answer)


def _json_response(status: int, value: object) -> http.Response:
    return http.Response.make(status, json.dumps(value).encode(), {"content-type": "application/json"})


# --- the add-on ----------------------------------------------------------------------------

class CaptureOnly:
    """Records each request to a per-listen-port JSONL file and answers it locally."""

    def __init__(self) -> None:
        self._files: dict[int, IO[str]] = {}

    def load(self, loader: addonmanager.Loader) -> None:
        loader.add_option(
            "stegwatch_capture_dir", Optional[str], None,
            "Directory for the capture files (<listen port>.jsonl) and ready.json.",
        )

    def configure(self, updated: set[str]) -> None:
        if "stegwatch_capture_dir" not in updated or not ctx.options.stegwatch_capture_dir:
            return
        try:
            Path(ctx.options.stegwatch_capture_dir).mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise exceptions.OptionsError(f"cannot create stegwatch_capture_dir: {error}") from error

    def running(self) -> None:
        directory = self._directory()
        if directory is None:
            return
        proxyserver = ctx.master.addons.get("proxyserver")
        ports = sorted({address[1] for server in proxyserver.servers for address in server.listen_addrs})
        partial = directory / (READY_FILE + ".part")
        partial.write_text(json.dumps({"pid": os.getpid(), "ports": ports}))
        partial.replace(directory / READY_FILE)  # atomic: the probe never reads half a file

    def request(self, flow: http.HTTPFlow) -> None:
        if flow.request.method == "CONNECT" or flow.response is not None:
            return
        self._record(flow)
        flow.response = answer_for(flow.request.method, flow.request.path, flow.request.headers,
                                   flow.request.raw_content or b"")

    def server_connect(self, data: server_hooks.ServerConnectionHookData) -> None:
        data.server.error = NO_UPSTREAM

    def done(self) -> None:
        for handle in self._files.values():
            handle.close()
        self._files.clear()

    def _directory(self) -> Path | None:
        value = ctx.options.stegwatch_capture_dir
        return Path(value) if value else None

    def _record(self, flow: http.HTTPFlow) -> None:
        directory = self._directory()
        if directory is None:
            return
        port = flow.client_conn.sockname[1] if flow.client_conn.sockname else 0
        handle = self._files.get(port)
        if handle is None:
            handle = self._files[port] = open(capture_file(directory, port), "a", encoding="utf-8")
        request = flow.request
        record = {
            "method": request.method,
            "url": request.pretty_url,
            "headers": [[_text(name), _text(value)] for name, value in request.headers.fields],
            "body": base64.b64encode(request.raw_content or b"").decode("ascii"),
            "timestamp": request.timestamp_start or time.time(),
        }
        handle.write(json.dumps(record) + "\n")
        handle.flush()


def _text(raw: bytes) -> str:
    # Header bytes are UTF-8 when they are not ASCII; surrogateescape keeps anything else exact.
    return raw.decode("utf-8", "surrogateescape")


addons = [CaptureOnly()]
