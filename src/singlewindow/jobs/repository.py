"""The background job table: one row per job, its input (`payload`) beside its state,
progress and outcome, so that any worker process on the database can run it and any can
show it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    CursorResult,
    Integer,
    String,
    Table,
    Text,
    and_,
    bindparam,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.orm import Mapped, Session, mapped_column

from singlewindow.core.db import Base, Document, UtcDateTime
from singlewindow.jobs.model import (
    LIFECYCLE,
    MOST_ATTEMPTS,
    RUNNER_STOPPED,
    Job,
    JobError,
    JobState,
)


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
    # How many times a runner claimed it, and until when its runner holds it (renewed while
    # it works): a lease run out means the process running it stopped.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


_JOBS = cast(Table, JobRow.__table__)
# What a page reads of a job: everything but its input, which may be megabytes.
_SHOWN = [column for column in _JOBS.c if column.name != "payload"]


def add(session: Session, job: Job, payload: dict[str, Any]) -> None:
    session.add(JobRow(
        id=job.id, kind=job.kind, state=job.state.value, payload=payload, done=job.done,
        total=job.total, message=job.message, result=job.result,
        errors=[e.as_dict() for e in job.errors], requested_by=job.requested_by,
        runner=job.runner, submitted_at=job.submitted_at, started_at=job.started_at,
        finished_at=job.finished_at, attempts=job.attempts, lease_until=job.lease_until,
    ))


def job_of(row: RowMapping) -> Job:
    return Job(
        id=row["id"], kind=row["kind"], requested_by=row["requested_by"],
        submitted_at=row["submitted_at"], state=JobState(row["state"]), done=row["done"],
        total=row["total"], message=row["message"], result=dict(row["result"] or {}),
        errors=[JobError(e["path"], e["message"]) for e in row["errors"] or []],
        runner=row["runner"], started_at=row["started_at"], finished_at=row["finished_at"],
        attempts=row["attempts"] or 0, lease_until=row["lease_until"],
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
    "attempts": _JOBS.c.attempts + 1,
    "lease_until": bindparam("lease_until"),
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
    session: Session, runner: str, now: datetime, lease_until: datetime
) -> tuple[Job, dict[str, Any]] | None:
    """The oldest queued job, now running for `runner` (held until `lease_until`, one more
    attempt counted), with its input; None if none."""
    postgresql = session.get_bind().dialect.name == "postgresql"
    statement = _CLAIM_POSTGRESQL if postgresql else _CLAIM_SQLITE
    row = session.execute(
        statement, {"runner": runner, "now": now, "lease_until": lease_until}
    ).mappings().first()
    if row is None:
        return None
    return job_of(row), dict(row["payload"] or {})


def _held_by(job: Job) -> Any:
    # This attempt of this runner: once reclaimed, a runner that was only slow (not stopped)
    # neither renews the job's lease nor writes over the attempt that took it up.
    return and_(_JOBS.c.id == job.id, _JOBS.c.state == JobState.RUNNING.value,
                _JOBS.c.runner == job.runner, _JOBS.c.attempts == job.attempts)


def save_progress(
    connection: Connection, job: Job, done: int, total: int | None, lease_until: datetime
) -> int:
    """Write a job's progress and renew its lease, if its runner still holds it (1: written,
    0: it no longer runs, or runs for another attempt)."""
    written = connection.execute(
        update(_JOBS).where(_held_by(job))
        .values(done=done, total=total, lease_until=lease_until)
    )
    return int(written.rowcount)


# Reclaiming is the model's running → queued move (running → failed after the last attempt)
# for every job whose lease ran out, each written as one UPDATE whose condition is checked
# again on the row it writes: on PostgreSQL a runner renewing the lease, or another runner
# reclaiming, meanwhile holds the row's lock, and the condition is then read on the row as
# they left it; on SQLite the UPDATE takes the write lock before it reads. A lease that is
# NULL was taken before leases existed, by a process that renews nothing: it is run out.
assert LIFECYCLE.allows(JobState.RUNNING, JobState.QUEUED)
assert LIFECYCLE.allows(JobState.RUNNING, JobState.FAILED)
_RUN_OUT = and_(
    _JOBS.c.state == JobState.RUNNING.value,
    or_(_JOBS.c.lease_until.is_(None), _JOBS.c.lease_until < bindparam("now")),
)
_REQUEUE = (
    update(_JOBS)
    .where(_RUN_OUT, _JOBS.c.attempts < MOST_ATTEMPTS)
    .values(state=JobState.QUEUED.value, runner=None, lease_until=None)
    .returning(_JOBS.c.id)
)
_GIVE_UP = (
    update(_JOBS)
    .where(_RUN_OUT, _JOBS.c.attempts >= MOST_ATTEMPTS)
    .values(state=JobState.FAILED.value, message=RUNNER_STOPPED, errors=[], lease_until=None,
            finished_at=bindparam("now"), payload={})
    .returning(_JOBS.c.id)
)


def reclaim_run_out(session: Session, now: datetime) -> tuple[list[str], list[str]]:
    """Jobs whose lease ran out by `now`: the ids queued again, and those failed after their
    last attempt."""
    requeued: list[str] = list(session.execute(_REQUEUE, {"now": now}).scalars())
    failed: list[str] = list(session.execute(_GIVE_UP, {"now": now}).scalars())
    return requeued, failed


def save_outcome(session: Session, job: Job) -> int:
    """Write a finished job's state and outcome, if its runner still holds it; the input
    is dropped, since nothing will read it again."""
    written = cast(CursorResult[Any], session.execute(
        update(_JOBS).where(_held_by(job))
        .values(state=job.state.value, done=job.done, total=job.total, message=job.message,
                result=job.result, errors=[e.as_dict() for e in job.errors],
                finished_at=job.finished_at, lease_until=None, payload={})
    ))
    return int(written.rowcount)
