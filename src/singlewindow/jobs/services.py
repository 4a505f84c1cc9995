"""Long work in the background: a user submits a job, a runner thread of some worker
process claims it from the database and runs the handler registered for its kind, and the
page asking shows its progress as the handler reports it.

A node starts its runner with `Jobs.start()` and stops it with `stop()` (node.py). Jobs are
claimed from the database (`repository.claim_next`), so several processes on one database
each run their own runner and no job runs twice.

A running job is held on a lease (`LEASE_SECONDS`), renewed by the thread that writes its
progress for as long as its handler works. When a process stops (killed, out of memory, its
machine gone), its leases run out, and the next runner of any process to look for work
queues its jobs again, or fails them after their last attempt (`model.MOST_ATTEMPTS`).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.pool import StaticPool

from singlewindow.access.model import Principal, Role
from singlewindow.core.clock import utcnow
from singlewindow.core.db import ChangeWatch, Database
from singlewindow.core.errors import Invalid, Problem
from singlewindow.core.ids import new_id
from singlewindow.jobs import repository
from singlewindow.jobs.errors import UnknownJob
from singlewindow.jobs.model import Job, JobError

log = logging.getLogger("singlewindow.jobs")

# How often a runner with nothing to do looks for work submitted by other processes (work
# submitted in its own process wakes it at once).
IDLE_SECONDS = 1.0
# How often a running job's progress is written to its row: often enough for a page
# refreshing every second, rarely enough not to cost the work a write per line.
PROGRESS_SECONDS = 0.5
# How long a runner holds a job without renewing it: a stopped process's job is taken up again
# about this long after it stopped. Long enough that a busy database (on SQLite, a handler's
# own long write transaction delays the renewal) does not lose a live job; renewed every
# quarter of it.
LEASE_SECONDS = 120.0


@dataclass(frozen=True)
class JobOutcome:
    """What a handler gives back: a sentence for the page and figures for the record."""

    message: str
    result: dict[str, Any] = field(default_factory=dict)


# The handler of a kind: the job's input and the progress callback `(done, total)`. It raises
# to fail the job; an `Invalid`'s problems become the job's errors, each at its place.
Progress = Callable[[int, int], None]
Handler = Callable[[dict[str, Any], Progress], JobOutcome]


class Jobs:
    """Submitting, running and reading background jobs on one database."""

    def __init__(
        self,
        database: Database,
        *,
        idle_seconds: float = IDLE_SECONDS,
        progress_seconds: float = PROGRESS_SECONDS,
        lease_seconds: float = LEASE_SECONDS,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.database = database
        self.idle_seconds = idle_seconds
        self.progress_seconds = progress_seconds
        self.lease_seconds = lease_seconds
        self.clock = clock
        self.name = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._handlers: dict[str, Handler] = {}
        # Jobs this process runs, as their handler last told: a page served by this process
        # shows their progress even before it is written (SQLite lets a reader see a row's
        # progress only when the handler's own transaction, if any, lets the writer in).
        self._running: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- registering and submitting -----------------------------------------------------

    def register(self, kind: str, handler: Handler) -> None:
        self._handlers[kind] = handler

    def submit(self, kind: str, payload: dict[str, Any], actor: Principal) -> str:
        """Queue a job of `kind` with its input for `actor`; its id. A runner picks it up."""
        if kind not in self._handlers:
            raise Invalid([Problem("kind", f"no job of kind {kind!r} is known here")])
        job = Job(id=new_id(), kind=kind, requested_by=actor.username,
                  submitted_at=self.clock())
        with self.database.unit_of_work() as session:
            repository.add(session, job, payload)
        self._wake.set()
        return job.id

    # -- reading --------------------------------------------------------------------------

    def get(self, job_id: str, reader: Principal) -> Job:
        """The job as it stands, for its submitter or an admin; `UnknownJob` for anyone
        else, as for a job that does not exist."""
        if isinstance(self.database.engine.pool, StaticPool):
            # In-memory SQLite has one connection for all: read in turn, never beside a
            # transaction on it (returning it to the pool would roll that back).
            with self.database.unit_of_work() as session:
                job = repository.read(session, job_id)
        else:
            # Its own connection, outside the writers' turn: a page must not wait for a
            # long job's transaction to read how far it got.
            with self.database.engine.connect() as connection:
                job = repository.read(connection, job_id)
        if job is None or not (reader.role is Role.ADMIN or reader.username == job.requested_by):
            raise UnknownJob(f"there is no job {job_id[:40]}")
        with self._lock:
            live = self._running.get(job_id)
            if live is not None and not job.finished:
                job.done, job.total = live.done, live.total
        return job

    # -- running --------------------------------------------------------------------------

    def run_once(self, runner: str | None = None) -> str | None:
        """Claim the oldest queued job and run it in this thread; its id, or None if there
        was nothing to do."""
        runner = runner or f"{self.name}:{threading.current_thread().name}"
        now = self.clock()
        with self.database.unit_of_work() as session:
            # Jobs of stopped processes first: queued again, they are claimable at once.
            requeued, failed = repository.reclaim_run_out(session, now)
            claimed = repository.claim_next(session, runner, now, self.lease_from(now))
        for job_id in requeued:
            log.warning("job %s: the process running it stopped; queued again", job_id)
        for job_id in failed:
            log.error("job %s: the process running it stopped, attempt after attempt; "
                      "failed", job_id)
        if claimed is None:
            return None
        job, payload = claimed
        self._run(job, payload)
        return job.id

    def lease_from(self, now: datetime) -> datetime:
        """Until when a runner holds a job it claims or renews at `now`."""
        return now + timedelta(seconds=self.lease_seconds)

    @property
    def renew_seconds(self) -> float:
        return self.lease_seconds / 4

    def _run(self, job: Job, payload: dict[str, Any]) -> None:
        with self._lock:
            self._running[job.id] = job
        reporter = _ProgressReporter(self, job)

        def progress(done: int, total: int) -> None:
            with self._lock:
                job.advance(done, total)
            reporter.changed.set()

        reporter.start()
        try:
            handler = self._handlers.get(job.kind)
            if handler is None:
                raise Invalid([Problem("kind", f"no job of kind {job.kind!r} is known here")])
            outcome = handler(payload, progress)
        except Exception as error:  # a job's failure is its own, never the runner's
            reporter.stop()
            problems = error.problems if isinstance(error, Invalid) else []
            detail = str(getattr(error, "detail", "") or error) or type(error).__name__
            if not isinstance(error, Invalid):
                log.exception("job %s (%s) failed", job.id, job.kind)
            with self._lock:
                job.fail(detail, [JobError(p.path, p.message) for p in problems], self.clock())
        else:
            reporter.stop()
            with self._lock:
                job.finish(outcome.result, outcome.message, self.clock())
        try:
            with self.database.unit_of_work() as session:
                if repository.save_outcome(session, job) == 0:
                    log.warning("job %s was no longer held by %s", job.id, job.runner)
        finally:
            with self._lock:
                self._running.pop(job.id, None)

    def start(self) -> None:
        """The runner: a daemon thread that runs queued jobs one at a time."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="job-runner", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop taking jobs; the one running, if any, is waited for up to `timeout`."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        watch: ChangeWatch = self.database.watch()
        # A lease runs out without anything committed: an idle runner looks for those
        # now and then even when the database did not change.
        next_reclaim = time.monotonic()
        try:
            while not self._stop.is_set():
                worked = False
                try:
                    # On SQLite an idle runner skips its claim while nothing was committed.
                    due = time.monotonic() >= next_reclaim
                    if watch.changed() or self._wake.is_set() or due:
                        self._wake.clear()
                        next_reclaim = time.monotonic() + self.renew_seconds
                        worked = self.run_once() is not None
                except Exception:
                    log.exception("the job runner could not claim a job")
                    watch.forget()
                if not worked:
                    self._wake.wait(self.idle_seconds)
        finally:
            watch.close()


