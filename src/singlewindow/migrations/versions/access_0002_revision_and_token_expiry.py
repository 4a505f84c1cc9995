"""access: the access revision (revocations and disablings seen by every process) and token
expiry

Revision ID: access_0002
Revises: access_0001
Create Date: 2026-12-01
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "access_0002"
down_revision = "access_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "access_revision",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_access_revision"),
    )
    op.bulk_insert(
        sa.table("access_revision", sa.column("id"), sa.column("revision")),
        [{"id": 1, "revision": 0}],
    )
    with op.batch_alter_table("api_token") as table:
        table.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    # Tokens issued before expiry existed get the default life from the upgrade on, rather
    # than stopping at once (many are older than 90 days).
    tokens = sa.table("api_token", sa.column("expires_at", sa.DateTime(timezone=True)))
    op.execute(tokens.update().values(expires_at=datetime.now(UTC) + timedelta(days=90)))
    with op.batch_alter_table("api_token") as table:
        table.alter_column("expires_at", existing_type=sa.DateTime(timezone=True),
                           nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("api_token") as table:
        table.drop_column("expires_at")
    op.drop_table("access_revision")
