"""The JSONL audit log: one `LogRecord` per inspected request or WebSocket message.

The log is the evidence a user keeps, so it must never become a second leak. A record holds
where a finding sits (JSON path, role, offsets), the code points and up to `CONTEXT_CHARS`
characters of revealed context on each side: never a whole body. It keeps the headers that
tell which client sent the request (User-Agent, SDK and API version headers) through an
allow-list, so ``Authorization``, ``x-api-key``, ``x-goog-api-key``, cookies and any header
we do not know stay out; credentials in the query string (``?key=...`` as Gemini accepts)
are removed from the logged path.

Each record is written with a single ``os.write`` on a file opened with ``O_APPEND`` and
mode 0600, so concurrent writers never interleave and a crash never leaves half a line.
`docs/log-format.md` documents these fields; a test compares the two.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qsl, urlencode

from pydantic import BaseModel, ConfigDict

from detectors import Finding, Severity
from detectors.unicode import reveal

# Characters of context kept on each side of a finding in the log.
CONTEXT_CHARS = 24
# A finding's code points are logged in full up to this many. A longer span (a run of a
# million invisible characters) keeps its first ones; ``end - start`` still gives its length,
# so the line stays small and nothing about where the span is gets lost.
MAX_LOGGED_CODEPOINTS = 1000
# Findings one record lists in full. A body with tens of thousands of marks (a ZWSP after every
# word of a pasted file) made a 22 MB line that took seconds to build; past this many, the
# record counts the rest by kind in ``omitted``. New findings and the most severe are listed first.
MAX_LOGGED_FINDINGS = 1000

ApiName = Literal[
    "anthropic-messages", "openai-chat", "openai-responses", "openai-responses-ws", "gemini", "generic"
]
Action = Literal["pass", "sanitized", "blocked", "skipped"]

# Headers that name the client and its version. An allow-list: an unknown header might be a
# credential (proxies and gateways invent their own), so only these are ever logged.
_CLIENT_HEADERS = (
    "user-agent",
    "anthropic-version",
    "anthropic-beta",
    "openai-beta",
    "originator",
    "version",
    "x-goog-api-client",
    "x-client-name",
    "x-client-version",
)
_CLIENT_HEADER_PREFIXES = ("x-stainless-",)
# Query parameters that carry credentials; matched on the lower-cased name.
_CREDENTIAL_PARAMETER = re.compile(
    r"(?:^|[-_])(?:key|apikey|api[-_]key|token|access[-_]token|auth|authorization|sig|signature|secret|password)$"
)
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class LoggedFinding(BaseModel):
    """One finding as the log writes it: the detector's finding plus where it sits."""

    model_config = ConfigDict(frozen=True)

    path: str
    role: str
    detector: str
    kind: str
    severity: Severity
    start: int
    end: int
    codepoints: list[str]
    replacement: str | None
    message: str
    repeat: bool
    context: str
    rewritten: bool = False


class OmittedFindings(BaseModel):
    """Findings of one kind that a record counts instead of listing (past `MAX_LOGGED_FINDINGS`)."""

    model_config = ConfigDict(frozen=True)

    role: str
    detector: str
    kind: str
    severity: Severity
    rewritten: bool
    count: int
    first_path: str
    first_start: int


class LogRecord(BaseModel):
    """One inspected request (or client WebSocket message) and what the add-on did with it."""

    model_config = ConfigDict(frozen=True)

    ts: str
    flow_id: str
    api: ApiName
    host: str
    path: str
    client: dict[str, str]
    mode: str
    action: Action
    body_sha256: str | None
    sanitized_sha256: str | None = None
    findings: list[LoggedFinding]
    omitted: list[OmittedFindings] = []
    reason: str | None = None

    def count(self, threshold: Severity = Severity.INFO) -> int:
        """Findings at or above ``threshold``, listed or omitted."""
        listed = sum(1 for f in self.findings if f.severity >= threshold)
        return listed + sum(group.count for group in self.omitted if group.severity >= threshold)


