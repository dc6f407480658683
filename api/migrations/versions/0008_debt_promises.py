"""debt contacts: the day a debtor promised to pay

Revision ID: 0008_debt_promises
Revises: 0007_chat_readings
Create Date: 2026-12-01 03:30:00

Why: the reminder call's «оплачу до пятнадцатого» is kept with the contact, so operators can
list the promises and check them (issue 15).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_debt_promises"
down_revision = "0007_chat_readings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("debt_contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("promised_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("debt_contacts", schema=None) as batch_op:
        batch_op.drop_column("promised_on")
