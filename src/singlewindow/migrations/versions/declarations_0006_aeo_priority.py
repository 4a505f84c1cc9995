"""declarations: the authorised operator whose declarations go first in the worklist, and the
worklist index led by it

Revision ID: declarations_0006
Revises: declarations_0005
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "declarations_0006"
down_revision = "declarations_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("declaration") as table:
        table.add_column(sa.Column("aeo_operator", sa.String(35), nullable=True))
    op.drop_index("ix_declaration_worklist", "declaration")
    # AEO declarations first (NULLS LAST on both engines for this column's order: see the
    # model's index), then the highest score, red before yellow, the longest waiting.
    op.create_index("ix_declaration_worklist", "declaration",
                    ["office", "status", sa.text("(aeo_operator IS NULL)"),
                     sa.text("risk_score DESC"), "channel", "lodged_at"])


def downgrade() -> None:
    op.drop_index("ix_declaration_worklist", "declaration")
    op.create_index("ix_declaration_worklist", "declaration",
                    ["office", "status", sa.text("risk_score DESC"), "channel", "lodged_at"])
    with op.batch_alter_table("declaration") as table:
        table.drop_column("aeo_operator")
