"""``stegwatch report LOG.jsonl [--probe PROBE.json] -o report.html``: one self-contained page.

The page shows a summary by client, host, API, severity and kind, a timeline, every distinct
finding (role, JSON path, code points with their names, revealed context) with a filter by
severity and kind, and the side-by-side differences of a probe. It loads nothing: no external
script, font or image, and a Content-Security-Policy that forbids the network and every
script but our own (by nonce) says so to the browser too.

Everything from the log is untrusted: a prompt may contain ``<script>``. Log data goes into
the page only as JSON inside ``<script type="application/json">`` with ``<``, ``>`` and ``&``
escaped (and, being ASCII-escaped, U+2028/U+2029 too), and the page's script writes it with
``textContent`` only. Hidden characters arrive already revealed as ``⟦U+XXXX⟧`` (the log's
contexts) and become spans whose title is the character's name.

Large logs: records are streamed and folded as they are read. The summary and timeline are
counts, so they cost the same for 100 or 100 000 records; the same mark resent on every turn
of a conversation is one row with a count; at most `MAX_ROWS` distinct findings (the worst
first) are embedded, and the page shows them `PAGE_SIZE` at a time.

Probe files (from a probe run that varies one input at a time) use this minimal schema::

    {"differences": [{"variable": "date", "classification": "unexplained",
                      "path": "$['system'][0]['text']", "reference": "...", "variant": "..."}]}
"""

from __future__ import annotations

import json
import re
import secrets
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from addons.affixes import common_affixes
from addons.audit_log import LogRecord, LoggedFinding
from detectors import Severity
from detectors.unicode import char_name, reveal

MAX_ROWS = 20_000
PAGE_SIZE = 200
MAX_TIMELINE_BUCKETS = 60
_BUCKET_SECONDS = (60, 300, 900, 3600, 6 * 3600, 86400, 7 * 86400, 30 * 86400, 365 * 86400)
SEVERITIES = tuple(Severity)  # info, low, medium, high
_REVEALED = re.compile(r"\u27e6(U\+[0-9A-F]{4,6})\u27e7")
_NO_CLIENT = "(no user-agent)"


@dataclass
class _Group:
    """One distinct finding: the same mark at the same place with the same context."""

    finding: LoggedFinding
    first_ts: str
    last_ts: str
    client: str
    host: str
    api: str
    count: int = 1


@dataclass
class _Summary:
    records: int = 0
    findings: int = 0
    alarms: int = 0
    skipped: int = 0
    by_client: dict[str, list[int]] = field(default_factory=dict)
    by_host: dict[str, list[int]] = field(default_factory=dict)
    by_api: dict[str, list[int]] = field(default_factory=dict)
    by_severity: Counter[str] = field(default_factory=Counter)
    by_kind: dict[str, list[int]] = field(default_factory=dict)
    per_minute: dict[int, list[int]] = field(default_factory=dict)
    groups: dict[tuple, _Group] = field(default_factory=dict)


def client_name(client: dict[str, str]) -> str:
    """What the report calls a client: its User-Agent, else its declared name.

    >>> client_name({"user-agent": "claude-cli/2.0.1 (external, cli)"})
    'claude-cli/2.0.1 (external, cli)'
    >>> client_name({})
    '(no user-agent)'
    """
    return client.get("user-agent") or client.get("x-client-name") or _NO_CLIENT


def _epoch_minute(ts: str) -> int:
    try:
        moment = datetime.fromisoformat(ts.replace("Z", "+00:00"))
    except ValueError:
        return 0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp()) // 60


def _fold(summary: _Summary, record: LogRecord) -> None:
    summary.records += 1
    if record.action == "skipped":
        summary.skipped += 1
    alarms = record.count(Severity.MEDIUM)
    summary.findings += record.count()
    summary.alarms += alarms
    client = client_name(record.client)
    for table, key in ((summary.by_client, client), (summary.by_host, record.host), (summary.by_api, record.api)):
        row = table.get(key)
        if row is None:
            row = table[key] = [0, 0, 0]
        row[0] += 1
        row[1] += record.count()
        row[2] += alarms
    minute = summary.per_minute.get(_epoch_minute(record.ts))
    if minute is None:
        minute = summary.per_minute[_epoch_minute(record.ts)] = [0, 0, 0, 0, 0]
    minute[0] += 1
    # Findings a crowded record only counts (`LogRecord.omitted`) still count by severity and kind.
    for omitted in record.omitted:
        _count_kind(summary, minute, omitted.severity, f"{omitted.detector}/{omitted.kind}", omitted.count)
    for finding in record.findings:
        severity = finding.severity
        _count_kind(summary, minute, severity, f"{finding.detector}/{finding.kind}", 1)
        key = (severity.rank, finding.detector, finding.kind, finding.role, finding.path,
               tuple(finding.codepoints), finding.context)
        group = summary.groups.get(key)
        if group is None:
            summary.groups[key] = _Group(finding, record.ts, record.ts, client, record.host, record.api)
        else:
            group.count += 1
            group.last_ts = record.ts


