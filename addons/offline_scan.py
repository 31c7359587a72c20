"""``stegwatch scan PATH…``: reveal covert marks in saved traffic and text files, offline.

Each path is a file or a directory (walked recursively: a directory's files in sorted order,
then its subdirectories). A capture (`addons.captures`: ``.mitm`` flow dumps, HAR, JSON and
JSONL request bodies) is read one request at a time and every request goes through the
add-on's own analysis (`addons.analysis.analyse_captured`),
then the same date-drift and disclosure steps as the add-on's ``_final_findings``, so the
JSON paths, roles and findings are those live mode logs for the same traffic. Any other file
is UTF-8 text and goes to `detectors.scan` directly (``-`` is standard input).

What it leaves alone, as live mode does: responses (a covert mark travels from the client
to the API, so only requests and client WebSocket messages are read), bodiless requests,
WebSocket messages of other protocols than the Responses API, and bodies that are not JSON or
exceed ``--max-body`` (counted as skipped, with the reason). In a directory, files with a NUL
byte in their first block (images, archives) and version-control directories are passed
over: they are not text; naming such a file explicitly still scans it and reports why not.

Agents resend the system prompt, the tools and every earlier turn on each request, so most
strings of a long capture were seen before: the per-string `ScanCache`, which lasts the whole
scan, is what makes a large capture fast. A capture file is one session, as one run of the
proxy: within it a finding that an earlier request of the same conversation already showed
is a ``repeat`` (as in the audit log), listed once by the text report, kept with the flag in
JSON, reported at its first request in SARIF. Because each file stands alone, large scans
are shared among worker processes (``--jobs``) with the same results.

Memory follows the largest single body, not the total: flow dumps and JSONL are streamed, a
HAR or JSON document (and a text file) is loaded one file at a time, the text report is
written file by file, and JSON/SARIF keep only the findings (small records, never bodies).
The cache adds its fixed budget (`CACHE_BYTES`) in each process.

Exit status: 0 nothing at or above ``--min-severity``, 1 findings, 2 an error (an unreadable
or corrupt file, bad arguments). An error wins over findings: a scan that could not read
everything must not pass as a clean or merely dirty one in CI. The other files are still
scanned and reported. A rich progress bar goes to stderr only when it is a terminal and the
scan is long (`wants_progress`).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from addons import cli
from addons.captured import CapturedRequest
from addons.repeats import SeenFindings
from addons.captures import CaptureError, capture_kind, read_requests
from addons.cli import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, InputError, locate, read_text
from detectors import Finding, Severity, scan

DEFAULT_MAX_BODY = cli.DEFAULT_MAX_BODY
# The per-string cache's budget: the one part of memory that does not follow the largest body.
CACHE_BYTES = 64 * 1024 * 1024
# A scan of this many bytes, or one still running after this many seconds, gets a progress bar.
PROGRESS_MIN_BYTES = 64 * 1024 * 1024
PROGRESS_AFTER_SECONDS = 1.0
# A scan of this many bytes is shared among worker processes (one per CPU, up to MAX_AUTO_JOBS).
PARALLEL_MIN_BYTES = 64 * 1024 * 1024
MAX_AUTO_JOBS = 4
# Directories that hold version-control objects (compressed), never text a user wrote.
SKIPPED_DIRECTORIES = frozenset({".git", ".hg", ".svn"})
_BINARY_PROBE_BYTES = 8192
STDIN = "-"
SEVERITY_STYLE = {
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class Hit:
    """One finding at or above the threshold, and where it is.

    A text file's hit has ``line``/``column`` (1-based, columns in code points). A capture's
    hit has the request ``origin`` (``capture.mitm#3``), ``api``, ``json_path`` and ``role``;
    its ``finding.start``/``end`` are code-point offsets into the string at ``json_path``.
    """

    file: str
    finding: Finding
    line: int | None = None
    column: int | None = None
    origin: str | None = None
    api: str | None = None
    json_path: str | None = None
    role: str | None = None
    repeat: bool = False
    context: str = ""
    # The revealed line around the finding (before, span, after), for the text report.
    shown: tuple[str, str, str] = ("", "", "")

    def identity(self) -> tuple[str, str, str, tuple[str, ...]]:
        """Detector, kind, JSON path and code points: what stays when offsets move."""
        return (self.finding.detector, self.finding.kind, self.json_path or "", tuple(self.finding.codepoints))


@dataclass(frozen=True)
class ScanError:
    """A file that could not be read (any further)."""

    file: str
    message: str
    offset: int | None = None
    unit: str = "byte"

    def __str__(self) -> str:
        return self.message


@dataclass
class RequestResult:
    """One captured request: its API, its hits, or why it was skipped."""

    request: CapturedRequest
    api: str | None
    hits: list[Hit]
    skipped: str | None = None


@dataclass
class FileResult:
    """Everything one file gave: its hits, how many requests, skips and an error, if any."""

    file: str
    kind: str
    size: int
    hits: list[Hit] = field(default_factory=list)
    requests: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    error: ScanError | None = None


@dataclass
class ScanTotals:
    files: int = 0
    requests: int = 0
    bytes: int = 0
    hits: int = 0
    repeats: int = 0
    skipped: int = 0
    passed_over: int = 0
    errors: list[ScanError] = field(default_factory=list)
    worst: Severity | None = None


def wants_progress(stderr_is_terminal: bool, total_bytes: int, elapsed: float) -> bool:
    """Whether the scan shows a progress bar: only on a terminal, and only for a long scan
    (`PROGRESS_MIN_BYTES` to read, or `PROGRESS_AFTER_SECONDS` already spent).

    >>> wants_progress(False, 10**12, 60.0), wants_progress(True, 1000, 0.01)
    (False, False)
    >>> wants_progress(True, PROGRESS_MIN_BYTES, 0.0), wants_progress(True, 1000, 2.5)
    (True, True)
    """
    return stderr_is_terminal and (total_bytes >= PROGRESS_MIN_BYTES or elapsed >= PROGRESS_AFTER_SECONDS)


@dataclass(frozen=True)
class ScanOptions:
    """What the command line sets: the add-on's options of the same names."""

    min_severity: Severity = Severity.MEDIUM
    max_body: int = DEFAULT_MAX_BODY
    disclosure_severity: Severity = Severity.INFO


class OfflineScanner:
    """Scans files and captured requests the way the add-on scans live traffic.

    Within one file it keeps what the add-on keeps across the requests of one run: the
    date-template memory of each client (`addons.date_memory`) and the findings each
    conversation already showed (``repeat``). A capture file is one session, as one run of
    the proxy, so that memory starts afresh with each file; the results of a file therefore
    do not depend on which other files are scanned with it, or in which process. The
    per-string cache is exact (it only saves time) and lasts the whole scan.
    """

    def __init__(self, options: ScanOptions = ScanOptions(), cache_bytes: int = CACHE_BYTES) -> None:
        from addons.scan_cache import ScanCache

        self.options = options
        self.cache = ScanCache(cache_bytes)
        self.new_session()

    def new_session(self) -> None:
        """Forget the dates and findings seen so far (a new capture file: a new session)."""
        from addons.date_memory import DateLineMemory

        self.date_memory = DateLineMemory()
        self._seen = SeenFindings()

    # --- files ---------------------------------------------------------------------------

    def scan_file(self, path: str, on_bytes: Callable[[int], None] = lambda size: None) -> FileResult:
        """Scan one file (``-`` is standard input) as a capture or as text; ``on_bytes``
        hears of the progress, in bytes of the file, as it goes."""
        kind = None if path == STDIN else capture_kind(Path(path))
        size = _size_of(path)
        if kind is None:
            result = self._scan_text_file(path, size)
            on_bytes(size)
            return result
        self.new_session()
        result = FileResult(path, kind, size)
        reported = 0
        try:
            for request in read_requests(Path(path)):
                try:
                    outcome = self.scan_request(request, file=path)
                except Exception as error:  # noqa: BLE001 - a bug must not hide the other requests
                    # Live mode fails open on the request; offline, the scan goes on and exits 2.
                    message = f"{request.origin}: internal error: {type(error).__name__}: {error}"
                    result.error = result.error or ScanError(path, message)
                    outcome = RequestResult(request, None, [])
                result.requests += 1
                result.hits.extend(outcome.hits)
                if outcome.skipped is not None:
                    result.skipped.append((request.origin, outcome.skipped))
                step = min(len(request.body), size - reported)
                reported += step
                on_bytes(step)
        except CaptureError as error:
            result.error = ScanError(path, str(error), error.offset, error.unit)
        on_bytes(size - reported)
        return result

    def _scan_text_file(self, path: str, size: int) -> FileResult:
        source = "<stdin>" if path == STDIN else path
        result = FileResult(source, "text", size)
        try:
            text = read_text(path)
        except InputError as error:
            result.error = ScanError(source, str(error), _utf8_offset(str(error)))
            return result
        findings = [f for f in scan(text) if f.severity >= self.options.min_severity]
        marked = cli._marked_characters(findings)
        for item in locate(text, findings):
            result.hits.append(
                Hit(source, item.finding, item.line, item.column, shown=cli._context(text, item, marked),
                    context=_revealed_context(text, item.finding))
            )
        return result

    # --- requests ------------------------------------------------------------------------

    def scan_request(self, request: CapturedRequest, file: str = "") -> RequestResult:
        """Analyse one captured request (or client WebSocket message) as the add-on would."""
        from addons.analysis import analyse_captured
        from addons.audit_log import client_identity
        from addons.date_drift import client_key, raise_disclosures, template_drift

        if request.body_not_kept:   # as live mode logs it: nothing is passed over in silence
            return RequestResult(request, None, [], "oversized: the body was streamed (stream_large_bodies) and not kept")
        analysis = analyse_captured(request, self.cache, self.options.max_body)
        if analysis is None:
            return RequestResult(request, None, [])  # GETs, upgrades, other WebSockets: no record live either
        if analysis.action == "skipped":
            return RequestResult(request, analysis.api, [], analysis.reason)
        client = client_key(client_identity(request.headers))
        located = [*analysis.located, *template_drift(self.date_memory, client, analysis.fields)]
        located = raise_disclosures(located, self.options.disclosure_severity)
        seen = self._seen.seen_in(analysis.conversation)
        reported_before = frozenset(seen)  # two equal findings in one request are both new
        hits: list[Hit] = []
        for item in located:
            finding = item.finding
            if finding.severity < self.options.min_severity:
                continue
            hit = _capture_hit(file or request.origin, request.origin, analysis.api, item)
            identity = hit.identity()
            seen.add(identity)
            if identity in reported_before:
                hit = _with_repeat(hit)
            hits.append(hit)
        return RequestResult(request, analysis.api, hits)


def _capture_hit(file: str, origin: str, api: str, item: Any) -> Hit:
    text = item.field.text
    finding = item.finding
    located = next(locate(text, [finding]))
    return Hit(
        file, finding, origin=origin, api=api, json_path=item.field.path, role=item.role,
        context=_revealed_context(text, finding),
        shown=cli._context(text, located, cli._marked_characters([finding])),
    )


def _with_repeat(hit: Hit) -> Hit:
    from dataclasses import replace

    return replace(hit, repeat=True)


def _revealed_context(text: str, finding: Finding) -> str:
    from addons.audit_log import revealed_context

    return revealed_context(text, finding)


def _size_of(path: str) -> int:
    if path == STDIN:
        return 0
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _utf8_offset(message: str) -> int | None:
    marker = "invalid UTF-8 at byte offset "
    if marker not in message:
        return None
    digits = message.split(marker, 1)[1].split(" ", 1)[0]
    return int(digits) if digits.isdigit() else None


# --- paths -------------------------------------------------------------------------------


def expand_paths(arguments: Sequence[str]) -> Iterator[tuple[str, bool]]:
    """Each file to scan and whether the user named it (True) or a directory walk found it.

    Directories are walked recursively: a directory's files (sorted), then its subdirectories
    (sorted). Symbolic links to directories are not followed (a link loop must not hang the
    scan) and `SKIPPED_DIRECTORIES` are not entered. A directory that cannot be listed is
    yielded as if named, so that reading it reports the reason as an error.
    """
    for argument in arguments:
        if argument != STDIN and os.path.isdir(argument):
            unlisted: list[str] = []
            walk = os.walk(argument, onerror=lambda error: unlisted.append(error.filename), followlinks=False)
            for root, directories, files in walk:
                directories[:] = sorted(d for d in directories if d not in SKIPPED_DIRECTORIES)
                for name in sorted(files):
                    yield os.path.join(root, name), False
                while unlisted:
                    yield unlisted.pop(0), True
        else:
            yield argument, True


def is_binary(path: str) -> bool:
    """A NUL byte in the first block: not text (git's own test)."""
    try:
        with open(path, "rb") as handle:
            return b"\0" in handle.read(_BINARY_PROBE_BYTES)
    except OSError:
        return False


def files_to_scan(arguments: Sequence[str], totals: ScanTotals, on_bytes: Callable[[int], None] = lambda size: None) -> Iterator[str]:
    """The files the arguments name, binary files found in directories passed over (and counted)."""
    for path, named in expand_paths(arguments):
        if not named and capture_kind(Path(path)) is None and is_binary(path):
            totals.passed_over += 1
            on_bytes(_size_of(path))
            continue
        yield path


def choose_jobs(requested: int, total_bytes: int, arguments: Sequence[str], load: float | None = None) -> int:
    """How many processes scan files side by side: ``requested`` when given (> 0). By
    default, one for a scan under `PARALLEL_MIN_BYTES` (starting processes costs more than
    a small scan takes), else one per idle CPU (at most `MAX_AUTO_JOBS`): the CPUs less the
    1-minute load average, as ``make --load-average`` does, since on a busy machine more
    processes only compete for the same cores. Standard input is read by this process only.

    >>> choose_jobs(3, 0, ["a.mitm"]), choose_jobs(0, 10, ["a.mitm"]), choose_jobs(4, 10**9, ["-"])
    (3, 1, 1)
    >>> import os; cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    >>> choose_jobs(0, 10**9, ["d"], load=0.0) == min(cpus, MAX_AUTO_JOBS), choose_jobs(0, 10**9, ["d"], load=99.0)
    (True, 1)
    """
    if STDIN in arguments:
        return 1
    if requested > 0:
        return requested
    if total_bytes < PARALLEL_MIN_BYTES:
        return 1
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    if load is None:
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    # A CPU that is partly idle still helps: round up (0.8 of 2 CPUs busy leaves 2 jobs).
    return max(1, min(MAX_AUTO_JOBS, cpus, math.ceil(cpus - load)))


def scan_paths(
    arguments: Sequence[str], options: ScanOptions, totals: ScanTotals,
    on_bytes: Callable[[int], None] = lambda size: None, jobs: int = 1,
) -> Iterator[FileResult]:
    """Scan every file the arguments name, one `FileResult` at a time and in order;
    ``totals`` adds up as they come. With ``jobs`` > 1, files are scanned by that many
    worker processes (each with its own cache); the results are the same, since each file
    is scanned on its own (`OfflineScanner`)."""
    files = files_to_scan(arguments, totals, on_bytes)
    if jobs <= 1:
        scanner = OfflineScanner(options)
        results: Iterable[FileResult] = (scanner.scan_file(path, on_bytes) for path in files)
    else:
        results = _scan_in_workers(files, options, jobs, on_bytes)
    for result in results:
        totals.files += 1
        totals.requests += result.requests
        totals.bytes += result.size
        totals.skipped += len(result.skipped)
        for hit in result.hits:
            totals.repeats += hit.repeat
            totals.hits += 1
            totals.worst = hit.finding.severity if totals.worst is None else max(totals.worst, hit.finding.severity)
        if result.error is not None:
            totals.errors.append(result.error)
        yield result


_worker_scanner: OfflineScanner | None = None


def _start_worker(options: ScanOptions) -> None:
    global _worker_scanner  # one scanner (and cache) per worker process, for all its files
    _worker_scanner = OfflineScanner(options)


def _scan_in_worker(path: str) -> FileResult:
    assert _worker_scanner is not None
    return _worker_scanner.scan_file(path)


def _scan_in_workers(files: Iterable[str], options: ScanOptions, jobs: int, on_bytes: Callable[[int], None]) -> Iterator[FileResult]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # forkserver: workers start from a clean process that has imported this module once,
    # never from a fork of a parent that may run threads (the progress bar's refresher).
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["addons.offline_scan"])
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_start_worker, initargs=(options,)) as pool:
        for result in pool.map(_scan_in_worker, files, chunksize=1):
            on_bytes(result.size)
            yield result


