"""The `Audit` add-on: reveal covert marks in AI API requests as they pass, changing nothing.

It reads each request body (and each client->server message of the OpenAI Responses
WebSocket API), finds the text a client put there, scans it with `detectors.scan` and leaves
evidence where a user looks: a JSONL audit log, one console line per request with alarms,
``flow.marked``, a note appended to ``flow.comment`` and the findings in
``flow.metadata["stegwatch"]``. It never touches what goes upstream: in audit mode the server
receives the request byte for byte, and responses pass unchanged (event streams keep
streaming, see `responseheaders`).

Scanning leaves the event loop for large bodies: a worker thread parses and looks strings up
in the per-string cache (`addons.scan_cache`), and a large batch of unseen text goes to a
scanning process (`addons.scan_worker`) so that it does not hold the interpreter lock.

It fails open. A body it cannot read is let through with one ``skipped`` record saying why,
and an exception inside the add-on is logged and lets the flow through as well: an auditing
proxy that breaks the user's agent gets switched off, and then it sees nothing.

Repeats: agents resend the whole conversation every turn. A finding whose identity (detector,
kind, JSON path, code points) was already reported in the same conversation is logged with
``repeat: true`` and not printed again. A conversation is one client (host and User-Agent)
with one system prompt and first user message; for the Responses WebSocket API it is the
WebSocket connection.
"""

from __future__ import annotations

import asyncio
import fnmatch
import logging
import traceback
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Optional

from mitmproxy import addonmanager, ctx, exceptions, http

from addons.analysis import API_GENERIC, API_WEBSOCKET, Analysis, analyse_request, analyse_websocket_message, body_digest
from addons.audit_log import AuditLog, LoggedFinding, LogRecord, client_identity, redact_path, revealed_context, utc_timestamp
from addons.scan_cache import ScanCache
from addons.scan_worker import ScanProcess
from detectors import Severity

logger = logging.getLogger("stegwatch")

MODES = ("audit", "sanitize", "block")
DEFAULT_MAX_BODY = 64 * 1024 * 1024
# Bodies at least this large are analysed on a worker thread so other flows keep moving.
OFFLOAD_BYTES = 32 * 1024
# Findings below this severity describe normal text and stay out of the log (unless the
# alarm threshold is set lower still).
LOG_FLOOR = Severity.LOW
MARKER = ":warning:"
METADATA_KEY = "stegwatch"
# Conversations remembered for `repeat`; the oldest is forgotten first.
MAX_CONVERSATIONS = 4096
CACHE_BYTES = 128 * 1024 * 1024