def _count_kind(summary: _Summary, minute: list[int], severity: Severity, kind: str, count: int) -> None:
    minute[1 + severity.rank] += count
    summary.by_severity[severity.value] += count
    kind_row = summary.by_kind.get(kind)
    if kind_row is None:
        kind_row = summary.by_kind[kind] = [0, 0]
    kind_row[0] += count
    kind_row[1] = max(kind_row[1], severity.rank)


def _timeline(per_minute: dict[int, list[int]]) -> dict:
    if not per_minute:
        return {"start": None, "bucketSeconds": 60, "buckets": []}
    first, last = min(per_minute), max(per_minute)
    span = (last - first + 1) * 60
    bucket_seconds = next((s for s in _BUCKET_SECONDS if span / s <= MAX_TIMELINE_BUCKETS), _BUCKET_SECONDS[-1])
    start_minute = first - first % (bucket_seconds // 60)
    count = (last - start_minute) * 60 // bucket_seconds + 1
    buckets = [[0, 0, 0, 0, 0] for _ in range(count)]
    for minute, values in per_minute.items():
        bucket = buckets[(minute - start_minute) * 60 // bucket_seconds]
        for index, value in enumerate(values):
            bucket[index] += value
    start = datetime.fromtimestamp(start_minute * 60, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"start": start, "bucketSeconds": bucket_seconds, "buckets": buckets}


class _Strings:
    """Interns the page's strings: kinds, roles, paths and messages repeat a lot."""

    def __init__(self) -> None:
        self.values: list[str] = []
        self._index: dict[str, int] = {}

    def __call__(self, value: str) -> int:
        index = self._index.get(value)
        if index is None:
            index = self._index[value] = len(self.values)
            self.values.append(value)
        return index


def _name_of(cp: str) -> str:
    try:
        return char_name(chr(int(cp[2:], 16)))
    except (ValueError, OverflowError):
        return "?"


def _diff_sides(reference: str, variant: str) -> tuple[list[list], list[list]]:
    """Each side as ``[text, differs]`` segments around the common prefix and suffix, revealed:
    hidden characters always, and every non-ASCII character of the part that differs."""
    prefix, suffix = common_affixes(reference, variant)

    def side(text: str) -> list[list]:
        middle = text[prefix: len(text) - suffix]
        odd = "".join(ch for ch in dict.fromkeys(middle) if not ch.isascii())
        segments = [[reveal(text[:prefix]), False], [reveal(middle, also=odd), True], [reveal(text[len(text) - suffix:]), False]]
        return [segment for segment in segments if segment[0]]

    return side(reference), side(variant)


def _probe_rows(probe: dict | None) -> list[dict] | None:
    if probe is None:
        return None
    differences = probe.get("differences") if isinstance(probe, dict) else None
    if not isinstance(differences, list):
        raise ValueError('a probe file is a JSON object with a "differences" list')
    rows = []
    for item in differences:
        if not isinstance(item, dict):
            raise ValueError("each probe difference is a JSON object")
        reference, variant = str(item.get("reference") or ""), str(item.get("variant") or "")
        left, right = _diff_sides(reference, variant)
        rows.append({
            "variable": str(item.get("variable", "")),
            "classification": str(item.get("classification", "unexplained")),
            "path": str(item.get("path", "")),
            "reference": left,
            "variant": right,
        })
    return rows


def build_data(records: Iterable[LogRecord], probe: dict | None = None, bad_lines: int = 0) -> dict:
    """The page's data: summary counts, timeline and the distinct findings, worst first."""
    summary = _Summary()
    for record in records:
        _fold(summary, record)
    strings = _Strings()
    names: dict[str, str] = {}
    ordered = sorted(summary.groups.values(), key=lambda g: (-g.finding.severity.rank, g.first_ts))
    rows = []
    for group in ordered[:MAX_ROWS]:
        finding = group.finding
        for cp in finding.codepoints:
            names.setdefault(cp, _name_of(cp))
        for cp in _REVEALED.findall(finding.context):
            names.setdefault(cp, _name_of(cp))
        rows.append([
            finding.severity.rank, strings(f"{finding.detector}/{finding.kind}"), strings(finding.role),
            strings(finding.path), strings(" ".join(finding.codepoints)), strings(finding.message),
            strings(finding.context), group.count, group.first_ts, group.last_ts,
            strings(group.client), strings(group.host), strings(group.api),
        ])
    probe_rows = _probe_rows(probe)
    for row in probe_rows or ():
        for side in (row["reference"], row["variant"]):
            for text, _ in side:
                for cp in _REVEALED.findall(text):
                    names.setdefault(cp, _name_of(cp))

    def table(rows_by_key: dict[str, list[int]]) -> list[list]:
        return sorted(([key, *values] for key, values in rows_by_key.items()), key=lambda r: (-r[3], -r[2], -r[1], r[0]))

    return {
        "severities": [s.value for s in SEVERITIES],
        "totals": {
            "records": summary.records, "findings": summary.findings, "alarms": summary.alarms,
            "skipped": summary.skipped, "distinct": len(summary.groups), "shown": len(rows), "badLines": bad_lines,
        },
        "summary": {
            "client": table(summary.by_client),
            "host": table(summary.by_host),
            "api": table(summary.by_api),
            "severity": [[s.value, summary.by_severity.get(s.value, 0)] for s in reversed(SEVERITIES)],
            "kind": sorted(([k, *v] for k, v in summary.by_kind.items()), key=lambda r: (-r[2], -r[1], r[0])),
        },
        "timeline": _timeline(summary.per_minute),
        "strings": strings.values,
        "findings": rows,
        "names": names,
        "probe": probe_rows,
        "pageSize": PAGE_SIZE,
    }


def embed_json(data: object) -> str:
    """JSON that is safe inside ``<script type="application/json">``: ASCII only (so U+2028,
    U+2029 and lone surrogates are escapes) and no ``<``, ``>`` or ``&`` to end the element.

    >>> embed_json({"context": "</script><script>alert(1)</script> & \\u2028"})
    '{"context":"\\\\u003c/script\\\\u003e\\\\u003cscript\\\\u003ealert(1)\\\\u003c/script\\\\u003e \\\\u0026 \\\\u2028"}'
    """
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _asset(name: str) -> str:
    return Path(__file__).with_name(name).read_text(encoding="utf-8")


def build_report(records: Iterable[LogRecord], probe: dict | None = None, *, bad_lines: int = 0, title: str = "stegwatch report") -> str:
    """The whole page as one string."""
    return _render(build_data(records, probe, bad_lines), title)


def _escape_html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


class _LogReader:
    """Streams records from a JSONL log, counting (and reporting) lines that do not parse."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.bad_lines = 0

    def __iter__(self) -> Iterator[LogRecord]:
        with open(self.path, encoding="utf-8", errors="surrogateescape") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    yield LogRecord.model_validate_json(line)
                except (ValidationError, ValueError) as error:
                    self.bad_lines += 1
                    if self.bad_lines <= 5:
                        first = str(error).splitlines()[0]
                        print(f"stegwatch report: {self.path}:{number}: skipped a bad line: {first}", file=sys.stderr)


def report_command(log_path: str | Path, probe_path: str | Path | None, output: str | Path) -> int:
    """Write the report; 0 on success, 2 when the log or probe cannot be read or the page written."""
    started = time.perf_counter()
    log = Path(log_path)
    try:
        probe = json.loads(Path(probe_path).read_text(encoding="utf-8")) if probe_path else None
        reader = _LogReader(log)
        data = build_data(reader, probe, 0)
        data["totals"]["badLines"] = reader.bad_lines
        page = _render(data, f"stegwatch report: {log.name}")
        Path(output).write_text(page, encoding="utf-8")
    except (OSError, ValueError) as error:
        print(f"stegwatch report: error: {error}", file=sys.stderr)
        return 2
    totals = data["totals"]
    print(
        f"stegwatch report: {output}: {totals['records']} records, {totals['findings']} findings "
        f"({totals['distinct']} distinct) in {time.perf_counter() - started:.1f}s",
        file=sys.stderr,
    )
    return 0


def _render(data: dict, title: str) -> str:
    nonce = secrets.token_urlsafe(18)
    replacements = {
        "{{NONCE}}": nonce,
        "{{CSS}}": _asset("report.css"),
        "{{JS}}": _asset("report.js"),
        "{{TITLE}}": _escape_html(title),
        "{{DATA}}": embed_json(data),
    }
    return re.sub(r"\{\{(NONCE|CSS|JS|TITLE|DATA)\}\}", lambda m: replacements[m.group()], _asset("report_template.html"))


__all__ = ["build_data", "build_report", "embed_json", "report_command"]
