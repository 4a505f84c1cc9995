"""jobs: a running job's lease and its attempts, so that a job whose process stopped is
taken up again (or failed after its last attempt) instead of running for ever

Revision ID: jobs_0002
Revises: jobs_0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "jobs_0002"
down_revision = "jobs_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("background_job") as table:
        # Jobs claimed before leases were claimed once; a running one has no lease (NULL),
        # which a runner takes as run out.
        table.add_column(sa.Column("attempts", sa.Integer(), nullable=False,
                                   server_default="0"))
        table.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE background_job SET attempts = 1 WHERE state <> 'queued'")
    with op.batch_alter_table("background_job") as table:
        table.alter_column("attempts", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("background_job") as table:
        table.drop_column("lease_until")
        table.drop_column("attempts")
