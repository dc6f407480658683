"""How many requests use the database at once, and what the rest hear: a 503 `busy`, never a hang.

Why: with a pool of 5 + 10 connections and anyio's 40 worker threads, 64 concurrent
requests answered nothing for 20 s and then 500 (issue 13). A request held its connection
between two thread hops while every worker thread waited for a connection: nobody could
finish. Now a request is admitted (an async semaphore, waited for on the event loop, no
thread held) before it gets a session, and at most `db.POOL_SIZE` are admitted, so an
admitted request always finds a connection. One that is not admitted within
`ADMIT_SECONDS` is answered 503 `busy` with `Retry-After`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TypeVar
from weakref import WeakKeyDictionary

import anyio
from anyio.lowlevel import RunVar
from sqlalchemy.orm import Session, sessionmaker

from api.db import POOL_SIZE

T = TypeVar("T")
ADMIT_SECONDS = 3.0
RETRY_AFTER_SECONDS = 1

# One semaphore per session factory and event loop (tests run an event loop per request).
_gates: RunVar[WeakKeyDictionary[sessionmaker[Session], anyio.Semaphore]] = RunVar("hotline_db_gates")


class DatabaseBusy(Exception):
    """Every admitted request is using the database; this one waited `ADMIT_SECONDS`."""


def _gate(sessions: sessionmaker[Session]) -> anyio.Semaphore:
    try:
        gates = _gates.get()
    except LookupError:
        gates = WeakKeyDictionary()
        _gates.set(gates)
    gate = gates.get(sessions)
    if gate is None:
        gate = gates[sessions] = anyio.Semaphore(POOL_SIZE)
    return gate


@asynccontextmanager
async def admitted_session(
    sessions: sessionmaker[Session],
    ensure_schema: Callable[[], None],
    schema_ready: Callable[[], bool],
    *,
    wait: bool = True,
) -> AsyncIterator[Session]:
    """A session for one request, once admitted; closed off the event loop when it holds a connection.

    `wait=False`: DatabaseBusy at once when every place is taken (a caller with somewhere else to go)."""
    gate = _gate(sessions)
    if wait:
        with anyio.move_on_after(ADMIT_SECONDS) as waiting:
            await gate.acquire()
        if waiting.cancelled_caught:
            raise DatabaseBusy
    else:
        try:
            gate.acquire_nowait()
        except anyio.WouldBlock:
            raise DatabaseBusy from None
    try:
        if not schema_ready():
            await anyio.to_thread.run_sync(ensure_schema)
        session = sessions()
        try:
            yield session
        finally:
            if session.in_transaction():
                # Like FastAPI's own exits: never wait for a worker thread to give a connection back.
                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(session.close, limiter=anyio.CapacityLimiter(1))
            else:
                session.close()
    finally:
        gate.release()


async def in_worker(session: Session, work: Callable[[], T]) -> T:
    """Run a request's database work in one worker-thread hop and give its connection back there.

    Why: every hop costs; a hot route (the balance the IVR asks on most calls) that does its
    checks and reads in one hop, then closes the session before leaving the thread, leaves
    the event loop only JSON to write.
    """

    def run() -> T:
        try:
            return work()
        finally:
            session.close()

    return await anyio.to_thread.run_sync(run)
