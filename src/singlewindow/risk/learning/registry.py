"""The model registry: register a trained candidate, compare it with the model in service on
the latest period, promote it (the model in service retires), and watch drift.

Every model ever used stays in the registry with its data period, metrics and who promoted
it, so that any past selection can be traced to the model that made it.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np

from singlewindow.core.clock import as_utc, utcnow
from singlewindow.core.db import Database
from singlewindow.core.errors import Conflict, Invalid, NotFound
from singlewindow.risk.learning import repository
from singlewindow.risk.learning.evaluation import Metrics, measure
from singlewindow.risk.learning.model import RiskModel
from singlewindow.risk.learning.record import ScoringRecord
from singlewindow.risk.learning.repository import ModelStatus, RiskModelRow


class UnknownModel(NotFound):
    pass


class ModelStateConflict(Conflict):
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

    @property
    def candidate_better(self) -> bool:
        if self.in_service_metrics is None:
            return True
        mine, theirs = self.candidate_metrics, self.in_service_metrics
        return (mine.precision[5], mine.precision[10]) >= (
            theirs.precision[5],
            theirs.precision[10],
        )

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


def compare(database: Database, candidate: int, period: Sequence[ScoringRecord]) -> Comparison:
    """Score the latest period's inspected declarations with the candidate and with the model
    in service; the report is kept with the candidate, for whoever decides to promote it."""
    inspected = [r for r in period if r.fraud is not None]
    if not inspected:
        raise Invalid("the comparison period has no inspected declarations")
    fraud = [bool(r.fraud) for r in inspected]
    critical = [bool(r.critical) for r in inspected]
    # Score without the outcomes: the models read only their own history.
    candidate_model = load(database, candidate)
    candidate_metrics = measure(candidate_model.score_batch(inspected), fraud, critical)
    with database.unit_of_work() as session:
        current = repository.in_service(session)
        current_version = current.version if current else None
    in_service_metrics = None
    if current_version is not None:
        in_service_model = load(database, current_version)
        in_service_metrics = measure(in_service_model.score_batch(inspected), fraud, critical)
    period_from = min(r.date for r in inspected)
    report = Comparison(
        candidate=candidate,
        in_service=current_version,
        period_from=period_from,
        period_to=max(r.date for r in inspected),
        candidate_metrics=candidate_metrics,
        in_service_metrics=in_service_metrics,
        candidate_trained_on_period=candidate_model.summary.data_to >= period_from,
    )
    with database.unit_of_work() as session:
        row = repository.get(session, candidate)
        assert row is not None
        row.metrics = {**(row.metrics or {}), "comparison": report.as_document()}
    return report


def promote(
    database: Database,
    number: int,
    *,
    by: str,
    now: datetime | None = None,
    require_comparison: bool = True,
) -> ModelVersion:
    """Put a model in service; the one in service before it retires, in the same transaction."""
    moment = now or utcnow()
    with database.unit_of_work() as session:
        row = repository.get(session, number)
        if row is None:
            raise UnknownModel(f"no risk model version {number}")
        status = ModelStatus(row.status)
        if not status.may_become(ModelStatus.IN_SERVICE):
            raise ModelStateConflict(f"risk model {number} is {status.value}; cannot promote it")
        current = repository.in_service(session)
        if (
            require_comparison
            and current is not None
            and status is ModelStatus.CANDIDATE
            and "comparison" not in (row.metrics or {})
        ):
            raise ModelStateConflict(
                f"risk model {number} has not been compared with model {current.version} in "
                "service; compare it on the latest period first"
            )
        if current is not None:
            current.status = ModelStatus.RETIRED.value
            current.retired_at = moment
            session.flush()  # at most one model in service, even mid-transaction
        row.status = ModelStatus.IN_SERVICE.value
        row.promoted_by = by
        row.promoted_at = moment
        row.retired_at = None
        session.flush()
        return ModelVersion.of(row)


class _ServiceCache:
    """The model in service, loaded once per version: scoring at lodgement must not unpack a
    model file per declaration. Checking the version is one small query."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._models: dict[str, tuple[int, RiskModel]] = {}

    def get(self, database: Database) -> tuple[int, RiskModel] | None:
        with database.unit_of_work() as session:
            row = repository.in_service(session)
            number = row.version if row else None
        if number is None:
            return None
        with self._lock:
            cached = self._models.get(database.url)
            if cached is not None and cached[0] == number:
                return cached
        loaded = (number, load(database, number))
        with self._lock:
            self._models[database.url] = loaded
        return loaded


_CACHE = _ServiceCache()


def in_service(database: Database) -> tuple[int, RiskModel] | None:
    """The version and the model now in service (None before the first promotion)."""
    return _CACHE.get(database)


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
        outcomes = [records[i].fraud for i in np.flatnonzero(mask)]
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
