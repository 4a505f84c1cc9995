"""jobs: background jobs (schedule imports and other long work) and their progress

Revision ID: jobs_0001
Revises:
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import singlewindow.core.db

revision = "jobs_0001"
down_revision = None
branch_labels = ("jobs",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "background_job",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("payload", singlewindow.core.db.Document, nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("result", singlewindow.core.db.Document, nullable=False),
        sa.Column("errors", singlewindow.core.db.Document, nullable=False),
        sa.Column("requested_by", sa.String(64), nullable=False),
        sa.Column("runner", sa.String(120), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_background_job"),
    )
    op.create_index("ix_background_job_state", "background_job", ["state"])
    op.create_index("ix_background_job_requested_by", "background_job", ["requested_by"])


def downgrade() -> None:
    op.drop_index("ix_background_job_requested_by", table_name="background_job")
    op.drop_index("ix_background_job_state", table_name="background_job")
    op.drop_table("background_job")
