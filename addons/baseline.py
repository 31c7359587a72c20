"""Baselines: learn how each client writes its own text, then report code-point drift live.

A mark that a client varies by environment (U+2019 instead of U+0027 in ``Today's date``
for some users, ``2026/11/24`` instead of ``2026-11-24`` for others) is ordinary text inside
one request. Against what the same client version wrote before, it is a difference. The
baseline keeps, per client identity (User-Agent and client-version headers,
`baseline_client`) and API, the template lines of the text the client authors: system
prompt, instructions, developer messages, tool definitions, injected context
(`addons.template`), in a SQLite store (`addons.baseline_store`).

- ``learn`` (option ``stegwatch_baseline=learn``, or ``stegwatch baseline learn CAPTURE…``)
  records every template line. Writes go to a background thread, so the proxy never waits
  on the disk.
- ``check`` compares each client-authored line with the lines learned for the same client,
  API, path and key (`addons.template.fold_key`). Same key, other template: the code points
  changed where the text did not, and that is a ``template-drift`` finding (detector
  ``baseline``) with the path and the baseline text revealed. It is ``high`` when the
  changed code points include a modifier letter (Lm, such as U+02BC, U+02B9), an invisible
  or format character, or when a date or time format changed; ``medium`` otherwise.

Left alone, and why: requests whose lines only differ in masked values (another date, cwd,
commit) have the same template; a line never learned (new key) is first sight, not drift;
a client never learned is not checked at all, and the console says so once per client and
API, so a user knows the check is idle rather than clean.

Speed: a check caches its verdict per (profile, path, text) of each client-authored field,
so a field that comes back unchanged on the next turn costs one dict look-up, and a profile
is reloaded only when another connection committed (``PRAGMA data_version``). The add-on
fails open: it calls `BaselineMonitor.observe` inside a guard that logs any error and lets
the request through.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import os
import queue
import re
import sys
import threading
import time
import unicodedata2
from collections.abc import Callable, Iterable, Mapping, Sequence
from difflib import SequenceMatcher
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from addons.analysis import Analysis, Located, analyse_captured
from addons.audit_log import client_identity
from addons.baseline_store import Batch, BaselineStore, LineRow, Profile
from addons.date_drift import client_key, is_client_authored
from addons.shapes import CLIENT_AUTHORED
from addons.template import TemplateLine, field_lines, path_pattern
from detectors import _tables
from detectors.base import make_finding
from detectors.model import Finding, Severity
from detectors.unicode import codepoint, compile_class, reveal

if TYPE_CHECKING:
    from addons.captured import CapturedRequest
    from addons.shapes import TextField

logger = logging.getLogger("stegwatch")

DETECTOR = "baseline"
KIND = "template-drift"
MODES = ("off", "learn", "check")
# Identity headers that change from request to request or machine to machine, not with the
# client's version: a retry, a timeout, the beta features of one call, the OS.
PER_REQUEST_HEADERS = frozenset({
    "anthropic-beta", "x-stainless-retry-count", "x-stainless-timeout", "x-stainless-read-timeout",
    "x-stainless-async", "x-stainless-helper-method", "x-stainless-poll-helper",
    "x-stainless-custom-poll-interval", "x-stainless-os", "x-stainless-arch",
})
# A checking proxy reloads what another process learned at most this often.
RELOAD_INTERVAL_S = 1.0
# Verdicts and learned texts remembered in memory before starting over.
MAX_CACHED = 65536
# ... and the characters their keys hold (a field with a reminder block is a whole file the
# agent read): past either bound the memory starts over, at the cost of one cold request.
MAX_CACHED_CHARS = 32 * 1024 * 1024
# Characters of a template shown on each side of a change in a finding's message.
SHOWN_AROUND = 60
# Longest changed middle of a line (once the common head and tail are cut) that the
# code-point diff aligns; a longer one is reported as one region.
MAX_DIFF_CHARS = 20000
_INVISIBLE = compile_class(_tables.DEFAULT_IGNORABLE, _tables.FORMAT, _tables.BIDI_CONTROL)
_PLACEHOLDER = re.compile(r"<(?:DATE|TIME) [^<>]*>")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def default_db_path() -> Path:
    """Beside the default audit log (`addons.run.default_log_path`): on Linux
    ``$XDG_DATA_HOME/stegwatch/baseline.sqlite3``, else ``~/.local/share/stegwatch/…``."""
    from addons.run import default_log_path

    return default_log_path().with_name("baseline.sqlite3")


def baseline_client(identity: Mapping[str, str]) -> str:
    """The store's name for a client: its identity headers (already allow-listed by
    `addons.audit_log.client_identity`) without those that vary per request.

    >>> baseline_client({"user-agent": "Anthropic/Python 0.75.0", "x-stainless-retry-count": "0",
    ...                  "x-stainless-package-version": "0.75.0"})
    'user-agent=Anthropic/Python 0.75.0;x-stainless-package-version=0.75.0'
    """
    return client_key({name: value for name, value in identity.items() if name not in PER_REQUEST_HEADERS})


def _storable(text: str) -> str:
    """SQLite stores UTF-8: a lone surrogate (from a JSON ``\\ud800`` escape) is written as
    its escape, the same way on learning and on checking."""
    if not _LONE_SURROGATE.search(text):
        return text
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def learn_rows(fields: Iterable[TextField]) -> list[LineRow]:
    """The (path pattern, key, template) rows of the client-authored text of ``fields``."""
    rows: list[LineRow] = []
    for text_field in fields:
        if is_client_authored(text_field):
            pattern = path_pattern(text_field.path)
            rows += [(pattern, _storable(line.key), _storable(line.template)) for line in field_lines(text_field)]
    return rows


# --- checking ----------------------------------------------------------------------------


def drift_findings(profile: Profile, text_field: TextField) -> tuple[Finding, ...]:
    """``template-drift`` findings for the client-authored lines of one field."""
    pattern = path_pattern(text_field.path)
    findings: list[Finding] = []
    for line in field_lines(text_field):
        variants = profile.get((pattern, _storable(line.key)))
        if variants is None:
            continue  # first sight: a new line, or a line edited in words
        template = _storable(line.template)
        if template not in variants:
            findings += line_drift(text_field.text, line, template, variants[0])
    return tuple(findings)


def line_drift(text: str, line: TemplateLine, now: str, baseline: str) -> list[Finding]:
    """One finding per changed region of a line whose template differs from the baseline's.

    A region inside a date or time placeholder stands for the whole date (its format
    changed); any other region for the code points that changed."""
    changes = _changes(baseline, now)
    placeholders = [match.span() for match in _PLACEHOLDER.finditer(now)]
    baseline_placeholders = [match.span() for match in _PLACEHOLDER.finditer(baseline)]
    regions: list[list[tuple[int, int, int, int]]] = []
    for change in changes:
        inside = _enclosing(placeholders, change[2], change[3])
        previous = regions[-1][-1] if regions else None
        if inside is not None and previous is not None and _enclosing(placeholders, previous[2], previous[3]) == inside:
            regions[-1].append(change)  # one date, one finding
        else:
            regions.append([change])
    changed = "".join(dict.fromkeys(
        ch for i1, i2, j1, j2 in changes for ch in baseline[i1:i2] + now[j1:j2] if not ch.isalnum() or not ch.isascii()
    ))
    shown = (f"Baseline {_window(baseline, changes[0][0], changes[-1][1], changed)!r}, "
             f"now {_window(now, changes[0][2], changes[-1][3], changed)!r}")
    findings = []
    for region in regions:
        i1, j1 = region[0][0], region[0][2]
        i2, j2 = region[-1][1], region[-1][3]
        date_now = _enclosing(placeholders, j1, j2)
        date_before = _enclosing(baseline_placeholders, i1, i2)
        if date_now and date_before:
            what = f"date format {baseline[slice(*date_before)]} -> {now[slice(*date_now)]}"
            j1, j2 = date_now
        else:
            old = " ".join(codepoint(ch) for ch in baseline[i1:i2]) or "nothing"
            new = " ".join(codepoint(ch) for ch in now[j1:j2]) or "nothing"
            what = f"{old} -> {new}"
        start, end = line.raw_offset(j1), line.raw_offset(j2, end=True)
        if end <= start:  # a deletion: point at the code point after it (or before, at the end)
            start, end = (start, start + 1) if start < line.end else (max(line.start, start - 1), start)
        alarming = bool(date_now and date_before) or any(_is_alarming(ch) for ch in baseline[i1:i2] + now[j1:j2])
        findings.append(make_finding(
            DETECTOR, KIND, text, start, end, Severity.HIGH if alarming else Severity.MEDIUM,
            f"client-authored text drifted from this client's baseline at this path: {what}. {shown}",
        ))
    return findings


def _changes(baseline: str, now: str) -> list[tuple[int, int, int, int]]:
    """The changed regions ``(i1, i2, j1, j2)`` between two templates: the common head and
    tail are cut first (in C, by halving), the middle is aligned by `difflib` when short."""
    shorter = min(len(baseline), len(now))
    head = _longest(shorter, lambda n: baseline[:n] == now[:n])
    tail = _longest(shorter - head, lambda n: baseline[len(baseline) - n:] == now[len(now) - n:])
    old, new = baseline[head:len(baseline) - tail], now[head:len(now) - tail]
    if len(old) + len(new) > MAX_DIFF_CHARS:
        return [(head, head + len(old), head, head + len(new))]
    opcodes = SequenceMatcher(None, old, new, autojunk=False).get_opcodes()
    return [(head + i1, head + i2, head + j1, head + j2) for tag, i1, i2, j1, j2 in opcodes if tag != "equal"]


def _longest(limit: int, same: Callable[[int], bool]) -> int:
    """The largest n <= ``limit`` for which ``same(n)`` holds, when it holds for every n up to it.

    >>> _longest(5, lambda n: "abcde"[:n] == "abXde"[:n])
    2
    """
    low, high = 0, limit
    while low < high:
        middle = (low + high + 1) // 2
        if same(middle):
            low = middle
        else:
            high = middle - 1
    return low


def _enclosing(spans: list[tuple[int, int]], start: int, end: int) -> tuple[int, int] | None:
    """The placeholder span that holds ``[start, end)`` (touching counts), if any."""
    for span_start, span_end in spans:
        if span_start <= start and end <= span_end and start < span_end:
            return (span_start, span_end)
    return None


def _is_alarming(ch: str) -> bool:
    return unicodedata2.category(ch) == "Lm" or _INVISIBLE.match(ch) is not None


def _window(text: str, start: int, end: int, changed: str) -> str:
    """The template around a change, revealed, clipped to `SHOWN_AROUND` on each side."""
    left, right = max(0, start - SHOWN_AROUND), min(len(text), end + SHOWN_AROUND)
    shown = reveal(text[left:right], also=changed)
    return ("…" if left else "") + shown + ("…" if right < len(text) else "")


# --- the add-on's side -------------------------------------------------------------------


class BaselineMonitor:
    """The add-on's baseline: learns (in the background) or checks, per request.

    ``observe`` takes the request's allow-listed identity headers, the API and the fields of
    the analysis, and returns the drift findings (always none in learn mode)."""

    def __init__(self, mode: str, db_path: str | os.PathLike[str]) -> None:
        if mode not in ("learn", "check"):
            raise ValueError(f"baseline mode must be learn or check, not {mode!r}")
        self.mode = mode
        self.store = BaselineStore(db_path)
        self._profiles: dict[tuple[str, str], tuple[int, Profile] | None] = {}
        self._verdicts: dict[tuple[object, ...], tuple[Finding, ...]] = {}
        self._verdict_chars = 0
        self._data_version = self.store.data_version()
        self._next_reload = 0.0
        self._numbers = itertools.count()
        self._announced: set[tuple[str, str]] = set()
        self._learned: set[tuple[object, ...]] = set()
        self._learned_chars = 0
        self._queue: queue.SimpleQueue[Batch | threading.Event | None] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        if mode == "learn":
            self._writer = threading.Thread(target=self._write_loop, name="stegwatch-baseline", daemon=True)
            self._writer.start()

    def observe(self, identity: Mapping[str, str], api: str, fields: Sequence[TextField]) -> list[Located]:
        client = baseline_client(identity)
        if self.mode == "learn":
            self._learn(client, api, fields)
            return []
        return [Located(text_field, finding) for text_field, finding in self._check(client, api, fields)]

    # --- check ---------------------------------------------------------------------------

    def _check(self, client: str, api: str, fields: Sequence[TextField]) -> list[tuple[TextField, Finding]]:
        self._reload_if_changed()
        entry = self._profile(client, api)
        if entry is None:
            return []
        number, profile = entry
        verdicts = self._verdicts
        found: list[tuple[TextField, Finding]] = []
        for text_field in fields:
            # The whole text of a client role counts, whichever role it is; in other text only
            # the client's spans do, so they are part of the key.
            if text_field.role in CLIENT_AUTHORED:
                cache_key: tuple[object, ...] = (number, text_field.path, text_field.text)
            elif text_field.role_spans:
                cache_key = (number, text_field.path, text_field.text, text_field.role_spans)
            else:
                continue
            verdict = verdicts.get(cache_key)
            if verdict is None:
                if len(verdicts) >= MAX_CACHED or self._verdict_chars > MAX_CACHED_CHARS:
                    verdicts.clear()
                    self._verdict_chars = 0
                verdict = verdicts[cache_key] = drift_findings(profile, text_field)
                self._verdict_chars += len(text_field.text)
            if verdict:
                found += [(text_field, finding) for finding in verdict]
        return found

    def _reload_if_changed(self) -> None:
        """Reload the profiles in use when another connection committed (at most once a
        `RELOAD_INTERVAL_S`, since a learning proxy may commit on every request). A profile
        that came back equal keeps its number, and so its cached verdicts."""
        now = time.monotonic()
        if now < self._next_reload:
            return
        version = self.store.data_version()
        if version == self._data_version:
            return
        self._data_version, self._next_reload = version, now + RELOAD_INTERVAL_S
        for wanted, entry in list(self._profiles.items()):
            profile = self.store.profile(*wanted)
            if entry is None or profile != entry[1]:
                self._profiles[wanted] = None if profile is None else (next(self._numbers), profile)

    def _profile(self, client: str, api: str) -> tuple[int, Profile] | None:
        wanted = (client, api)
        if wanted in self._profiles:
            return self._profiles[wanted]
        profile = self.store.profile(client, api)
        entry = None if profile is None else (next(self._numbers), profile)
        self._profiles[wanted] = entry
        if entry is None and wanted not in self._announced:
            self._announced.add(wanted)
            _say(logging.INFO, f"stegwatch: baseline check: no baseline for {api} from {client or 'an unnamed client'} "
                 f"in {self.store.path}; its requests are not checked (learn with stegwatch_baseline=learn "
                 "or 'stegwatch baseline learn CAPTURE')")
        return entry

    # --- learn ---------------------------------------------------------------------------

    def _learn(self, client: str, api: str, fields: Sequence[TextField]) -> None:
        rows: list[LineRow] = []
        learned = self._learned
        if len(learned) >= MAX_CACHED or self._learned_chars > MAX_CACHED_CHARS:
            learned.clear()
            self._learned_chars = 0
        for text_field in fields:
            if not is_client_authored(text_field):
                continue
            seen_key = (client, api, text_field.path, text_field.text, text_field.role, text_field.role_spans)
            if seen_key in learned:
                continue
            learned.add(seen_key)
            self._learned_chars += len(text_field.text)
            rows += learn_rows([text_field])
        self._queue.put(Batch(client, api, rows))

    def _write_loop(self) -> None:
        while True:
            item = self._queue.get()
            pending: list[Batch] = []
            waiters: list[threading.Event] = []
            stop = False
            while True:
                if item is None:
                    stop = True
                elif isinstance(item, threading.Event):
                    waiters.append(item)
                else:
                    pending.append(item)
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            if pending:
                try:
                    self.store.learn_batches(_merged(pending))
                except Exception as error:  # noqa: BLE001 - a lost batch is relearned when its text comes back
                    self._learned.clear()
                    _say(logging.ERROR, f"stegwatch: baseline learn: cannot write {self.store.path}: "
                         f"{type(error).__name__}: {error}; those lines will be learned again when seen")
            for waiter in waiters:
                waiter.set()
            if stop:
                return

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything learned so far is committed; False on timeout."""
        if self._writer is None or not self._writer.is_alive():
            return True
        done = threading.Event()
        self._queue.put(done)
        return done.wait(timeout)

    def close(self, timeout: float = 10.0) -> None:
        if self._writer is not None and self._writer.is_alive():
            self._queue.put(None)
            self._writer.join(timeout)
        self.store.close()


