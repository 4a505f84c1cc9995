"""declarations: the selection's score in its own column, indexed for the officer's worklist

Revision ID: declarations_0004
Revises: declarations_0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "declarations_0004"
down_revision = "declarations_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("declaration") as table:
        table.add_column(sa.Column("risk_score", sa.Float(), nullable=False, server_default="0"))
    # The score of the declarations already lodged, from their stored selection.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE declaration SET risk_score = (selection->>'score')::float"
                   " WHERE selection->>'score' IS NOT NULL")
    else:
        op.execute("UPDATE declaration SET risk_score = json_extract(selection, '$.score')"
                   " WHERE json_extract(selection, '$.score') IS NOT NULL")
    with op.batch_alter_table("declaration") as table:
        table.alter_column("risk_score", server_default=None)
    op.create_index("ix_declaration_worklist", "declaration",
                    ["office", "status", sa.text("risk_score DESC"), "channel", "lodged_at"])
    # The office's own index is the worklist's first column: one index fewer to write.
    op.drop_index("ix_declaration_office", "declaration")


def downgrade() -> None:
    op.create_index("ix_declaration_office", "declaration", ["office"])
    op.drop_index("ix_declaration_worklist", "declaration")
    with op.batch_alter_table("declaration") as table:
        table.drop_column("risk_score")
