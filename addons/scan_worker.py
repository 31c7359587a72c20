"""A scanning process, so that a large unseen body never holds mitmproxy's interpreter lock.

Scanning is pure-Python work. On a worker thread it still competes with mitmproxy's event
loop for the GIL, and every other flow waits a switch interval or more each time the loop
needs it back. `ScanProcess` sends the strings of a body that the cache has not seen to one
child process and waits there (waiting releases the GIL), so other flows keep their latency
while megabytes are scanned. Only large batches go there (`MIN_CHARS`): for a small one, the
pickling would cost more than the scan.

In audit mode a large request is already on its way upstream while it is analysed, and the
analysis should not slow that down either: `ScanProcess.analyse` runs all of it (decode, parse,
extract, scan, with the child's own string cache) in the child, and sends back only the
fields the add-on still reads (`_needed_fields`), not the whole conversation. The body goes
there as a private file in /dev/shm (memory), removed as soon as the child has answered.

The child is started with ``spawn`` (mitmproxy runs threads, and forking a threaded process
is unsafe) on first use, and again after a crash. If it cannot run at all, the caller scans in
its own thread: slower for other flows, never wrong.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import tempfile
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING

from detectors import Finding

if TYPE_CHECKING:
    from addons.analysis import Analysis
    from addons.scan_cache import ScanCache
    from addons.shapes import TextField

# Batches of fewer unseen characters than this are scanned in the calling thread.
MIN_CHARS = 256 * 1024
# The child's own string cache, for the bodies it analyses whole.
CHILD_CACHE_BYTES = 128 * 1024 * 1024
_child_cache: ScanCache | None = None
CHILD_NICENESS = 5
# Bodies at least this large reach the child as a private file in memory (/dev/shm) rather
# than through the pool's pipe: the pipe moved 2 MB in 3.6 ms (pickling, 64 KB turns,
# unpickling), as much as the whole analysis of a warm turn.
HANDOVER_BYTES = 256 * 1024
_MEMORY_FILES = "/dev/shm"


def _yield_to_traffic() -> None:
    """Runs in the child at start: a lower CPU priority, so that on a busy machine the proxy
    itself (forwarding, other flows) comes first and the audit takes what is left."""
    try:
        os.nice(CHILD_NICENESS)
    except OSError:
        pass


def scan_texts(texts: list[str]) -> list[list[Finding]]:
    """Runs in the child: `detectors.scan` of each text."""
    import detectors

    return [detectors.scan(text) for text in texts]


def analyse_request_in_child(
    method: str, path: str, raw: bytes, content_encoding: str | None, max_body: int, conversation_seed: str
) -> Analysis:
    """Runs in the child: `addons.analysis.analyse_request`, trimmed for the trip back."""
    global _child_cache
    from addons.analysis import analyse_request
    from addons.scan_cache import ScanCache

    if _child_cache is None:
        _child_cache = ScanCache(CHILD_CACHE_BYTES)
    analysis = analyse_request(method, path, raw, content_encoding, _child_cache, max_body, conversation_seed)
    analysis.decoded = None  # audit mode splices nothing
    analysis.fields = _needed_fields(analysis)
    return analysis


def analyse_file_in_child(
    method: str, path: str, body_file: str, content_encoding: str | None, max_body: int, conversation_seed: str
) -> Analysis:
    """Runs in the child: `analyse_request_in_child` of the body the parent left in ``body_file``."""
    with open(body_file, "rb") as handle:
        raw = handle.read()
    return analyse_request_in_child(method, path, raw, content_encoding, max_body, conversation_seed)


@contextlib.contextmanager
def _handed_over(raw: bytes) -> Iterator[str | None]:
    """The path of a private (0600) file holding ``raw``, removed afterwards; None for a small
    body, or when the file cannot be written (a full /dev/shm: the pipe still works)."""
    if len(raw) < HANDOVER_BYTES:
        yield None
        return
    directory = _MEMORY_FILES if os.path.isdir(_MEMORY_FILES) else None
    try:
        descriptor, name = tempfile.mkstemp(prefix="stegwatch-body-", dir=directory)
    except OSError:
        yield None
        return
    try:
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(raw)
        except OSError:
            yield None
            return
        yield name
    finally:
        with contextlib.suppress(OSError):
            os.unlink(name)


def _needed_fields(analysis: Analysis) -> list[TextField]:
    """The fields the add-on reads after the scan: those with a finding, and those holding
    client-authored text (date memory and baselines look at them). In a long conversation
    the rest, most of the bytes, is the user's history and tool output."""
    from addons.shapes import CLIENT_AUTHORED

    with_findings = {id(item.field) for item in analysis.located}
    return [
        text_field for text_field in analysis.fields
        if text_field.role in CLIENT_AUTHORED or text_field.role_spans or id(text_field) in with_findings
    ]


class ScanProcess:
    """One child process that scans batches of strings; restarted after a crash."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self.failures = 0

    def start(self) -> None:
        """Start the child now (it takes a moment to import the detectors)."""
        self._executor().submit(int)

    def scan(self, texts: list[str]) -> list[list[Finding]] | None:
        """Findings per text, or None when the child could not scan them (the caller scans)."""
        try:
            return self._executor().submit(scan_texts, texts).result()
        except (BrokenProcessPool, OSError, RuntimeError):
            self.failures += 1
            self._discard()
            return None

    async def analyse(
        self, method: str, path: str, raw: bytes, content_encoding: str | None, max_body: int, conversation_seed: str
    ) -> Analysis | None:
        """`analyse_request_in_child` awaited without a thread; None when the child could not
        do it (the caller analyses in process)."""
        try:
            with _handed_over(raw) as body_file:
                work, body = (analyse_request_in_child, raw) if body_file is None else (analyse_file_in_child, body_file)
                return await asyncio.wrap_future(self._executor().submit(
                    work, method, path, body, content_encoding, max_body, conversation_seed
                ))
        except (BrokenProcessPool, OSError, RuntimeError):
            self.failures += 1
            self._discard()
            return None
        except Exception:  # noqa: BLE001 - e.g. a result the child cannot pickle: the caller analyses in process
            self.failures += 1
            return None

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=_yield_to_traffic)
            return self._pool

    def _discard(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
