"""From one AI API request body to its text fields: every string, with its JSON path and role.

A covert mark hides in text that a client sends, so the add-on has to see every string of a
body and know who wrote it. `recognize` tells the API from the URL path and the body shape,
never from the host, because users route agents through gateways, relays and custom base URLs.
`extract_fields` then returns each string as a `TextField`: its RFC 9535 normalized path, its
`Role` and its text. Known prompt fields get the role of their author (the system prompt and
tool definitions are the client's; tool results are files and command output the agent read);
every other string of the body, such as ``model`` or ``metadata.user_id``, is still returned,
with the role ``metadata``, so a mark cannot hide in a field this module does not know.
A string that itself holds a JSON object or array (tool-call arguments above all) is parsed and
its strings are returned instead, the path continuing after ``#json``. A member name that is
not plain ASCII is returned too, at the member's path followed by ``~``: RFC 9535 cannot
address a name, and it can carry a mark as well as a value can.

Agents also put their own context inside user messages (Claude Code's
``<system-reminder>``, Codex's ``<environment_context>``, Gemini CLI's ``<session_context>``).
Those blocks get the role ``client_context``, as a whole field or as `TextField.role_spans`.
They are recognised by form, not by exact string: a tag block whose name is a multi-word
snake/kebab-case identifier, at the start or end of a user text, and blocks anywhere in a user
text whose tag name contains a context word such as ``reminder``, ``context`` or ``command``.

What stays out, and why: the base64 payloads of images, audio, PDFs and encrypted reasoning,
and structural members (``type``, ``id``, ``role``, ``tool_use_id``...) whose value is a plain
ASCII token. Both are ASCII without spaces by construction, so they cannot carry the marks we
look for, and there are megabytes and tens of thousands of them; an odd value (non-ASCII, with
spaces) is returned like any other string.

The module is pure (no mitmproxy) and walks values with explicit stacks, so a body nested ten
thousand levels deep costs time, not a `RecursionError`. `extract_fields` and `generic_fields`
never raise on any JSON value.
"""

from __future__ import annotations

import gzip
import json
import re
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

import brotli
import orjson

try:
    from compression import zstd  # type: ignore[import-not-found]  # Python >= 3.14
except ImportError:
    from backports import zstd  # type: ignore[no-redef]  # what mitmproxy itself uses before 3.14

from addons.jsonpath import ROOT, inside_json_string, name_segment

__all__ = [
    "Api",
    "BodyDecodeError",
    "BodyParseError",
    "Role",
    "TextField",
    "CLIENT_AUTHORED",
    "client_authored_spans",
    "client_context_spans",
    "decode_body",
    "extract_fields",
    "extract_ws_message",
    "generic_fields",
    "parse_json_body",
    "is_responses_websocket",
    "recognize",
]


class Role(StrEnum):
    """Who wrote a piece of text, as far as the request shows."""

    SYSTEM = "system"
    TOOL_DEFINITION = "tool_definition"
    CLIENT_CONTEXT = "client_context"
    USER = "user"
    ASSISTANT = "assistant"
    TOOL_CALL = "tool_call"
    TOOL_RESULT = "tool_result"
    METADATA = "metadata"


# Text the client writes on its own, not the user or the model: where a client hides marks.
CLIENT_AUTHORED = frozenset({Role.SYSTEM, Role.TOOL_DEFINITION, Role.CLIENT_CONTEXT})


class Api(StrEnum):
    """The request APIs we know; the values are the log's ``api`` field."""

    ANTHROPIC_MESSAGES = "anthropic-messages"
    OPENAI_CHAT = "openai-chat"
    OPENAI_RESPONSES = "openai-responses"
    OPENAI_RESPONSES_WS = "openai-responses-ws"
    GEMINI = "gemini"
    GENERIC = "generic"


@dataclass(frozen=True, slots=True)
class TextField:
    """One string of a body: where it is, who wrote it, and its decoded text.

    ``path`` is an RFC 9535 normalized path, continued after ``#json`` inside a string that
    holds JSON, or ending in ``~`` for a member name. ``role_spans`` are code-point spans
    ``(start, end, role)`` of ``text`` whose role differs from ``role``.
    """

    path: str
    role: Role
    text: str
    role_spans: tuple[tuple[int, int, Role], ...] = ()

    def role_at(self, start: int) -> Role:
        """The role of the code point at ``start``.

        >>> TextField("$", Role.USER, "<a-b>x</a-b> hi", ((0, 12, Role.CLIENT_CONTEXT),)).role_at(3)
        <Role.CLIENT_CONTEXT: 'client_context'>
        """
        for span_start, span_end, role in self.role_spans:
            if span_start <= start < span_end:
                return role
        return self.role


def client_authored_spans(text_field: TextField) -> list[tuple[int, int]]:
    """The code-point spans of ``text_field`` that the client authored (`CLIENT_AUTHORED`).

    >>> client_authored_spans(TextField("$", Role.USER, "<a-b>x</a-b> hi", ((0, 12, Role.CLIENT_CONTEXT),)))
    [(0, 12)]
    """
    if not text_field.role_spans:
        return [(0, len(text_field.text))] if text_field.role in CLIENT_AUTHORED else []
    spans, cursor = [], 0
    for start, end, role in text_field.role_spans:
        if text_field.role in CLIENT_AUTHORED and cursor < start:
            spans.append((cursor, start))
        if role in CLIENT_AUTHORED:
            spans.append((start, end))
        cursor = end
    if text_field.role in CLIENT_AUTHORED and cursor < len(text_field.text):
        spans.append((cursor, len(text_field.text)))
    return spans


_SLOT_SETTERS = tuple(TextField.__dict__[name].__set__ for name in ("path", "role", "text", "role_spans"))


