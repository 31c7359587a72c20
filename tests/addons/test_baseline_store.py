"""Tests for `addons.baseline_store`: WAL, transactions, kill -9, threads and processes."""

from __future__ import annotations

import os
import signal
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from addons.baseline_store import Batch, BaselineStore

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CLIENT = "user-agent=claude-cli/2.0.14 (external, cli)"
API = "anthropic-messages"
SYSTEM = "$['system'][*]['text']"

# A writer process for the crash and concurrency tests: learns one row per transaction and
# prints how many it has committed, so the parent knows what must have survived.
WRITER = """
import sys
sys.path.insert(0, {root!r})
from addons.baseline_store import BaselineStore
store = BaselineStore(sys.argv[1])
name, count = sys.argv[2], int(sys.argv[3])
for n in range(count):
    store.learn("client-" + name, "anthropic-messages",
                [("$['system'][*]['text']", f"line {{n}} of {{name}}", f"line {{n}} of {{name}}\\u2019")])
    print(n + 1, flush=True)
"""


def rows(path: Path) -> int:
    with sqlite3.connect(path) as connection:
        return connection.execute("SELECT COUNT(*) FROM lines").fetchone()[0]


def writer(tmp_path: Path, name: str, count: int) -> subprocess.Popen[str]:
    script = tmp_path / "writer.py"
    script.write_text(WRITER.format(root=str(PROJECT_ROOT)), encoding="utf-8")
    return subprocess.Popen([sys.executable, str(script), str(tmp_path / "baseline.sqlite3"), name, str(count)],
                            stdout=subprocess.PIPE, text=True)


# --- what is stored -------------------------------------------------------------------------

def test_learned_lines_come_back_most_seen_first(tmp_path: Path) -> None:
    store = BaselineStore(tmp_path / "baseline.sqlite3")
    store.learn(CLIENT, API, [(SYSTEM, "Today's date is <DATE>.", "Today's date is <DATE Y-M-D>.")])
    store.learn(CLIENT, API, [(SYSTEM, "Today's date is <DATE>.", "Today\u2019s date is <DATE Y-M-D>.")])
    store.learn(CLIENT, API, [(SYSTEM, "Today's date is <DATE>.", "Today\u2019s date is <DATE Y-M-D>.")])
    profile = store.profile(CLIENT, API)
    assert profile == {(SYSTEM, "Today's date is <DATE>."): ("Today\u2019s date is <DATE Y-M-D>.", "Today's date is <DATE Y-M-D>.")}
    assert store.profile(CLIENT, "openai-chat") is None
    assert store.profile("user-agent=other", API) is None
    [summary] = store.summaries()
    assert (summary.requests, summary.paths, summary.lines, summary.varied) == (3, 1, 2, 1)
    [path] = store.paths(CLIENT, API)
    assert (path.path, path.lines, path.varied, path.seen) == (SYSTEM, 1, 1, 3)
    store.close()


def test_store_is_private_wal_and_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "data" / "stegwatch" / "baseline.sqlite3"
    store = BaselineStore(path)
    store.learn(CLIENT, API, [(SYSTEM, "You are Codex.", "You are Codex.")])
    store.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    reopened = BaselineStore(path)
    assert reopened.profile(CLIENT, API) == {(SYSTEM, "You are Codex."): ("You are Codex.",)}
    reopened.close()


def test_a_failed_batch_leaves_nothing_behind(tmp_path: Path) -> None:
    store = BaselineStore(tmp_path / "baseline.sqlite3")
    good = Batch(CLIENT, API, [(SYSTEM, "You are Codex.", "You are Codex.")])
    bad = Batch(CLIENT, API, [(SYSTEM, "broken", object())])  # type: ignore[list-item]
    with pytest.raises((sqlite3.Error, TypeError)):
        store.learn_batches([good, bad])
    assert store.profile(CLIENT, API) is None
    store.learn_batches([good])
    assert store.profile(CLIENT, API) is not None
    store.close()


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "baseline.sqlite3"
    path.write_bytes(b"this is not a database, just text " * 200)
    with pytest.raises(sqlite3.DatabaseError):
        BaselineStore(path)


def test_data_version_moves_when_another_connection_commits(tmp_path: Path) -> None:
    reader, writer_store = BaselineStore(tmp_path / "b.sqlite3"), BaselineStore(tmp_path / "b.sqlite3")
    before = reader.data_version()
    writer_store.learn(CLIENT, API, [(SYSTEM, "x", "x")])
    assert reader.data_version() != before
    reader.close()
    writer_store.close()


# --- crashes and concurrency -----------------------------------------------------------------

def test_kill_9_while_learning_keeps_every_committed_row(tmp_path: Path) -> None:
    process = writer(tmp_path, "crash", 1_000_000)
    committed = 0
    assert process.stdout is not None
    while committed < 200:
        line = process.stdout.readline()
        assert line, "the writer died before committing 200 rows"
        committed = int(line)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL
    store = BaselineStore(tmp_path / "baseline.sqlite3")
    assert store.integrity() == "ok"
    [summary] = store.summaries()
    assert summary.lines >= committed and summary.requests >= committed
    assert summary.lines == summary.requests  # each transaction wrote its row and its count, or neither
    store.close()


def test_two_processes_write_at_once(tmp_path: Path) -> None:
    BaselineStore(tmp_path / "baseline.sqlite3").close()  # both start on an existing store
    processes = [writer(tmp_path, name, 150) for name in ("a", "b")]
    for process in processes:
        output, _ = process.communicate(timeout=120)
        assert process.returncode == 0 and output.split()[-1] == "150"
    assert rows(tmp_path / "baseline.sqlite3") == 300
    store = BaselineStore(tmp_path / "baseline.sqlite3")
    assert store.integrity() == "ok"
    assert sorted((s.client, s.requests, s.lines) for s in store.summaries()) == [("client-a", 150, 150), ("client-b", 150, 150)]
    store.close()


@pytest.mark.parametrize("shared", [True, False])
def test_threads_write_at_once(tmp_path: Path, shared: bool) -> None:
    path = tmp_path / "baseline.sqlite3"
    one = BaselineStore(path)
    errors: list[BaseException] = []

    def learn(name: str) -> None:
        store = one if shared else BaselineStore(path)
        try:
            for n in range(40):
                store.learn(f"client-{name}", API, [(SYSTEM, f"line {n}", f"line {n}\u2019")])
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            if not shared:
                store.close()

    threads = [threading.Thread(target=learn, args=(str(n),)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert rows(path) == 240
    assert one.integrity() == "ok"
    one.close()


def test_a_reader_sees_a_writer_process_commits_while_it_runs(tmp_path: Path) -> None:
    reader = BaselineStore(tmp_path / "baseline.sqlite3")
    process = writer(tmp_path, "live", 20)
    process.communicate(timeout=60)
    deadline = time.monotonic() + 5
    while reader.profile("client-live", API) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    profile = reader.profile("client-live", API)
    assert profile is not None and len(profile) == 20
    reader.close()
