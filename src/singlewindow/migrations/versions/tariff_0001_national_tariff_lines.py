"""tariff: national tariff lines and schedule revisions

Revision ID: tariff_0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "tariff_0001"
down_revision = None
branch_labels = ("tariff",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tariff_line",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("code", sa.String(8), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("unit", sa.String(16), nullable=False),
        sa.Column("mfn", sa.String(80), nullable=False),
        sa.Column("atiga", sa.String(80), nullable=True),
        sa.Column("vat", sa.String(80), nullable=False),
        sa.Column("excise", sa.String(80), nullable=True),
        sa.Column("reference_unit_value", sa.Numeric(24, 4), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_tariff_line"),
        sa.UniqueConstraint(
            "country", "code", "valid_from", name="uq_tariff_line_country_code_from"
        ),
    )
    op.create_index("ix_tariff_line_country_code", "tariff_line", ["country", "code"])
    op.create_table(
        "tariff_schedule",
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("country", name="pk_tariff_schedule"),
    )


def downgrade() -> None:
    op.drop_table("tariff_schedule")
    op.drop_index("ix_tariff_line_country_code", table_name="tariff_line")
    op.drop_table("tariff_line")
