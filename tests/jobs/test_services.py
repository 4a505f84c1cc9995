"""Background jobs on a real database: each claimed by one runner only, however many race;
their progress written while they run; a failure kept with its problems; a job read only
by its submitter and admins."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from singlewindow.access.model import Principal, Role
from singlewindow.core.db import Database
from singlewindow.core.errors import Invalid, Problem
from singlewindow.jobs.errors import UnknownJob
from singlewindow.jobs.model import JobError, JobState
from singlewindow.jobs.services import JobOutcome, Jobs, Progress

ADMIN = Principal("admin", Role.ADMIN)
TRADER = Principal("trader", Role.TRADER, party_id="0101234567")
OTHER_TRADER = Principal("trader2", Role.TRADER, party_id="0109999999")


def eventually(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.fixture
def other_process(database: Database) -> Iterator[Database]:
    """The same database as another worker process sees it: its own engine and pool, and
    none of this process's locks or memory."""
    other = Database(database.url)
    yield other
    other.dispose()


def test_a_job_is_claimed_once_even_when_runners_race(
    database: Database, other_process: Database
) -> None:
    ran: list[str] = []
    lock = threading.Lock()

    def handler(payload: dict[str, Any], progress: Progress) -> JobOutcome:
        with lock:
            ran.append(payload["n"])
        time.sleep(0.005)
        return JobOutcome("ok")

    runners = [Jobs(database), Jobs(database), Jobs(other_process), Jobs(other_process)]
    for jobs in runners:
        jobs.register("count", handler)
    submitted = [runners[0].submit("count", {"n": str(n)}, ADMIN) for n in range(30)]
    start = threading.Barrier(len(runners))

    def drain(jobs: Jobs) -> None:
        start.wait()
        while jobs.run_once() is not None:
            pass

    threads = [threading.Thread(target=drain, args=(jobs,)) for jobs in runners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert Counter(ran) == Counter(str(n) for n in range(30))  # each once, none lost
    assert {runners[0].get(i, ADMIN).state for i in submitted} == {JobState.DONE}


def test_the_progress_is_written_to_the_job_while_it_runs(
    database: Database, other_process: Database
) -> None:
    go_on = threading.Event()

    def handler(payload: dict[str, Any], progress: Progress) -> JobOutcome:
        progress(0, 10)
        progress(3, 10)
        assert go_on.wait(10)
        progress(10, 10)
        return JobOutcome("10 done", {"done": 10})

    jobs = Jobs(database, progress_seconds=0.05)
    jobs.register("slow", handler)
    job_id = jobs.submit("slow", {}, TRADER)
    runner = threading.Thread(target=jobs.run_once)
    runner.start()
    # Read as another process would: from the row, not from the runner's memory.
    elsewhere = Jobs(other_process)

    def written() -> bool:
        job = elsewhere.get(job_id, TRADER)
        return job.state is JobState.RUNNING and (job.done, job.total) == (3, 10)

    try:
        eventually(written)
    finally:
        go_on.set()
        runner.join(10)
    job = elsewhere.get(job_id, TRADER)
    assert (job.state, job.done, job.total, job.percent) == (JobState.DONE, 10, 10, 100)
    assert (job.message, job.result) == ("10 done", {"done": 10})
    assert job.started_at is not None and job.finished_at is not None


def test_a_failed_job_keeps_its_message_and_every_problem(database: Database) -> None:
    def refused(payload: dict[str, Any], progress: Progress) -> JobOutcome:
        raise Invalid([Problem("line.3.mfn", "'12 percent' is not a rate"),
                       Problem("line.5.code", "not an 8-digit tariff code")],
                      "the schedule has 2 problem(s)")

    def broken(payload: dict[str, Any], progress: Progress) -> JobOutcome:
        raise RuntimeError("the disk is full")

    jobs = Jobs(database)
    jobs.register("refused", refused)
    jobs.register("broken", broken)
    first = jobs.submit("refused", {}, ADMIN)
    second = jobs.submit("broken", {}, ADMIN)
    assert jobs.run_once() == first and jobs.run_once() == second
    assert jobs.run_once() is None

    job = jobs.get(first, ADMIN)
    assert job.state is JobState.FAILED and job.message == "the schedule has 2 problem(s)"
    assert job.errors == [JobError("line.3.mfn", "'12 percent' is not a rate"),
                          JobError("line.5.code", "not an 8-digit tariff code")]
    job = jobs.get(second, ADMIN)
    assert (job.state, job.message, job.errors) == (JobState.FAILED, "the disk is full", [])


def test_a_job_is_read_by_its_submitter_and_admins_only(database: Database) -> None:
    jobs = Jobs(database)
    jobs.register("noop", lambda payload, progress: JobOutcome("nothing to do"))
    job_id = jobs.submit("noop", {}, TRADER)
    assert jobs.get(job_id, TRADER).requested_by == "trader"
    assert jobs.get(job_id, ADMIN).state is JobState.QUEUED
    with pytest.raises(UnknownJob):
        jobs.get(job_id, OTHER_TRADER)
    with pytest.raises(UnknownJob):
        jobs.get("no-such-job", ADMIN)


def test_an_unknown_kind_is_refused_at_submission(database: Database) -> None:
    with pytest.raises(Invalid):
        Jobs(database).submit("train-the-moon", {}, ADMIN)


def test_a_started_runner_runs_what_is_submitted(database: Database) -> None:
    jobs = Jobs(database, idle_seconds=0.05)
    jobs.register("noop", lambda payload, progress: JobOutcome("nothing to do"))
    jobs.start()
    try:
        job_id = jobs.submit("noop", {}, ADMIN)
        eventually(lambda: jobs.get(job_id, ADMIN).state is JobState.DONE)
    finally:
        jobs.stop()