# --- the command -------------------------------------------------------------------------


def scan_command(args: argparse.Namespace) -> int:
    """Run ``stegwatch scan`` and return its exit status."""
    options = ScanOptions(args.min_severity, args.max_body, args.disclosure_severity)
    totals = ScanTotals()
    try:
        output = open(args.output, "w", encoding="utf-8") if args.output else None  # noqa: SIM115
    except OSError as error:
        print(f"stegwatch: error: cannot write {args.output}: {error.strerror or error}", file=sys.stderr)
        return EXIT_ERROR
    try:
        total_bytes = sum(_size_of(path) for path, _ in expand_paths(args.paths))
        jobs = choose_jobs(getattr(args, "jobs", 0), total_bytes, args.paths)
        with _Progress(total_bytes) as progress:
            results = scan_paths(args.paths, options, totals, progress.advance, jobs)
            # Standard output is looked up only now: while the progress bar runs, rich has put
            # a proxy there that prints above the bar.
            _report(args, results, totals, output or sys.stdout, progress)
    except BrokenProcessPool as error:  # a worker was killed (out of memory, a signal)
        print(f"stegwatch: error: a scanning process died ({error}); the report is incomplete", file=sys.stderr)
        return EXIT_ERROR
    finally:
        if output is not None:
            output.close()
    if totals.errors:
        return EXIT_ERROR
    return EXIT_FINDINGS if totals.hits else EXIT_CLEAN


