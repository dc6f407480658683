"""The IVR's durable outbox store: what callers confirmed, kept in a local SQLite file until sent.

Why a file of its own: `dialogs.record.Outbox` promises the caller that a confirmed reading, a
callback request or an escalation is kept before the robot says so. The account API may be down
or restarting; this process may be killed. Entries written here (one transaction per batch,
`synchronous=FULL`) survive both, and the next `hotline serve` sends them first, with the
idempotency keys they were made with, so the API stores each exactly once.

The file also lists the calls started and not yet ended: after a crash, the next start closes
their records (outcome `service_error`), so no call stays "in progress" in the console forever.

SQLite is used from one dedicated thread (its connection is not shared across threads), so the
event loop never waits on the disk. One file per IVR process: its name carries the AudioSocket
port, so two processes on one machine never replay each other's entries.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from dialogs.record import Entry

log = logging.getLogger(__name__)

T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    call_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    key TEXT NOT NULL,
    kept_at TEXT NOT NULL DEFAULT (datetime('now'))
);
CREATE TABLE IF NOT EXISTS live_calls (
    call_id TEXT PRIMARY KEY
);
"""


SELECT_PENDING = "SELECT seq, call_id, kind, body, key FROM entries ORDER BY seq"


def outbox_path(data_dir: Path, port: int, worker: int | None = None) -> Path:
    """Where the IVR answering on AudioSocket `port` (as worker `worker` of `serve --workers`)
    keeps its outbox."""
    suffix = "" if worker is None else f"-w{worker}"
    return Path(data_dir) / f"outbox-{port}{suffix}.sqlite3"


class SqliteStore:
    """A `dialogs.record.Store` in a SQLite file (see module doc)."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox-sqlite")
        self._db: sqlite3.Connection | None = None

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._thread, fn, *args)

    def _connect(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")  # a confirmed reading survives a power cut too
            db.executescript(SCHEMA)
            self._db = db
        return self._db

    # -- the Store protocol -------------------------------------------------------

    async def add(self, entries: list[Entry]) -> None:
        await self._run(self._add, entries)

    async def pending(self) -> list[Entry]:
        return await self._run(self._pending)

    async def done(self, seqs: list[int]) -> None:
        if seqs:
            await self._run(self._done, seqs)

    async def orphans(self) -> list[str]:
        """Calls started and never ended: the process that had them died (kill -9, power cut).
        Called once at start, before any call of this process begins."""
        rows = await self._run(lambda: self._connect().execute("SELECT call_id FROM live_calls").fetchall())
        return [call_id for (call_id,) in rows]

    async def count(self) -> int:
        """Entries kept and not yet sent (for the log, tests and `hotline outbox`)."""
        def count() -> int:
            return int(self._connect().execute("SELECT count(*) FROM entries").fetchone()[0])

        return await self._run(count)

    async def close(self) -> None:
        def shut() -> None:
            if self._db is not None:
                self._db.close()
                self._db = None

        await self._run(shut)
        self._thread.shutdown(wait=True)

    # -- in the store's thread ------------------------------------------------------

    def _add(self, entries: list[Entry]) -> None:
        db = self._connect()
        db.execute("BEGIN IMMEDIATE")
        try:
            for entry in entries:
                cursor = db.execute(
                    "INSERT INTO entries (call_id, kind, body, key) VALUES (?, ?, ?, ?)",
                    (entry.call_id, entry.kind, json.dumps(entry.body, ensure_ascii=False), entry.key),
                )
                entry.seq = int(cursor.lastrowid or 0)
                if entry.kind == "start":
                    db.execute("INSERT OR IGNORE INTO live_calls (call_id) VALUES (?)", (entry.call_id,))
                elif entry.kind == "end":
                    db.execute("DELETE FROM live_calls WHERE call_id = ?", (entry.call_id,))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _pending(self) -> list[Entry]:
        rows = self._connect().execute(SELECT_PENDING).fetchall()
        return _entries(rows)

    def _done(self, seqs: list[int]) -> None:
        db = self._connect()
        db.executemany("DELETE FROM entries WHERE seq = ?", [(s,) for s in seqs])


def read_pending(path: Path) -> list[Entry]:
    """What an outbox file still holds (for `hotline outbox` and tests), without sending anything."""
    if not Path(path).exists():
        return []
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = db.execute(SELECT_PENDING).fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        db.close()
    return _entries(rows)


def _entries(rows: list[tuple[int, str, str, str, str]]) -> list[Entry]:
    return [Entry(call, kind, json.loads(body), key=key, seq=seq) for seq, call, kind, body, key in rows]
