"""Alembic environment: runs on the connection `api.db.upgrade_engine` hands over,
or on `sqlalchemy.url` when used from the alembic command line."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

import api.console.models  # noqa: F401  (operator console tables: same metadata, same history)
from api.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database: run migrations through api.db.upgrade(url)")
    engine = create_engine(url)
    with engine.connect() as conn:
        _run(conn)
        conn.commit()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite needs batch mode to alter tables
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; give a database URL")
run_migrations_online()