def _report(args: argparse.Namespace, results: Iterable[FileResult], totals: ScanTotals, output: TextIO, progress: _Progress) -> None:
    threshold: Severity = args.min_severity
    if args.format == "text":
        rich = args.output is None and cli._is_terminal(output)
        for result in results:
            _report_error(result, progress)
            if result.hits:
                render_file(result, output, rich)
        _summarise(output, final_summary(totals, threshold), totals, rich)
        return
    kept: list[FileResult] = []  # hits, counts and skips: small records, never a body
    for result in results:
        _report_error(result, progress)
        kept.append(result)
    if args.format == "json":
        cli._write(output, render_json_document(args.paths, kept, totals, threshold) + "\n")
    else:
        from addons.sarif import render_sarif

        cli._write(output, render_sarif(kept, totals.errors, threshold) + "\n")


def _report_error(result: FileResult, progress: _Progress) -> None:
    if result.error is not None:
        progress.print_error(f"stegwatch: error: {result.error}")


# --- text report -------------------------------------------------------------------------


def render_file(result: FileResult, output: TextIO, rich: bool = False) -> None:
    """Write one file's hits. A text file's are ``file:line:col:`` headers (the single-file
    report of earlier versions); a capture's are grouped under each request, with the role
    and JSON path of the string. Repeats are left out (the summary counts them)."""
    console = _rich_console(output) if rich else None
    lines: list[str] = []
    current_origin = None
    for hit in result.hits:
        if hit.repeat:
            continue
        finding = hit.finding
        if hit.origin is None:
            place, indent = f"{hit.file}:{hit.line}:{hit.column}: ", "    "
        else:
            if hit.origin != current_origin:
                current_origin = hit.origin
                _say(console, lines, [(f"{hit.origin} ({hit.api})", "bold")])
            place, indent = f"  [{hit.role}] {hit.json_path}: ", "      "
        header = [
            (place, "bold"), (str(finding.severity), SEVERITY_STYLE[finding.severity]),
            (f" {finding.detector}/{finding.kind} ", ""), (cli._names(finding.text), "magenta"),
        ]
        _say(console, lines, header)
        before, span, after = hit.shown
        style = SEVERITY_STYLE[finding.severity]
        _say(console, lines, [(indent + before, ""), (span, f"reverse {style}"), (after, "")])
        _say(console, lines, [(f"{indent}{finding.message}", "dim")])
        if finding.payload is not None:
            _say(console, lines, [(f"{indent}payload: {repr(finding.payload)}", style)])
    if lines:
        cli._write(output, "\n".join(lines) + "\n")


