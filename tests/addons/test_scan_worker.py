"""The scanning process: same findings as scanning in place, and a crash falls back."""

from __future__ import annotations

import os

import pytest

from addons.scan_cache import ScanCache
from addons.scan_worker import MIN_CHARS, ScanProcess, scan_texts
from detectors import scan

TEXTS = [
    "Today\N{MODIFIER LETTER APOSTROPHE}s date is 2026-11-24.",
    "total 12\n-rw-r--r-- 1 alice alice 1843 Nov 24 09:12 billing.py\N{ZERO WIDTH SPACE}\n",
    "Fix the failing test: « montant invalide » — 金额无效 🙂",
    "plain ASCII, nothing to see",
]


@pytest.fixture
def process():
    worker = ScanProcess()
    yield worker
    worker.close()


def test_the_child_finds_what_scan_finds(process):
    assert process.scan(TEXTS) == [scan(text) for text in TEXTS]


def test_a_crashed_child_gives_none_and_is_restarted(process):
    assert process.scan(["warm up"]) == [[]]
    pool = process._executor()
    pool.submit(os._exit, 1)  # the child dies mid-task
    assert process.scan(TEXTS) is None and process.failures == 1
    assert process.scan(TEXTS) == [scan(text) for text in TEXTS]


def test_cache_sends_only_unseen_strings_to_the_batch_scanner():
    batches: list[list[str]] = []

    def batch_scanner(texts):
        batches.append(texts)
        return scan_texts(texts)

    cache = ScanCache()
    first = cache.scan_all(TEXTS + TEXTS[:1], batch_scanner)
    second = cache.scan_all(TEXTS + ["a new turn\N{ZERO WIDTH SPACE}"], batch_scanner)
    assert batches == [TEXTS, ["a new turn\N{ZERO WIDTH SPACE}"]]
    assert first[:4] == second[:4] == [tuple(scan(text)) for text in TEXTS]
    assert first[4] == first[0]


def test_cache_scans_in_place_when_the_batch_scanner_declines():
    cache = ScanCache()
    assert cache.scan_all(TEXTS, lambda texts: None) == [tuple(scan(text)) for text in TEXTS]
    assert len(cache) == len(TEXTS)


def test_threshold_keeps_small_batches_in_process():
    assert MIN_CHARS > sum(map(len, TEXTS))
