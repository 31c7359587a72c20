"""The baseline store: client-authored template lines per client, API and JSON path, in SQLite.

`addons.baseline` learns what each client (User-Agent and client-version headers) writes in
its system prompt, tool definitions and injected context, and later checks requests against
it. This module keeps that knowledge on disk so that it outlives the proxy and can be filled
from captures (``stegwatch baseline learn``) while a proxy is checking.

What it holds, and what it never holds: one row per (client, API, path pattern, template
line) with the line's key, how often it was seen, and when. Template lines come from
`addons.template`, with dates, paths, hashes, tokens and numbers masked, and only from text
the client authored: never the user's words, the model's answers or tool output. The client
is named by the allow-listed identity headers (`addons.audit_log.client_identity`), so no
``Authorization`` or API key reaches the store. The file is created 0600 in a 0700 directory.

Durability and concurrency: WAL journal, ``synchronous=NORMAL`` (a committed transaction
survives the process being killed; only a power loss can take the last ones), every write in
one ``BEGIN IMMEDIATE`` transaction, and a busy timeout so that two processes (a proxy
learning, a ``baseline learn`` run) wait for each other instead of failing. One connection
per `BaselineStore`, guarded by a lock, so threads may share a store or each open their own.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from addons.audit_log import utc_timestamp

SCHEMA_VERSION = "1"
# A proxy waits this long for another writer before a write fails (and is retried later).
BUSY_TIMEOUT_S = 10.0
# Variants of one line kept in memory for a check; the most seen first.
MAX_VARIANTS = 8

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS profiles (
        id INTEGER PRIMARY KEY,
        client TEXT NOT NULL,
        api TEXT NOT NULL,
        requests INTEGER NOT NULL DEFAULT 0,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        UNIQUE (client, api))""",
    """CREATE TABLE IF NOT EXISTS lines (
        profile INTEGER NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
        digest BLOB NOT NULL,
        path TEXT NOT NULL,
        key TEXT NOT NULL,
        template TEXT NOT NULL,
        seen INTEGER NOT NULL DEFAULT 1,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        PRIMARY KEY (profile, digest))""",
    "CREATE INDEX IF NOT EXISTS lines_by_key ON lines (profile, path, key)",
)

# (path pattern, key, template) of one learned line.
LineRow = tuple[str, str, str]
# What a check compares with: (path pattern, key) -> the templates seen, most seen first.
Profile = dict[tuple[str, str], tuple[str, ...]]


@dataclass(frozen=True)
class Batch:
    """Lines learned from some requests of one client and API."""

    client: str
    api: str
    rows: Sequence[LineRow]
    requests: int = 1


@dataclass(frozen=True)
class ProfileSummary:
    """One client and API in the store, for ``stegwatch baseline show``."""

    client: str
    api: str
    requests: int
    paths: int
    lines: int
    varied: int          # keys learned with more than one template
    first_seen: str
    last_seen: str


@dataclass(frozen=True)
class PathSummary:
    path: str
    lines: int
    varied: int
    seen: int


