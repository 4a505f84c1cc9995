"""reference: each office's revenue target per year

Revision ID: reference_0002
Revises: reference_0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "reference_0002"
down_revision = "reference_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reference_revenue_target",
        sa.Column("office", sa.String(8), primary_key=True),
        sa.Column("year", sa.Integer(), primary_key=True),
        sa.Column("amount", sa.Numeric(20, 2), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("set_by", sa.String(64), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("reference_revenue_target")
