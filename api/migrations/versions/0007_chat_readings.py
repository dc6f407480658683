"""readings: the source `chat`, for readings `hotline chat` stores (never exported)

Revision ID: 0007_chat_readings
Revises: 0006_debt_campaigns
Create Date: 2026-12-01 03:00:00

Why: the terminal chat is a dev tool; what its pretend callers confirm must never pass for a
resident's reading, even when someone points the chat at a real database (`--database URL`).
"""

from __future__ import annotations

from alembic import op

revision = "0007_chat_readings"
down_revision = "0006_debt_campaigns"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("readings", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_readings_source_known"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_readings_source_known"), "source IN ('ivr', 'operator', 'import', 'chat')"
        )


def downgrade() -> None:
    op.execute("DELETE FROM readings WHERE source = 'chat'")
    with op.batch_alter_table("readings", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_readings_source_known"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_readings_source_known"), "source IN ('ivr', 'operator', 'import')"
        )