def _rich_console(output: TextIO) -> Any:
    from rich.console import Console

    # The caller checked isatty(); rich still honours NO_COLOR.
    return Console(file=output, highlight=False, soft_wrap=True, force_terminal=True)


def _say(console: Any, lines: list[str], segments: list[tuple[str, str]]) -> None:
    """One line of the report: styled on a terminal, plain otherwise."""
    if console is None:
        lines.append(cli._printable("".join(text for text, _ in segments)))
        return
    from rich.text import Text

    line = Text()
    for text, style in segments:
        line.append(cli._printable(text), style=style or None)
    console.print(line)


def _summarise(output: TextIO, line: str, totals: ScanTotals, rich: bool) -> None:
    if not rich:
        cli._write(output, cli._printable(line) + "\n")
        return
    _say(_rich_console(output), [], [(line, "bold" if totals.hits or totals.errors else "green")])


def summary_line(count: int, worst: Severity | None, threshold: Severity) -> str:
    """>>> summary_line(0, None, Severity.MEDIUM)
    'no findings at or above medium'
    """
    if not count or worst is None:
        return f"no findings at or above {threshold}"
    return f"{count} finding{'' if count == 1 else 's'} at or above {threshold} (worst: {worst})"


def final_summary(totals: ScanTotals, threshold: Severity) -> str:
    """The closing line: findings at or above the threshold (a repeat counts once), then what
    was read.

    >>> final_summary(ScanTotals(files=1), Severity.MEDIUM)
    'no findings at or above medium'
    >>> final_summary(ScanTotals(files=3, requests=40, hits=5, repeats=3, worst=Severity.HIGH), Severity.MEDIUM)
    '2 findings at or above medium (worst: high), repeated 3 times in later requests; 3 files, 40 requests'
    """
    line = summary_line(totals.hits - totals.repeats, totals.worst, threshold)
    if totals.repeats:
        line += f", repeated {totals.repeats} time{'s' if totals.repeats != 1 else ''} in later requests"
    if totals.files > 1 or totals.requests:
        line += f"; {totals.files} file{'s' if totals.files != 1 else ''}"
        if totals.requests:
            line += f", {totals.requests} request{'s' if totals.requests != 1 else ''}"
    if totals.skipped:
        line += f", {totals.skipped} skipped (not JSON, oversized or of unknown shape)"
    if totals.passed_over:
        line += f", {totals.passed_over} binary file{'s' if totals.passed_over != 1 else ''} passed over"
    if totals.errors:
        line += f"; {len(totals.errors)} error{'s' if len(totals.errors) != 1 else ''}"
    return line


