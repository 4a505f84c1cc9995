"""classification: labels officers gave

Revision ID: classification_0001
Revises: None
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import singlewindow.core.db

revision = "classification_0001"
down_revision = None
branch_labels = ("classification",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "classification_label",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column("subheading", sa.String(length=6), nullable=False),
        sa.Column("confirmed", sa.Boolean(), nullable=False),
        sa.Column("suggested", sa.String(length=6), nullable=True),
        sa.Column("given_by", sa.String(length=64), nullable=False),
        sa.Column("given_at", singlewindow.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("declaration", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_classification_label")),
    )
    op.create_index(
        op.f("ix_classification_label_declaration"),
        "classification_label",
        ["declaration"],
        unique=False,
    )
    op.create_index(
        op.f("ix_classification_label_subheading"),
        "classification_label",
        ["subheading"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_classification_label_subheading"), table_name="classification_label")
    op.drop_index(op.f("ix_classification_label_declaration"), table_name="classification_label")
    op.drop_table("classification_label")
