"""declarations: photos and scanner images attached to a declaration

Revision ID: declarations_0003
Revises: declarations_0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "declarations_0003"
down_revision = "declarations_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "declaration_attachment",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("declaration_id", sa.String(32),
                  sa.ForeignKey("declaration.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("filename", sa.String(120), nullable=False),
        sa.Column("media_type", sa.String(40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("scanner_id", sa.String(35), nullable=True),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.String(64), nullable=False),
    )
    op.create_index("ix_declaration_attachment_declaration_id", "declaration_attachment",
                    ["declaration_id"])


def downgrade() -> None:
    op.drop_index("ix_declaration_attachment_declaration_id", "declaration_attachment")
    op.drop_table("declaration_attachment")
