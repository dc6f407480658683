"""reliability: enumeration look-ups, one verification counter per account/number, idempotency keys

Revision ID: 0003_reliability
Revises: 0002_console
Create Date: 2026-11-30 23:15:27

Why: the enumeration guard counts distinct questions per registered call and per
minute (`account_lookups`, replacing `unknown_account_lookups`); guesses of the
last payment lock one counter row per account and per caller number
(`verification_counters`, replacing `verification_locks`; locks still running are
carried over); IVR writes carry idempotency keys (`escalations`,
`transcript_lines`, `call_requests`).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import api.types

revision = "0003_reliability"
down_revision = "0002_console"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_lookups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=80), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("known", sa.Boolean(), nullable=False),
        sa.Column("allowed", sa.Boolean(), nullable=True),
        sa.Column("caller", sa.String(length=32), nullable=True),
        sa.Column("masked", sa.String(length=16), nullable=False),
        sa.Column("at", api.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_lookups")),
        sa.UniqueConstraint("scope", "subject", name=op.f("uq_account_lookups_scope_subject")),
    )
    with op.batch_alter_table("account_lookups", schema=None) as batch_op:
        batch_op.create_index("ix_account_lookups_at", ["at"], unique=False)
        batch_op.create_index("ix_account_lookups_caller_at", ["caller", "at"], unique=False)

    op.create_table(
        "verification_counters",
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("counting_since", api.types.UTCDateTime(), nullable=True),
        sa.Column("locked_until", api.types.UTCDateTime(), nullable=True),
        sa.Column("touched_at", api.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("scope", "key", name=op.f("pk_verification_counters")),
    )
    # Locks in force keep their end; their failures are not needed (a lock counts as used up).
    op.execute(
        "INSERT INTO verification_counters (scope, key, failures, locked_until) "
        "SELECT scope, key, 0, MAX(locked_until) FROM verification_locks GROUP BY scope, key"
    )
    op.create_table(
        "call_requests",
        sa.Column("call_id", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("at", api.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"], name=op.f("fk_call_requests_call_id_calls"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("call_id", "key", name=op.f("pk_call_requests")),
    )
    with op.batch_alter_table("unknown_account_lookups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unknown_account_lookups_call_id"))
        batch_op.drop_index(batch_op.f("ix_unknown_account_lookups_caller"))
    op.drop_table("unknown_account_lookups")
    with op.batch_alter_table("verification_locks", schema=None) as batch_op:
        batch_op.drop_index("ix_verification_locks_scope_key")
    op.drop_table("verification_locks")

    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("idempotency_key", sa.String(length=64), nullable=True))
        batch_op.create_index("uq_escalations_call_key", ["call_id", "idempotency_key"], unique=True)
    with op.batch_alter_table("transcript_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("idempotency_key", sa.String(length=64), nullable=True))
        batch_op.create_index("uq_transcript_lines_call_key", ["call_id", "idempotency_key"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("transcript_lines", schema=None) as batch_op:
        batch_op.drop_index("uq_transcript_lines_call_key")
        batch_op.drop_column("idempotency_key")
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.drop_index("uq_escalations_call_key")
        batch_op.drop_column("idempotency_key")

    op.create_table(
        "verification_locks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("locked_at", api.types.UTCDateTime(), nullable=False),
        sa.Column("locked_until", api.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification_locks")),
    )
    with op.batch_alter_table("verification_locks", schema=None) as batch_op:
        batch_op.create_index("ix_verification_locks_scope_key", ["scope", "key"], unique=False)
    op.execute(
        "INSERT INTO verification_locks (scope, key, locked_at, locked_until) "
        "SELECT scope, key, locked_until, locked_until FROM verification_counters "
        "WHERE locked_until IS NOT NULL"
    )
    op.create_table(
        "unknown_account_lookups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.String(length=64), nullable=True),
        sa.Column("caller", sa.String(length=32), nullable=True),
        sa.Column("account_masked", sa.String(length=11), nullable=False),
        sa.Column("at", api.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unknown_account_lookups")),
    )
    with op.batch_alter_table("unknown_account_lookups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_unknown_account_lookups_call_id"), ["call_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_unknown_account_lookups_caller"), ["caller"], unique=False)

    op.drop_table("call_requests")
    op.drop_table("verification_counters")
    with op.batch_alter_table("account_lookups", schema=None) as batch_op:
        batch_op.drop_index("ix_account_lookups_caller_at")
        batch_op.drop_index("ix_account_lookups_at")
    op.drop_table("account_lookups")