def _new_field(path: str, role: Role, text: str, role_spans: tuple[tuple[int, int, Role], ...]) -> TextField:
    """`TextField(...)` at half the cost: a body yields up to ~10^5 fields, and a frozen
    dataclass's ``__init__`` goes through ``object.__setattr__`` once per field."""
    text_field = object.__new__(TextField)
    set_path, set_role, set_text, set_spans = _SLOT_SETTERS
    set_path(text_field, path)
    set_role(text_field, role)
    set_text(text_field, text)
    set_spans(text_field, role_spans)
    return text_field


class BodyDecodeError(ValueError):
    """The Content-Encoding is unknown or the compressed data is corrupt or truncated."""


class BodyParseError(ValueError):
    """The body is not strict JSON; ``offset`` is the byte offset where it stops being JSON."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


# --- Recognising the API -----------------------------------------------------------------

# Suffixes of URL paths; any prefix is allowed (gateways, relays, Azure deployments, Vertex).
_PATH_APIS = (
    (re.compile(r"/messages(?:/count_tokens)?$"), Api.ANTHROPIC_MESSAGES),
    (re.compile(r"/publishers/anthropic/models/[^/]+:(?:stream)?[rR]awPredict$"), Api.ANTHROPIC_MESSAGES),
    (re.compile(r"/chat/completions$"), Api.OPENAI_CHAT),
    (re.compile(r"/responses(?:/input_tokens|/compact)?$"), Api.OPENAI_RESPONSES),
    (re.compile(r"/(?:tuned)?[mM]odels/[^/]+:(?:generateContent|streamGenerateContent|countTokens)$"), Api.GEMINI),
    # Gemini CLI signed in with Google talks to Code Assist, which wraps the body in "request".
    (re.compile(r"/v1internal:(?:generateContent|streamGenerateContent|countTokens)$"), Api.GEMINI),
)
# The key that holds the conversation in each API's body.
_MAIN_KEYS = {
    Api.ANTHROPIC_MESSAGES: ("messages", "system"),
    Api.OPENAI_CHAT: ("messages",),
    Api.OPENAI_RESPONSES: ("input", "instructions"),
    Api.GEMINI: ("contents", "request", "systemInstruction", "system_instruction"),
}
_RESPONSES_KEYS = frozenset(
    {"tools", "reasoning", "store", "previous_response_id", "include", "stream", "text", "max_output_tokens"}
)
_BODYLESS_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE", "CONNECT", "TRACE"})
_ANTHROPIC_BLOCK_TYPES = frozenset(
    {"tool_use", "tool_result", "thinking", "redacted_thinking", "document", "server_tool_use", "search_result"}
)
_OPENAI_CHAT_ROLES = frozenset({"system", "developer", "tool", "function"})
_OPENAI_CHAT_KEYS = frozenset(
    {"n", "response_format", "max_completion_tokens", "logprobs", "stream_options", "frequency_penalty", "seed"}
)


def recognize(method: str, path: str, body: object) -> Api | None:
    """The API a request speaks, from its URL path and body shape; None when neither fits.

    ``path`` may carry any prefix and a query string. When the path names one API and the body
    is plainly another's (it lacks the first's main key and has the second's), the body wins.

    >>> recognize("POST", "/relay/anthropic/v1/messages?beta=true", {"messages": []})
    <Api.ANTHROPIC_MESSAGES: 'anthropic-messages'>
    >>> recognize("POST", "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse", {"contents": []})
    <Api.GEMINI: 'gemini'>
    >>> recognize("POST", "/api/chat", {"model": "m", "input": "hi", "stream": True})
    <Api.OPENAI_RESPONSES: 'openai-responses'>
    >>> recognize("POST", "/upload", {"name": "x"}) is None
    True
    """
    if not isinstance(body, dict) or method.upper() in _BODYLESS_METHODS:
        return None
    route = path.split("?", 1)[0].split("#", 1)[0].rstrip("/")
    by_path = next((api for pattern, api in _PATH_APIS if pattern.search(route)), None)
    if by_path is not None and any(key in body for key in _MAIN_KEYS[by_path]):
        return by_path
    by_shape = _api_by_shape(body)
    return by_shape if by_shape is not None else by_path


def is_responses_websocket(path: str) -> bool:
    """Whether a WebSocket at ``path`` speaks the OpenAI Responses API, the one WebSocket API
    whose client messages carry prompts.

    >>> is_responses_websocket("/v1/responses?model=gpt-5-codex"), is_responses_websocket("/v1/realtime")
    (True, False)
    """
    return path.split("?", 1)[0].rstrip("/").endswith("/responses")


def _api_by_shape(body: dict) -> Api | None:
    if "contents" in body or isinstance(body.get("request"), dict) and "contents" in body["request"]:
        return Api.GEMINI
    if "messages" not in body:
        return Api.OPENAI_RESPONSES if _is_responses_shape(body) else None
    if "system" in body or "anthropic_version" in body:
        return Api.ANTHROPIC_MESSAGES
    if _OPENAI_CHAT_KEYS.intersection(body):
        return Api.OPENAI_CHAT
    messages = body["messages"]
    for message in messages if isinstance(messages, list) else ():
        if not isinstance(message, dict):
            continue
        if _is_one_of(message.get("role"), _OPENAI_CHAT_ROLES) or "tool_calls" in message:
            return Api.OPENAI_CHAT
        content = message.get("content")
        for block in content if isinstance(content, list) else ():
            if isinstance(block, dict) and _is_one_of(block.get("type"), _ANTHROPIC_BLOCK_TYPES):
                return Api.ANTHROPIC_MESSAGES
    # Plain user/assistant strings read the same in both; OpenAI's shape is the common dialect.
    return Api.OPENAI_CHAT


def _is_responses_shape(body: dict) -> bool:
    """Responses, not an embeddings or moderation body, which also have ``input``."""
    if "instructions" in body:
        return True
    items = body.get("input")
    if isinstance(items, list):
        return any(isinstance(item, dict) and ("type" in item or "role" in item) for item in items)
    return isinstance(items, str) and not _RESPONSES_KEYS.isdisjoint(body)


def _is_one_of(value: object, names: frozenset[str]) -> bool:
    """``value in names`` for a value from a body, which may be unhashable (a list)."""
    return isinstance(value, str) and value in names


# --- Client context inside user text -----------------------------------------------------

# Words that mark a tag as a client's context block wherever it stands in a user text.
CONTEXT_TAG_WORDS = frozenset(
    {
        "system", "reminder", "context", "environment", "instructions", "session", "command",
        "ide", "workspace", "caveat",
    }
)  # fmt: skip
# Client notices that open a text which is the client's own from start to end.
CLIENT_NOTICE_PREFIXES = (
    "Caveat: The messages below were generated by the user while running local commands",
    "This is the Gemini CLI. We are setting up the context for our chat.",
)
_TAG_NAME = r"[A-Za-z][A-Za-z0-9]*(?:[-_][A-Za-z0-9]+)*"
_OPEN_TAG = re.compile(rf"<({_TAG_NAME})(?:\s[^<>]*)?>")
_CLOSE_TAG = re.compile(rf"</({_TAG_NAME})\s*>")
_CONTEXT_WORDS = "|".join(sorted(CONTEXT_TAG_WORDS))
_CONTEXT_OPEN_TAG = re.compile(
    rf"<((?:[A-Za-z0-9]+[-_])*(?:{_CONTEXT_WORDS})(?:[-_][A-Za-z0-9]+)*)(?:\s[^<>]*)?>", re.IGNORECASE
)
_WORD_SEPARATOR = re.compile(r"[-_]")


def _is_context_tag(name: str) -> bool:
    return any(word in CONTEXT_TAG_WORDS for word in _WORD_SEPARATOR.split(name.lower()))


def _is_client_tag(name: str) -> bool:
    """A tag a client may prepend: a multi-word snake/kebab identifier, or a context word.

    Single plain words (``<div>``, ``<code>``) are left to the user, who pastes HTML and XML.
    """
    return "-" in name or "_" in name or _is_context_tag(name)


def _skip_space(text: str, position: int, end: int) -> int:
    while position < end and text[position].isspace():
        position += 1
    return position


def _trim_space(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


def _block_at(text: str, position: int, end: int, accept: Callable[[str], bool]) -> int | None:
    """End of the tag block opening at ``position``, when its name passes ``accept``."""
    opening = _OPEN_TAG.match(text, position, end)
    if opening is None or not accept(opening.group(1)):
        return None
    closing = text.find(f"</{opening.group(1)}>", opening.end(), end)
    return None if closing < 0 else closing + len(opening.group(1)) + 3


def _block_ending_at(text: str, start: int, end: int, accept: Callable[[str], bool]) -> int | None:
    """Start of the tag block closing at ``end``, when its name passes ``accept``."""
    closing_at = text.rfind("</", start, end)
    closing = _CLOSE_TAG.fullmatch(text, closing_at, end) if closing_at >= 0 else None
    if closing is None or not accept(closing.group(1)):
        return None
    name = closing.group(1)
    opening_at = text.rfind(f"<{name}", start, closing_at)
    while opening_at >= 0:
        opening = _OPEN_TAG.match(text, opening_at, closing_at)
        if opening is not None and opening.group(1) == name:
            return opening_at
        opening_at = text.rfind(f"<{name}", start, opening_at)
    return None


def client_context_spans(text: str, *, tool_output: bool = False) -> list[tuple[int, int]]:
    """Code-point spans of ``text`` that a client injected: its tagged blocks and notices.

    In a user text these are client tag blocks at the start or end (one after another) and
    context-word blocks anywhere. In tool output (``tool_output=True``), whose text is a file
    or command output the agent read, only context-word blocks appended at the end count, as
    Claude Code appends a ``<system-reminder>`` to what its Read tool returns.

    >>> client_context_spans("<environment_context>cwd</environment_context>\\nfix it")
    [(0, 46)]
    >>> client_context_spans("see <div>x</div> and <system-reminder>today</system-reminder>.")
    [(21, 61)]
    >>> client_context_spans("<div>x</div> is HTML")
    []
    """
    if text.startswith(CLIENT_NOTICE_PREFIXES):
        return [(0, len(text))]
    length = len(text)
    if tool_output:
        # Only the end matters; do not scan a large file's text for "<".
        end = _trim_space(text, 0, length)
        if end == 0 or text[end - 1] != ">":
            return []
    elif "<" not in text:
        return []
    spans: list[tuple[int, int]] = []
    head = 0
    if not tool_output:
        head = _skip_space(text, 0, length)
        while head < length and text[head] == "<":
            block_end = _block_at(text, head, length, _is_client_tag)
            if block_end is None:
                break
            spans.append((head, block_end))
            head = _skip_space(text, block_end, length)
    tail_spans: list[tuple[int, int]] = []
    tail = _trim_space(text, head, length)
    while tail > head and text[tail - 1] == ">":
        block_start = _block_ending_at(text, head, tail, _is_context_tag if tool_output else _is_client_tag)
        if block_start is None:
            break
        tail_spans.append((block_start, tail))
        tail = _trim_space(text, head, block_start)
    if not tool_output:
        position = head
        while (opening := _CONTEXT_OPEN_TAG.search(text, position, tail)) is not None:
            closing = text.find(f"</{opening.group(1)}>", opening.end(), tail)
            if closing < 0:
                position = opening.end()
                continue
            position = closing + len(opening.group(1)) + 3
            spans.append((opening.start(), position))
    spans.extend(reversed(tail_spans))
    return spans


def _context_role(text: str, role: Role) -> tuple[Role, tuple[tuple[int, int, Role], ...]]:
    """The field's role and role spans once client context inside ``text`` is marked."""
    spans = client_context_spans(text, tool_output=role is Role.TOOL_RESULT)
    if not spans:
        return role, ()
    covered = 0
    for start, end in spans:
        if text[covered:start].strip():
            return role, tuple((start, end, Role.CLIENT_CONTEXT) for start, end in spans)
        covered = end
    if text[covered:].strip():
        return role, tuple((start, end, Role.CLIENT_CONTEXT) for start, end in spans)
    return Role.CLIENT_CONTEXT, ()


