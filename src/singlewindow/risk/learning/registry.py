"""The model registry: register a trained candidate, compare it with the model in service on
a later period, promote it through the promotion gates (the model in service retires), roll
back to the model before, and watch drift.

Every model ever used stays in the registry with its data period, metrics and who promoted
it, and every change of the model in service is logged with who made it and why, so that any
past selection can be traced to the model that made it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np

from singlewindow.core.clock import as_utc, utcnow
from singlewindow.core.db import Database
from singlewindow.core.errors import Conflict, Invalid, NotFound, Problem
from singlewindow.core.revisions import RevisionWatch
from singlewindow.risk.learning import repository
from singlewindow.risk.learning.estimator import RiskModel
from singlewindow.risk.learning.evaluation import Metrics, measure, precision_at
from singlewindow.risk.learning.promotion import (
    ComparisonEvidence,
    GateRefusal,
    PromotionCase,
    PromotionGates,
    TrainingEvidence,
    channel_shares,
    comparison_refusal,
    refusals,
)
from singlewindow.risk.learning.record import ScoringRecord
from singlewindow.risk.learning.repository import (
    ModelChangeRow,
    ModelStatus,
    RiskModelRow,
    ServiceChange,
)
from singlewindow.risk.model import ScoreCalibration, SelectivityPolicy
from singlewindow.risk.repository import bump_revision
from singlewindow.risk.services import selectivity_of

# What the policy has the model select when no policy is given: its default red + yellow.
DEFAULT_INSPECTION_RATE = SelectivityPolicy().red_rate + SelectivityPolicy().yellow_rate


class UnknownModel(NotFound):
    pass


class ModelStateConflict(Conflict):
    pass


class PromotionRefused(ModelStateConflict):
    """A promotion gate failed; `refusals` holds each failed gate with its figures."""

    def __init__(self, version: int, found: Sequence[GateRefusal]) -> None:
        self.refusals = list(found)
        super().__init__(
            f"risk model v{version} cannot go into service: "
            + "; ".join(str(r) for r in self.refusals)
        )


class NothingToRollBack(Conflict):
    pass


@dataclass(frozen=True)
class ModelVersion:
    version: int
    created_at: datetime
    data_from: date
    data_to: date
    declarations: int
    status: ModelStatus
    metrics: dict[str, Any]
    note: str
    promoted_by: str | None
    promoted_at: datetime | None
    retired_at: datetime | None

    @classmethod
    def of(cls, row: RiskModelRow) -> ModelVersion:
        return cls(
            version=row.version,
            created_at=as_utc(row.created_at),
            data_from=row.data_from,
            data_to=row.data_to,
            declarations=row.declarations,
            status=ModelStatus(row.status),
            metrics=dict(row.metrics or {}),
            note=row.note,
            promoted_by=row.promoted_by,
            promoted_at=as_utc(row.promoted_at) if row.promoted_at else None,
            retired_at=as_utc(row.retired_at) if row.retired_at else None,
        )


@dataclass(frozen=True)
class Comparison:
    """A candidate and the model in service, scored on the same latest period."""

    candidate: int
    in_service: int | None
    period_from: date
    period_to: date
    candidate_metrics: Metrics
    in_service_metrics: Metrics | None
    # The candidate learnt from part of the period: its figures flatter it.
    candidate_trained_on_period: bool
    trained_to: date  # the last lodgement date the candidate learnt from
    inspection_rate: float  # the share the policy has the model select (red + yellow)
    candidate_precision_at_rate: float
    in_service_precision_at_rate: float | None

    @property
    def base_hit_rate(self) -> float:
        return self.candidate_metrics.frauds / self.candidate_metrics.n

    def evidence(self) -> ComparisonEvidence:
        return ComparisonEvidence(
            in_service=self.in_service,
            trained_to=self.trained_to,
            period_from=self.period_from,
            period_to=self.period_to,
            inspected=self.candidate_metrics.n,
            hits=self.candidate_metrics.frauds,
            inspection_rate=self.inspection_rate,
            candidate_auc=self.candidate_metrics.auc,
            candidate_precision=self.candidate_precision_at_rate,
            in_service_auc=self.in_service_metrics.auc if self.in_service_metrics else None,
            in_service_precision=self.in_service_precision_at_rate,
        )

    def verdict(self, gates: PromotionGates | None = None) -> str | None:
        """Why the candidate did not win (the comparison gate), or None when it did."""
        return comparison_refusal(self.evidence(), gates or PromotionGates())

    @property
    def candidate_better(self) -> bool:
        return self.verdict() is None

    def as_document(self) -> dict[str, Any]:
        return {
            "candidate": self.candidate,
            "in_service": self.in_service,
            "period_from": self.period_from.isoformat(),
            "period_to": self.period_to.isoformat(),
            "candidate_metrics": self.candidate_metrics.as_document(),
            "in_service_metrics": (
                self.in_service_metrics.as_document() if self.in_service_metrics else None
            ),
            "candidate_trained_on_period": self.candidate_trained_on_period,
            "candidate_better": self.candidate_better,
            "evidence": self.evidence().as_document(),
        }


def register_candidate(
    database: Database,
    model: RiskModel,
    *,
    metrics: Metrics | None = None,
    note: str = "",
    now: datetime | None = None,
) -> ModelVersion:
    """Store a trained model as a candidate; it selects nothing until promoted."""
    with database.unit_of_work() as session:
        row = RiskModelRow(
            created_at=now or utcnow(),
            data_from=model.summary.data_from,
            data_to=model.summary.data_to,
            declarations=model.summary.declarations,
            status=ModelStatus.CANDIDATE.value,
            metrics={
                "training": model.summary.as_dict(),
                **({"evaluation": metrics.as_document()} if metrics else {}),
            },
            note=note[:500],
            content=model.to_bytes(),
        )
        session.add(row)
        session.flush()
        return ModelVersion.of(row)


def versions(database: Database) -> list[ModelVersion]:
    with database.unit_of_work() as session:
        return [ModelVersion.of(row) for row in repository.listing(session)]


def version(database: Database, number: int) -> ModelVersion:
    with database.unit_of_work() as session:
        row = repository.get(session, number)
        if row is None:
            raise UnknownModel(f"no risk model version {number}")
        return ModelVersion.of(row)


def load(database: Database, number: int) -> RiskModel:
    with database.unit_of_work() as session:
        row = repository.get(session, number)
        if row is None:
            raise UnknownModel(f"no risk model version {number}")
        return RiskModel.from_bytes(row.content)


def compare(
    database: Database,
    candidate: int,
    period: Sequence[ScoringRecord],
    *,
    inspection_rate: float = DEFAULT_INSPECTION_RATE,
) -> Comparison:
    """Score a period's inspected declarations with the candidate and with the model in
    service; the report is kept with the candidate, for whoever decides to promote it.
    `inspection_rate` is the share of the flow the policy has the model select (red + yellow):
    precision there is the hit rate officers would see."""
    inspected = [r for r in period if r.fraud is not None]
    if not inspected:
        raise Invalid("the comparison period has no inspected declarations")
    fraud = [bool(r.fraud) for r in inspected]
    critical = [bool(r.critical) for r in inspected]
    rate_percent = inspection_rate * 100
    # Score without the outcomes: the models read only their own history.
    candidate_model = load(database, candidate)
    candidate_scores = candidate_model.score_batch(inspected)
    candidate_metrics = measure(candidate_scores, fraud, critical)
    with database.unit_of_work() as session:
        current = repository.in_service(session)
        current_version = current.version if current else None
    in_service_metrics = in_service_precision = None
    if current_version is not None:
        in_service_scores = load(database, current_version).score_batch(inspected)
        in_service_metrics = measure(in_service_scores, fraud, critical)
        in_service_precision = precision_at(np.asarray(fraud), in_service_scores, rate_percent)
    period_from = min(r.date for r in inspected)
    report = Comparison(
        candidate=candidate,
        in_service=current_version,
        period_from=period_from,
        period_to=max(r.date for r in inspected),
        candidate_metrics=candidate_metrics,
        in_service_metrics=in_service_metrics,
        candidate_trained_on_period=candidate_model.summary.data_to >= period_from,
        trained_to=candidate_model.summary.data_to,
        inspection_rate=inspection_rate,
        candidate_precision_at_rate=precision_at(np.asarray(fraud), candidate_scores, rate_percent),
        in_service_precision_at_rate=in_service_precision,
    )
    with database.unit_of_work() as session:
        row = repository.get(session, candidate)
        assert row is not None
        row.metrics = {**(row.metrics or {}), "comparison": report.as_document()}
    return report


def promotion_case(
    row: RiskModelRow, in_service: int | None, policy: SelectivityPolicy
) -> PromotionCase:
    """What the promotion gates look at, from a model's registry entry."""
    metrics = row.metrics or {}
    stored = metrics.get("comparison", {}).get("evidence")
    calibration = metrics.get("calibration")
    shares = None
    if calibration:
        scores = ScoreCalibration(tuple(calibration["quantiles"]), int(calibration["population"]))
        shares = channel_shares(scores, policy)
    return PromotionCase(
        version=row.version,
        training=TrainingEvidence.from_document(metrics.get("training", {})),
        comparison=ComparisonEvidence.from_document(stored) if stored else None,
        in_service=in_service,
        shares=shares,
        policy=policy,
    )


