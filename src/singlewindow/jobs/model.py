"""A background job: long work (a schedule import, a model training, a backfill scoring)
asked for by a user, run later by a runner, and followed on a page.

The job owns its lifecycle: queued → running → done | failed, and its progress may only
move while it runs. A runner asks the job before it writes its row.

A running job is held on a lease its runner renews while it works. A runner whose process
stopped renews nothing: once the lease has run out the job is reclaimed (running → queued) for
another runner to try, up to `MOST_ATTEMPTS` attempts; the last one reclaimed fails with
`RUNNER_STOPPED`, so that a job that kills its process is not tried for ever."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from singlewindow.core.transitions import Transitions
from singlewindow.jobs.errors import JobStateConflict


class JobState(enum.StrEnum):
    QUEUED = "queued"  # submitted, waiting for a runner
    RUNNING = "running"  # claimed by one runner, its handler at work
    DONE = "done"  # the handler returned
    FAILED = "failed"  # the handler raised (its problems in `errors`)

    @property
    def finished(self) -> bool:
        return self in (JobState.DONE, JobState.FAILED)


# Attempts a job is given: each claim is one, and a job whose runner stopped that often
# fails rather than take down one process after another.
MOST_ATTEMPTS = 3
RUNNER_STOPPED = "the process running it stopped"

LIFECYCLE = Transitions(
    {
        JobState.QUEUED: {JobState.RUNNING},
        # Back to queued only when its lease ran out (its runner stopped); failed after the
        # last attempt.
        JobState.RUNNING: {JobState.DONE, JobState.FAILED, JobState.QUEUED},
        JobState.DONE: set(),
        JobState.FAILED: set(),
    },
    refusal=JobStateConflict,
    noun="the job",
)


@dataclass(frozen=True)
class JobError:
    """One problem of a failed job, at its place in the input (`line.7.mfn`), if it has one."""

    path: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


@dataclass
class Job:
    id: str
    kind: str  # what to run: the name a handler is registered under, e.g. "tariff-import"
    requested_by: str  # the username of who submitted it: the one user, besides admins, who sees it
    submitted_at: datetime
    state: JobState = JobState.QUEUED
    done: int = 0
    total: int | None = None  # None while the handler does not know yet
    message: str = ""
    result: dict[str, Any] = field(default_factory=dict)
    errors: list[JobError] = field(default_factory=list)
    runner: str | None = None  # which runner claimed it (process and thread)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    attempts: int = 0  # how many times a runner claimed it
    lease_until: datetime | None = None  # while running: its runner holds it until then

    @property
    def finished(self) -> bool:
        return self.state.finished

    @property
    def percent(self) -> int | None:
        if not self.total:
            return 100 if self.state is JobState.DONE else None
        return min(100, round(100 * self.done / self.total))

    def start(self, runner: str, now: datetime, lease_until: datetime | None = None) -> None:
        self.state = LIFECYCLE.move(self.state, JobState.RUNNING, who=self._who)
        self.runner = runner
        self.started_at = now
        self.attempts += 1
        self.lease_until = lease_until

    def reclaim(self, now: datetime) -> None:
        """Its runner's lease ran out: queued again for another attempt, or, after the last
        one, failed with the reason."""
        if self.state is not JobState.RUNNING or (
            self.lease_until is not None and self.lease_until >= now
        ):
            raise JobStateConflict(f"{self._who} is not running on a lease that ran out")
        if self.attempts >= MOST_ATTEMPTS:
            self.fail(RUNNER_STOPPED, [], now)
            return
        self.state = LIFECYCLE.move(self.state, JobState.QUEUED, who=self._who)
        self.runner = None
        self.lease_until = None

    def advance(self, done: int, total: int | None) -> None:
        """Progress: `done` units of `total`. Only while running; never backwards, since a
        page showing a bar that shrinks would be telling a lie about the work."""
        if self.state is not JobState.RUNNING:
            raise JobStateConflict(f"{self._who} is {self.state}: its progress cannot move")
        if done < 0 or (total is not None and (total < 0 or done > total)):
            raise ValueError(f"progress {done} of {total} is not a progress")
        self.done = max(self.done, done)
        self.total = total

    def finish(self, result: dict[str, Any], message: str, now: datetime) -> None:
        self.state = LIFECYCLE.move(self.state, JobState.DONE, who=self._who)
        self.result = result
        self.message = message
        if self.total is not None:
            self.done = self.total
        self.finished_at = now

    def fail(self, message: str, errors: list[JobError], now: datetime) -> None:
        self.state = LIFECYCLE.move(self.state, JobState.FAILED, who=self._who)
        self.message = message
        self.errors = list(errors)
        self.finished_at = now

    @property
    def _who(self) -> str:
        return f"job {self.id}"
