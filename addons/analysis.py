"""From the bytes of one request body to located findings: decode, parse, recognise, scan.

This is the add-on's pure work, kept free of mitmproxy so that it can run on a worker thread
(a large body must not stall the event loop) and be tested on its own. Bad input is not an
error here: a body that is oversized, badly compressed, not JSON, truncated or of an unknown
shape gives an `Analysis` with ``action="skipped"`` and the reason, and the caller lets the
request through unchanged. Exceptions that escape are bugs, and the caller fails open on them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from addons.captured import CapturedRequest
from addons.request_dates import cross_field_dates
from addons.scan_cache import ScanCache
from addons.scan_worker import MIN_CHARS as MIN_PROCESS_CHARS
from addons.scan_worker import ScanProcess
from addons.shapes import (
    Api,
    BodyDecodeError,
    BodyParseError,
    TextField,
    decode_body,
    extract_fields,
    extract_ws_message,
    generic_fields,
    is_responses_websocket,
    parse_json_body,
    recognize,
)
from detectors import Finding

API_WEBSOCKET = Api.OPENAI_RESPONSES_WS.value
API_GENERIC = Api.GENERIC.value
_CONVERSATION_OPENERS = ("system",)
_FIRST_USER_ROLES = ("user", "client_context")


@dataclass(frozen=True)
class Located:
    """A finding together with the field (JSON path, role) of the string it was found in."""

    field: TextField
    finding: Finding

    @property
    def role(self) -> str:
        return self.field.role_at(self.finding.start).value


@dataclass
class Analysis:
    """What one body holds: its API, the findings, or why it was skipped."""

    api: str
    body_sha256: str | None
    action: str = "pass"
    reason: str | None = None
    located: list[Located] = field(default_factory=list)
    conversation: str | None = None
    fields: Sequence[TextField] = ()
    # The body as parsed (Content-Encoding undone), for sanitize mode to splice into.
    decoded: bytes | None = None


def body_digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


class _Skip(Exception):
    """The body cannot be inspected; the message is the record's ``reason``."""


def analyse_request(
    method: str,
    path: str,
    raw: bytes,
    content_encoding: str | None,
    cache: ScanCache,
    max_body: int,
    conversation_seed: str = "",
    scan_process: ScanProcess | None = None,
) -> Analysis:
    """Decode, parse, recognise and scan one HTTP request body."""
    sha = body_digest(raw)
    # Until the body is parsed, the path alone names the API (for the record of a skip).
    by_path = recognize(method, path, {})
    name = API_GENERIC if by_path is None else by_path.value
    try:
        _check_size(raw, max_body)
        try:
            decoded = decode_body(raw, content_encoding, max_size=max_body)
        except BodyDecodeError as error:
            raise _Skip(f"oversized after decoding: {error}" if "more than" in str(error) else f"bad compression: {error}") from None
        body = _parse(decoded)
        if not isinstance(body, dict | list) or (by_path is not None and not isinstance(body, dict)):
            raise _Skip(f"unknown shape: the body is a JSON {_json_type(body)}")
        api = recognize(method, path, body)
        name = API_GENERIC if api is None else api.value
        # Parsed here and never changed: the fields of messages resent unchanged are reused.
        fields = _fields(lambda: generic_fields(body) if api is None else extract_fields(api, body, remember=True))
    except _Skip as skip:
        return Analysis(name, sha, "skipped", str(skip))
    analysis = _scan_fields(name, sha, fields, cache, conversation_seed, scan_process)
    analysis.decoded = decoded
    return analysis


def analyse_websocket_message(
    content: bytes | str, cache: ScanCache, max_body: int, conversation: str, scan_process: ScanProcess | None = None
) -> Analysis:
    """Parse and scan one client->server message of the OpenAI Responses WebSocket API."""
    raw = content.encode("utf-8", "surrogatepass") if isinstance(content, str) else content
    sha = body_digest(raw)
    try:
        _check_size(raw, max_body)
        message = _parse(raw)
        if not isinstance(message, dict):
            raise _Skip(f"unknown shape: the message is a JSON {_json_type(message)}")
        fields = _fields(lambda: extract_ws_message(message))
    except _Skip as skip:
        return Analysis(API_WEBSOCKET, sha, "skipped", str(skip))
    analysis = _scan_fields(API_WEBSOCKET, sha, fields, cache, "", scan_process)
    # A WebSocket session is one conversation; later messages often carry only the new turn.
    analysis.conversation = conversation
    analysis.decoded = raw
    return analysis


def _check_size(raw: bytes, max_body: int) -> None:
    if len(raw) > max_body:
        raise _Skip(f"oversized: {len(raw)} bytes > stegwatch_max_body {max_body}")


def _parse(data: bytes) -> object:
    try:
        return parse_json_body(data)
    except BodyParseError as error:
        raise _Skip(f"not JSON: {error}") from None
    except RecursionError:
        raise _Skip("not JSON: nested too deeply to parse") from None


def _fields(extract: Callable[[], list[TextField]]) -> list[TextField]:
    try:
        return extract()
    except RecursionError as error:  # shapes walks with explicit stacks; this is a safety net
        raise _Skip(f"unknown shape: {type(error).__name__}: {error}") from None


def analyse_captured(request: CapturedRequest, cache: ScanCache, max_body: int) -> Analysis | None:
    """A captured request (or client WebSocket message) taken the way the add-on takes it live;
    None for what the add-on does not read: no body, or a WebSocket other than Responses."""
    if not request.body:
        return None
    if request.websocket:
        if not is_responses_websocket(request.path):
            return None
        # One WebSocket session is one conversation, as `Audit.websocket_message` keys it.
        conversation = f"ws:{request.flow_id or request.origin.rsplit('/ws', 1)[0]}"
        return analyse_websocket_message(request.body, cache, max_body, conversation)
    seed = f"{request.host}\x00{request.header('user-agent') or ''}"  # `Audit._client_seed`
    return analyse_request(
        request.method, request.path, request.body, request.header("content-encoding"), cache, max_body, seed
    )


def _json_type(value: object) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(type(value), "number")


def _scan_fields(
    api: str, sha: str, fields: Sequence[TextField], cache: ScanCache, seed: str, scan_process: ScanProcess | None
) -> Analysis:
    def in_child_if_large(unseen: list[str]) -> list[list[Finding]] | None:
        if scan_process is None or sum(map(len, unseen)) < MIN_PROCESS_CHARS:
            return None
        return scan_process.scan(unseen)

    located: list[Located] = []
    results = cache.scan_all([text_field.text for text_field in fields], in_child_if_large)
    for text_field, findings in zip(fields, results):
        for finding in findings:
            located.append(Located(text_field, finding))
    located.extend(Located(text_field, finding) for text_field, finding in cross_field_dates(fields, located))
    return Analysis(api, sha, "pass", None, located, conversation_key(seed, fields), fields)


def conversation_key(seed: str, fields: Sequence[TextField]) -> str:
    """Which conversation a request belongs to: the client (``seed``, e.g. host and
    User-Agent) plus the system prompt and the first user message, which an agent resends
    unchanged on every turn of one conversation."""
    system = _first_text(fields, lambda role: role in _CONVERSATION_OPENERS)
    first_user = _first_text(fields, lambda role: role in _FIRST_USER_ROLES)
    identity = "\x00".join((seed, system, first_user)).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(identity, digest_size=16).hexdigest()


def _first_text(fields: Sequence[TextField], wanted: Callable[[str], bool]) -> str:
    for text_field in fields:
        if wanted(text_field.role.value):
            return text_field.text
    return ""