# --- Walking values ----------------------------------------------------------------------

NAME_SUFFIX = "~"
# In a content walk, these members describe the content rather than being text of the role.
_STRUCTURAL_KEYS = frozenset(
    {
        "type", "id", "role", "call_id", "tool_use_id", "tool_call_id", "status", "media_type",
        "mime_type", "mimeType", "detail", "format", "cache_control", "file_id", "index", "object",
    }
)  # fmt: skip
# Members that may hold an opaque base64 payload or a data: URL (images, audio, PDFs,
# encrypted reasoning, signatures). Skipped only when the value has that form.
_PAYLOAD_KEYS = frozenset(
    {
        "data", "file_data", "b64_json", "result", "image_url", "url", "encrypted_content",
        "signature", "thoughtSignature", "thought_signature", "partial_image_b64",
    }
)  # fmt: skip
# Base64 (standard or URL-safe alphabet), optionally as a data: URL. Matching the whole value
# runs near 1 GB/s in the C matcher, and means a payload with anything else in it is scanned.
_BASE64_PAYLOAD = re.compile(r"(?:data:[\w.+-]+/[\w.+-]+(?:;[\w.+-]+=[\w.+-]+)*;base64,)?[A-Za-z0-9+/_-]{16,}={0,2}")
_JSON_START = re.compile(r"[ \t\r\n]*[\[{]")
_JSON_OPENERS = "{["
_JSON_SPACE = " \t\r\n"
# A structural member (type, id, role...) whose value is such a token is left out: plain
# ASCII without spaces cannot carry the marks we look for, and there are many of them.
_IDENTIFIER = re.compile(r"[A-Za-z0-9_.:/+=@-]{0,256}")
_CONTAINERS = (dict, list)


