"""aeo: applications, the register and its history, arrangements, what partners told

Revision ID: aeo_0001
Revises: None
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import singlewindow.core.db

revision = "aeo_0001"
down_revision = None
branch_labels = ("aeo",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "aeo_application",
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("operator", sa.String(length=17), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column(
            "types",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "sites",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "self_assessment",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("consent_to_share", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column(
            "findings",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "visits",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "decision",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("submitted_by", sa.String(length=200), nullable=False),
        sa.Column("submitted_at", singlewindow.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", singlewindow.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_aeo_application")),
    )
    op.create_index(
        op.f("ix_aeo_application_operator"), "aeo_application", ["operator"], unique=False
    )
    op.create_index(
        "ix_aeo_application_status", "aeo_application", ["status", "submitted_at"], unique=False
    )
    op.create_table(
        "aeo_arrangement",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "partners",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column(
            "benefits",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "roles",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "lists_sent",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", singlewindow.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aeo_arrangement")),
    )
    op.create_table(
        "aeo_operator",
        sa.Column("operator", sa.String(length=17), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column(
            "types",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("application", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("consent", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("granted_on", sa.Date(), nullable=False),
        sa.Column("updated_at", singlewindow.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("operator", name=op.f("pk_aeo_operator")),
    )
    op.create_index(op.f("ix_aeo_operator_status"), "aeo_operator", ["status"], unique=False)
    op.create_table(
        "aeo_partner_notice",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("administration", sa.String(length=2), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("operator", sa.String(length=17), nullable=True),
        sa.Column("change", sa.String(length=20), nullable=True),
        sa.Column("operators", sa.Integer(), nullable=False),
        sa.Column("applied", sa.Integer(), nullable=False),
        sa.Column("told_at", singlewindow.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("learnt_at", singlewindow.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aeo_partner_notice")),
    )
    op.create_index(
        "ix_aeo_partner_notice_from",
        "aeo_partner_notice",
        ["administration", "learnt_at"],
        unique=False,
    )
    op.create_table(
        "aeo_partner_operator",
        sa.Column("operator", sa.String(length=17), nullable=False),
        sa.Column("administration", sa.String(length=2), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "types",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("told_at", singlewindow.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("learnt_at", singlewindow.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("operator", name=op.f("pk_aeo_partner_operator")),
    )
    op.create_index(
        "ix_aeo_partner_operator_administration",
        "aeo_partner_operator",
        ["administration", "status"],
        unique=False,
    )
    op.create_table(
        "aeo_revision",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aeo_revision")),
    )
    op.create_table(
        "aeo_status_change",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("operator", sa.String(length=17), nullable=False),
        sa.Column("change", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=2000), nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.Column("at", singlewindow.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aeo_status_change")),
    )
    op.create_index(
        op.f("ix_aeo_status_change_operator"), "aeo_status_change", ["operator"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_aeo_status_change_operator"), table_name="aeo_status_change")
    op.drop_table("aeo_status_change")
    op.drop_table("aeo_revision")
    op.drop_index("ix_aeo_partner_operator_administration", table_name="aeo_partner_operator")
    op.drop_table("aeo_partner_operator")
    op.drop_index("ix_aeo_partner_notice_from", table_name="aeo_partner_notice")
    op.drop_table("aeo_partner_notice")
    op.drop_index(op.f("ix_aeo_operator_status"), table_name="aeo_operator")
    op.drop_table("aeo_operator")
    op.drop_table("aeo_arrangement")
    op.drop_index("ix_aeo_application_status", table_name="aeo_application")
    op.drop_index(op.f("ix_aeo_application_operator"), table_name="aeo_application")
    op.drop_table("aeo_application")
