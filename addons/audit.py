"""The `Audit` add-on: reveal covert marks in AI API requests as they pass, and (when asked)
neutralise them or refuse the request.

It reads each request body (and each client->server message of the OpenAI Responses
WebSocket API), finds the text a client put there, scans it with `detectors.scan` and leaves
evidence where a user looks: a JSONL audit log, one console line per request with alarms,
``flow.marked``, a note appended to ``flow.comment`` and the findings in
``flow.metadata["stegwatch"]``. It never touches what goes upstream: in audit mode the server
receives the request byte for byte, and responses pass unchanged (event streams keep
streaming, see `responseheaders`).

The add-on is the orchestrator of the three modes (``stegwatch_mode``). ``audit`` changes
nothing. ``sanitize`` rewrites the code points `addons.policy` picks (in scope, at or above the
threshold) with `addons.sanitizer`, splicing them into the original bytes; a body with nothing
to rewrite is not touched at all. ``block`` answers a request carrying a mark at or above the
threshold locally, with the API's own error (`addons.block`), and never forwards it. The log
keeps every original finding; `addons.evidence` can keep the original body too. Both modes act
only on the AI APIs `addons.shapes` recognises: any other JSON POST through the proxy is
audited only, since who wrote its strings and what its client expects of an error is unknown.

Scanning leaves the event loop for large bodies: a worker thread parses and looks strings up
in the per-string cache (`addons.scan_cache`), and a large batch of unseen text goes to a
scanning process (`addons.scan_worker`) so that it does not hold the interpreter lock. In audit
mode the request (or WebSocket message) does not wait for its scan at all: it goes upstream at
once and the scan overlaps the server's work. Only the response waits, and only if the scan is
still running when it arrives, so a client never sees an answer before its request's record is
written.

It fails open by default. A body it cannot read is let through with one ``skipped`` record
saying why, and an exception inside the add-on is logged and lets the flow through as well: an
auditing proxy that breaks the user's agent gets switched off, and then it sees nothing. A user
who would rather lose a request than let an unchecked one out sets ``stegwatch_fail=closed``:
in sanitize and block modes an internal error then refuses the request with the API-shaped
error, and so does an unreadable body in block mode. Audit mode always fails open, since it
promises to change nothing.

Baselines (``stegwatch_baseline``, `addons.baseline`): ``learn`` records the template of each
client's own text in a SQLite store, ``check`` reports code-point drift from it as
``template-drift`` findings, which take the same path to the log, alarms and policies.

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
import os
import traceback
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Optional, TypeVar

from mitmproxy import addonmanager, ctx, exceptions, http
from mitmproxy.websocket import WebSocketMessage

from addons.analysis import (
    API_GENERIC,
    API_WEBSOCKET,
    Analysis,
    Located,
    analyse_request,
    analyse_websocket_message,
    body_digest,
)
from addons.block import error_response, websocket_error_event
from addons.audit_log import (
    AuditLog, Entry, LoggedFinding, LogRecord, OmittedFindings, client_identity, logged_codepoints, redact_path,
    revealed_context, utc_timestamp, within_cap,
)
from addons.date_drift import client_key, raise_disclosures, template_drift
from addons.baseline import MODES as BASELINE_MODES
from addons.baseline import BaselineMonitor, default_db_path
from addons.date_memory import DateLineMemory
from addons.evidence import keep_original
from addons.policy import FAILURE_POLICIES, SCOPES, Rewrite, blocking, describe_block, rewrites
from addons.repeats import SeenFindings
from addons.sanitizer import SanitizedBody, encode_body, sanitize_body
from addons.scan_cache import ScanCache
from addons.scan_worker import ScanProcess
from addons.shapes import is_responses_websocket, recognize
from detectors import Finding, Severity

logger = logging.getLogger("stegwatch")

MODES = ("audit", "sanitize", "block")
DEFAULT_MAX_BODY = 64 * 1024 * 1024
# Bodies at least this large are analysed on a worker thread so other flows keep moving.
OFFLOAD_BYTES = 32 * 1024
# In audit mode, bodies at least this large are analysed whole in the scanning process.
PROCESS_BYTES = 256 * 1024
# The longest an answer waits for its request's audit (fail open: a stuck scan must not hang the agent).
SETTLE_LIMIT_S = 30.0
# Findings below this severity describe normal text and stay out of the log (unless the
# alarm threshold is set lower still).
LOG_FLOOR = Severity.LOW
MARKER = ":warning:"
METADATA_KEY = "stegwatch"
CACHE_BYTES = 128 * 1024 * 1024
# Records kept in flow.metadata for one flow (a WebSocket flow gets one per message).
MAX_RECORDS_PER_FLOW = 200

_T = TypeVar("_T")


@dataclass
class Outcome:
    """What the add-on did with one request or message, for the log."""

    action: str
    reason: str | None = None
    sanitized_sha256: str | None = None
    # Every finding written over: its string's path, and the finding in the original's offsets.
    applied: list[tuple[str, Finding]] = field(default_factory=list)


@dataclass
class Verdict:
    """What the mode decided for a request: its outcome, and a refusal message or a rewrite plan."""

    outcome: Outcome
    refusal: str | None = None
    plan: list[Rewrite] = field(default_factory=list)


class Audit:
    """Scan requests and client WebSocket messages; log, mark and comment on findings; in
    sanitize and block modes, rewrite the marks or refuse the request."""

    def __init__(self) -> None:
        self.cache = ScanCache(CACHE_BYTES)
        self.scan_process = ScanProcess()
        self.log: AuditLog | None = None
        self._executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="stegwatch-scan")
        self.date_memory = DateLineMemory()
        self.baseline: BaselineMonitor | None = None
        self._seen = SeenFindings()
        # Audits of requests already sent upstream, by flow id (audit mode, see `request`).
        self._pending: dict[str, asyncio.Future[None]] = {}

    # --- options -------------------------------------------------------------------------

    def load(self, loader: addonmanager.Loader) -> None:
        loader.add_option(
            "stegwatch_mode", str, "audit",
            "audit: reveal marks and change nothing. sanitize: rewrite the marks stegwatch_sanitize_scope "
            "covers and forward the request. block: answer requests with a mark locally with the API's error.",
            choices=MODES,
        )
        loader.add_option(
            "stegwatch_sanitize_min_severity", str, "medium",
            "sanitize mode rewrites findings at or above this severity that have a replacement.",
            choices=tuple(Severity),
        )
        loader.add_option(
            "stegwatch_sanitize_scope", str, "client",
            "Text sanitize mode rewrites. client: system prompt, instructions, developer messages, tool "
            "definitions, client-injected context; conversation: also user and assistant text; all: also "
            "tool inputs and tool results (files and command output the agent read).",
            choices=tuple(SCOPES),
        )
        loader.add_option(
            "stegwatch_block_min_severity", str, "high",
            "block mode refuses requests with a finding (in any role) at or above this severity.",
            choices=tuple(Severity),
        )
        loader.add_option(
            "stegwatch_fail", str, "open",
            "open: when sanitizing fails or a body cannot be inspected, forward it unchanged and log why. "
            "closed (sanitize and block modes): refuse the request with the API's error instead.",
            choices=FAILURE_POLICIES,
        )
        loader.add_option(
            "stegwatch_keep_originals", Optional[str], None,
            "Directory where the original body of every sanitized or blocked request is kept, in a "
            "0600 file named by its SHA-256.",
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
            "stegwatch_disclosure_severity", str, "info",
            "Severity of date-format and time-zone disclosures (a locale-specific date, a zone name "
            "or offset in client text). Raise it if you treat telling the server your zone as a leak.",
            choices=tuple(Severity),
        )
        loader.add_option(
            "stegwatch_max_body", int, DEFAULT_MAX_BODY,
            "Bodies larger than this many bytes pass uninspected and are logged as skipped.",
        )
        loader.add_option(
            "stegwatch_baseline", str, "off",
            "off. learn: record the template of client-authored text (system prompt, tool definitions, "
            "injected context) per client and API. check: report code-point drift from it as template-drift.",
            choices=BASELINE_MODES,
        )
        loader.add_option(
            "stegwatch_baseline_db", Optional[str], None,
            f"The baseline store (SQLite). Default: {default_db_path()}.",
        )

    def configure(self, updated: set[str]) -> None:
        # `choices` is enforced for values set from text (--set), not for values set in code.
        for name, allowed in (("stegwatch_mode", MODES), ("stegwatch_sanitize_scope", tuple(SCOPES)),
                              ("stegwatch_fail", FAILURE_POLICIES)):
            if name in updated and getattr(ctx.options, name) not in allowed:
                raise exceptions.OptionsError(f"{name} must be one of {', '.join(allowed)}, not {getattr(ctx.options, name)!r}")
        for name in ("stegwatch_min_severity", "stegwatch_sanitize_min_severity", "stegwatch_block_min_severity"):
            if name in updated:
                try:
                    Severity.parse(getattr(ctx.options, name))
                except ValueError as error:
                    raise exceptions.OptionsError(f"{name}: {error}") from error
        if "stegwatch_keep_originals" in updated and ctx.options.stegwatch_keep_originals:
            try:
                keep_dir = os.path.expanduser(ctx.options.stegwatch_keep_originals)
                os.makedirs(keep_dir, mode=0o700, exist_ok=True)
            except OSError as error:
                raise exceptions.OptionsError(
                    f"cannot create stegwatch_keep_originals {ctx.options.stegwatch_keep_originals}: {error}"
                ) from error
        if "stegwatch_max_body" in updated and ctx.options.stegwatch_max_body < 0:
            raise exceptions.OptionsError("stegwatch_max_body must be >= 0")
        if updated & {"stegwatch_baseline", "stegwatch_baseline_db"}:
            self._open_baseline()
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

    def done(self) -> asyncio.Future[None] | None:
        """Close the log, store and workers; once audits still running have written their
        records, if there are any (mitmproxy awaits what ``done`` returns at shutdown)."""
        pending = [task for task in self._pending.values() if not task.done()]
        if pending:
            return asyncio.ensure_future(self._close_after(pending))
        self._close()
        return None

    async def _close_after(self, pending: list[asyncio.Future[None]]) -> None:
        await asyncio.gather(*pending, return_exceptions=True)
        self._close()

    def _close(self) -> None:
        self._close_log()
        self._close_baseline()
        self._executor.shutdown(wait=False, cancel_futures=True)
        self.scan_process.close()

    def _open_baseline(self) -> None:
        self._close_baseline()
        mode = ctx.options.stegwatch_baseline
        if mode not in BASELINE_MODES:
            raise exceptions.OptionsError(f"stegwatch_baseline must be one of {', '.join(BASELINE_MODES)}, not {mode!r}")
        if mode == "off":
            return
        path = os.path.expanduser(ctx.options.stegwatch_baseline_db or default_db_path())
        try:
            self.baseline = BaselineMonitor(mode, path)
        except Exception as error:  # noqa: BLE001 - OSError or sqlite3.Error: a bad path, a file that is no database
            raise exceptions.OptionsError(f"cannot open stegwatch_baseline_db {path}: {error}") from error

    def _close_baseline(self) -> None:
        if self.baseline is not None:
            baseline, self.baseline = self.baseline, None
            try:
                baseline.close()
            except Exception as error:  # noqa: BLE001 - closing must not stop the proxy
                _say(logging.ERROR, f"stegwatch: cannot close the baseline store: {error}")

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
                    located: list[Located] = []
                    self._report(flow, Analysis(API_GENERIC, None, "skipped", reason), located, Outcome("skipped", reason))
                return  # GETs and WebSocket upgrades carry nothing to scan
            if ctx.options.stegwatch_mode == "audit":
                # Audit changes nothing, so the request does not wait for its scan: it goes
                # upstream now, and the scan overlaps the server's answer (see `_settled`).
                self._in_background(flow, self._inspect_request(flow, raw), raw)
                return
            await self._inspect_request(flow, raw)
        except Exception as error:  # noqa: BLE001 - fail open (or closed), see the module docstring
            self._fail(flow, error, raw)

    async def _inspect_request(self, flow: http.HTTPFlow, raw: bytes) -> None:
        content_encoding = flow.request.headers.get("content-encoding")
        analysis = await self._analyse_request(flow, raw, content_encoding)
        located = self._final_findings(flow, analysis)
        outcome = await self._act_on_request(flow, analysis, located, raw, content_encoding)
        self._keep_original_if_changed(outcome, raw, analysis.body_sha256)
        self._report(flow, analysis, located, outcome)

    def _in_background(
        self, flow: http.HTTPFlow, work: Coroutine[object, object, None], content: bytes, api: str | None = None
    ) -> None:
        """Run ``work`` (the inspection of ``content``) after the flow's earlier background
        audit, if any: a WebSocket session's records (and repeats) keep the order of its
        messages. Fails open as the hooks do."""
        earlier = self._pending.get(flow.id)

        async def after_earlier() -> None:
            if earlier is not None:
                await asyncio.gather(earlier, return_exceptions=True)
            try:
                await work
            except Exception as error:  # noqa: BLE001 - fail open, see the module docstring
                self._fail(flow, error, content, api)

        task = asyncio.ensure_future(after_earlier())
        self._pending[flow.id] = task

        def forget(finished: asyncio.Future[None]) -> None:
            if self._pending.get(flow.id) is finished:  # not a later message's audit
                del self._pending[flow.id]

        task.add_done_callback(forget)

    async def _settled(self, flow: http.HTTPFlow) -> None:
        """Wait for the background audit of ``flow``'s request (or of its WebSocket messages
        so far), if it is still running.

        The client never sees an answer whose request's record is not yet written: the log,
        the mark and the comment are in place first. With a real API the scan ends long before
        the first byte of the answer arrives, so this rarely waits.
        """
        task = self._pending.get(flow.id)
        if task is None:
            return
        try:
            # Shielded: if this hook is cancelled or gives up, the audit still finishes.
            await asyncio.wait_for(asyncio.shield(task), SETTLE_LIMIT_S)
        except TimeoutError:
            _say(logging.WARNING, f"stegwatch: the audit of {flow.request.pretty_host}{flow.request.path} is still "
                 f"running after {SETTLE_LIMIT_S:g} s; the answer goes on, the record follows when it is done")

    async def websocket_message(self, flow: http.HTTPFlow) -> None:
        content = b""
        try:
            if flow.websocket is None or not flow.websocket.messages:
                return
            message = flow.websocket.messages[-1]
            if not is_responses_websocket(flow.request.path) or not self._wants_host(flow):
                return
            if not message.from_client:
                # The server's answer to a message waits for that message's record, as an
                # HTTP response does (see `_settled`).
                await self._settled(flow)
                return
            content = message.content
            if ctx.options.stegwatch_mode == "audit":
                self._in_background(flow, self._inspect_message(flow, message), content, API_WEBSOCKET)  # as in `request`
                return
            await self._inspect_message(flow, message)
        except Exception as error:  # noqa: BLE001 - fail open (or closed), see the module docstring
            self._fail(flow, error, content, API_WEBSOCKET)

    async def _inspect_message(self, flow: http.HTTPFlow, message: WebSocketMessage) -> None:
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
        located = self._final_findings(flow, analysis)
        outcome = await self._act_on_message(flow, message, analysis, located)
        self._keep_original_if_changed(outcome, content, analysis.body_sha256)
        self._report(flow, analysis, located, outcome)

    async def responseheaders(self, flow: http.HTTPFlow) -> None:
        """Stream event streams to the client as they come, instead of buffering to the end."""
        await self._settled(flow)
        if flow.response is None or flow.response.stream:
            return
        content_type = flow.response.headers.get("content-type", "")
        if content_type.split(";", 1)[0].strip().lower() == "text/event-stream":
            flow.response.stream = True

    async def response(self, flow: http.HTTPFlow) -> None:
        # A response another add-on set skips `responseheaders`.
        await self._settled(flow)

    async def error(self, flow: http.HTTPFlow) -> None:
        await self._settled(flow)

    async def websocket_end(self, flow: http.HTTPFlow) -> None:
        await self._settled(flow)

    # --- work ----------------------------------------------------------------------------

    async def _analyse_request(self, flow: http.HTTPFlow, raw: bytes, content_encoding: str | None) -> Analysis:
        request = flow.request
        max_body, seed = ctx.options.stegwatch_max_body, self._client_seed(flow)
        if ctx.options.stegwatch_mode == "audit" and len(raw) >= PROCESS_BYTES:
            # The request is already upstream (see `request`): its whole analysis runs in the
            # scanning process, so that not even parsing competes with mitmproxy forwarding it.
            analysis = await self.scan_process.analyse(request.method, request.path, raw, content_encoding, max_body, seed)
            if analysis is not None:
                return analysis
        return await self._off_loop_if_large(
            len(raw), analyse_request, request.method, request.path, raw, content_encoding,
            self.cache, max_body, seed, self.scan_process,
        )

    async def _off_loop_if_large(self, size: int, function: Callable[..., _T], *args: object) -> _T:
        if size < OFFLOAD_BYTES:
            return function(*args)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, function, *args)

    def _verdict(self, analysis: Analysis, located: list[Located], what: str) -> Verdict:
        """What the mode asks for: forward as is, refuse (with the client's message), or rewrite."""
        mode = ctx.options.stegwatch_mode
        if analysis.action == "skipped":
            if mode == "block" and self._fails_closed():
                refusal = f"stegwatch refused this {what}: it cannot inspect it ({analysis.reason}), and stegwatch_fail=closed"
                return Verdict(Outcome("blocked", analysis.reason), refusal=refusal)
            return Verdict(Outcome("skipped", analysis.reason))
        if mode == "block":
            threshold = Severity.parse(ctx.options.stegwatch_block_min_severity)
            hits = blocking(located, threshold)
            return Verdict(Outcome("blocked"), refusal=describe_block(hits, threshold)) if hits else Verdict(Outcome("pass"))
        if mode == "sanitize" and analysis.decoded is not None:
            threshold = Severity.parse(ctx.options.stegwatch_sanitize_min_severity)
            return Verdict(Outcome("pass"), plan=rewrites(located, threshold, ctx.options.stegwatch_sanitize_scope))
        return Verdict(Outcome("pass"))

    async def _act_on_request(
        self, flow: http.HTTPFlow, analysis: Analysis, located: list[Located], raw: bytes, content_encoding: str | None
    ) -> Outcome:
        """Apply the mode to an HTTP request: forward, rewrite the body, or answer locally."""
        if analysis.api == API_GENERIC:
            # Not an AI API we know: who wrote its strings, and what an error must look like, is
            # unknown, so it is audited only (it may be any JSON POST through the proxy).
            return Outcome(analysis.action, analysis.reason)
        verdict = self._verdict(analysis, located, "request")
        if verdict.refusal is not None:
            flow.response = error_response(analysis.api, verdict.refusal)
            return verdict.outcome
        if not verdict.plan:
            return verdict.outcome
        try:
            result, new_raw = await self._off_loop_if_large(
                len(raw), _sanitize_request, analysis.decoded, verdict.plan, content_encoding
            )
        except Exception as error:  # noqa: BLE001 - the failure policy decides, see the module docstring
            return self._sanitize_failed(flow, analysis.api, error)
        if not result.changed:
            return verdict.outcome
        flow.request.raw_content = new_raw
        _fix_content_length(flow.request.headers, len(new_raw))
        return _sanitized(result, new_raw)

    async def _act_on_message(
        self, flow: http.HTTPFlow, message: WebSocketMessage, analysis: Analysis, located: list[Located]
    ) -> Outcome:
        """Apply the mode to a client WebSocket message: forward, rewrite it, or drop it with an error event."""
        verdict = self._verdict(analysis, located, "message")
        if verdict.refusal is not None:
            self._refuse_message(flow, verdict.refusal)
            return verdict.outcome
        if not verdict.plan:
            return verdict.outcome
        try:
            result = await self._off_loop_if_large(len(analysis.decoded), sanitize_body, analysis.decoded, verdict.plan)
        except Exception as error:  # noqa: BLE001 - the failure policy decides, see the module docstring
            return self._sanitize_failed(flow, API_WEBSOCKET, error)
        if not result.changed:
            return verdict.outcome
        message.content = result.body
        return _sanitized(result, result.body)

    def _sanitize_failed(self, flow: http.HTTPFlow, api: str, error: Exception) -> Outcome:
        reason = f"sanitize failed: {type(error).__name__}: {error}"
        if self._fails_closed():
            _say(logging.ERROR, f"stegwatch: {reason}; the request is refused (stegwatch_fail=closed)")
            self._refuse(flow, api, f"stegwatch refused this request: {reason}, and stegwatch_fail=closed")
            return Outcome("blocked", reason)
        _say(logging.ERROR, f"stegwatch: {reason}; the original is forwarded (stegwatch_fail=open)")
        return Outcome("pass", f"{reason}; forwarded unchanged (stegwatch_fail=open)")

    def _fails_closed(self) -> bool:
        return ctx.options.stegwatch_fail == "closed" and ctx.options.stegwatch_mode != "audit"

    def _refuse(self, flow: http.HTTPFlow, api: str, message: str) -> None:
        if flow.websocket is not None:
            self._refuse_message(flow, message)
        else:
            flow.response = error_response(api, message)

    def _refuse_message(self, flow: http.HTTPFlow, message: str) -> None:
        """Drop the client's last WebSocket message and tell the client why with an error event."""
        flow.websocket.messages[-1].drop()
        self.send_to_client(flow, websocket_error_event(message))

    def send_to_client(self, flow: http.HTTPFlow, payload: bytes) -> None:
        """Inject a text message towards the client (mitmproxy's ``inject.websocket`` command)."""
        ctx.master.commands.call("inject.websocket", flow, True, payload, True)

    def _keep_original_if_changed(self, outcome: Outcome, raw: bytes, sha: str | None) -> None:
        directory = ctx.options.stegwatch_keep_originals
        if not directory or outcome.action not in ("sanitized", "blocked") or not raw or sha is None:
            return
        try:
            keep_original(directory, raw, sha)
        except OSError as error:
            _say(logging.ERROR, f"stegwatch: cannot keep the original body in {directory}: {error}")

    def _wants_host(self, flow: http.HTTPFlow) -> bool:
        patterns = ctx.options.stegwatch_hosts
        hosts = {flow.request.host.lower(), flow.request.pretty_host.lower()}
        return any(fnmatch.fnmatchcase(host, pattern.lower()) for pattern in patterns for host in hosts)

    @staticmethod
    def _client_seed(flow: http.HTTPFlow) -> str:
        return f"{flow.request.pretty_host}\x00{flow.request.headers.get('user-agent', '')}"

    def _final_findings(self, flow: http.HTTPFlow, analysis: Analysis) -> list[Located]:
        """The scan's findings plus those that compare with earlier requests (date drift)."""
        identity = client_identity(flow.request.headers.items(multi=True))
        client = client_key(identity)
        located = [*analysis.located, *template_drift(self.date_memory, client, analysis.fields)]
        if self.baseline is not None and analysis.fields:
            located += self._baseline_findings(identity, analysis)
        return raise_disclosures(located, Severity.parse(ctx.options.stegwatch_disclosure_severity))

    def _baseline_findings(self, identity: dict[str, str], analysis: Analysis) -> list[Located]:
        """Learn the request's client-authored template, or check it (`addons.baseline`);
        fails open: an error is logged and the request goes on without baseline findings."""
        try:
            return self.baseline.observe(identity, analysis.api, analysis.fields) if self.baseline else []
        except Exception as error:  # noqa: BLE001 - fail open, see the module docstring
            _say(logging.ERROR, f"stegwatch: baseline {ctx.options.stegwatch_baseline} failed: {type(error).__name__}: "
                 f"{error}; the request passes unchanged\n{traceback.format_exc()}")
            return []

    def _report(self, flow: http.HTTPFlow, analysis: Analysis, located: list[Located], outcome: Outcome) -> None:
        threshold = Severity.parse(ctx.options.stegwatch_min_severity)
        floor = min(threshold, LOG_FLOOR)
        # Whatever sanitize or block acted on is logged, whatever the floor: nothing is erased silently.
        if ctx.options.stegwatch_mode == "sanitize":
            floor = min(floor, Severity.parse(ctx.options.stegwatch_sanitize_min_severity))
        elif ctx.options.stegwatch_mode == "block":
            floor = min(floor, Severity.parse(ctx.options.stegwatch_block_min_severity))
        rewritten = {_rewrite_key(path, finding) for path, finding in outcome.applied}
        if outcome.applied:
            # A rescan after a rewrite can find what the first scan rated lower or did not
            # report: those rewrites are logged too.
            first_scan = {_rewrite_key(item.field.path, item.finding) for item in located}
            fields = {text_field.path: text_field for text_field in analysis.fields}
            located = located + [
                Located(fields[path], finding) for path, finding in outcome.applied
                if _rewrite_key(path, finding) not in first_scan and path in fields
            ]
        seen = self._seen.seen_in(analysis.conversation)
        reported_before = frozenset(seen)  # two equal findings in one request are both new
        entries: list[Entry] = []
        texts = {item.field.path: item.field.text for item in located}
        for item in located:
            finding = item.finding
            was_rewritten = _rewrite_key(item.field.path, finding) in rewritten
            if finding.severity < floor and not was_rewritten:
                continue
            identity = (finding.detector, finding.kind, item.field.path, tuple(finding.codepoints))
            seen.add(identity)
            entries.append(Entry(item.field.path, item.role, finding, was_rewritten, identity in reported_before))
        listed, omitted = within_cap(entries)
        logged = [
            LoggedFinding(
                path=entry.path, role=entry.role, detector=entry.finding.detector, kind=entry.finding.kind,
                severity=entry.finding.severity, start=entry.finding.start, end=entry.finding.end,
                codepoints=logged_codepoints(entry.finding), replacement=entry.finding.replacement,
                message=entry.finding.message, repeat=entry.repeat,
                context=revealed_context(texts[entry.path], entry.finding), rewritten=entry.rewritten,
            )
            for entry in listed
        ]
        record = self._record(
            flow, analysis.api, outcome.action, analysis.body_sha256, logged, outcome.reason, outcome.sanitized_sha256,
            omitted,
        )
        self._write(record)
        self._leave_evidence(flow, record, threshold)

    def _record(
        self, flow: http.HTTPFlow, api: str, action: str, sha: str | None,
        findings: list[LoggedFinding], reason: str | None, sanitized_sha: str | None = None,
        omitted: list[OmittedFindings] | None = None,
    ) -> LogRecord:
        return LogRecord(
            ts=utc_timestamp(), flow_id=flow.id, api=api, host=flow.request.pretty_host,
            path=redact_path(flow.request.path), client=client_identity(flow.request.headers.items(multi=True)),
            mode=ctx.options.stegwatch_mode, action=action, body_sha256=sha, sanitized_sha256=sanitized_sha,
            findings=findings, omitted=omitted or [], reason=reason,
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
        del evidence[:-MAX_RECORDS_PER_FLOW]  # a long WebSocket session keeps its latest records
        if record.action == "skipped" or (record.action == "blocked" and record.reason):
            _say(logging.INFO, f"stegwatch: {record.action} {record.host}{record.path}: {record.reason}")
            return
        if not alarms:
            return
        flow.marked = flow.marked or MARKER
        worst = max(f.severity for f in alarms)
        first = alarms[0]
        acted = f", {record.action}" if record.action in ("sanitized", "blocked") else ""
        count = record.count(threshold)
        summary = (
            f"stegwatch: {count} {'alarm' if count == 1 else 'alarms'} ({worst}) in {record.api}{acted}; "
            f"first: {first.role} {first.path} {first.detector}/{first.kind} {' '.join(first.codepoints[:8])}"
        )
        new = [f for f in alarms if not f.repeat]
        if new or flow.websocket is None:  # one line per message would bury a WebSocket's comment
            flow.comment = f"{flow.comment}\n{summary}" if flow.comment else summary
        if new or record.action == "blocked":  # a refusal is news even for a known mark
            _say(logging.WARNING, console_line(record, new or alarms))

    def _fail(self, flow: http.HTTPFlow, error: Exception, raw: bytes, api: str | None = None) -> None:
        reason = f"internal error: {type(error).__name__}: {error}"
        if api is None:
            by_path = recognize(flow.request.method, flow.request.path, {})
            api = API_GENERIC if by_path is None else by_path.value
        action = "skipped"
        try:
            if self._fails_closed() and raw and flow.response is None and api != API_GENERIC:
                self._refuse(flow, api, f"stegwatch refused this request: {reason}, and stegwatch_fail=closed")
                action = "blocked"
        except Exception:  # noqa: BLE001 - refusing failed too; the flow passes, as fail-open would
            _say(logging.ERROR, f"stegwatch: cannot refuse the request:\n{traceback.format_exc()}")
        outcome = "is refused (stegwatch_fail=closed)" if action == "blocked" else "passes unchanged"
        _say(logging.ERROR, f"stegwatch: {reason}; the flow {outcome}\n{traceback.format_exc()}")
        try:
            record = self._record(flow, api, action, body_digest(raw), [], reason)
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
    if record.action in ("sanitized", "blocked"):
        count += f", {record.action}"
    omitted = sum(group.count for group in record.omitted)
    if omitted:
        count += f", {omitted} more counted but not listed in the log"
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


def _sanitize_request(decoded: bytes, plan: Sequence[Rewrite], content_encoding: str | None) -> tuple[SanitizedBody, bytes]:
    """The sanitized body and its bytes for the wire (compressed again if the request was)."""
    result = sanitize_body(decoded, plan)
    if not result.changed:
        return result, b""
    return result, encode_body(result.body, content_encoding)


def _sanitized(result: SanitizedBody, wire: bytes) -> Outcome:
    return Outcome(
        "sanitized",
        sanitized_sha256=body_digest(wire),
        applied=result.applied,
    )


def _rewrite_key(path: str, finding: Finding) -> tuple[str, int, int, str, str]:
    return (path, finding.start, finding.end, finding.detector, finding.kind)


def _fix_content_length(headers: http.Headers, length: int) -> None:
    """Content-Length follows the new body; a chunked body or an HTTP/2 body without one stays so."""
    if "content-length" in headers and "transfer-encoding" not in headers:
        headers["content-length"] = str(length)
