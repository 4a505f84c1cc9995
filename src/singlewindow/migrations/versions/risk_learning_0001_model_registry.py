"""risk_learning: the registry of learned risk models

Revision ID: risk_learning_0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import singlewindow.core.db

revision = "risk_learning_0001"
down_revision = None
branch_labels = ("risk_learning",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "risk_model",
        sa.Column("version", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data_from", sa.Date(), nullable=False),
        sa.Column("data_to", sa.Date(), nullable=False),
        sa.Column("declarations", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("metrics", singlewindow.core.db.Document, nullable=False),
        sa.Column("note", sa.String(500), nullable=False),
        sa.Column("promoted_by", sa.String(64), nullable=True),
        sa.Column("promoted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("version", name="pk_risk_model"),
    )
    op.create_index("ix_risk_model_status", "risk_model", ["status"])


def downgrade() -> None:
    op.drop_index("ix_risk_model_status", table_name="risk_model")
    op.drop_table("risk_model")