def _is_payload(text: str) -> bool:
    """A base64 blob or base64 data: URL, and nothing else.

    >>> _is_payload("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB"), _is_payload("see iVBORw0KGgoAAAANSUhEUg")
    (True, False)
    """
    return text.isascii() and _BASE64_PAYLOAD.fullmatch(text) is not None


def _is_token(text: str) -> bool:
    """A plain ASCII token such as ``tool_use`` or ``toolu_01HkV9b3Qh2m`` (see `_IDENTIFIER`)."""
    if text.isascii() and text.isidentifier():  # the common case, without the regex
        return len(text) <= 256
    return _IDENTIFIER.fullmatch(text) is not None


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


# Messages (and tool lists) whose fields `_Extractor.remembered` keeps, by JSON path, and the
# characters of text they may hold in all (the nodes stay in memory while remembered).
REMEMBERED_NODES = 50_000
REMEMBERED_CHARS = 32 * 1024 * 1024


class _NodeMemo:
    """The fields of the messages and tool lists of recent bodies, by JSON path and role.

    Agents resend the whole conversation every turn, and walking thousands of unchanged
    messages again was most of a warm turn's audit (4 of 7 ms for a 2 MB conversation). A
    node equal to the one last extracted at the same path (``==``, a comparison in C) has the
    same fields, since extraction reads nothing outside the node; ``==`` ignores key order,
    which would only change the order of fields inside that node. Other conversations through
    the proxy only replace entries; the memo is cleared when it grows past `REMEMBERED_NODES`
    nodes or `REMEMBERED_CHARS` characters of text.
    """

    def __init__(self, limit: int = REMEMBERED_NODES, chars: int = REMEMBERED_CHARS) -> None:
        self._limit, self._chars_limit, self._chars = limit, chars, 0
        self._by_key: dict[tuple[str, tuple[Role | None, ...]], tuple[object, list[TextField]]] = {}

    def get(self, path: str, role: tuple[Role | None, ...], node: object) -> list[TextField] | None:
        entry = self._by_key.get((path, role))
        try:
            # The very same object may have been changed in place since: only an equal copy counts.
            return entry[1] if entry is not None and entry[0] is not node and entry[0] == node else None
        except RecursionError:  # thousands of levels deep: compared recursively in C
            return None

    def put(self, path: str, role: tuple[Role | None, ...], node: object, fields: list[TextField]) -> None:
        size = sum(len(field.text) for field in fields)
        if len(self._by_key) >= self._limit or self._chars + size > self._chars_limit:
            self._by_key.clear()
            self._chars = 0
        self._by_key[(path, role)] = (node, fields)
        self._chars += size


_MEMO = _NodeMemo()