def _merged(batches: list[Batch]) -> list[Batch]:
    """One batch per client and API, so a burst of requests is one small transaction."""
    merged: dict[tuple[str, str], tuple[list[LineRow], int]] = {}
    for batch in batches:
        rows, requests = merged.get((batch.client, batch.api), ([], 0))
        rows.extend(batch.rows)
        merged[(batch.client, batch.api)] = (rows, requests + batch.requests)
    return [Batch(client, api, rows, requests) for (client, api), (rows, requests) in merged.items()]


def _say(level: int, message: str) -> None:
    try:
        logger.log(level, message)
    except Exception:  # noqa: BLE001 - a failing log handler must not take the flow down
        pass


# --- offline: captures -------------------------------------------------------------------


def captured_fields(request: CapturedRequest, max_body: int) -> Analysis | None:
    """The fields of one captured request, by the add-on's own path (`addons.analysis`);
    None for what the add-on does not read (bodiless requests, other WebSockets)."""
    from addons.scan_cache import ScanCache

    # Learning needs the fields, not the detectors' verdict: a cache that never scans.
    cache = ScanCache(scanner=lambda text: [])
    return analyse_captured(request, cache, max_body)


def learn_captures(
    store: BaselineStore, captures: Sequence[str], max_body: int, user_agent: str | None = None, out: TextIO | None = None
) -> int:
    """Learn every request of ``captures``, one transaction per file; returns the exit status.

    A capture without headers (a bare JSON body) names no client: ``user_agent`` names it."""
    from addons.captures import CaptureError, read_requests

    out = out or sys.stdout
    status = 0
    totals = {"requests": 0, "rows": 0, "skipped": 0}
    for capture in captures:
        batches: list[Batch] = []
        try:
            for request in _requests_in(Path(capture), read_requests):
                analysis = captured_fields(request, max_body)
                if analysis is None or analysis.action == "skipped":
                    totals["skipped"] += analysis is not None
                    continue
                identity = client_identity(request.headers)
                if not identity and user_agent:
                    identity = {"user-agent": user_agent}
                batches.append(Batch(baseline_client(identity), analysis.api, learn_rows(analysis.fields)))
        except (CaptureError, OSError) as error:
            print(f"stegwatch: error: {error}", file=sys.stderr)
            status = 2  # what was read before the damage is still learned
        totals["rows"] += store.learn_batches(_merged(batches))
        totals["requests"] += len(batches)
    print(
        f"learned {totals['requests']} request{'s' if totals['requests'] != 1 else ''} "
        f"({totals['rows']} client-authored lines) into {store.path}"
        + (f"; skipped {totals['skipped']} unreadable" if totals["skipped"] else ""),
        file=out,
    )
    return status


