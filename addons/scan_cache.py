"""A per-string scan result cache, so that a new turn of a conversation scans only new text.

Agents resend the whole conversation on every turn: the system prompt, the tool definitions
and every earlier message come back byte for byte. `ScanCache` keys `detectors.scan` results
on the string's content: the string itself is the dictionary key, so a lookup is Python's
keyed SipHash of the text plus one comparison on a hit. That is exact (no digest collision
can hand a marked string the result of a clean one) and several times faster than a
cryptographic digest of every string on every turn, which dominated a warm turn. The price
is memory: the cached texts are kept, and their size counts against the byte budget, past
which the least recently used entries are evicted.

The cache lives in the add-on, not in `detectors`, which stays a stateless library. It is
shared by the scanning threads, hence the lock.
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from collections.abc import Callable

from detectors import Finding

# Rough per-entry overhead (tuple, dict slot, list links) and per-finding size, for the budget.
_ENTRY_BYTES = 160
_FINDING_BYTES = 600


class ScanCache:
    """LRU of ``text -> findings``, bounded by an estimate of its size in bytes."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024, scanner: Callable[[str], list[Finding]] | None = None) -> None:
        self.max_bytes = max_bytes
        self._scanner = scanner
        self._entries: OrderedDict[str, tuple[tuple[Finding, ...], int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def scan(self, text: str) -> tuple[Finding, ...]:
        """The findings of ``text``, from the cache when this exact string was seen before."""
        with self._lock:
            entry = self._entries.get(text)
            if entry is not None:
                self._entries.move_to_end(text)
                self.hits += 1
                return entry[0]
            self.misses += 1
        return self._store(text, tuple(self._run(text)))

    def scan_all(self, texts: list[str], batch_scanner: Callable[[list[str]], list[list[Finding]] | None] | None = None) -> list[tuple[Finding, ...]]:
        """The findings of each text. The unseen ones go to ``batch_scanner`` in one batch
        when it is given (a scanning process) and returns a result, else to `scan`."""
        with self._lock:
            cached = [self._entries.get(text) for text in texts]
        unseen = list(dict.fromkeys(text for text, entry in zip(texts, cached) if entry is None))
        batch = batch_scanner(unseen) if batch_scanner is not None and unseen else None
        if batch is None:
            return [entry[0] if entry is not None else self.scan(text) for text, entry in zip(texts, cached)]
        fresh = {text: self._store(text, tuple(findings)) for text, findings in zip(unseen, batch)}
        with self._lock:
            self.hits += len(texts) - len(unseen)
            self.misses += len(unseen)
        return [entry[0] if entry is not None else fresh[text] for text, entry in zip(texts, cached)]

    def _store(self, text: str, findings: tuple[Finding, ...]) -> tuple[Finding, ...]:
        size = _ENTRY_BYTES + _FINDING_BYTES * len(findings) + sys.getsizeof(text)
        with self._lock:
            if text not in self._entries:
                self._entries[text] = (findings, size)
                self._bytes += size
                while self._bytes > self.max_bytes and self._entries:
                    _, (_, evicted) = self._entries.popitem(last=False)
                    self._bytes -= evicted
        return findings

    def _run(self, text: str) -> list[Finding]:
        # Looked up on each call so that a test (or the fail-open e2e check) can patch `scan`.
        scanner = self._scanner or _module_scan()
        return scanner(text)

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)


def _module_scan() -> Callable[[str], list[Finding]]:
    import detectors

    return detectors.scan

