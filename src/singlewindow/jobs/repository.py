"""The background job table: one row per job, its input (`payload`) beside its state,
progress and outcome, so that any worker process on the database can run it and any can
show it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Integer, String, Table, Text, bindparam, select, update
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.orm import Mapped, Session, mapped_column

from singlewindow.core.db import Base, Document, UtcDateTime
from singlewindow.jobs.model import LIFECYCLE, Job, JobError, JobState


class JobRow(Base):
    __tablename__ = "background_job"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(16), index=True)
    # The handler's input (e.g. the schedule file's text): read only by the runner that
    # claims the job, never by the progress poll.
    payload: Mapped[dict[str, Any]] = mapped_column(Document, deferred=True)
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    message: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[dict[str, Any]] = mapped_column(Document, default=dict)
    errors: Mapped[list[dict[str, str]]] = mapped_column(Document, default=list)
    requested_by: Mapped[str] = mapped_column(String(64), index=True)
    runner: Mapped[str | None] = mapped_column(String(120), nullable=True)
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


_JOBS = cast(Table, JobRow.__table__)
# What a page reads of a job: everything but its input, which may be megabytes.
_SHOWN = [column for column in _JOBS.c if column.name != "payload"]


def add(session: Session, job: Job, payload: dict[str, Any]) -> None:
    session.add(JobRow(
        id=job.id, kind=job.kind, state=job.state.value, payload=payload, done=job.done,
        total=job.total, message=job.message, result=job.result,
        errors=[e.as_dict() for e in job.errors], requested_by=job.requested_by,
        runner=job.runner, submitted_at=job.submitted_at, started_at=job.started_at,
        finished_at=job.finished_at,
    ))


def job_of(row: RowMapping) -> Job:
    return Job(
        id=row["id"], kind=row["kind"], requested_by=row["requested_by"],
        submitted_at=row["submitted_at"], state=JobState(row["state"]), done=row["done"],
        total=row["total"], message=row["message"], result=dict(row["result"] or {}),
        errors=[JobError(e["path"], e["message"]) for e in row["errors"] or []],
        runner=row["runner"], started_at=row["started_at"], finished_at=row["finished_at"],
    )


def read(connection: Connection | Session, job_id: str) -> Job | None:
    row = connection.execute(select(*_SHOWN).where(_JOBS.c.id == job_id)).mappings().first()
    return job_of(row) if row is not None else None


# Claiming is the model's queued → running move, written as one statement so that two
# runners (threads, processes, machines) can never both take a job.
assert LIFECYCLE.allows(JobState.QUEUED, JobState.RUNNING)
_CLAIM_VALUES = {
    "state": JobState.RUNNING.value,
    "runner": bindparam("runner"),
    "started_at": bindparam("now"),
}
_QUEUED = _JOBS.c.state == JobState.QUEUED.value
# SQLite: one UPDATE takes the write lock before it reads, so the oldest queued job it
# picks cannot be taken by another connection meanwhile; `state = 'queued'` is checked again
# on the row updated, so a job already claimed is never claimed twice.
_CLAIM_SQLITE = (
    update(_JOBS)
    .where(_JOBS.c.id == select(_JOBS.c.id).where(_QUEUED).order_by(_JOBS.c.submitted_at)
           .limit(1).scalar_subquery())
    .where(_QUEUED)
    .values(**_CLAIM_VALUES)
    .returning(*_SHOWN, _JOBS.c.payload)
)
# PostgreSQL: the oldest queued row locked FOR UPDATE SKIP LOCKED in a CTE (run once, never
# inlined), so runners never wait for each other nor take the same row.
_CLAIMABLE = (
    select(_JOBS.c.id).where(_QUEUED).order_by(_JOBS.c.submitted_at).limit(1)
    .with_for_update(skip_locked=True).cte("claimable")
)
_CLAIM_POSTGRESQL = (
    update(_JOBS)
    .where(_JOBS.c.id == _CLAIMABLE.c.id)
    .where(_QUEUED)
    .values(**_CLAIM_VALUES)
    .returning(*_SHOWN, _JOBS.c.payload)
)


def claim_next(
    session: Session, runner: str, now: datetime
) -> tuple[Job, dict[str, Any]] | None:
    """The oldest queued job, now running for `runner`, with its input; None if none."""
    postgresql = session.get_bind().dialect.name == "postgresql"
    statement = _CLAIM_POSTGRESQL if postgresql else _CLAIM_SQLITE
    row = session.execute(statement, {"runner": runner, "now": now}).mappings().first()
    if row is None:
        return None
    return job_of(row), dict(row["payload"] or {})


def save_progress(connection: Connection, job_id: str, done: int, total: int | None) -> int:
    """Write a job's progress, if it still runs (1: written, 0: it no longer runs)."""
    written = connection.execute(
        update(_JOBS)
        .where(_JOBS.c.id == job_id, _JOBS.c.state == JobState.RUNNING.value)
        .values(done=done, total=total)
    )
    return int(written.rowcount)


def save_outcome(session: Session, job: Job) -> int:
    """Write a finished job's state and outcome, if its runner still holds it; the input
    is dropped, since nothing will read it again."""
    written = cast(CursorResult[Any], session.execute(
        update(_JOBS)
        .where(_JOBS.c.id == job.id, _JOBS.c.state == JobState.RUNNING.value,
               _JOBS.c.runner == job.runner)
        .values(state=job.state.value, done=job.done, total=job.total, message=job.message,
                result=job.result, errors=[e.as_dict() for e in job.errors],
                finished_at=job.finished_at, payload={})
    ))
    return int(written.rowcount)