def utc_timestamp(moment: datetime | None = None) -> str:
    """RFC 3339 UTC with milliseconds and a ``Z``.

    >>> utc_timestamp(datetime(2026, 11, 24, 9, 5, 7, 123456, tzinfo=UTC))
    '2026-11-24T09:05:07.123Z'
    """
    moment = moment or datetime.now(UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def client_identity(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The allow-listed headers that name the client, lower-cased; never credentials.

    >>> client_identity([("User-Agent", "claude-cli/2.0.1"), ("x-api-key", "sk-ant-secret"),
    ...                  ("X-Stainless-Lang", "js"), ("Authorization", "Bearer sk-x")])
    {'user-agent': 'claude-cli/2.0.1', 'x-stainless-lang': 'js'}
    """
    kept: dict[str, str] = {}
    for name, value in headers:
        lowered = name.lower()
        if lowered in _CLIENT_HEADERS or lowered.startswith(_CLIENT_HEADER_PREFIXES):
            kept[lowered] = value
    return kept


def redact_path(path: str) -> str:
    """``path`` without query parameters that carry credentials.

    >>> redact_path("/v1beta/models/gemini-2.5-pro:generateContent?key=AIzaSyX&alt=sse")
    '/v1beta/models/gemini-2.5-pro:generateContent?alt=sse'
    >>> redact_path("/v1/messages?beta=true")
    '/v1/messages?beta=true'
    """
    base, separator, query = path.partition("?")
    if not separator:
        return path
    kept = [
        (name, value)
        for name, value in parse_qsl(query, keep_blank_values=True)
        if not _CREDENTIAL_PARAMETER.search(name.lower())
    ]
    return f"{base}?{urlencode(kept)}" if kept else base


def revealed_context(text: str, finding: Finding) -> str:
    """Up to `CONTEXT_CHARS` characters on each side, hidden characters and the finding's own
    characters written as ``⟦U+XXXX⟧``. Of a span longer than twice `CONTEXT_CHARS`, only
    its first and last `CONTEXT_CHARS` are shown, with ``⟦…N more…⟧`` for the rest.

    >>> from detectors.base import make_finding
    >>> text = "Today\\u02bcs date is 2026-11-24."
    >>> revealed_context(text, make_finding("d", "k", text, 5, 6, Severity.HIGH, "m"))
    'Today⟦U+02BC⟧s date is 2026-11-24.'
    >>> run = "date" + "\\u200b" * 100 + "!"
    >>> revealed_context(run, make_finding("d", "k", run, 4, 104, Severity.HIGH, "m")).count("⟦U+200B⟧")
    48
    """
    start = max(0, finding.start - CONTEXT_CHARS)
    end = min(len(text), finding.end + CONTEXT_CHARS)
    own = "".join(dict.fromkeys(finding.text))
    if finding.end - finding.start <= 2 * CONTEXT_CHARS:
        shown = reveal(text[start:end], also=own)
    else:
        head_end, tail_start = finding.start + CONTEXT_CHARS, finding.end - CONTEXT_CHARS
        shown = (reveal(text[start:head_end], also=own) + f"\u27e6…{tail_start - head_end} more…\u27e7"
                 + reveal(text[tail_start:end], also=own))
    return ("…" if start > 0 else "") + shown + ("…" if end < len(text) else "")


def logged_codepoints(finding: Finding) -> list[str]:
    """The finding's code points, at most `MAX_LOGGED_CODEPOINTS` of them (the first ones)."""
    return finding.codepoints[:MAX_LOGGED_CODEPOINTS]


@dataclass(frozen=True)
class Entry:
    """A finding on its way into a record: where it sits and what became of it."""

    path: str
    role: str
    finding: Finding
    rewritten: bool
    repeat: bool


def within_cap(entries: Sequence[Entry], cap: int = MAX_LOGGED_FINDINGS) -> tuple[list[Entry], list[OmittedFindings]]:
    """The entries a record lists, in body order (new ones first, then the most severe, up to
    ``cap``), and the rest counted by role, detector, kind, severity and rewrite.

    >>> from detectors.base import make_finding
    >>> marks = [make_finding("invisible", "zero-width", "a\u200bb", 1, 2, Severity.MEDIUM, "m")] * 3
    >>> listed, omitted = within_cap([Entry("$['system']", "system", f, False, False) for f in marks], cap=1)
    >>> len(listed), [(o.kind, o.count, o.first_path) for o in omitted]
    (1, [('zero-width', 2, "$['system']")])
    """
    if len(entries) <= cap:
        return list(entries), []
    ranked = sorted(range(len(entries)), key=lambda i: (entries[i].repeat, -entries[i].finding.severity.rank, i))
    listed = set(ranked[:cap])
    first: dict[tuple[str, str, str, Severity, bool], Entry] = {}
    counts: dict[tuple[str, str, str, Severity, bool], int] = {}
    for index, entry in enumerate(entries):
        if index in listed:
            continue
        key = (entry.role, entry.finding.detector, entry.finding.kind, entry.finding.severity, entry.rewritten)
        first.setdefault(key, entry)
        counts[key] = counts.get(key, 0) + 1
    omitted = [
        OmittedFindings(
            role=entry.role, detector=entry.finding.detector, kind=entry.finding.kind, severity=entry.finding.severity,
            rewritten=entry.rewritten, count=counts[key], first_path=entry.path, first_start=entry.finding.start,
        )
        for key, entry in first.items()
    ]
    return [entries[i] for i in sorted(listed)], omitted


def encode_record(record: LogRecord) -> bytes:
    """One JSONL line. Lone surrogates (possible in decoded ``\\uD800`` escapes) are escaped."""
    line = json.dumps(record.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":"))
    return (_LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", line) + "\n").encode("utf-8")


class AuditLog:
    """Appends records to a JSONL file created with mode 0600, one ``os.write`` each."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).expanduser()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        # An existing file made by another tool may be readable by others; the log is ours.
        os.fchmod(self._fd, 0o600)
        self._lock = threading.Lock()

    def write(self, record: LogRecord) -> None:
        data = encode_record(record)
        with self._lock:
            written = os.write(self._fd, data)
        if written != len(data):  # a full disk: say so rather than leave a silent half line
            raise OSError(f"short write to {self.path}: {written} of {len(data)} bytes")

    def close(self) -> None:
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1


def read_records(path: str | os.PathLike[str]) -> list[LogRecord]:
    """Every record of a log file, validated (tests and the report use this)."""
    with open(path, encoding="utf-8") as handle:
        return [LogRecord.model_validate_json(line) for line in handle if line.strip()]

