"""reference: the customs office register and the published exchange rates

Revision ID: reference_0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "reference_0001"
down_revision = None
branch_labels = ("reference",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reference_office",
        sa.Column("code", sa.String(8), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("procedures", sa.String(40), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("sample", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name="pk_reference_office"),
    )
    op.create_index("ix_reference_office_country", "reference_office", ["country"])
    op.create_table(
        "reference_exchange_rate",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("national_currency", sa.String(3), nullable=False),
        sa.Column("rate", sa.String(40), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=False),
        sa.Column("sample", sa.Boolean(), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_reference_exchange_rate"),
        sa.UniqueConstraint(
            "country", "currency", "valid_from", name="uq_reference_exchange_rate_period"
        ),
    )
    op.create_index(
        "ix_reference_exchange_rate_country_currency",
        "reference_exchange_rate",
        ["country", "currency"],
    )
    op.create_table(
        "reference_revision",
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("country", name="pk_reference_revision"),
    )


def downgrade() -> None:
    op.drop_table("reference_revision")
    op.drop_index(
        "ix_reference_exchange_rate_country_currency", table_name="reference_exchange_rate"
    )
    op.drop_table("reference_exchange_rate")
    op.drop_index("ix_reference_office_country", table_name="reference_office")
    op.drop_table("reference_office")
