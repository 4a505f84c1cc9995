"""exchange: outbox, inbox and the non-repudiation message log

Revision ID: exchange_0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "exchange_0001"
down_revision = None
branch_labels = ("exchange",)
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "exchange_outbox",
        sa.Column("message_id", sa.String(255), nullable=False),
        sa.Column("to_party", sa.String(128), nullable=False),
        sa.Column("service", sa.String(255), nullable=False),
        sa.Column("service_type", sa.String(255), nullable=True),
        sa.Column("action", sa.String(255), nullable=False),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("ref_to_message_id", sa.String(255), nullable=True),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TZ, nullable=False),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        sa.Column("claimed_until", TZ, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("delivered_at", TZ, nullable=True),
        sa.PrimaryKeyConstraint("message_id", name="pk_exchange_outbox"),
    )
    op.create_index("ix_exchange_outbox_due", "exchange_outbox", ["status", "next_attempt_at"])
    op.create_table(
        "exchange_inbox",
        sa.Column("message_id", sa.String(255), nullable=False),
        sa.Column("from_party", sa.String(128), nullable=False),
        sa.Column("to_party", sa.String(128), nullable=False),
        sa.Column("service", sa.String(255), nullable=False),
        sa.Column("service_type", sa.String(255), nullable=True),
        sa.Column("action", sa.String(255), nullable=False),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("ref_to_message_id", sa.String(255), nullable=True),
        sa.Column("message_timestamp", TZ, nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("duplicates", sa.Integer(), server_default="0", nullable=False),
        sa.Column("received_at", TZ, nullable=False),
        sa.Column("processed_at", TZ, nullable=True),
        sa.PrimaryKeyConstraint("message_id", name="pk_exchange_inbox"),
    )
    op.create_index("ix_exchange_inbox_status", "exchange_inbox", ["status", "received_at"])
    op.create_table(
        "exchange_message_log",
        sa.Column("message_id", sa.String(255), nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("from_party", sa.String(128), nullable=False),
        sa.Column("to_party", sa.String(128), nullable=False),
        sa.Column("service", sa.String(255), nullable=False),
        sa.Column("action", sa.String(255), nullable=False),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("ref_to_message_id", sa.String(255), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("message_timestamp", TZ, nullable=True),
        sa.Column("payload_digest", sa.String(64), nullable=False),
        sa.Column("encrypted", sa.Boolean(), nullable=True),
        sa.Column("envelope", sa.LargeBinary(), nullable=True),
        sa.Column("signal_id", sa.String(255), nullable=True),
        sa.Column("signal", sa.LargeBinary(), nullable=True),
        sa.Column("error_code", sa.String(16), nullable=True),
        sa.Column("error_detail", sa.Text(), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("message_id", "direction", name="pk_exchange_message_log"),
    )
    for column in ("from_party", "to_party", "action", "status", "created_at"):
        op.create_index(
            f"ix_exchange_message_log_{column}", "exchange_message_log", [column]
        )


def downgrade() -> None:
    for column in ("from_party", "to_party", "action", "status", "created_at"):
        op.drop_index(f"ix_exchange_message_log_{column}", table_name="exchange_message_log")
    op.drop_table("exchange_message_log")
    op.drop_index("ix_exchange_inbox_status", table_name="exchange_inbox")
    op.drop_table("exchange_inbox")
    op.drop_index("ix_exchange_outbox_due", table_name="exchange_outbox")
    op.drop_table("exchange_outbox")