class _Extractor:
    """Collects `TextField`s in document order; with a ``memo``, reuses the fields of nodes
    equal to ones it extracted before (`_NodeMemo`)."""

    def __init__(self, memo: _NodeMemo | None = None) -> None:
        self.fields: list[TextField] = []
        self.memo = memo

    def remembered(self, extract: Callable[..., None], node: object, path: str, *role: Role | None) -> None:
        """``extract(node, path, *role)``, or the fields it gave for an equal node at ``path`` before."""
        fields = None if self.memo is None else self.memo.get(path, role, node)
        if fields is not None:
            self.fields.extend(fields)
            return
        first = len(self.fields)
        extract(node, path, *role)
        if self.memo is not None:
            self.memo.put(path, role, node, self.fields[first:])

    # Leaves.

    def text(self, path: str, role: Role, text: str) -> None:
        if not text:
            return
        first = text[0]
        if (first in _JSON_OPENERS or first in _JSON_SPACE and _JSON_START.match(text)) and self._json_inside(
            path, role, text
        ):
            return
        spans: tuple[tuple[int, int, Role], ...] = ()
        if role is Role.USER or role is Role.TOOL_RESULT:
            role, spans = _context_role(text, role)
        self.fields.append(_new_field(path, role, text, spans))

    def _json_inside(self, path: str, role: Role, text: str) -> bool:
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError as error:
            if "surrogate" not in error.msg:
                return False
            try:
                value = json.loads(text, parse_constant=_reject_constant)
            except (ValueError, RecursionError):
                return False
        if not isinstance(value, _CONTAINERS):
            return False
        self.walk(value, inside_json_string(path), role)
        return True

    def member(self, path: str, key: object, role: Role = Role.METADATA) -> str:
        """The path of member ``key``; a non-ASCII name is also a field of its own."""
        name = key if isinstance(key, str) else str(key)
        member_path = path + name_segment(name)
        if not name.isascii():
            self.fields.append(_new_field(member_path + NAME_SUFFIX, role, name, ()))
        return member_path

    # Subtrees.

    def walk(self, value: object, path: str, role: Role, content: bool = False) -> None:
        """Every string under ``value`` with ``role``.

        A content walk (``content=True``) reads message content: members that describe it
        (``type``, ``id``...) are metadata and base64 payloads are left out. Otherwise every
        string is text of ``role``, as in tool arguments and schemas, whose keys are the tool's.
        """
        if isinstance(value, str):
            self.text(path, role, value)
            return
        if not isinstance(value, _CONTAINERS):
            return
        text = self.text
        stack: list[tuple[object, str, Role]] = [(value, path, role)]
        while stack:
            item, item_path, item_role = stack.pop()
            if isinstance(item, str):
                text(item_path, item_role, item)
                continue
            children: list[tuple[object, str, Role]] = []
            only_strings = True
            if isinstance(item, dict):
                for key, child in item.items():
                    if isinstance(child, str):
                        if content:
                            if key in _STRUCTURAL_KEYS:
                                if _is_token(child):
                                    continue
                                children.append((child, self.member(item_path, key, item_role), Role.METADATA))
                                continue
                            if key in _PAYLOAD_KEYS and _is_payload(child):
                                continue
                    elif isinstance(child, _CONTAINERS):
                        only_strings = False
                        if content and key in _STRUCTURAL_KEYS:
                            children.append((child, self.member(item_path, key, item_role), Role.METADATA))
                            continue
                    else:
                        continue
                    if type(key) is str and key.isascii():
                        child_path = item_path + name_segment(key)
                    else:
                        child_path = self.member(item_path, key, item_role)
                    children.append((child, child_path, item_role))
            else:
                for index, child in enumerate(item):
                    if isinstance(child, str):
                        children.append((child, f"{item_path}[{index}]", item_role))
                    elif isinstance(child, _CONTAINERS):
                        only_strings = False
                        children.append((child, f"{item_path}[{index}]", item_role))
            if only_strings:
                # A leaf container (the common case): emit in order without the stack.
                for child, child_path, child_role in children:
                    text(child_path, child_role, child)  # type: ignore[arg-type]
            else:
                children.reverse()
                stack.extend(children)

    def members(
        self,
        obj: dict,
        path: str,
        roles: Mapping[str, Role],
        free: frozenset[str] = frozenset(),
    ) -> None:
        """Walk each member of ``obj`` with the role ``roles`` gives its key; ``free`` keys
        are walked as arguments (every string counts), the others as content, and keys
        ``roles`` does not name as metadata."""
        for key, value in obj.items():
            role = roles.get(key)
            if role is None:
                self.other(key, value, self.member(path, key))
            elif isinstance(value, str):
                if not (key in _PAYLOAD_KEYS and _is_payload(value)):
                    self.text(self.member(path, key), role, value)
            else:
                self.walk(value, self.member(path, key), role, content=key not in free)

    def other(self, key: object, value: object, path: str) -> None:
        """A member that carries no prompt text of its own: metadata, walked as content."""
        if isinstance(value, str):
            if key in _STRUCTURAL_KEYS and _is_token(value):
                return
            if key in _PAYLOAD_KEYS and _is_payload(value):
                return
            self.text(path, Role.METADATA, value)
        else:
            self.walk(value, path, Role.METADATA, content=True)

    # Anthropic Messages.

    def anthropic(self, body: dict, path: str) -> None:
        for key, value in body.items():
            member_path = self.member(path, key)
            if key == "system":
                self.anthropic_content(value, member_path, Role.SYSTEM)
            elif key == "messages" and isinstance(value, list):
                for index, message in enumerate(value):
                    self.remembered(self.anthropic_message, message, f"{member_path}[{index}]")
            elif key == "tools":
                self.remembered(self.walk, value, member_path, Role.TOOL_DEFINITION)
            else:
                self.other(key, value, member_path)

    def anthropic_message(self, message: object, path: str) -> None:
        if not isinstance(message, dict):
            self.walk(message, path, Role.USER, content=True)
            return
        role = _message_role(message.get("role"), {"user": Role.USER, "assistant": Role.ASSISTANT}, Role.USER)
        for key, value in message.items():
            member_path = self.member(path, key)
            if key == "content":
                self.anthropic_content(value, member_path, role)
            else:
                self.other(key, value, member_path)

    def anthropic_content(self, content: object, path: str, role: Role) -> None:
        if isinstance(content, list):
            for index, block in enumerate(content):
                self.anthropic_block(block, f"{path}[{index}]", role)
        else:
            self.walk(content, path, role, content=True)

    def anthropic_block(self, block: object, path: str, role: Role, nested: bool = False) -> None:
        if not isinstance(block, dict):
            self.walk(block, path, role, content=True)
            return
        kind = block.get("type")
        if kind in ("tool_use", "server_tool_use", "mcp_tool_use"):
            self.members(block, path, {"name": Role.TOOL_CALL, "input": Role.TOOL_CALL}, free=_INPUT)
        elif isinstance(kind, str) and kind.endswith("tool_result") and not nested:
            for key, value in block.items():
                member_path = self.member(path, key)
                if key == "content" and isinstance(value, list):
                    for index, inner in enumerate(value):
                        self.anthropic_block(inner, f"{member_path}[{index}]", Role.TOOL_RESULT, nested=True)
                elif key == "content":
                    self.walk(value, member_path, Role.TOOL_RESULT, content=True)
                else:
                    self.other(key, value, member_path)
        elif kind in ("thinking", "redacted_thinking"):
            self.members(block, path, {"thinking": Role.ASSISTANT})
        elif kind == "text":
            self.members(block, path, {"text": role})
        else:
            # Images, documents (text source, title, context), search results, unknown blocks.
            self.walk(block, path, role, content=True)

    # OpenAI Chat Completions.

    _CHAT_ROLES = {
        "system": Role.SYSTEM,
        "developer": Role.SYSTEM,
        "user": Role.USER,
        "assistant": Role.ASSISTANT,
        "tool": Role.TOOL_RESULT,
        "function": Role.TOOL_RESULT,
    }

    def openai_chat(self, body: dict, path: str) -> None:
        for key, value in body.items():
            member_path = self.member(path, key)
            if key == "messages" and isinstance(value, list):
                for index, message in enumerate(value):
                    self.remembered(self.openai_chat_message, message, f"{member_path}[{index}]")
            elif key in ("tools", "functions"):
                self.remembered(self.walk, value, member_path, Role.TOOL_DEFINITION)
            else:
                self.other(key, value, member_path)

    def openai_chat_message(self, message: object, path: str) -> None:
        if not isinstance(message, dict):
            self.walk(message, path, Role.USER, content=True)
            return
        author = message.get("role")
        role = _message_role(author, self._CHAT_ROLES, Role.USER)
        for key, value in message.items():
            member_path = self.member(path, key)
            if key in ("content", "refusal", "reasoning_content", "reasoning"):
                self.walk(value, member_path, role, content=True)
            elif key in ("tool_calls", "function_call"):
                self.walk(value, member_path, Role.TOOL_CALL, content=True)
            else:
                self.other(key, value, member_path)

    # OpenAI Responses.

    _MESSAGE_ROLES = {
        "system": Role.SYSTEM,
        "developer": Role.SYSTEM,
        "user": Role.USER,
        "assistant": Role.ASSISTANT,
    }
    # Item type -> the members that carry text and their role; other members are metadata.
    _ITEM_ROLES: dict[str, dict[str, Role]] = {
        "function_call": {"name": Role.TOOL_CALL, "arguments": Role.TOOL_CALL},
        "function_call_output": {"output": Role.TOOL_RESULT},
        "custom_tool_call": {"name": Role.TOOL_CALL, "input": Role.TOOL_CALL},
        "custom_tool_call_output": {"output": Role.TOOL_RESULT},
        "local_shell_call": {"action": Role.TOOL_CALL},
        "local_shell_call_output": {"output": Role.TOOL_RESULT},
        "shell_call": {"action": Role.TOOL_CALL},
        "shell_call_output": {"output": Role.TOOL_RESULT},
        "apply_patch_call": {"operation": Role.TOOL_CALL},
        "apply_patch_call_output": {"output": Role.TOOL_RESULT},
        "web_search_call": {"action": Role.TOOL_CALL},
        "file_search_call": {"queries": Role.TOOL_CALL, "results": Role.TOOL_RESULT},
        "code_interpreter_call": {"code": Role.TOOL_CALL, "outputs": Role.TOOL_RESULT},
        "computer_call": {"action": Role.TOOL_CALL},
        "computer_call_output": {"output": Role.TOOL_RESULT},
        "image_generation_call": {"result": Role.TOOL_RESULT},
        "mcp_call": {
            "name": Role.TOOL_CALL,
            "arguments": Role.TOOL_CALL,
            "output": Role.TOOL_RESULT,
            "error": Role.TOOL_RESULT,
        },
        "mcp_approval_request": {"name": Role.TOOL_CALL, "arguments": Role.TOOL_CALL},
        "mcp_list_tools": {"tools": Role.TOOL_DEFINITION},
        "reasoning": {"summary": Role.ASSISTANT, "content": Role.ASSISTANT},
    }
    _FREE_ITEM_KEYS = frozenset({"action", "operation", "tools"})

    def openai_responses(self, body: dict, path: str) -> None:
        for key, value in body.items():
            member_path = self.member(path, key)
            if key == "instructions":
                self.openai_responses_input(value, member_path, Role.SYSTEM)
            elif key == "input":
                self.openai_responses_input(value, member_path, Role.USER)
            elif key == "tools":
                self.walk(value, member_path, Role.TOOL_DEFINITION)
            elif key == "prompt":
                self.walk(value, member_path, Role.USER, content=True)
            else:
                self.other(key, value, member_path)

    def openai_responses_input(self, value: object, path: str, role: Role) -> None:
        if isinstance(value, list):
            for index, item in enumerate(value):
                self.remembered(self.openai_responses_item, item, f"{path}[{index}]", role)
        else:
            self.walk(value, path, role, content=True)

    def openai_responses_item(self, item: object, path: str, default_role: Role) -> None:
        if not isinstance(item, dict):
            self.walk(item, path, default_role, content=True)
            return
        kind = item.get("type")
        roles = self._ITEM_ROLES.get(kind) if isinstance(kind, str) else None
        if roles is not None:
            self.members(item, path, roles, free=self._FREE_ITEM_KEYS)
            return
        role_name = item.get("role")
        role = _message_role(role_name, self._MESSAGE_ROLES, default_role)
        if kind == "message" or "role" in item:
            self.members(item, path, {"content": role})
        else:
            self.walk(item, path, role, content=True)

    # Gemini.

    _GEMINI_ROLES = {"user": Role.USER, "model": Role.ASSISTANT, "function": Role.TOOL_RESULT, "tool": Role.TOOL_RESULT}
    _GEMINI_KEYS = {
        "system_instruction": "systemInstruction",
        "function_call": "functionCall",
        "function_response": "functionResponse",
        "executable_code": "executableCode",
        "code_execution_result": "codeExecutionResult",
        "inline_data": "inlineData",
        "file_data": "fileData",
        "function_declarations": "functionDeclarations",
    }

    def gemini(self, body: dict, path: str) -> None:
        wrapped = "contents" not in body and isinstance(body.get("request"), dict)
        for key, value in body.items():
            member_path = self.member(path, key)
            key = self._GEMINI_KEYS.get(key, key)
            if wrapped and key == "request":
                self.gemini(value, member_path)  # type: ignore[arg-type]
            elif key == "systemInstruction":
                self.gemini_content(value, member_path, Role.SYSTEM)
            elif key == "contents":
                if isinstance(value, list):
                    for index, content in enumerate(value):
                        self.remembered(self.gemini_content, content, f"{member_path}[{index}]", None)
                else:
                    self.gemini_content(value, member_path, None)
            elif key == "tools":
                self.walk(value, member_path, Role.TOOL_DEFINITION)
            else:
                self.other(key, value, member_path)

    def gemini_content(self, content: object, path: str, fixed_role: Role | None) -> None:
        if not isinstance(content, dict):
            self.walk(content, path, fixed_role or Role.USER, content=True)
            return
        role = fixed_role
        if role is None:
            author = content.get("role")
            role = _message_role(author, self._GEMINI_ROLES, Role.USER)
        for key, value in content.items():
            member_path = self.member(path, key)
            if key == "parts" and isinstance(value, list):
                for index, part in enumerate(value):
                    self.gemini_part(part, f"{member_path}[{index}]", role)
            elif key == "parts":
                self.gemini_part(value, member_path, role)
            else:
                self.other(key, value, member_path)

    def gemini_part(self, part: object, path: str, role: Role) -> None:
        if not isinstance(part, dict):
            self.walk(part, path, role, content=True)
            return
        text_role = Role.ASSISTANT if part.get("thought") is True else role
        for key, value in part.items():
            member_path = self.member(path, key)
            key = self._GEMINI_KEYS.get(key, key)
            if key == "text":
                self.walk(value, member_path, text_role, content=True)
            elif key == "functionCall" and isinstance(value, dict):
                self.members(value, member_path, {"name": Role.TOOL_CALL, "args": Role.TOOL_CALL}, free=_ARGS)
            elif key == "functionResponse" and isinstance(value, dict):
                roles = {"name": Role.TOOL_RESULT, "response": Role.TOOL_RESULT, "parts": Role.TOOL_RESULT}
                self.members(value, member_path, roles, free=_RESPONSE)
            elif key == "executableCode":
                self.walk(value, member_path, Role.TOOL_CALL, content=True)
            elif key == "codeExecutionResult":
                self.walk(value, member_path, Role.TOOL_RESULT, content=True)
            elif key in ("inlineData", "fileData"):
                self.walk(value, member_path, role, content=True)
            elif key in _PAYLOAD_KEYS and isinstance(value, str) and _is_payload(value):
                continue
            else:
                self.other(key, value, member_path)

    # OpenAI Responses over WebSocket.

    def openai_responses_ws(self, message: dict, path: str) -> None:
        if not isinstance(message.get("response"), dict) and not isinstance(message.get("item"), dict):
            self.openai_responses(message, path)
            return
        for key, value in message.items():
            member_path = self.member(path, key)
            if key == "response" and isinstance(value, dict):
                self.openai_responses(value, member_path)
            elif key == "item" and isinstance(value, dict):
                self.openai_responses_item(value, member_path, Role.USER)
            else:
                self.other(key, value, member_path)