class _ProgressReporter:
    """Writes a running job's progress to its row every `progress_seconds` while it moves,
    from a thread of its own: the handler's thread may hold a transaction (SQLite would then
    refuse a second writer from that same thread), and a handler should not pay a write per
    unit of work."""

    def __init__(self, jobs: Jobs, job: Job) -> None:
        self.jobs = jobs
        self.job = job
        self.changed = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"job-progress-{job.id[:8]}",
                                        daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.changed.set()
        self._thread.join()

    def _run(self) -> None:
        written: tuple[int, int | None] | None = None
        renewed = time.monotonic()
        while True:
            # Woken by progress, or when the lease is due for renewal though nothing moved
            # (a model's fitting tells nothing for minutes).
            self.changed.wait(self.jobs.renew_seconds)
            if self._stop.is_set():
                return  # the outcome, written next, carries the last progress
            self.changed.clear()
            with self.jobs._lock:
                now = (self.job.done, self.job.total)
            if now != written or time.monotonic() - renewed >= self.jobs.renew_seconds:
                try:
                    with self.jobs.database.transaction() as connection:
                        held = repository.save_progress(
                            connection, self.job, *now, self.jobs.lease_from(self.jobs.clock()))
                    written, renewed = now, time.monotonic()
                    if not held:
                        log.warning("job %s is no longer held by %s: its lease ran out",
                                    self.job.id, self.job.runner)
                except Exception:
                    log.exception("could not write the progress of job %s", self.job.id)
            self._stop.wait(self.jobs.progress_seconds)