class Audit:
    """Scan requests and client WebSocket messages; log, mark and comment on findings."""

    def __init__(self) -> None:
        self.cache = ScanCache(CACHE_BYTES)
        self.scan_process = ScanProcess()
        self.log: AuditLog | None = None
        self._executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="stegwatch-scan")
        self._seen: OrderedDict[str, set[tuple[str, str, str, tuple[str, ...]]]] = OrderedDict()

    # --- options -------------------------------------------------------------------------

    def load(self, loader: addonmanager.Loader) -> None:
        loader.add_option(
            "stegwatch_mode", str, "audit",
            "audit: reveal marks and change nothing; sanitize and block come in a later release.",
            choices=MODES,
        )
        loader.add_option(
            "stegwatch_log", Optional[str], None,
            "Append one JSON line per inspected request to this file (created with mode 0600).",
        )
        loader.add_option(
            "stegwatch_hosts", Sequence[str], ["*"],
            "Host globs whose requests are inspected (default: every host), e.g. api.anthropic.com.",
        )
        loader.add_option(
            "stegwatch_min_severity", str, "medium",
            "Findings at or above this severity raise an alarm (console line, mark, comment).",
            choices=tuple(Severity),
        )
        loader.add_option(
            "stegwatch_max_body", int, DEFAULT_MAX_BODY,
            "Bodies larger than this many bytes pass uninspected and are logged as skipped.",
        )

    def configure(self, updated: set[str]) -> None:
        if "stegwatch_mode" in updated and ctx.options.stegwatch_mode != "audit":
            raise exceptions.OptionsError(
                f"stegwatch_mode={ctx.options.stegwatch_mode} is not available yet: this release only audits. "
                "Use stegwatch_mode=audit."
            )
        if "stegwatch_min_severity" in updated:
            try:
                Severity.parse(ctx.options.stegwatch_min_severity)
            except ValueError as error:
                raise exceptions.OptionsError(f"stegwatch_min_severity: {error}") from error
        if "stegwatch_max_body" in updated and ctx.options.stegwatch_max_body < 0:
            raise exceptions.OptionsError("stegwatch_max_body must be >= 0")
        if "stegwatch_log" in updated:
            self._close_log()
            if ctx.options.stegwatch_log:
                try:
                    self.log = AuditLog(ctx.options.stegwatch_log)
                except OSError as error:
                    raise exceptions.OptionsError(f"cannot open stegwatch_log {ctx.options.stegwatch_log}: {error}") from error

    def running(self) -> None:
        # Start the scanning process now, so the first large body does not wait for it.
        self.scan_process.start()

    def done(self) -> None:
        self._close_log()
        self._executor.shutdown(wait=False, cancel_futures=True)
        self.scan_process.close()

    def _close_log(self) -> None:
        if self.log is not None:
            self.log.close()
            self.log = None

    # --- hooks ---------------------------------------------------------------------------

    async def request(self, flow: http.HTTPFlow) -> None:
        raw = b""
        try:
            if flow.response is not None or flow.error is not None:
                return  # answered by another add-on (replay, a block list) before us
            if not self._wants_host(flow):
                return
            raw = flow.request.raw_content or b""
            if not raw:
                if flow.request.stream:
                    # stream_large_bodies sent the body on without keeping it: say so in the log.
                    reason = "oversized: the body was streamed (stream_large_bodies) and not kept"
                    self._report(flow, Analysis(API_GENERIC, None, "skipped", reason))
                return  # GETs and WebSocket upgrades carry nothing to scan
            analysis = await self._off_loop_if_large(
                len(raw),
                analyse_request,
                flow.request.method,
                flow.request.path,
                raw,
                flow.request.headers.get("content-encoding"),
                self.cache,
                ctx.options.stegwatch_max_body,
                self._client_seed(flow),
                self.scan_process,
            )
            self._report(flow, analysis)
        except Exception as error:  # noqa: BLE001 - fail open, see the module docstring
            self._fail_open(flow, error, raw)

    async def websocket_message(self, flow: http.HTTPFlow) -> None:
        content = b""
        try:
            if flow.websocket is None or not flow.websocket.messages:
                return
            message = flow.websocket.messages[-1]
            if not message.from_client or not _is_responses_websocket(flow.request.path) or not self._wants_host(flow):
                return
            content = message.content
            analysis = await self._off_loop_if_large(
                len(content),
                analyse_websocket_message,
                content,
                self.cache,
                ctx.options.stegwatch_max_body,
                f"ws:{flow.id}",
                self.scan_process,
            )
            self._report(flow, analysis)
        except Exception as error:  # noqa: BLE001 - fail open, see the module docstring
            self._fail_open(flow, error, content, API_WEBSOCKET)

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        """Stream event streams to the client as they come, instead of buffering to the end."""
        if flow.response is None or flow.response.stream:
            return
        content_type = flow.response.headers.get("content-type", "")
        if content_type.split(";", 1)[0].strip().lower() == "text/event-stream":
            flow.response.stream = True

    # --- work ----------------------------------------------------------------------------

    async def _off_loop_if_large(self, size: int, function: Callable[..., Analysis], *args: object) -> Analysis:
        if size < OFFLOAD_BYTES:
            return function(*args)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, function, *args)

    def _wants_host(self, flow: http.HTTPFlow) -> bool:
        patterns = ctx.options.stegwatch_hosts
        hosts = {flow.request.host.lower(), flow.request.pretty_host.lower()}
        return any(fnmatch.fnmatchcase(host, pattern.lower()) for pattern in patterns for host in hosts)

    @staticmethod
    def _client_seed(flow: http.HTTPFlow) -> str:
        return f"{flow.request.pretty_host}\x00{flow.request.headers.get('user-agent', '')}"

    def _report(self, flow: http.HTTPFlow, analysis: Analysis) -> None:
        threshold = Severity.parse(ctx.options.stegwatch_min_severity)
        floor = min(threshold, LOG_FLOOR)
        seen = self._seen_in(analysis.conversation)
        reported_before = frozenset(seen)  # two equal findings in one request are both new
        logged: list[LoggedFinding] = []
        for item in analysis.located:
            finding = item.finding
            if finding.severity < floor:
                continue
            identity = (finding.detector, finding.kind, item.field.path, tuple(finding.codepoints))
            repeat = identity in reported_before
            seen.add(identity)
            logged.append(
                LoggedFinding(
                    path=item.field.path, role=item.role, detector=finding.detector, kind=finding.kind,
                    severity=finding.severity, start=finding.start, end=finding.end,
                    codepoints=finding.codepoints, replacement=finding.replacement, message=finding.message,
                    repeat=repeat, context=revealed_context(item.field.text, finding),
                )
            )
        record = self._record(flow, analysis.api, analysis.action, analysis.body_sha256, logged, analysis.reason)
        self._write(record)
        self._leave_evidence(flow, record, threshold)

    def _seen_in(self, conversation: str | None) -> set[tuple[str, str, str, tuple[str, ...]]]:
        if conversation is None:
            return set()
        seen = self._seen.get(conversation)
        if seen is None:
            seen = self._seen[conversation] = set()
            if len(self._seen) > MAX_CONVERSATIONS:
                self._seen.popitem(last=False)
        else:
            self._seen.move_to_end(conversation)
        return seen

    def _record(
        self, flow: http.HTTPFlow, api: str, action: str, sha: str | None,
        findings: list[LoggedFinding], reason: str | None,
    ) -> LogRecord:
        return LogRecord(
            ts=utc_timestamp(), flow_id=flow.id, api=api, host=flow.request.pretty_host,
            path=redact_path(flow.request.path), client=client_identity(flow.request.headers.items(multi=True)),
            mode=ctx.options.stegwatch_mode, action=action, body_sha256=sha, findings=findings, reason=reason,
        )

    def _write(self, record: LogRecord) -> None:
        if self.log is None:
            return
        try:
            self.log.write(record)
        except OSError as error:
            _say(logging.ERROR, f"stegwatch: cannot write the audit log: {error}")

    def _leave_evidence(self, flow: http.HTTPFlow, record: LogRecord, threshold: Severity) -> None:
        alarms = [f for f in record.findings if f.severity >= threshold]
        evidence = flow.metadata.setdefault(METADATA_KEY, [])
        evidence.append(record.model_dump(mode="json", exclude={"client"}))
        if record.action == "skipped":
            _say(logging.INFO, f"stegwatch: skipped {record.host}{record.path}: {record.reason}")
            return
        if not alarms:
            return
        flow.marked = flow.marked or MARKER
        worst = max(f.severity for f in alarms)
        first = alarms[0]
        summary = (
            f"stegwatch: {len(alarms)} {'alarm' if len(alarms) == 1 else 'alarms'} ({worst}) in {record.api}; "
            f"first: {first.role} {first.path} {first.detector}/{first.kind} {' '.join(first.codepoints[:8])}"
        )
        flow.comment = f"{flow.comment}\n{summary}" if flow.comment else summary
        new = [f for f in alarms if not f.repeat]
        if new:
            _say(logging.WARNING, console_line(record, new))

    def _fail_open(self, flow: http.HTTPFlow, error: Exception, raw: bytes, api: str = API_GENERIC) -> None:
        reason = f"internal error: {type(error).__name__}: {error}"
        _say(logging.ERROR, f"stegwatch: {reason}; the flow passes unchanged\n{traceback.format_exc()}")
        try:
            record = self._record(flow, api, "skipped", body_digest(raw), [], reason)
            self._write(record)
            flow.metadata.setdefault(METADATA_KEY, []).append(record.model_dump(mode="json", exclude={"client"}))
        except Exception:  # noqa: BLE001 - the record is best effort; the flow must still pass
            _say(logging.ERROR, f"stegwatch: cannot record the error:\n{traceback.format_exc()}")


def console_line(record: LogRecord, alarms: Sequence[LoggedFinding]) -> str:
    """One line: severity, API, host/path, count, then the first finding in full."""
    worst = max(f.severity for f in alarms)
    first = alarms[0]
    codepoints = " ".join(first.codepoints[:8]) + (" …" if len(first.codepoints) > 8 else "")
    count = f"{len(alarms)} new finding{'s' if len(alarms) != 1 else ''}"
    return (
        f"stegwatch {str(worst).upper()} {record.api} {record.host}{record.path}: {count}; "
        f"first: [{first.role}] {first.path} {first.detector}/{first.kind} {codepoints}: {first.context}"
    )


def _say(level: int, message: str) -> None:
    """Log, but never let a failing log handler take the flow down with it."""
    try:
        logger.log(level, message)
    except Exception:  # noqa: BLE001 - see docstring
        pass


def _is_responses_websocket(path: str) -> bool:
    return path.split("?", 1)[0].rstrip("/").endswith("/responses")