def promote(
    database: Database,
    number: int,
    *,
    by: str,
    policy: SelectivityPolicy | None = None,
    gates: PromotionGates | None = None,
    now: datetime | None = None,
) -> ModelVersion:
    """Put a model in service through the promotion gates (`PromotionRefused` names each one
    that fails); the one in service before it retires, in the same transaction."""
    moment = now or utcnow()
    with database.unit_of_work() as session:
        row = repository.get(session, number)
        if row is None:
            raise UnknownModel(f"no risk model version {number}")
        status = ModelStatus(row.status)
        if not status.may_become(ModelStatus.IN_SERVICE):
            raise ModelStateConflict(f"risk model {number} is {status.value}; cannot promote it")
        current = repository.in_service(session)
        case = promotion_case(
            row, current.version if current else None, policy or SelectivityPolicy()
        )
        found = refusals(case, gates)
        if found:
            raise PromotionRefused(number, found)
        if current is not None:
            current.status = ModelStatus.RETIRED.value
            current.retired_at = moment
            session.flush()  # at most one model in service, even mid-transaction
        row.status = ModelStatus.IN_SERVICE.value
        row.promoted_by = by
        row.promoted_at = moment
        row.retired_at = None
        session.add(
            ModelChangeRow(
                version=number,
                change=ServiceChange.PROMOTED.value,
                at=moment,
                by=by,
                reason="passed the promotion gates",
                previous=current.version if current else None,
            )
        )
        bump_revision(session)  # every process's selectivity reloads the model in service
        session.flush()
        promoted = ModelVersion.of(row)
    RevisionWatch.changed(database, "risk")
    return promoted


