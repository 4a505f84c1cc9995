"""Jobs that outlive their process: a running job is held on a lease its runner renews; once
a stopped process's lease runs out the job is queued again and run once by another runner,
and a job whose runner keeps stopping fails with the reason after its last attempt. A runner
that was only slow cannot write over the attempt that took its job up."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from singlewindow.access.model import Principal, Role
from singlewindow.core.db import Database
from singlewindow.jobs import repository
from singlewindow.jobs.model import MOST_ATTEMPTS, RUNNER_STOPPED, Job, JobState
from singlewindow.jobs.services import JobOutcome, Jobs, Progress

from .test_services import eventually

ADMIN = Principal("admin", Role.ADMIN)
LEASE = 60.0


class Clock:
    """The runners' clock, moved on by the test."""

    def __init__(self) -> None:
        self.moment = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.moment

    def wait(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)


def _claimed_by_a_process_that_stops(jobs: Jobs, clock: Clock) -> Job:
    """A runner of another process takes up the run-out jobs and claims the oldest job, as
    `run_once` does, then its process stops: it neither runs the job nor renews its lease."""
    with jobs.database.unit_of_work() as session:
        repository.reclaim_run_out(session, clock())
        claimed = repository.claim_next(session, "dead-host:4242:job-runner", clock(),
                                        jobs.lease_from(clock()))
    assert claimed is not None
    return claimed[0]


def _jobs(database: Database, clock: Clock, ran: list[str]) -> Jobs:
    def handler(payload: dict[str, Any], progress: Progress) -> JobOutcome:
        ran.append(payload["declaration"])
        progress(1, 1)
        return JobOutcome("scored", {"declaration": payload["declaration"]})

    jobs = Jobs(database, clock=clock, lease_seconds=LEASE)
    jobs.register("rescore", handler)
    return jobs


def test_a_job_whose_lease_ran_out_is_queued_again_and_run_once(database: Database) -> None:
    clock, ran = Clock(), []
    jobs = _jobs(database, clock, ran)
    job_id = jobs.submit("rescore", {"declaration": "DEC000001"}, ADMIN)
    held = _claimed_by_a_process_that_stops(jobs, clock)
    assert (held.id, held.state, held.attempts) == (job_id, JobState.RUNNING, 1)
    assert held.lease_until == clock() + timedelta(seconds=LEASE)
    # Within its lease it is still its runner's: nobody else takes it.
    clock.wait(LEASE - 1)
    assert jobs.run_once() is None and ran == []
    assert jobs.get(job_id, ADMIN).state is JobState.RUNNING
    clock.wait(2)
    assert jobs.run_once() == job_id
    assert jobs.run_once() is None  # run once, not once per runner asking
    job = jobs.get(job_id, ADMIN)
    assert ran == ["DEC000001"]
    assert (job.state, job.attempts, job.result) == (JobState.DONE, 2,
                                                     {"declaration": "DEC000001"})
    assert job.lease_until is None and job.runner != held.runner
    # The stopped runner, were it only slow, can no longer write its outcome over it.
    held.finish({"declaration": "stale"}, "stale", clock())
    with database.unit_of_work() as session:
        assert repository.save_outcome(session, held) == 0
    assert jobs.get(job_id, ADMIN).result == {"declaration": "DEC000001"}


def test_a_job_whose_process_keeps_stopping_fails_after_its_last_attempt(
    database: Database,
) -> None:
    clock, ran = Clock(), []
    jobs = _jobs(database, clock, ran)
    job_id = jobs.submit("rescore", {"declaration": "DEC000002"}, ADMIN)
    for attempt in range(1, MOST_ATTEMPTS + 1):
        held = _claimed_by_a_process_that_stops(jobs, clock)
        assert (held.id, held.attempts) == (job_id, attempt)
        clock.wait(LEASE + 1)
    assert jobs.run_once() is None  # reclaimed, failed: nothing left to run
    job = jobs.get(job_id, ADMIN)
    assert (job.state, job.message, job.attempts) == (JobState.FAILED, RUNNER_STOPPED,
                                                      MOST_ATTEMPTS)
    assert job.finished_at == clock() and ran == []


def test_a_running_job_renews_its_lease_while_its_handler_works(database: Database) -> None:
    clock = Clock()
    go_on = threading.Event()

    def fitting(payload: dict[str, Any], progress: Progress) -> JobOutcome:
        assert go_on.wait(10)  # a long step that tells no progress
        return JobOutcome("fitted")

    # A lease of 0.2 s, renewed every 0.05 s, while the clock stands still: a renewal is
    # seen as a lease moved to a later time once the clock moves.
    jobs = Jobs(database, clock=clock, lease_seconds=0.2, progress_seconds=0.01)
    jobs.register("fit", fitting)
    job_id = jobs.submit("fit", {}, ADMIN)
    runner = threading.Thread(target=jobs.run_once)
    runner.start()
    try:
        eventually(lambda: jobs.get(job_id, ADMIN).state is JobState.RUNNING)
        clock.wait(3600)
        eventually(lambda: (jobs.get(job_id, ADMIN).lease_until or clock()) > clock())
        # Another runner, looking now, finds it held.
        other = Jobs(database, clock=clock, lease_seconds=0.2)
        other.register("fit", fitting)
        assert other.run_once() is None
        assert jobs.get(job_id, ADMIN).attempts == 1
    finally:
        go_on.set()
        runner.join(10)
    assert jobs.get(job_id, ADMIN).state is JobState.DONE
