"""A scanning process, so that a large unseen body never holds mitmproxy's interpreter lock.

Scanning is pure-Python work. On a worker thread it still competes with mitmproxy's event
loop for the GIL, and every other flow waits a switch interval or more each time the loop
needs it back. `ScanProcess` sends the strings of a body that the cache has not seen to one
child process and waits there (waiting releases the GIL), so other flows keep their latency
while megabytes are scanned. Only large batches go there (`MIN_CHARS`): for a small one, the
pickling would cost more than the scan.

The child is started with ``spawn`` (mitmproxy runs threads, and forking a threaded process
is unsafe) on first use, and again after a crash. If it cannot run at all, the caller scans in
its own thread: slower for other flows, never wrong.
"""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from detectors import Finding

# Batches of fewer unseen characters than this are scanned in the calling thread.
MIN_CHARS = 256 * 1024


def scan_texts(texts: list[str]) -> list[list[Finding]]:
    """Runs in the child: `detectors.scan` of each text."""
    import detectors

    return [detectors.scan(text) for text in texts]


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

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
            return self._pool

    def _discard(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