def _requests_in(path: Path, read_requests: Callable[[Path], Iterable[CapturedRequest]]) -> Iterable[CapturedRequest]:
    """The requests of a capture: `addons.captures` formats, or a ``stegwatch probe --keep``
    capture file (JSONL records of method, URL, headers and base64 body, `addons.capture_proxy`)."""
    if path.suffix.lower() == ".jsonl":
        try:
            with path.open("rb") as handle:
                first = json.loads(handle.readline() or b"null")
        except (OSError, ValueError):
            first = None
        if isinstance(first, dict) and {"method", "url", "headers", "body"} <= first.keys():
            from addons.capture_proxy import read_captures

            return read_captures(path)
    return read_requests(path)


def show(store: BaselineStore, with_paths: bool, as_json: bool, out: TextIO | None = None) -> int:
    """List the clients and APIs in the store (and their paths) with counts."""
    out = out or sys.stdout
    summaries = store.summaries()
    if as_json:
        document = [
            {**summary.__dict__, **({"paths_detail": [path.__dict__ for path in store.paths(summary.client, summary.api)]}
                                    if with_paths else {})}
            for summary in summaries
        ]
        print(json.dumps(document, ensure_ascii=False, indent=2), file=out)
        return 0
    if not summaries:
        print(f"no baseline in {store.path}", file=out)
        return 0
    for summary in summaries:
        varied = f", {summary.varied} with several forms" if summary.varied else ""
        print(
            f"{summary.api}  {summary.client or '(no identity headers)'}\n"
            f"    {_count(summary.requests, 'request')}, {_count(summary.paths, 'path')}, "
            f"{_count(summary.lines, 'line')}{varied}; "
            f"last seen {summary.last_seen}",
            file=out,
        )
        if with_paths:
            for path in store.paths(summary.client, summary.api):
                forms = f" ({path.varied} extra forms)" if path.varied else ""
                print(f"      {path.path}: {_count(path.lines, 'line')}{forms}, seen {path.seen}", file=out)
    return 0


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


