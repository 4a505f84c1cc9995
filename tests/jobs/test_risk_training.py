"""The learned model's background jobs: a candidate trained through the same service as
`singlewindow risk train`, its steps told as progress and its version in the result; a
training refused for want of history failing with the service's reason; stored selections
scored again with the model in service."""

from __future__ import annotations

import random
from typing import Any

import pytest

from singlewindow.access.model import Principal, Role
from singlewindow.core.db import Database
from singlewindow.jobs import risk_training
from singlewindow.jobs.model import JobState
from singlewindow.jobs.services import JobOutcome, Jobs, Progress
from singlewindow.risk import services as selectivity
from singlewindow.risk.learning import services as learning
from singlewindow.risk.learning.repository import ModelStatus
from tests.risk.conftest import FAST, History, days_ago, enough_history, promote_first

ADMIN = Principal("admin", Role.ADMIN)


@pytest.fixture
def history(database: Database, frozen_clock: object) -> History:
    selectivity.configure(database, default_random_share=0.0, seed=11)
    return History(database, random.Random(8))


def _jobs(database: Database) -> Jobs:
    jobs = Jobs(database)
    risk_training.register(jobs, database)
    return jobs


def test_a_model_trained_as_a_job_ends_done_with_its_version(history: History) -> None:
    history.flow(20, days_ago(120), inspected=1.0)
    jobs = _jobs(history.database)
    steps: list[tuple[int, int]] = []
    training = jobs._handlers[risk_training.TRAIN]

    def watched(payload: dict[str, Any], progress: Progress) -> JobOutcome:
        def told(done: int, total: int) -> None:
            steps.append((done, total))
            progress(done, total)
        return training(payload, told)

    jobs.register(risk_training.TRAIN, watched)
    job_id = jobs.submit(risk_training.TRAIN, risk_training.training_payload(
        note="nightly", holdout_days=0, **FAST), ADMIN)
    assert jobs.run_once() == job_id
    job = jobs.get(job_id, ADMIN)
    assert job.state is JobState.DONE, job.message
    [model] = learning.models(history.database)
    assert job.result["version"] == model.version and job.result["status"] == "candidate"
    assert model.status is ModelStatus.CANDIDATE and model.note == "nightly"
    assert f"candidate model v{model.version}" in job.message
    # Each step told in order, the last one the whole training.
    assert steps == [(n, learning.TRAINING_STEPS) for n in range(learning.TRAINING_STEPS + 1)]
    assert (job.done, job.total, job.percent) == (4, 4, 100)


def test_a_training_without_history_fails_with_the_services_reason(history: History) -> None:
    jobs = _jobs(history.database)
    job_id = jobs.submit(risk_training.TRAIN, risk_training.training_payload(**FAST), ADMIN)
    jobs.run_once()
    job = jobs.get(job_id, ADMIN)
    assert job.state is JobState.FAILED
    assert "no inspection results recorded yet" in job.message
    assert learning.models(history.database) == []


def test_stored_selections_are_scored_again_as_a_job(history: History) -> None:
    enough_history(history, 2400)
    model = promote_first(history)
    jobs = _jobs(history.database)
    job_id = jobs.submit(risk_training.BACKFILL,
                         risk_training.backfill_payload(days_ago(20).date()), ADMIN)
    jobs.run_once()
    job = jobs.get(job_id, ADMIN)
    assert job.state is JobState.DONE, job.message
    assert job.result["scored"] > 0 and job.done == job.total == job.result["scored"]
    assert learning.drift(history.database, weeks=3).version == model.version
