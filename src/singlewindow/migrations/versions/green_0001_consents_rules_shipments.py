"""green: consents and their uses, country rules, waste shipments stopped and passed

Revision ID: green_0001
Revises: None
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import singlewindow.core.db

revision = "green_0001"
down_revision = None
branch_labels = ("green",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "green_consent",
        sa.Column("reference", sa.String(length=40), nullable=False),
        sa.Column("importing_country", sa.String(length=2), nullable=False),
        sa.Column("exporter", sa.String(length=35), nullable=False),
        sa.Column("exporter_name", sa.String(length=200), nullable=False),
        sa.Column("importer", sa.String(length=35), nullable=False),
        sa.Column("importer_name", sa.String(length=200), nullable=False),
        sa.Column("basel_code", sa.String(length=6), nullable=False),
        sa.Column("hs_code", sa.String(length=6), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=18, scale=3), nullable=False),
        sa.Column("used", sa.Numeric(precision=18, scale=3), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.Column("revoked_reason", sa.String(length=500), nullable=True),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", singlewindow.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("reference", name=op.f("pk_green_consent")),
    )
    op.create_table(
        "green_rule",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("direction", sa.String(length=6), nullable=False),
        sa.Column("basel_code", sa.String(length=6), nullable=True),
        sa.Column("hs_prefix", sa.String(length=8), nullable=True),
        sa.Column("origin", sa.String(length=2), nullable=True),
        sa.Column("max_share", sa.Numeric(precision=7, scale=6), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("sample", sa.Boolean(), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", singlewindow.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_green_rule")),
    )
    op.create_table(
        "green_shipment",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("outcome", sa.String(length=8), nullable=False),
        sa.Column("declaration", sa.String(length=40), nullable=True),
        sa.Column("lrn", sa.String(length=35), nullable=False),
        sa.Column("declarant", sa.String(length=35), nullable=False),
        sa.Column(
            "problems",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("at", singlewindow.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_green_shipment")),
        sa.UniqueConstraint("declaration", name=op.f("uq_green_shipment_declaration")),
    )
    op.create_index("ix_green_shipment_outcome", "green_shipment", ["outcome", "at"], unique=False)
    op.create_table(
        "green_consent_use",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("consent", sa.String(length=40), nullable=False),
        sa.Column("declaration", sa.String(length=40), nullable=False),
        sa.Column("item", sa.Integer(), nullable=False),
        sa.Column("kg", sa.Numeric(precision=18, scale=3), nullable=False),
        sa.Column("taken_at", singlewindow.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("returned_at", singlewindow.core.db.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["consent"],
            ["green_consent.reference"],
            name=op.f("fk_green_consent_use_consent_green_consent"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_green_consent_use")),
    )
    op.create_index(
        op.f("ix_green_consent_use_consent"), "green_consent_use", ["consent"], unique=False
    )
    op.create_index(
        "ix_green_consent_use_declaration", "green_consent_use", ["declaration"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_green_consent_use_declaration", table_name="green_consent_use")
    op.drop_index(op.f("ix_green_consent_use_consent"), table_name="green_consent_use")
    op.drop_table("green_consent_use")
    op.drop_index("ix_green_shipment_outcome", table_name="green_shipment")
    op.drop_table("green_shipment")
    op.drop_table("green_rule")
    op.drop_table("green_consent")
