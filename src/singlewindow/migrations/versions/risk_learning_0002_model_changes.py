"""risk_learning: each change of the model in service (promotion, rollback) with who and why

Revision ID: risk_learning_0002
Revises: risk_learning_0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "risk_learning_0002"
down_revision = "risk_learning_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "risk_model_change",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("change", sa.String(16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("previous", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["version"],
            ["risk_model.version"],
            name="fk_risk_model_change_version_risk_model",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_risk_model_change"),
    )
    op.create_index("ix_risk_model_change_version", "risk_model_change", ["version"])


def downgrade() -> None:
    op.drop_index("ix_risk_model_change_version", table_name="risk_model_change")
    op.drop_table("risk_model_change")