@dataclass(frozen=True)
class Rollback:
    """The model withdrawn from service and the one put back (None: rules only)."""

    withdrawn: int
    reinstated: int | None
    by: str
    reason: str
    at: datetime


def rollback(database: Database, *, by: str, reason: str, now: datetime | None = None) -> Rollback:
    """Withdraw the model in service and put back the one it replaced (or none, so that
    selection runs on rules and the random share only), with who and why in the change log.

    One step at a time: each entry into service keeps the model it replaced, and a model put
    back keeps its own, so that rolling back again goes one further step back."""
    problems = []
    if not by.strip():
        problems.append(Problem("by", "say who withdraws the model"))
    if not reason.strip():
        problems.append(Problem("reason", "say why the model is withdrawn"))
    elif len(reason) > 500:
        problems.append(Problem("reason", "at most 500 characters"))
    if problems:
        raise Invalid(problems)
    moment = now or utcnow()
    with database.unit_of_work() as session:
        current = repository.in_service(session)
        if current is None:
            raise NothingToRollBack(
                "no risk model is in service: nothing to roll back (selection runs on the "
                "rules and the random share)"
            )
        entry = repository.last_entry(session, current.version)
        if entry is not None:
            previous = entry.previous
        else:  # promoted before the change log was kept
            before = repository.last_retired_from_service(session, current.version)
            previous = before.version if before else None
        target = repository.get(session, previous) if previous is not None else None
        if target is not None and not ModelStatus(target.status).may_become(ModelStatus.IN_SERVICE):
            raise ModelStateConflict(
                f"risk model v{target.version}, in service before v{current.version}, is "
                f"{target.status}; it cannot be put back"
            )
        current.status = ModelStatus.RETIRED.value
        current.retired_at = moment
        session.add(
            ModelChangeRow(
                version=current.version,
                change=ServiceChange.ROLLED_BACK.value,
                at=moment,
                by=by,
                reason=reason.strip(),
                previous=None,
            )
        )
        session.flush()  # at most one model in service, even mid-transaction
        if target is not None:
            own = repository.last_entry(session, target.version)
            below = own.previous if own is not None else None
            target.status = ModelStatus.IN_SERVICE.value
            target.retired_at = None
            session.add(
                ModelChangeRow(
                    version=target.version,
                    change=ServiceChange.REINSTATED.value,
                    at=moment,
                    by=by,
                    reason=reason.strip(),
                    # Never the model just withdrawn: a rollback must not bring it back.
                    previous=None if below == current.version else below,
                )
            )
            session.flush()
        bump_revision(session)  # every process's selectivity reloads the model in service
        done = Rollback(
            current.version, target.version if target else None, by, reason.strip(), moment
        )
    RevisionWatch.changed(database, "risk")
    return done


