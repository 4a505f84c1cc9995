"""access: console passwords (the Argon2id hash, when it was set) and the lock-out (failed
logins in a row, locked until)

Revision ID: access_0003
Revises: access_0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "access_0003"
down_revision = "access_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing users have no password (they log in to the console once an admin sets one)
    # and no failed login yet.
    with op.batch_alter_table("user_account") as table:
        table.add_column(sa.Column("password_hash", sa.String(255), nullable=True))
        table.add_column(
            sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=True)
        )
        table.add_column(
            sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0")
        )
        table.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("user_account") as table:
        table.alter_column("failed_logins", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("user_account") as table:
        table.drop_column("locked_until")
        table.drop_column("failed_logins")
        table.drop_column("password_changed_at")
        table.drop_column("password_hash")
