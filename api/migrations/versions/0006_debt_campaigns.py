"""outbound debt reminders: contacts made (for the legal limits) and numbers that opted out

Revision ID: 0006_debt_campaigns
Revises: 0005_callbacks_and_lifts
Create Date: 2026-12-01 01:00:00

Why: seed 002 asks for daily calls to debtors by debt band; the law (230-ФЗ art. 7) limits
successful contacts per debtor, and a number that refused or was wrong is never called again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import api.types

revision = "0006_debt_campaigns"
down_revision = "0005_callbacks_and_lifts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "debt_contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=11), nullable=False),
        sa.Column("at", api.types.UTCDateTime(), nullable=False),
        sa.Column("outcome", sa.String(length=30), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("debt_contacts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_debt_contacts_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_debt_contacts_phone"), ["phone"], unique=False)
        batch_op.create_index(batch_op.f("ix_debt_contacts_at"), ["at"], unique=False)
    op.create_table(
        "debt_opt_outs",
        sa.Column("phone", sa.String(length=11), nullable=False),
        sa.Column("reason", sa.String(length=30), nullable=False),
        sa.Column("at", api.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("phone"),
    )


def downgrade() -> None:
    op.drop_table("debt_opt_outs")
    with op.batch_alter_table("debt_contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_debt_contacts_at"))
        batch_op.drop_index(batch_op.f("ix_debt_contacts_phone"))
        batch_op.drop_index(batch_op.f("ix_debt_contacts_account_id"))
    op.drop_table("debt_contacts")