@dataclass(frozen=True)
class ServiceChangeRecord:
    version: int
    change: ServiceChange
    at: datetime
    by: str
    reason: str
    previous: int | None


def service_changes(database: Database, limit: int = 50) -> list[ServiceChangeRecord]:
    """The latest changes of the model in service, newest first."""
    with database.unit_of_work() as session:
        return [
            ServiceChangeRecord(
                c.version, ServiceChange(c.change), as_utc(c.at), c.by, c.reason, c.previous
            )
            for c in repository.changes(session, limit)
        ]


def in_service(database: Database) -> tuple[int, RiskModel] | None:
    """The version and the model now in service (None before the first promotion), as the
    selectivity wired for `database` holds it: unpacked once per version, reloaded when the
    risk revision moves."""
    service = selectivity_of(database).state().model
    return None if service is None else (service.version, service.model)


@dataclass(frozen=True)
class WeekDrift:
    week: date  # the Monday
    declarations: int
    mean_score: float
    high_share: float  # share scoring at or above the threshold
    inspected: int
    hit_rate: float | None  # frauds found among inspected declarations
    psi: float  # population stability of the week's scores against the first week


def drift(
    model: RiskModel | None,
    records: Sequence[ScoringRecord],
    *,
    threshold: float = 0.5,
    scores: Sequence[float] | None = None,
) -> list[WeekDrift]:
    """Score distribution and hit rate week by week, so that a model going stale shows.

    PSI above about 0.2 is the usual sign that the flow no longer looks like the one the
    model was judged on."""
    if not records:
        return []
    if scores is None and model is None:
        raise ValueError("drift needs a model or the scores")
    values = np.asarray(scores if scores is not None else model.score_batch(records))  # type: ignore[union-attr]
    weeks = np.asarray([(r.date - timedelta(days=r.date.weekday())).toordinal() for r in records])
    order = sorted(set(weeks.tolist()))
    edges = np.quantile(values[weeks == order[0]], np.linspace(0, 1, 11)[1:-1])
    reference = _shares(values[weeks == order[0]], edges)
    out = []
    for week in order:
        mask = weeks == week
        week_scores = values[mask]
        outcomes = [records[int(i)].fraud for i in np.flatnonzero(mask)]
        inspected = [o for o in outcomes if o is not None]
        shares = _shares(week_scores, edges)
        psi = float(np.sum((shares - reference) * np.log(shares / reference)))
        out.append(
            WeekDrift(
                week=date.fromordinal(int(week)),
                declarations=int(mask.sum()),
                mean_score=float(week_scores.mean()),
                high_share=float((week_scores >= threshold).mean()),
                inspected=len(inspected),
                hit_rate=(sum(inspected) / len(inspected)) if inspected else None,
                psi=psi if math.isfinite(psi) else float("nan"),
            )
        )
    return out


def _shares(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    counts = np.bincount(np.searchsorted(edges, values, side="right"), minlength=len(edges) + 1)
    return np.maximum(counts / max(len(values), 1), 1e-4)
