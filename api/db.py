"""Engines, sessions and schema upgrades.

Why programmatic Alembic: the app, the CLI and the tests all bring a database
to the latest schema the same way (`upgrade(url)`), without an alembic.ini
next to the working directory.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import CursorResult, Engine, Result, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# Connections: one per request admitted at once (see api.capacity), a few for everything else.
POOL_SIZE = 32
POOL_OVERFLOW = 8
POOL_TIMEOUT = 3.0  # seconds a checkout waits before sqlalchemy.exc.TimeoutError (→ 503 busy)
log = logging.getLogger("api.db")


def make_engine(database_url: str) -> Engine:
    """An engine with the settings every part of the hotline wants.

    SQLite: foreign keys on, WAL (readers never block the writer), a busy
    timeout so concurrent writers wait instead of failing. PostgreSQL: short
    connect timeout, so a database that is down answers 503 quickly.
    """
    url = make_url(database_url)
    # Requests hold at most POOL_SIZE connections (api.capacity admits no more); the overflow is
    # for commands and tools sharing the engine; a checkout that still waits fails fast (503).
    pool = {"pool_size": POOL_SIZE, "max_overflow": POOL_OVERFLOW, "pool_timeout": POOL_TIMEOUT}
    if url.get_backend_name() == "sqlite":
        if url.database in (None, "", ":memory:"):
            pool = {}  # one connection per thread, nothing to size
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 15}, **pool)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=15000")
            if url.database not in (None, "", ":memory:"):
                cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

        return engine
    connect_args = {"connect_timeout": 5} if url.get_backend_name() == "postgresql" else {}
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args, **pool)


def ensure_sqlite_dir(database_url: str) -> None:
    """Create the folder of a SQLite file (the default lives under HOTLINE_DATA_DIR)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def upgrade_engine(engine: Engine) -> None:
    """`alembic upgrade head`, then the reference data (territories, offices, services)."""
    from api.reference import ensure_reference

    cfg = alembic_config()
    with engine.begin() as conn:
        before = MigrationContext.configure(conn).get_current_revision()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        after = MigrationContext.configure(conn).get_current_revision()
    if before != after:
        log.info("database schema upgraded from %s to %s", before or "empty", after)
    with Session(engine) as session, session.begin():
        ensure_reference(session)


def upgrade(database_url: str) -> None:
    """Bring the database at `database_url` to the latest schema and reference data."""
    engine = make_engine(database_url)
    try:
        upgrade_engine(engine)
    finally:
        engine.dispose()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def url_for_humans(url: str) -> str:
    """The URL without its password, for messages."""
    return make_url(url).render_as_string(hide_password=True)


class DatabaseUnavailable(Exception):
    """The database could not be reached or migrated; the message is for people."""


@contextmanager
def migrated_session(database_url: str) -> Iterator[Session]:
    """A session on the database at the latest schema, for commands and tools outside the app.

    Raises DatabaseUnavailable (one line, no password) when it cannot be reached or migrated.
    """
    ensure_sqlite_dir(database_url)
    engine = make_engine(database_url)
    try:
        try:
            upgrade_engine(engine)
        except DBAPIError as exc:
            raise DatabaseUnavailable(
                f"database {url_for_humans(database_url)} unavailable: "
                f"{str(exc.orig or exc).strip().splitlines()[0]}"
            ) from exc
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


def rowcount(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE touched (SQLAlchemy types `Session.execute` as a plain Result)."""
    return cast("CursorResult[Any]", result).rowcount
