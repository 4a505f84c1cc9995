"""risk: the random-check share of recognised authorised economic operators in the policy

Revision ID: risk_0003
Revises: risk_0002
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "risk_0003"
down_revision = "risk_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("selectivity_policy") as table:
        table.add_column(
            sa.Column("aeo_random_share", sa.Float(), nullable=False, server_default="0.005")
        )
    # A policy already set keeps the rule that an AEO is not checked more than others.
    op.execute("UPDATE selectivity_policy SET aeo_random_share = random_share"
               " WHERE random_share < 0.005")
    with op.batch_alter_table("selectivity_policy") as table:
        table.alter_column("aeo_random_share", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("selectivity_policy") as table:
        table.drop_column("aeo_random_share")