# --- JSON report -------------------------------------------------------------------------


def hit_document(hit: Hit) -> dict[str, object]:
    """One finding as the JSON report writes it."""
    return {
        **hit.finding.model_dump(mode="json"),
        "file": hit.file,
        "line": hit.line,
        "column": hit.column,
        "origin": hit.origin,
        "api": hit.api,
        "json_path": hit.json_path,
        "role": hit.role,
        "repeat": hit.repeat,
        "context": hit.context,
    }


def render_json_document(arguments: Sequence[str], results: Sequence[FileResult], totals: ScanTotals, threshold: Severity) -> str:
    """The JSON report. ``source`` names the one argument when there is one (``<stdin>``
    for ``-``), as the single-file report always did."""
    sources = ["<stdin>" if argument == STDIN else argument for argument in arguments]
    findings = [hit_document(hit) for result in results for hit in result.hits]
    document = {
        "source": sources[0] if len(sources) == 1 else None,
        "sources": sources,
        "min_severity": str(threshold),
        "count": len(findings),
        "findings": findings,
        "files": [
            {"file": r.file, "kind": r.kind, "bytes": r.size, "requests": r.requests, "findings": len(r.hits)}
            for r in results
        ],
        "skipped": [{"file": r.file, "origin": origin, "reason": reason} for r in results for origin, reason in r.skipped],
        "errors": [
            {"file": e.file, "offset": e.offset, "unit": e.unit, "message": e.message} for e in totals.errors
        ],
    }
    return dump_json(document)


