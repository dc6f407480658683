"""promotion terms: the section of the customer's document each answer retells

Revision ID: 0004_promotion_sources
Revises: 0003_reliability
Create Date: 2026-12-01 00:30:00

Why: a promotion is data the utility loads from a file (`hotline promotion load`); each
term names its source ("000 §3.5") so operators and the API can show where an answer
comes from. Existing terms keep NULL until the promotion is loaded again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_promotion_sources"
down_revision = "0003_reliability"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("promotion_terms", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("promotion_terms", schema=None) as batch_op:
        batch_op.drop_column("source")
