"""access: users and API tokens

Revision ID: access_0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "access_0001"
down_revision = None
branch_labels = ("access",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_account",
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("party_id", sa.String(35), nullable=True),
        sa.Column("office", sa.String(8), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("username", name="pk_user_account"),
    )
    op.create_table(
        "api_token",
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["username"], ["user_account.username"],
            name="fk_api_token_username_user_account",
        ),
        sa.PrimaryKeyConstraint("digest", name="pk_api_token"),
    )
    op.create_index("ix_api_token_username", "api_token", ["username"])


def downgrade() -> None:
    op.drop_index("ix_api_token_username", table_name="api_token")
    op.drop_table("api_token")
    op.drop_table("user_account")
