"""The job kinds of the learned risk model: "risk-train", a candidate trained on the node's
inspection results in the background, and "risk-backfill", stored selections scored again
with the model in service. Each runs the risk room's own service (the one `singlewindow risk
train` and `singlewindow risk score` call), so no rule of training or scoring is written here;
a refusal (too little history, no model in service) becomes the failed job's message."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from singlewindow.core.db import Database
from singlewindow.jobs.services import Handler, JobOutcome, Jobs, Progress
from singlewindow.risk.learning import services as learning

TRAIN = "risk-train"
BACKFILL = "risk-backfill"


def training_payload(
    *,
    note: str = "",
    until: date | None = None,
    holdout_days: int = learning.COMPARISON_DAYS,
    rounds: int | None = None,
    parameters: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A risk-train job's input: the command line's note, the results it learns from (those
    recorded up to the end of `until`, default all) and the latest days held out to judge it
    on; `rounds` and `parameters` (the booster's) only for whoever needs a lighter fit."""
    payload: dict[str, Any] = {"note": note, "holdout_days": holdout_days}
    if until is not None:
        payload["until"] = until.isoformat()
    if rounds is not None:
        payload["rounds"] = rounds
    if parameters:
        payload["parameters"] = dict(parameters)
    return payload


def backfill_payload(since: date, until: date | None = None) -> dict[str, Any]:
    """A risk-backfill job's input: the days of lodgement to score again, `until` exclusive."""
    return {"since": since.isoformat(), "until": until.isoformat() if until else None}


def _end_of(day: str) -> datetime:
    # "Recorded up to 2026-11-20" includes that whole day.
    return datetime.combine(date.fromisoformat(day), time.max, tzinfo=UTC)


def risk_training(database: Database) -> Handler:
    def run(payload: dict[str, Any], progress: Progress) -> JobOutcome:
        extra: dict[str, Any] = {}
        if payload.get("rounds") is not None:
            extra["rounds"] = int(payload["rounds"])
        if payload.get("parameters"):
            extra["parameters"] = dict(payload["parameters"])
        candidate = learning.train_candidate(
            database,
            until=_end_of(payload["until"]) if payload.get("until") else None,
            note=str(payload.get("note") or ""),
            holdout_days=int(payload.get("holdout_days", learning.COMPARISON_DAYS)),
            progress=progress,
            **extra,
        )
        training = candidate.metrics.get("training", {})
        calibrated = "calibration" in candidate.metrics
        return JobOutcome(
            f"candidate model v{candidate.version} trained on "
            f"{training.get('declarations', candidate.declarations):,} inspected goods items "
            f"dated {candidate.data_from} to {candidate.data_to}; "
            + ("calibrated on the recent flow" if calibrated
               else "not calibrated (too few recent selections)"),
            {
                "version": candidate.version,
                "status": candidate.status.value,
                "declarations": candidate.declarations,
                "frauds": training.get("frauds"),
                "data_from": candidate.data_from.isoformat(),
                "data_to": candidate.data_to.isoformat(),
                "calibrated": calibrated,
            },
        )

    return run


def risk_backfill(database: Database) -> Handler:
    def run(payload: dict[str, Any], progress: Progress) -> JobOutcome:
        written = learning.backfill(
            database,
            since=date.fromisoformat(payload["since"]),
            until=date.fromisoformat(payload["until"]) if payload.get("until") else None,
            progress=progress,
        )
        return JobOutcome(f"{written:,} selections scored", {"scored": written})

    return run


def register(jobs: Jobs, database: Database) -> None:
    jobs.register(TRAIN, risk_training(database))
    jobs.register(BACKFILL, risk_backfill(database))
