"""A background job in the console: its state, a progress bar and every error line, the
page refreshing its progress every second (htmx) until the job is done or failed."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from singlewindow.jobs.model import Job
from singlewindow.jobs.services import Jobs
from singlewindow.web.session import UserDep
from singlewindow.web.texts import render

router = APIRouter()

MENU: list[object] = []  # a job is reached from the page that submitted it


def _job(request: Request, job_id: str, reader: UserDep) -> Job:
    jobs: Jobs = request.app.state.node.jobs
    return jobs.get(job_id[:64], reader)  # UnknownJob (404) for another user's job


@router.get("/jobs/{job_id}")
def job(request: Request, job_id: str, principal: UserDep) -> Response:
    return render(request, "jobs/job.html", {"job": _job(request, job_id, principal)})


@router.get("/jobs/{job_id}/progress")
def progress(request: Request, job_id: str, principal: UserDep) -> Response:
    """The progress fragment; once the job is finished it no longer asks to be refreshed."""
    return render(request, "jobs/progress.html", {"job": _job(request, job_id, principal)})
