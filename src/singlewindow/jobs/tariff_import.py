"""The job kind "tariff-import": a national schedule file imported in the background, by
the tariff room's own import (every rule and every check is `tariff.services`'), its
progress told as lines are stored and every bad line kept in the job's errors."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from singlewindow.core.db import Database
from singlewindow.jobs.services import Handler, JobOutcome, Jobs, Progress
from singlewindow.tariff import services as tariff

KIND = "tariff-import"


def schedule_payload(country: str, schedule: str, replace: bool) -> dict[str, Any]:
    """A tariff-import job's input: the file's text, whose country, and whether it replaces
    the stored schedule."""
    return {"country": country, "schedule": schedule, "replace": replace}


def tariff_import(database: Database) -> Handler:
    def run(payload: dict[str, Any], progress: Progress) -> JobOutcome:
        # All or nothing, as the API's import: a bad line raises `InvalidSchedule`, whose
        # problems (every bad line, at its place) become the failed job's errors.
        report = tariff.import_schedule(
            database, payload["country"], payload["schedule"],
            replace=bool(payload.get("replace")), progress=progress,
        )
        return JobOutcome(
            f"{report.lines} lines imported ({report.inserted} new, {report.updated} "
            f"updated, {report.deleted} deleted) in {report.chapters} chapters; "
            f"the schedule is at revision {report.revision}",
            asdict(report),
        )

    return run


def register(jobs: Jobs, database: Database) -> None:
    jobs.register(KIND, tariff_import(database))