_ARGS = frozenset({"args"})
_INPUT = frozenset({"input"})
_RESPONSE = frozenset({"response"})

_EXTRACTORS: dict[Api, Callable[[_Extractor, dict, str], None]] = {
    Api.ANTHROPIC_MESSAGES: _Extractor.anthropic,
    Api.OPENAI_CHAT: _Extractor.openai_chat,
    Api.OPENAI_RESPONSES: _Extractor.openai_responses,
    Api.OPENAI_RESPONSES_WS: _Extractor.openai_responses_ws,
    Api.GEMINI: _Extractor.gemini,
}


def extract_fields(api: Api, body: object, remember: bool = False) -> list[TextField]:
    """Every string of ``body`` (parsed JSON) as a `TextField`, with the role ``api`` gives it.

    ``remember`` reuses the fields of messages and tool lists equal to those of earlier bodies
    (`_NodeMemo`); only for bodies that nobody changes after, such as a request just parsed.

    >>> [(f.path, f.role.value) for f in extract_fields(Api.OPENAI_CHAT, {"messages": [
    ...     {"role": "developer", "content": "Be brief."},
    ...     {"role": "assistant", "tool_calls": [{"function": {"arguments": '{"cmd": ["ls"]}'}}]},
    ... ]})]  # doctest: +NORMALIZE_WHITESPACE
    [("$['messages'][0]['content']", 'system'),
     ("$['messages'][1]['tool_calls'][0]['function']['arguments']#json$['cmd'][0]", 'tool_call')]
    """
    extractor_method = _EXTRACTORS.get(api)
    if extractor_method is None or not isinstance(body, dict):
        return generic_fields(body)
    extractor = _Extractor(_MEMO if remember else None)
    extractor_method(extractor, body, ROOT)
    return extractor.fields


