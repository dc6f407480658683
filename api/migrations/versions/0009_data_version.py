"""data_version: a counter bumped by the database on every write a balance depends on

Revision ID: 0009_data_version
Revises: 0008_debt_promises
Create Date: 2026-12-01 05:45:00

Why triggers: the API keeps balances it answered in memory (issue 13: the balance path at
1,000 requests a second); it must learn of every change, whoever makes it — the billing import
(another process), another API worker, a correction by hand. A trigger cannot be forgotten by
a new write path. The row is upserted, so emptying the table (the tests' TRUNCATE) does no harm.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_data_version"
down_revision = "0008_debt_promises"
branch_labels = None
depends_on = None

# What a balance answer is made of (api.balance): the account's text and opening balance, its
# charge lines with the services' names and units, penalties and payments.
TABLES = ("accounts", "charges", "penalties", "payments", "services")
BUMP = (
    "INSERT INTO data_version (id, version) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET version = data_version.version + 1"
)


def upgrade() -> None:
    op.create_table(
        "data_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_version")),
    )
    op.execute("INSERT INTO data_version (id, version) VALUES (1, 1)")
    if op.get_bind().dialect.name == "postgresql":
        # Once per statement: a billing import of 100,000 rows bumps it a few times, not 100,000.
        op.execute(
            f"CREATE FUNCTION bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {BUMP}; RETURN NULL; END $$"
        )
        for table in TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version()"
            )
        return
    # SQLite has row triggers only: one small update of a page already in the write transaction.
    for table in TABLES:
        for event in ("INSERT", "UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_data_version_{event.lower()} AFTER {event} ON {table} "
                f"BEGIN {BUMP}; END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER {table}_data_version ON {table}")
        op.execute("DROP FUNCTION bump_data_version()")
    else:
        for table in TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER {table}_data_version_{event}")
    op.drop_table("data_version")
