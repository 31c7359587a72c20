"""A local fake of the Anthropic, OpenAI and Gemini HTTP APIs (and the Responses WebSocket).

End-to-end tests point the real SDKs at it through mitmdump. It listens on 127.0.0.1 only,
serves TLS with a certificate from a `trustme` CA the test creates, records every request
body with its SHA-256 (to prove the proxy forwarded it byte-identical), and answers with the
smallest response each SDK accepts, as JSON or as an event stream. A stream sends its first
event at once and its last one `STREAM_PAUSE` seconds later, so a test can tell a streamed
response from a buffered one.
"""

from __future__ import annotations

import hashlib
import json
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import trustme
from websockets.sync.server import ServerConnection, serve

STREAM_PAUSE = 1.0


@dataclass
class Received:
    """One request as the fake upstream saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    sha256: str


@dataclass
class FakeApi:
    """The running fake: its ports, its CA, and everything it received."""

    ca: trustme.CA
    http_port: int = 0
    ws_port: int = 0
    received: list[Received] = field(default_factory=list)
    ws_messages: list[bytes | str] = field(default_factory=list)
    last_event_sent_at: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Seconds before each answer: a real model's time to its first token (benchmarks set it).
    thinking_time: float = 0.0

    @property
    def base_url(self) -> str:
        return f"https://localhost:{self.http_port}"

    @property
    def ws_url(self) -> str:
        return f"wss://localhost:{self.ws_port}/v1/responses"

    def record(self, item: Received) -> None:
        with self.lock:
            self.received.append(item)

    def bodies_by_sha(self) -> dict[str, Received]:
        with self.lock:
            return {item.sha256: item for item in self.received}

    def find(self, sha256: str) -> Received | None:
        return self.bodies_by_sha().get(sha256)


# --- canned answers ---------------------------------------------------------------------

def _anthropic_message(stream: bool) -> tuple[dict, list[tuple[str, dict]]]:
    message = {
        "id": "msg_fake", "type": "message", "role": "assistant", "model": "claude-fake",
        "content": [{"type": "text", "text": "ok"}], "stop_reason": "end_turn", "stop_sequence": None,
        "usage": {"input_tokens": 1, "output_tokens": 1},
    }
    events = [
        ("message_start", {"type": "message_start", "message": {**message, "content": [], "stop_reason": None}}),
        ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
        ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "ok"}}),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None}, "usage": {"output_tokens": 1}}),
        ("message_stop", {"type": "message_stop"}),
    ]
    return message, events


def _openai_chat() -> tuple[dict, list[tuple[str, dict]]]:
    completion = {
        "id": "chatcmpl-fake", "object": "chat.completion", "created": 0, "model": "gpt-fake",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
    }
    chunk = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0, "model": "gpt-fake"}
    events = [
        ("", {**chunk, "choices": [{"index": 0, "delta": {"role": "assistant", "content": "o"}, "finish_reason": None}]}),
        ("", {**chunk, "choices": [{"index": 0, "delta": {"content": "k"}, "finish_reason": None}]}),
        ("", {**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}),
    ]
    return completion, events


def responses_object(status: str = "completed") -> dict:
    return {
        "id": "resp_fake", "object": "response", "created_at": 0, "status": status, "model": "gpt-fake",
        "output": [] if status != "completed" else [{
            "type": "message", "id": "msg_fake", "status": "completed", "role": "assistant",
            "content": [{"type": "output_text", "text": "ok", "annotations": []}],
        }],
        "parallel_tool_calls": True, "tool_choice": "auto", "tools": [],
    }


def _openai_responses() -> tuple[dict, list[tuple[str, dict]]]:
    events = [
        ("response.created", {"type": "response.created", "sequence_number": 0, "response": responses_object("in_progress")}),
        ("response.output_text.delta", {"type": "response.output_text.delta", "sequence_number": 1, "item_id": "msg_fake",
                                        "output_index": 0, "content_index": 0, "delta": "ok", "logprobs": []}),
        ("response.completed", {"type": "response.completed", "sequence_number": 2, "response": responses_object()}),
    ]
    return responses_object(), events


def _gemini() -> tuple[dict, list[tuple[str, dict]]]:
    def answer(text: str, finish: str | None) -> dict:
        candidate = {"content": {"role": "model", "parts": [{"text": text}]}, "index": 0}
        if finish:
            candidate["finishReason"] = finish
        return {"candidates": [candidate], "usageMetadata": {"promptTokenCount": 1, "candidatesTokenCount": 1, "totalTokenCount": 2}}

    return answer("ok", "STOP"), [("", answer("o", None)), ("", answer("k", None)), ("", answer("", "STOP"))]


def canned(path: str, body: bytes) -> tuple[dict, list[tuple[str, dict]], bool]:
    """The JSON answer, the stream events and whether the client asked for a stream."""
    try:
        request = json.loads(body) if body else {}
    except ValueError:
        request = {}
    wants_stream = isinstance(request, dict) and request.get("stream") is True
    bare = path.split("?", 1)[0]
    if bare.endswith("/messages"):
        answer, events = _anthropic_message(wants_stream)
    elif bare.endswith("/chat/completions"):
        answer, events = _openai_chat()
    elif bare.endswith("/responses"):
        answer, events = _openai_responses()
    elif ":streamGenerateContent" in bare or ":generateContent" in bare:
        answer, events = _gemini()
        wants_stream = ":streamGenerateContent" in bare
    else:
        answer, events = {"ok": True}, []
    return answer, events, wants_stream


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass

    def do_GET(self) -> None:
        self._answer(b"")

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        self._answer(body)

    def _answer(self, body: bytes) -> None:
        fake = self.server.fake
        fake.record(Received(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body,
                             hashlib.sha256(body).hexdigest()))
        answer, events, wants_stream = canned(self.path, body)
        if fake.thinking_time:
            time.sleep(fake.thinking_time)
        if not wants_stream:
            data = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("connection", "close")
        self.end_headers()
        is_chat = self.path.split("?", 1)[0].endswith("/chat/completions")
        for index, (name, payload) in enumerate(events):
            if index == len(events) - 1:
                time.sleep(STREAM_PAUSE)
                with fake.lock:
                    fake.last_event_sent_at[self.path] = time.monotonic()
            prefix = f"event: {name}\n" if name else ""
            self.wfile.write(f"{prefix}data: {json.dumps(payload)}\n\n".encode())
            self.wfile.flush()
        if is_chat:
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
        self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeApi
    tls: ssl.SSLContext

    def finish_request(self, request, client_address) -> None:  # noqa: ANN001 - stdlib signature
        # The TLS handshake runs on the connection's own thread, not in the accept loop, so a
        # slow or failing client cannot stall the 200-request load test.
        # Headers and body go out in separate writes; without this, Nagle's algorithm and the
        # peer's delayed ACK add 40 ms to every answer and swamp what the benchmarks measure.
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            tls_socket = self.tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            super().finish_request(tls_socket, client_address)
        finally:
            tls_socket.close()


def _ws_handler(fake: FakeApi):
    def handle(connection: ServerConnection) -> None:
        for message in connection:
            with fake.lock:
                fake.ws_messages.append(message)
            connection.send(json.dumps({"type": "response.completed", "sequence_number": 0, "response": responses_object()}))

    return handle


class RunningFakeApi:
    """Starts the HTTPS and WebSocket fakes on free loopback ports; `close` stops both."""

    def __init__(self, thinking_time: float = 0.0) -> None:
        ca = trustme.CA()
        self.fake = FakeApi(ca=ca, thinking_time=thinking_time)
        cert = ca.issue_cert("localhost", "127.0.0.1")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.set_alpn_protocols(["http/1.1"])
        cert.configure_cert(context)
        self._http = _Server(("127.0.0.1", 0), _Handler)
        self._http.fake = self.fake
        self._http.tls = context
        self.fake.http_port = self._http.server_address[1]
        self._ws = serve(_ws_handler(self.fake), "127.0.0.1", 0, ssl=context)
        self.fake.ws_port = self._ws.socket.getsockname()[1]
        self._threads = [
            threading.Thread(target=self._http.serve_forever, name="fake-api-http", daemon=True),
            threading.Thread(target=self._ws.serve_forever, name="fake-api-ws", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def write_ca(self, path: str) -> str:
        self.fake.ca.cert_pem.write_to_path(path)
        return path

    def close(self) -> None:
        self._http.shutdown()
        self._http.server_close()
        self._ws.shutdown()