def extract_ws_message(message: object) -> list[TextField]:
    """The fields of one client message of the OpenAI Responses WebSocket API.

    ``{"type": "response.create", "response": {...}}`` and the flat form with the Responses
    fields at the top level both work; paths start at the message root.
    """
    return extract_fields(Api.OPENAI_RESPONSES_WS, message)


def generic_fields(body: object) -> list[TextField]:
    """Every string anywhere in ``body``, with the role ``metadata`` (for unknown APIs)."""
    extractor = _Extractor()
    extractor.walk(body, ROOT, Role.METADATA)
    return extractor.fields


# --- Decoding and parsing bodies ---------------------------------------------------------


def _inflate(data: bytes, wbits: int, limit: int | None) -> bytes:
    """zlib-family data (gzip members one after another, zlib, raw deflate) up to ``limit``."""
    pieces: list[bytes] = []
    total = 0
    while True:
        decompressor = zlib.decompressobj(wbits)
        piece = decompressor.decompress(data, 0 if limit is None else limit + 1 - total)
        total += len(piece)
        pieces.append(piece)
        if limit is not None and total > limit:
            raise _TooLarge(limit)
        if not decompressor.eof:
            raise zlib.error("compressed data is truncated")
        data = decompressor.unused_data
        if wbits != 31 or not data.strip(b"\x00"):
            return b"".join(pieces)


