"""exchange: message ids are unique per sender (inbox and message log keyed by the sender too)

A partner that learnt another partner's message id could otherwise send it first and have
the genuine message refused as a duplicate.

Revision ID: exchange_0002
Revises: exchange_0001
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "exchange_0002"
down_revision = "exchange_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("exchange_inbox") as table:
        table.drop_constraint("pk_exchange_inbox", type_="primary")
        table.create_primary_key("pk_exchange_inbox", ["message_id", "from_party"])
    with op.batch_alter_table("exchange_message_log") as table:
        table.drop_constraint("pk_exchange_message_log", type_="primary")
        table.create_primary_key(
            "pk_exchange_message_log", ["message_id", "direction", "from_party"]
        )


def downgrade() -> None:
    # Fails if two senders used the same message id meanwhile: which one to drop is a
    # decision for a person, not for a migration.
    with op.batch_alter_table("exchange_message_log") as table:
        table.drop_constraint("pk_exchange_message_log", type_="primary")
        table.create_primary_key("pk_exchange_message_log", ["message_id", "direction"])
    with op.batch_alter_table("exchange_inbox") as table:
        table.drop_constraint("pk_exchange_inbox", type_="primary")
        table.create_primary_key("pk_exchange_inbox", ["message_id"])
