"""transit: movements (departure, transit and destination records), guarantees, history

Revision ID: transit_0001
Revises:
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import singlewindow.core.db

revision = "transit_0001"
down_revision = None
branch_labels = ("transit",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "transit_event",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("mrn", sa.String(length=18), nullable=False),
        sa.Column("at", singlewindow.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("what", sa.String(length=40), nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.Column(
            "detail",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transit_event")),
    )
    with op.batch_alter_table("transit_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_transit_event_mrn"), ["mrn"], unique=False)

    op.create_table(
        "transit_guarantee",
        sa.Column("reference", sa.String(length=24), nullable=False),
        sa.Column("holder", sa.String(length=35), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("reserved", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=False),
        sa.Column("revoked_on", sa.Date(), nullable=True),
        sa.Column("access_digest", sa.String(length=90), nullable=False),
        sa.Column("failed_codes", sa.Integer(), nullable=False),
        sa.Column("registered_by", sa.String(length=64), nullable=False),
        sa.Column("registered_at", singlewindow.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", singlewindow.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("reference", name=op.f("pk_transit_guarantee")),
    )
    with op.batch_alter_table("transit_guarantee", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_transit_guarantee_holder"), ["holder"], unique=False)

    op.create_table(
        "transit_movement",
        sa.Column("mrn", sa.String(length=18), nullable=False),
        sa.Column("role", sa.String(length=12), nullable=False),
        sa.Column("lrn", sa.String(length=35), nullable=False),
        sa.Column("holder", sa.String(length=35), nullable=False),
        sa.Column("guarantee", sa.String(length=24), nullable=False),
        sa.Column("departure_office", sa.String(length=8), nullable=False),
        sa.Column("destination_office", sa.String(length=8), nullable=False),
        sa.Column(
            "transit_offices",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "routing",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("time_limit", singlewindow.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("reserved", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "declaration",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "control",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "duties",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "crossings",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "arrival",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "control_results",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "solution",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("due_at", singlewindow.core.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("message_id", sa.String(length=200), nullable=True),
        sa.Column("lodged_at", singlewindow.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("released_at", singlewindow.core.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("arrived_at", singlewindow.core.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", singlewindow.core.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", singlewindow.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("mrn", name=op.f("pk_transit_movement")),
        sa.UniqueConstraint("role", "holder", "lrn", name="uq_transit_movement_lrn"),
    )
    with op.batch_alter_table("transit_movement", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_transit_movement_departure_office"), ["departure_office"], unique=False
        )
        batch_op.create_index(
            "ix_transit_movement_destination", ["destination_office", "status"], unique=False
        )
        batch_op.create_index("ix_transit_movement_due", ["role", "due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_transit_movement_holder"), ["holder"], unique=False)
        batch_op.create_index(batch_op.f("ix_transit_movement_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("transit_movement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transit_movement_status"))
        batch_op.drop_index(batch_op.f("ix_transit_movement_holder"))
        batch_op.drop_index("ix_transit_movement_due")
        batch_op.drop_index("ix_transit_movement_destination")
        batch_op.drop_index(batch_op.f("ix_transit_movement_departure_office"))

    op.drop_table("transit_movement")
    with op.batch_alter_table("transit_guarantee", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transit_guarantee_holder"))

    op.drop_table("transit_guarantee")
    with op.batch_alter_table("transit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transit_event_mrn"))

    op.drop_table("transit_event")