def _gunzip(data: bytes, limit: int | None) -> bytes:
    if not data.startswith(b"\x1f\x8b"):
        raise zlib.error("not gzip data (no 1f 8b magic)")
    return _inflate(data, 31, limit)


def _deflate(data: bytes, limit: int | None) -> bytes:
    # RFC 9110 says zlib-wrapped; some clients send raw deflate, as browsers also accept.
    has_zlib_header = len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
    return _inflate(data, 15 if has_zlib_header else -15, limit)


def _unbrotli(data: bytes, limit: int | None) -> bytes:
    decompressor = brotli.Decompressor()
    if limit is None:
        output = decompressor.process(data)
    else:
        output = decompressor.process(data, output_buffer_limit=limit + 1)
        if len(output) > limit:
            raise _TooLarge(limit)
    if not decompressor.is_finished():
        raise brotli.error("compressed data is truncated")
    return output


def _unzstd(data: bytes, limit: int | None) -> bytes:
    pieces: list[bytes] = []
    total = 0
    while data:
        decompressor = zstd.ZstdDecompressor()
        piece = decompressor.decompress(data, -1 if limit is None else limit + 1 - total)
        total += len(piece)
        pieces.append(piece)
        if limit is not None and total > limit:
            raise _TooLarge(limit)
        if not decompressor.eof:
            raise zstd.ZstdError("compressed data is truncated")
        data = decompressor.unused_data
    return b"".join(pieces)


class _TooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"decodes to more than {limit} bytes")


_DECODERS: dict[str, Callable[[bytes, int | None], bytes]] = {
    "gzip": _gunzip,
    "x-gzip": _gunzip,
    "deflate": _deflate,
    "br": _unbrotli,
    "zstd": _unzstd,
}
_DECODE_ERRORS = (zlib.error, brotli.error, zstd.ZstdError, EOFError, OSError, gzip.BadGzipFile, _TooLarge)


def decode_body(raw: bytes, content_encoding: str | None, *, max_size: int | None = None) -> bytes:
    """``raw`` with its Content-Encoding undone (gzip, deflate, br, zstd, or a chain of them).

    Codings listed as ``"gzip, br"`` were applied in that order and are undone last first.
    ``max_size`` bounds the decoded size, so a small compression bomb cannot fill memory.

    >>> decode_body(gzip.compress(b'{"a": 1}'), "gzip")
    b'{"a": 1}'
    >>> try:
    ...     decode_body(b"x", "gzip")
    ... except BodyDecodeError as error:
    ...     print(error)
    Content-Encoding gzip: not gzip data (no 1f 8b magic)
    """
    if not content_encoding:
        return raw
    codings = [coding.strip().lower() for coding in content_encoding.split(",")]
    data = raw
    for coding in reversed(codings):
        if coding in ("", "identity"):
            continue
        decoder = _DECODERS.get(coding)
        if decoder is None:
            raise BodyDecodeError(f"unsupported Content-Encoding {coding!r}")
        if not data:
            continue
        try:
            data = decoder(data, max_size)
        except _DECODE_ERRORS as error:
            raise BodyDecodeError(f"Content-Encoding {coding}: {error}") from error
    if max_size is not None and len(data) > max_size:
        raise BodyDecodeError(f"body decodes to more than {max_size} bytes")
    return data


def parse_json_body(raw: bytes) -> object:
    """The value of a strict JSON (RFC 8259, UTF-8) body.

    orjson parses; Python's json module takes over only for the lone-surrogate escapes
    (``"\\ud800"``) that are legal JSON but that orjson rejects. NaN and Infinity are refused.

    >>> parse_json_body(b'{"a": ["\\\\u00e9"]}')
    {'a': ['é']}
    >>> try:
    ...     parse_json_body(b'{"a": 1,}')
    ... except BodyParseError as error:
    ...     print(error.offset, error)
    7 invalid JSON at byte 7: trailing comma is not allowed
    """
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        first_error = error
    try:
        text = bytes(raw).decode("utf-8")
    except UnicodeDecodeError as error:
        raise BodyParseError(f"not UTF-8 at byte {error.start}", error.start) from None
    if "surrogate" in first_error.msg:
        try:
            return json.loads(text, parse_constant=_reject_constant)
        except RecursionError:
            raise BodyParseError("JSON nested too deeply to parse", 0) from None
        except json.JSONDecodeError as error:
            offset = len(text[: error.pos].encode("utf-8"))
            raise BodyParseError(f"invalid JSON at byte {offset}: {error.msg}", offset) from None
        except ValueError as error:
            raise BodyParseError(f"invalid JSON: {error}", 0) from None
    offset = len(text[: first_error.pos].encode("utf-8"))
    message = first_error.msg
    if message == "depth limit exceeded":
        message = "nested too deeply (orjson's limit is 1024 levels)"
    raise BodyParseError(f"invalid JSON at byte {offset}: {message}", offset) from None


def _message_role(author: object, known: Mapping[str, Role], default: Role) -> Role:
    """The role of a message's text from its ``role`` member.

    A missing role takes the API's default (Gemini and Responses default to the user). A role
    string the API does not define is the client's own doing, so its text counts as the
    client's (`Role.METADATA`): sanitizing the role string must never move text into a scope
    it was not in before, or sanitizing twice would change the body again.

    >>> _message_role("user", {"user": Role.USER}, Role.USER), _message_role(None, {}, Role.USER)
    (<Role.USER: 'user'>, <Role.USER: 'user'>)
    >>> _message_role("\U000e0041system", {"system": Role.SYSTEM}, Role.USER)
    <Role.METADATA: 'metadata'>
    """
    if not isinstance(author, str):
        return default
    return known.get(author, Role.METADATA)
