"""The scanning process: same findings as scanning in place, and a crash falls back."""

from __future__ import annotations

import asyncio
import json
import os
import stat

import pytest

from addons import scan_worker
from addons.analysis import analyse_request
from addons.scan_cache import ScanCache
from addons.scan_worker import MIN_CHARS, ScanProcess, scan_texts
from detectors import scan
from tests.support.bodies import conversation_body

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


# --- a large body reaches the child as a private file in memory, then the file is gone ---------

def _body_files() -> set[str]:
    return {name for name in os.listdir(scan_worker._MEMORY_FILES) if name.startswith("stegwatch-body-")}


def test_a_large_body_is_analysed_in_the_child_as_in_process(process):
    raw = json.dumps(conversation_body(400_000, marked=True), ensure_ascii=False).encode()
    assert len(raw) >= scan_worker.HANDOVER_BYTES
    before = _body_files()
    in_child = asyncio.run(process.analyse("POST", "/v1/messages", raw, None, 64 << 20, "seed"))
    in_process = analyse_request("POST", "/v1/messages", raw, None, ScanCache(), 64 << 20, "seed")
    assert in_child is not None and in_child.body_sha256 == in_process.body_sha256
    assert [(i.field.path, i.finding) for i in in_child.located] == [(i.field.path, i.finding) for i in in_process.located]
    assert _body_files() == before


def test_the_body_file_is_private_and_a_failure_to_write_it_falls_back_to_the_pipe(monkeypatch, tmp_path):
    with scan_worker._handed_over(b"x" * scan_worker.HANDOVER_BYTES) as name:
        assert name is not None and stat.S_IMODE(os.stat(name).st_mode) == 0o600
    assert not os.path.exists(name)
    monkeypatch.setattr(scan_worker, "_MEMORY_FILES", str(tmp_path / "missing"))
    monkeypatch.setattr(scan_worker.tempfile, "tempdir", str(tmp_path / "missing"))
    with scan_worker._handed_over(b"x" * scan_worker.HANDOVER_BYTES) as name:
        assert name is None
    with scan_worker._handed_over(b"small") as name:
        assert name is None