def dump_json(document: object) -> str:
    r"""Indented JSON, UTF-8 friendly: lone surrogates (which UTF-8 cannot encode) are written
    as ``\uXXXX`` escapes, so the value stays exact.

    >>> dump_json({"text": "a\ud800"})
    '{\n  "text": "a\\ud800"\n}'
    """
    rendered = json.dumps(document, ensure_ascii=False, indent=2)
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", rendered)


def fingerprint(hit: Hit) -> str:
    """A stable digest of the finding's identity (never its offsets): the same mark in the
    same place of the next capture gets the same fingerprint."""
    identity = "\x00".join((*hit.identity()[:3], " ".join(hit.identity()[3])))
    if hit.json_path is None:
        identity += "\x00" + "".join(hit.shown)  # a text file: the revealed line tells equal marks apart
    return hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest()[:32]


# --- progress ----------------------------------------------------------------------------


class _Progress:
    """A rich progress bar on stderr, started only when `wants_progress` says so."""

    def __init__(self, total_bytes: int) -> None:
        self.total = total_bytes
        self.done = 0
        self.started = time.monotonic()
        self._bar: Any = None
        self._task: Any = None
        self._checked_at = 0.0

    def __enter__(self) -> _Progress:
        self._maybe_start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def advance(self, size: int) -> None:
        self.done += size
        if self._bar is not None:
            self._bar.update(self._task, completed=min(self.done, self.total))
            return
        now = time.monotonic()
        if now - self._checked_at > 0.25:
            self._checked_at = now
            self._maybe_start()

    def print_error(self, message: str) -> None:
        if self._bar is not None:
            self._bar.console.print(message, markup=False, highlight=False)
        else:
            print(message, file=sys.stderr)

    def _maybe_start(self) -> None:
        if self._bar is not None or not wants_progress(cli._is_terminal(sys.stderr), self.total, time.monotonic() - self.started):
            return
        from rich.console import Console
        from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

        self._bar = Progress(
            TextColumn("stegwatch scan"), BarColumn(), DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn(),
            console=Console(file=sys.stderr), transient=True,
            # The report goes above the bar only when it shares the terminal: a report sent to a
            # pipe or a file must stay there, whatever rich would do with standard output.
            redirect_stdout=cli._is_terminal(sys.stdout), redirect_stderr=False,
        )
        self._task = self._bar.add_task("scan", total=max(self.total, 1), completed=self.done)
        self._bar.start()
