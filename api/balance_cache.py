"""Balances this process has answered, kept until the data they are made of may have changed.

Why: computing a balance (four statements, a worker-thread hop) was most of the balance path's
CPU (issue 13), and the same answer is asked again — by the same call (the caller asks once more, a
reminder call then the balance topic) and by later calls about the same account — until the
billing changes it. An answer is kept with the database's data version (the row
`data_version`, bumped by triggers on every write a balance depends on, migration 0009) read
*before* its figures, so a kept answer is never older than its version says. It is served while
that version is still the current one:

- a write through this process (any session or connection of its engine) is seen at once: its
  commit makes the next balance request read the version again;
- a write by another process (the billing import, another API worker) is seen within
  `HOTLINE_BALANCE_RECHECK_SECONDS` (default 1 s): the version is read again when the last
  reading is older. 0 reads it on every request.

The answer is the same for every caller; who may read it is checked on every request, by the
route or by `api.balance_fast_lane`, never remembered here.
"""

from __future__ import annotations

import re
import threading
import time
from datetime import date

from sqlalchemy import Connection, Engine, event, text

MAX_ANSWERS = 50_000  # about 1.5 KB each: at most ~75 MB, in practice one per account asked today
TABLES = ("accounts", "charges", "penalties", "payments", "services")  # as migration 0009's triggers
_VERSION = text("SELECT version FROM data_version WHERE id = 1")
_DML = re.compile(r"^\s*(insert|update|delete|replace)\b", re.IGNORECASE)
_TABLE_WORDS = re.compile(r"\b(" + "|".join(TABLES) + r")\b", re.IGNORECASE)

Key = tuple[str, str | None, date]  # (account text, period asked or None, the local day)


class BalanceCache:
    """Answers (JSON bytes) by account, period and day, valid while the data version stands.

    Lock-free for readers and for `stale` (called inside a writer's commit); version reads take
    turns, so an older read never replaces a newer one.
    """

    def __init__(self, recheck_seconds: float) -> None:
        self._recheck = recheck_seconds
        self._answers: dict[Key, tuple[int, int, bytes]] = {}  # key → (version, account id, body)
        self._version: int | None = None
        self._checked_at = float("-inf")  # monotonic time of the last version read; -inf: read it now
        self._stale_marks = 0  # how many times `stale` was called
        self._reading = threading.Lock()

    def _fresh(self) -> bool:
        return time.monotonic() - self._checked_at <= self._recheck

    def answer(self, key: Key) -> tuple[int, bytes] | None:
        """(account id, body) if kept under the current version and that version is fresh; else None."""
        if not self._fresh():
            return None
        found = self._answers.get(key)
        if found is None or found[0] != self._version:
            return None
        return found[1], found[2]

    def version(self, conn: Connection) -> int | None:
        """The data version to keep an answer under: read again when due, before the answer's figures."""
        if self._fresh():
            return self._version
        with self._reading:
            if self._fresh():  # another request has just read it
                return self._version
            marks, read_at = self._stale_marks, time.monotonic()
            version = conn.execute(_VERSION).scalar()
            if version != self._version:
                self._answers = {}
                self._version = version
            if marks == self._stale_marks:  # no commit since we started: the reading holds
                self._checked_at = read_at
            return version

    def keep(self, key: Key, version: int | None, account_id: int, body: bytes) -> None:
        if version is None or version != self._version:
            return
        answers = self._answers
        if len(answers) >= MAX_ANSWERS:
            answers.clear()
        answers[key] = (version, account_id, body)

    def stale(self) -> None:
        """Something a balance is made of was committed through this process: read the version again."""
        self._stale_marks += 1
        self._checked_at = float("-inf")


def watch_writes(engine: Engine, cache: BalanceCache) -> None:
    """Mark the cache stale after every commit, on this engine, that wrote one of `TABLES`.

    Marked twice: at the commit (so no answer is served from then on) and when the connection goes
    back to the pool, after the commit is done (so a version read between the two is read again).
    """

    @event.listens_for(engine, "after_cursor_execute")
    def _noted(conn, _cursor, statement, _params, _context, _executemany):  # pragma: no cover - trivial
        if _DML.match(statement) and _TABLE_WORDS.search(statement):
            conn.info["balance_data_written"] = True

    @event.listens_for(engine, "commit")
    def _committed(conn):
        if conn.info.pop("balance_data_written", False):
            conn.info["balance_data_committed"] = True
            cache.stale()

    @event.listens_for(engine, "rollback")
    def _rolled_back(conn):
        conn.info.pop("balance_data_written", None)

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_conn, record):
        if record.info.pop("balance_data_committed", False):
            cache.stale()
