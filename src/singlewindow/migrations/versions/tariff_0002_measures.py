"""tariff: a country's measure data (areas and their dated memberships, agreements, additional
codes, document types, measures)

Revision ID: tariff_0002
Revises: tariff_0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "tariff_0002"
down_revision = "tariff_0001"
branch_labels = None
depends_on = None

DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "tariff_area",
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("area_id", sa.String(40), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("country", "area_id", name="pk_tariff_area"),
    )
    op.create_table(
        "tariff_area_membership",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("area_id", sa.String(40), nullable=False),
        sa.Column("member", sa.String(2), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_tariff_area_membership"),
    )
    op.create_index(
        "ix_tariff_area_membership_country_area",
        "tariff_area_membership",
        ["country", "area_id"],
    )
    op.create_table(
        "tariff_agreement",
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("agreement_id", sa.String(40), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("area_id", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("country", "agreement_id", name="pk_tariff_agreement"),
    )
    op.create_table(
        "tariff_additional_code",
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("code", sa.String(20), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("country", "code", name="pk_tariff_additional_code"),
    )
    op.create_table(
        "tariff_document_type",
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("code", sa.String(20), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("country", "code", name="pk_tariff_document_type"),
    )
    op.create_table(
        "tariff_measure",
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("measure_id", sa.String(40), nullable=False),
        sa.Column("type", sa.String(24), nullable=False),
        sa.Column("goods_code", sa.String(8), nullable=False),
        sa.Column("area_id", sa.String(40), nullable=False),
        sa.Column("excluded", DOCUMENT, nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("duty", sa.String(80), nullable=True),
        sa.Column("additional_code", sa.String(20), nullable=True),
        sa.Column("conditions", DOCUMENT, nullable=False),
        sa.Column("agreement_id", sa.String(40), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("country", "measure_id", name="pk_tariff_measure"),
    )


def downgrade() -> None:
    op.drop_table("tariff_measure")
    op.drop_table("tariff_document_type")
    op.drop_table("tariff_additional_code")
    op.drop_table("tariff_agreement")
    op.drop_index("ix_tariff_area_membership_country_area", table_name="tariff_area_membership")
    op.drop_table("tariff_area_membership")
    op.drop_table("tariff_area")
