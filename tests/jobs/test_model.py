"""A job's lifecycle: queued → running → done | failed, and nothing out of that order."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from singlewindow.jobs.errors import JobStateConflict
from singlewindow.jobs.model import Job, JobError, JobState

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def queued() -> Job:
    return Job(id="j1", kind="tariff-import", requested_by="admin", submitted_at=NOW)


def test_a_job_runs_then_finishes_with_its_progress_complete() -> None:
    job = queued()
    job.start("runner-1", NOW)
    job.advance(40, 100)
    assert (job.state, job.done, job.total, job.percent) == (JobState.RUNNING, 40, 100, 40)
    job.finish({"lines": 100}, "100 lines imported", NOW)
    assert job.state is JobState.DONE and job.finished
    assert (job.done, job.percent, job.result) == (100, 100, {"lines": 100})


def test_a_job_that_was_not_started_cannot_finish_fail_or_progress() -> None:
    job = queued()
    with pytest.raises(JobStateConflict):
        job.finish({}, "", NOW)
    with pytest.raises(JobStateConflict):
        job.fail("", [], NOW)
    with pytest.raises(JobStateConflict):
        job.advance(1, 2)
    assert job.state is JobState.QUEUED


def test_a_job_is_started_once_and_finished_once() -> None:
    job = queued()
    job.start("runner-1", NOW)
    with pytest.raises(JobStateConflict, match="running: it cannot become running"):
        job.start("runner-2", NOW)
    assert job.runner == "runner-1"
    job.fail("refused", [JobError("line.3.mfn", "not a rate")], NOW)
    for move in (lambda: job.finish({}, "", NOW), lambda: job.fail("", [], NOW),
                 lambda: job.start("runner-3", NOW), lambda: job.advance(1, 1)):
        with pytest.raises(JobStateConflict):
            move()
    assert job.state is JobState.FAILED
    assert job.errors == [JobError("line.3.mfn", "not a rate")]


def test_progress_never_goes_backwards_nor_past_its_total() -> None:
    job = queued()
    job.start("runner-1", NOW)
    job.advance(50, 100)
    job.advance(20, 100)
    assert job.done == 50
    with pytest.raises(ValueError):
        job.advance(101, 100)


def test_a_job_whose_lease_ran_out_is_queued_again_then_failed_after_its_last_attempt() -> None:
    from datetime import timedelta

    from singlewindow.jobs.model import MOST_ATTEMPTS, RUNNER_STOPPED

    job = queued()
    lease = NOW + timedelta(minutes=2)
    job.start("runner-1", NOW, lease_until=lease)
    with pytest.raises(JobStateConflict):
        job.reclaim(NOW)  # its runner still holds it
    for attempt in range(1, MOST_ATTEMPTS):
        job.reclaim(lease + timedelta(seconds=1))
        assert (job.state, job.runner, job.attempts) == (JobState.QUEUED, None, attempt)
        job.start(f"runner-{attempt + 1}", NOW, lease_until=lease)
    job.reclaim(lease + timedelta(seconds=1))
    assert (job.state, job.message, job.attempts) == (JobState.FAILED, RUNNER_STOPPED,
                                                      MOST_ATTEMPTS)
    with pytest.raises(JobStateConflict):
        job.reclaim(lease + timedelta(seconds=1))
