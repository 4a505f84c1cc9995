"""declarations: the state the clearance rules decide on (with the open payment notice),
refunds, representations, guarantee discharge

Revision ID: declarations_0002
Revises: declarations_0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "declarations_0002"
down_revision = "declarations_0001"
branch_labels = None
depends_on = None

AMOUNT = sa.Numeric(precision=20, scale=4)


def upgrade() -> None:
    with op.batch_alter_table("declaration") as table:
        table.add_column(sa.Column("inspection", sa.String(16), nullable=True))
        table.add_column(
            sa.Column("finding", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        table.add_column(
            sa.Column(
                "preference_pending", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        table.add_column(sa.Column("refundable", AMOUNT, nullable=False, server_default="0"))
        table.add_column(sa.Column("released_by", sa.String(100), nullable=True))
        table.add_column(
            sa.Column("notice_sequence", sa.Integer(), nullable=False, server_default="0")
        )
        table.add_column(sa.Column("notice_amount", AMOUNT, nullable=False, server_default="0"))
        table.add_column(sa.Column("notice_due", sa.Date(), nullable=True))
    # The defaults only fill the rows that exist; the model always writes these columns.
    with op.batch_alter_table("declaration") as table:
        table.alter_column("finding", server_default=None)
        table.alter_column("preference_pending", server_default=None)
        table.alter_column("refundable", server_default=None)
        table.alter_column("notice_sequence", server_default=None)
        table.alter_column("notice_amount", server_default=None)
    with op.batch_alter_table("payment") as table:
        table.add_column(sa.Column("bank_id", sa.String(35), nullable=True))
        table.add_column(sa.Column("notice_reference", sa.String(24), nullable=True))
    with op.batch_alter_table("guarantee_use") as table:
        table.add_column(sa.Column("discharged", AMOUNT, nullable=False, server_default="0"))
        table.add_column(sa.Column("discharged_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("guarantee_use") as table:
        table.alter_column("discharged", server_default=None)
    op.create_table(
        "refund",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("declaration_id", sa.String(32), nullable=False),
        sa.Column("amount", AMOUNT, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("decided_by", sa.String(64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(500), nullable=True),
        sa.ForeignKeyConstraint(
            ["declaration_id"],
            ["declaration.id"],
            name=op.f("fk_refund_declaration_id_declaration"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refund")),
    )
    op.create_index(op.f("ix_refund_declaration_id"), "refund", ["declaration_id"])
    op.create_index(op.f("ix_refund_status"), "refund", ["status"])
    op.create_table(
        "representation",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("declarant_id", sa.String(35), nullable=False),
        sa.Column("represented_id", sa.String(35), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_on", sa.Date(), nullable=True),
        sa.Column("revoked_by", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_representation")),
    )
    op.create_index(op.f("ix_representation_declarant_id"), "representation", ["declarant_id"])
    op.create_index(
        op.f("ix_representation_represented_id"), "representation", ["represented_id"]
    )


def downgrade() -> None:
    op.drop_table("representation")
    op.drop_table("refund")
    with op.batch_alter_table("guarantee_use") as table:
        table.drop_column("discharged_at")
        table.drop_column("discharged")
    with op.batch_alter_table("payment") as table:
        table.drop_column("notice_reference")
        table.drop_column("bank_id")
    with op.batch_alter_table("declaration") as table:
        for column in (
            "notice_due",
            "notice_amount",
            "notice_sequence",
            "released_by",
            "refundable",
            "preference_pending",
            "finding",
            "inspection",
        ):
            table.drop_column(column)
