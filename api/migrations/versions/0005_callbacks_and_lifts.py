"""callbacks as their own queue (number, retry time, tries) and operators' lifts of verification locks

Revision ID: 0005_callbacks_and_lifts
Revises: 0004_promotion_sources
Create Date: 2026-12-01 00:40:00

Why: a callback request is an escalation with reason `callback_request`; operators call
the number back and, when nobody answers, put it back in the queue for a later time
(`callback_phone`, `retry_at`, `attempts`; existing requests get the number from their
summary). An operator may lift a payment-guess lock for the real owner; each lift is
kept with who, when and why (`verification_lifts`).
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

import api.types

revision = "0005_callbacks_and_lifts"
down_revision = "0004_promotion_sources"
branch_labels = None
depends_on = None

PHONE_RE = re.compile(r"Перезвонить на номер\s+\+?(7\d{10})")


def upgrade() -> None:
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("callback_phone", sa.String(length=11), nullable=True))
        batch_op.add_column(sa.Column("retry_at", api.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
    conn = op.get_bind()
    rows = conn.execute(
        sa.text("SELECT id, summary FROM escalations WHERE reason = 'callback_request'")
    ).all()
    for esc_id, summary in rows:
        match = PHONE_RE.search(summary or "")
        if match:
            conn.execute(
                sa.text("UPDATE escalations SET callback_phone = :p WHERE id = :i"),
                {"p": match.group(1), "i": esc_id},
            )

    op.create_table(
        "verification_lifts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", api.types.UTCDateTime(), nullable=True),
        sa.Column("operator", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", api.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_verification_lifts_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification_lifts")),
    )
    with op.batch_alter_table("verification_lifts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_verification_lifts_account_id"), ["account_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("verification_lifts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_verification_lifts_account_id"))
    op.drop_table("verification_lifts")
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.drop_column("attempts")
        batch_op.drop_column("retry_at")
        batch_op.drop_column("callback_phone")
