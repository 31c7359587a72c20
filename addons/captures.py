"""Readers for saved traffic: mitmproxy flow dumps, HAR files, JSON and JSONL request bodies.

`read_requests` turns one capture file into `CapturedRequest` values, one at a time, so that
`stegwatch scan`, baselines and probes analyse saved traffic through the same path as live
traffic (`addons.analysis`). What each format gives:

- ``.mitm`` (mitmproxy's ``-w`` dumps, read with mitmproxy's own `mitmproxy.io.FlowReader`):
  every HTTP flow's request as it went on the wire (``raw_content``, still compressed when
  ``Content-Encoding`` says so), then each client->server WebSocket message of that flow.
  Flows of other kinds (TCP, UDP, DNS) carry no AI API request and are passed over.
- ``.har`` (browsers, Charles, Proxyman, mitmproxy's own HAR export): ``log.entries[]``'s
  ``request`` with ``postData.text`` (base64 when ``postData.encoding`` says so), plus the
  ``send`` messages of Chrome's ``_webSocketMessages``.
- ``.json``: one bare request body (method POST, no URL, so the API is recognised by its
  shape), or a HAR document saved with a ``.json`` name.
- ``.jsonl``/``.ndjson``: one request body per line.

Everything else is not a capture (`capture_kind` returns None): the scan reads it as text.
A file with an unknown extension that starts like a mitmproxy dump is read as one, since
``mitmdump -w`` accepts any file name.

Memory: flow dumps and JSONL are streamed, one flow or one line at a time, so memory follows
the largest single flow or body. A HAR or JSON file is one JSON document and is loaded whole.

A corrupt or truncated file yields everything readable before the damage, then raises
`CaptureError` naming the file and where it broke (a byte offset, or an entry index for a
HAR entry of the wrong shape). Captures hold credentials: the headers are kept as captured
for recognition, and every writer filters them (`addons.captured`).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, Literal

from addons.captured import CapturedRequest
from addons.shapes import BodyParseError, parse_json_body

CaptureKind = Literal["mitm", "har", "json", "jsonl"]
OffsetUnit = Literal["byte", "entry"]

MITM_SUFFIXES = frozenset({".mitm", ".flow", ".flows", ".dump"})
HAR_SUFFIXES = frozenset({".har"})
JSON_SUFFIXES = frozenset({".json"})
JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})
# A tnetstring record opens with its length (at most 12 digits here) and a colon; a dict record
# ends with "}" exactly that many bytes later, which text files essentially never do.
_TNETSTRING_HEADER = re.compile(rb"\A([0-9]{1,12}):")
_UTF8_BOM = b"\xef\xbb\xbf"
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class CaptureError(Exception):
    """A capture that cannot be read (any further): the file, where, and why.

    ``offset`` is a byte offset into the file (``unit == "byte"``), or an index into the
    HAR's ``log.entries`` (``unit == "entry"``), or None when the whole file failed (it
    cannot be opened).

    >>> str(CaptureError(Path("cap.mitm"), 1234, "truncated flow record"))
    'cap.mitm: at byte offset 1234: truncated flow record'
    >>> str(CaptureError(Path("s.har"), 3, "request is not an object", unit="entry"))
    's.har: at entry 3: request is not an object'
    """

    def __init__(self, path: Path, offset: int | None, message: str, unit: OffsetUnit = "byte") -> None:
        self.path = path
        self.offset = offset
        self.message = message
        self.unit = unit
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.offset is None:
            return f"{self.path}: {self.message}"
        where = f"byte offset {self.offset}" if self.unit == "byte" else f"entry {self.offset}"
        return f"{self.path}: at {where}: {self.message}"


def capture_kind(path: Path) -> CaptureKind | None:
    """What kind of capture ``path`` is, from its extension (sniffing dumps with other
    names); None for a file to read as plain text."""
    suffix = path.suffix.lower()
    if suffix in MITM_SUFFIXES:
        return "mitm"
    if suffix in HAR_SUFFIXES:
        return "har"
    if suffix in JSON_SUFFIXES:
        return "json"
    if suffix in JSONL_SUFFIXES:
        return "jsonl"
    try:
        with path.open("rb") as handle:
            return "mitm" if _looks_like_flow_dump(handle) else None
    except OSError:
        return None  # the text reader reports why it cannot be read


def _looks_like_flow_dump(handle: BinaryIO) -> bool:
    header = _TNETSTRING_HEADER.match(handle.read(13))
    if header is None:
        return False
    handle.seek(header.end() + int(header.group(1)))
    return handle.read(1) == b"}"


def read_requests(path: Path) -> Iterator[CapturedRequest]:
    """The requests (and client WebSocket messages) of one capture, in file order.

    Raises `CaptureError` for a file that is not a capture, cannot be opened, or is corrupt;
    a corrupt file first yields every request before the damage.
    """
    kind = capture_kind(path)
    if kind is None:
        raise CaptureError(path, None, "not a capture (expected .mitm, .har, .json, .jsonl or a mitmproxy dump)")
    readers = {"mitm": _read_flow_dump, "har": _read_har_file, "json": _read_json_file, "jsonl": _read_jsonl}
    try:
        yield from readers[kind](path)
    except OSError as error:
        raise CaptureError(path, None, f"cannot read: {error.strerror or error}") from error


# --- mitmproxy flow dumps ---------------------------------------------------------------


def _read_flow_dump(path: Path) -> Iterator[CapturedRequest]:
    from mitmproxy import exceptions, http  # only captures of this kind pay for mitmproxy
    from mitmproxy.io import FlowReader

    with path.open("rb") as handle:
        index = 0
        record_start = handle.tell()
        flows = iter(FlowReader(handle).stream())
        while True:
            try:
                flow = next(flows)
            except StopIteration:
                return
            except exceptions.FlowReadException as error:
                raise CaptureError(path, record_start, f"flow record {index} is corrupt or truncated ({_cause(error)})") from error
            except Exception as error:  # noqa: BLE001
                # A record that parses but holds the wrong fields makes Flow.from_state fail with
                # whatever it meets first (AssertionError, KeyError, TypeError...): all mean corrupt.
                raise CaptureError(path, record_start, f"flow record {index} is not a valid flow ({type(error).__name__}: {error})") from error
            record_start = handle.tell()
            if isinstance(flow, http.HTTPFlow):
                yield from _flow_requests(flow, f"{path}#{index}")
            index += 1


def _cause(error: BaseException) -> str:
    cause = error.__cause__
    return f"{error}: {cause}" if cause is not None else str(error)


def _flow_requests(flow: Any, origin: str) -> Iterator[CapturedRequest]:
    request = flow.request
    yield CapturedRequest(
        method=request.method,
        url=request.pretty_url,
        headers=tuple(request.headers.items(multi=True)),
        body=request.raw_content or b"",
        origin=origin,
        timestamp=request.timestamp_start,
        flow_id=flow.id,
        body_not_kept=request.raw_content is None,
    )
    if flow.websocket is None:
        return
    for number, message in enumerate(flow.websocket.messages):
        if not message.from_client:
            continue
        yield CapturedRequest(
            method=request.method,
            url=request.pretty_url,
            headers=tuple(request.headers.items(multi=True)),
            body=message.content,
            origin=f"{origin}/ws{number}",
            websocket=True,
            timestamp=message.timestamp,
            flow_id=flow.id,
        )


# --- HAR --------------------------------------------------------------------------------


def _read_har_file(path: Path) -> Iterator[CapturedRequest]:
    yield from _har_requests(path, _load_json_document(path))


def _har_requests(path: Path, document: object) -> Iterator[CapturedRequest]:
    log = document.get("log") if isinstance(document, dict) else None
    entries = log.get("entries") if isinstance(log, dict) else None
    if not isinstance(entries, list):
        raise CaptureError(path, None, "not a HAR file: no log.entries array")
    for index, entry in enumerate(entries):
        request = entry.get("request") if isinstance(entry, dict) else None
        if not isinstance(request, dict) or not isinstance(request.get("url", ""), str):
            raise CaptureError(path, index, "log.entries[].request is missing or not an object", unit="entry")
        origin = f"{path}#{index}"
        method = str(request.get("method") or "GET")
        url = request.get("url", "")
        headers = tuple(
            (str(header.get("name", "")), str(header.get("value", "")))
            for header in _list(request.get("headers"))
            if isinstance(header, dict)
        )
        timestamp = _har_time(entry.get("startedDateTime"))
        try:
            body = _har_body(request.get("postData"))
        except ValueError as error:
            raise CaptureError(path, index, f"postData: {error}", unit="entry") from error
        yield CapturedRequest(method, url, headers, body, origin, timestamp=timestamp)
        for number, message in enumerate(_list(entry.get("_webSocketMessages"))):
            if isinstance(message, dict) and message.get("type") == "send":
                yield CapturedRequest(
                    method, url, headers, _har_message(message), f"{origin}/ws{number}", websocket=True,
                    timestamp=message.get("time") if isinstance(message.get("time"), int | float) else None,
                )


def _list(value: object) -> list:
    return value if isinstance(value, list) else []


def _har_body(post_data: object) -> bytes:
    if not isinstance(post_data, dict):
        return b""
    text = post_data.get("text")
    if not isinstance(text, str):
        return b""
    if post_data.get("encoding") == "base64":
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError) as error:
            raise ValueError(f"invalid base64 text ({error})") from None
    return _json_text_bytes(text)


def _har_message(message: dict) -> bytes:
    data = message.get("data")
    if not isinstance(data, str):
        return b""
    if message.get("opcode") == 2:  # a binary frame, which Chrome stores as base64
        try:
            return base64.b64decode(data)
        except (binascii.Error, ValueError):
            return b""
    return _json_text_bytes(data)


def _json_text_bytes(text: str) -> bytes:
    r"""UTF-8 of a body that JSON stored as text; a lone surrogate (which UTF-8 cannot carry)
    is written back as the JSON escape it must have been, so the body still parses.

    >>> _json_text_bytes('{"a": "x\ud800"}')
    b'{"a": "x\\ud800"}'
    """
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text).encode("utf-8")


def _har_time(value: object) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


# --- JSON and JSONL bodies --------------------------------------------------------------


def _load_json_document(path: Path) -> object:
    data = path.read_bytes()
    try:
        return parse_json_body(data.removeprefix(_UTF8_BOM))
    except BodyParseError as error:
        offset = None if error.offset is None else error.offset + (len(_UTF8_BOM) if data.startswith(_UTF8_BOM) else 0)
        raise CaptureError(path, offset, f"invalid JSON ({_without_position(str(error))})") from error
    except RecursionError as error:
        raise CaptureError(path, None, "invalid JSON (nested too deeply to parse)") from error


def _read_json_file(path: Path) -> Iterator[CapturedRequest]:
    document = _load_json_document(path)
    if isinstance(document, dict) and isinstance(document.get("log"), dict) and "entries" in document["log"]:
        yield from _har_requests(path, document)
        return
    # Analysis parses the bytes again: the body must reach it exactly as it was saved.
    yield CapturedRequest("POST", "", (), path.read_bytes().removeprefix(_UTF8_BOM), str(path))


def _read_jsonl(path: Path) -> Iterator[CapturedRequest]:
    with path.open("rb") as handle:
        offset = 0
        for number, line in enumerate(handle, start=1):
            line_start, offset = offset, offset + len(line)
            body = line.rstrip(b"\r\n")
            if number == 1:
                body = body.removeprefix(_UTF8_BOM)
            if not body.strip():
                continue
            try:
                parse_json_body(body)
            except BodyParseError as error:
                where = line_start + (error.offset or 0) + (len(_UTF8_BOM) if number == 1 and line.startswith(_UTF8_BOM) else 0)
                raise CaptureError(path, where, f"line {number}: invalid JSON ({_without_position(str(error))})") from error
            except RecursionError as error:
                raise CaptureError(path, line_start, f"line {number}: invalid JSON (nested too deeply to parse)") from error
            yield CapturedRequest("POST", "", (), body, f"{path}:{number}")


def _without_position(message: str) -> str:
    """``invalid JSON at byte 7: trailing comma`` -> ``trailing comma`` (the offset is said once)."""
    return re.sub(r"^invalid JSON at byte \d+: ", "", message)