class BaselineStore:
    """One connection to a baseline database (created on first use)."""

    def __init__(self, path: str | os.PathLike[str], busy_timeout_s: float = BUSY_TIMEOUT_S) -> None:
        self.path = Path(path).expanduser()
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Create the file 0600 before SQLite does (its -wal and -shm files copy its mode).
        os.close(os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600))
        self._lock = threading.Lock()
        self._connection = sqlite3.connect(
            self.path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False
        )
        try:
            self._connection.execute("PRAGMA journal_mode=WAL")
            self._connection.execute("PRAGMA synchronous=NORMAL")
            self._connection.execute("PRAGMA foreign_keys=ON")
            with self._transaction():
                for statement in _SCHEMA:
                    self._connection.execute(statement)
                self._connection.execute(
                    "INSERT OR IGNORE INTO meta (name, value) VALUES ('schema', ?)", (SCHEMA_VERSION,)
                )
        except BaseException:
            self._connection.close()
            raise

    # --- writing -------------------------------------------------------------------------

    def learn(self, client: str, api: str, rows: Iterable[LineRow], requests: int = 1) -> int:
        """Record lines of one client and API in one transaction; returns the rows written."""
        return self.learn_batches([Batch(client, api, list(rows), requests)])

    def learn_batches(self, batches: Iterable[Batch]) -> int:
        """Record several batches in one transaction (all or nothing); returns the rows written."""
        now = utc_timestamp()
        written = 0
        with self._lock, self._transaction():
            cursor = self._connection.cursor()
            for batch in batches:
                profile = cursor.execute(
                    "INSERT INTO profiles (client, api, requests, first_seen, last_seen) VALUES (?, ?, ?, ?, ?) "
                    "ON CONFLICT (client, api) DO UPDATE SET requests = requests + excluded.requests, "
                    "last_seen = excluded.last_seen RETURNING id",
                    (batch.client, batch.api, batch.requests, now, now),
                ).fetchone()[0]
                cursor.executemany(
                    "INSERT INTO lines (profile, digest, path, key, template, first_seen, last_seen) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (profile, digest) DO UPDATE SET seen = seen + 1, last_seen = excluded.last_seen",
                    ((profile, _digest(path, key, template), path, key, template, now, now)
                     for path, key, template in batch.rows),
                )
                written += len(batch.rows)
        return written

    # --- reading -------------------------------------------------------------------------

    def profile(self, client: str, api: str) -> Profile | None:
        """The learned lines of one client and API, or None when it was never learned."""
        with self._lock:
            row = self._connection.execute(
                "SELECT id FROM profiles WHERE client = ? AND api = ?", (client, api)
            ).fetchone()
            if row is None:
                return None
            rows = self._connection.execute(
                "SELECT path, key, template FROM lines WHERE profile = ? ORDER BY seen DESC, first_seen", (row[0],)
            ).fetchall()
        profile: dict[tuple[str, str], list[str]] = {}
        for path, key, template in rows:
            variants = profile.setdefault((path, key), [])
            if len(variants) < MAX_VARIANTS:
                variants.append(template)
        return {line: tuple(variants) for line, variants in profile.items()}

    def summaries(self) -> list[ProfileSummary]:
        with self._lock:
            rows = self._connection.execute(
                """SELECT p.client, p.api, p.requests,
                          (SELECT COUNT(DISTINCT path) FROM lines WHERE profile = p.id),
                          (SELECT COUNT(*) FROM lines WHERE profile = p.id),
                          (SELECT COUNT(*) FROM (SELECT 1 FROM lines WHERE profile = p.id
                                                 GROUP BY path, key HAVING COUNT(*) > 1)),
                          p.first_seen, p.last_seen
                   FROM profiles p ORDER BY p.client, p.api"""
            ).fetchall()
        return [ProfileSummary(*row) for row in rows]

    def paths(self, client: str, api: str) -> list[PathSummary]:
        with self._lock:
            rows = self._connection.execute(
                """SELECT path, COUNT(DISTINCT key), COUNT(*) - COUNT(DISTINCT key), SUM(seen)
                   FROM lines WHERE profile = (SELECT id FROM profiles WHERE client = ? AND api = ?)
                   GROUP BY path ORDER BY path""",
                (client, api),
            ).fetchall()
        return [PathSummary(*row) for row in rows]

    def data_version(self) -> int:
        """Changes whenever another connection commits (SQLite's ``PRAGMA data_version``)."""
        with self._lock:
            return self._connection.execute("PRAGMA data_version").fetchone()[0]

    def integrity(self) -> str:
        with self._lock:
            return self._connection.execute("PRAGMA integrity_check").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._connection.close()

    def _transaction(self) -> _Transaction:
        return _Transaction(self._connection)


class _Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT``, or ``ROLLBACK`` on any error: the write lock is taken
    up front, so two writers queue on the busy timeout instead of deadlocking on an upgrade."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def __enter__(self) -> None:
        self._connection.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: object) -> None:
        if kind is None:
            self._connection.execute("COMMIT")
        else:
            self._connection.execute("ROLLBACK")


def _digest(path: str, key: str, template: str) -> bytes:
    identity = "\x00".join((path, key, template)).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(identity, digest_size=16).digest()