# --- the command line --------------------------------------------------------------------


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``stegwatch baseline learn|show`` to the ``stegwatch`` command."""
    baseline_parser = commands.add_parser(
        "baseline",
        help="learn or show the baseline of client-authored text that stegwatch_baseline=check compares with",
        description="The baseline store holds, per client (User-Agent and client-version headers) and API, the "
        "template lines of the text the client writes itself (system prompt, tool definitions, injected "
        "context), with dates, paths, hashes and numbers masked. Never user text, never credentials.",
    )
    actions = baseline_parser.add_subparsers(dest="baseline_command", required=True, metavar="ACTION")
    learn_parser = actions.add_parser(
        "learn",
        help="learn from captures (.mitm, HAR, JSON, JSONL)",
        description="Learn the client-authored template lines of every request in the captures. "
        "Exit 0: learned; 2: a capture could not be read (what was read before the damage is learned).",
    )
    learn_parser.add_argument("captures", nargs="+", metavar="CAPTURE")
    learn_parser.add_argument("--max-body", type=int, default=64 * 1024 * 1024, metavar="BYTES",
                              help="skip larger bodies, as stegwatch_max_body (default: 64 MiB)")
    learn_parser.add_argument("--user-agent", default=None, metavar="UA",
                              help="the client of captures that carry no headers (bare JSON bodies), "
                              "e.g. 'claude-cli/2.0.14 (external, cli)'")
    show_parser = actions.add_parser("show", help="list the clients, APIs and paths in the store with counts")
    show_parser.add_argument("--paths", action="store_true", help="also list every path with its line count")
    show_parser.add_argument("--format", choices=("text", "json"), default="text")
    for parser in (learn_parser, show_parser):
        parser.add_argument("--db", default=None, metavar="PATH",
                            help=f"the store (default: {default_db_path()}, as stegwatch_baseline_db)")
    baseline_parser.set_defaults(handler=_baseline_command)


def _baseline_command(args: argparse.Namespace) -> int:
    import sqlite3

    path = Path(args.db).expanduser() if args.db else default_db_path()
    if args.baseline_command == "show" and not path.exists():
        print(f"no baseline in {path}")
        return 0
    try:
        store = BaselineStore(path)
    except (OSError, sqlite3.Error) as error:
        print(f"stegwatch: error: cannot open the baseline store {path}: {error}", file=sys.stderr)
        return 2
    try:
        if args.baseline_command == "learn":
            return learn_captures(store, args.captures, args.max_body, args.user_agent)
        return show(store, args.paths, args.format == "json")
    except sqlite3.Error as error:
        print(f"stegwatch: error: baseline store {path}: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `stegwatch baseline show | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    finally:
        store.close()
