"""enforcement: alerts raised and received, joint operations, hits, seizures

Revision ID: enforcement_0001
Revises: None
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import singlewindow.core.db

revision = "enforcement_0001"
down_revision = None
branch_labels = ("enforcement",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "enforcement_alert",
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=False),
        sa.Column(
            "criteria",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "concealment",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("operation", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("raised_by", sa.String(length=64), nullable=True),
        sa.Column("raised_at", singlewindow.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("received_at", singlewindow.core.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("message_id", sa.String(length=200), nullable=True),
        sa.Column("withdrawn_at", singlewindow.core.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=2000), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enforcement_alert")),
    )
    op.create_index(
        "ix_enforcement_alert_country", "enforcement_alert", ["country", "raised_at"], unique=False
    )
    op.create_index(
        op.f("ix_enforcement_alert_operation"), "enforcement_alert", ["operation"], unique=False
    )
    op.create_table(
        "enforcement_hit",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("alert", sa.String(length=24), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("declaration", sa.String(length=40), nullable=False),
        sa.Column("hit_at", singlewindow.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column(
            "criteria",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("reported", sa.Boolean(), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enforcement_hit")),
        sa.UniqueConstraint("alert", "country", "declaration", name="uq_enforcement_hit"),
    )
    op.create_index(op.f("ix_enforcement_hit_alert"), "enforcement_hit", ["alert"], unique=False)
    op.create_table(
        "enforcement_operation",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("coordinator", sa.String(length=2), nullable=False),
        sa.Column(
            "members",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("recorded_at", singlewindow.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_enforcement_operation")),
    )
    op.create_table(
        "enforcement_seizure",
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("goods", sa.String(length=200), nullable=False),
        sa.Column("hs_code", sa.String(length=10), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=18, scale=3), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("concealment", sa.String(length=200), nullable=False),
        sa.Column("declaration", sa.String(length=40), nullable=True),
        sa.Column("alert", sa.String(length=24), nullable=True),
        sa.Column("operation", sa.String(length=40), nullable=True),
        sa.Column("shareable", sa.Boolean(), nullable=False),
        sa.Column("shared_at", singlewindow.core.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("seized_at", singlewindow.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=True),
        sa.Column("received_at", singlewindow.core.db.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enforcement_seizure")),
    )
    op.create_index(
        op.f("ix_enforcement_seizure_alert"), "enforcement_seizure", ["alert"], unique=False
    )
    op.create_index(
        "ix_enforcement_seizure_country",
        "enforcement_seizure",
        ["country", "seized_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_enforcement_seizure_declaration"),
        "enforcement_seizure",
        ["declaration"],
        unique=False,
    )
    op.create_index(
        op.f("ix_enforcement_seizure_operation"), "enforcement_seizure", ["operation"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_enforcement_seizure_operation"), table_name="enforcement_seizure")
    op.drop_index(op.f("ix_enforcement_seizure_declaration"), table_name="enforcement_seizure")
    op.drop_index("ix_enforcement_seizure_country", table_name="enforcement_seizure")
    op.drop_index(op.f("ix_enforcement_seizure_alert"), table_name="enforcement_seizure")
    op.drop_table("enforcement_seizure")
    op.drop_table("enforcement_operation")
    op.drop_index(op.f("ix_enforcement_hit_alert"), table_name="enforcement_hit")
    op.drop_table("enforcement_hit")
    op.drop_index(op.f("ix_enforcement_alert_operation"), table_name="enforcement_alert")
    op.drop_index("ix_enforcement_alert_country", table_name="enforcement_alert")
    op.drop_table("enforcement_alert")
