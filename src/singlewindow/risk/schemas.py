from __future__ import annotations

import math
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from singlewindow.risk.learning.evaluation import Metrics
from singlewindow.risk.learning.registry import Comparison, ModelVersion, Rollback
from singlewindow.risk.learning.repository import ModelStatus
from singlewindow.risk.learning.services import DriftReport
from singlewindow.risk.model import Channel, RuleStatus, SelectivityPolicy
from singlewindow.risk.services import RuleReport


class CriterionBase(BaseModel):
    field: str = Field(description="A declaration or goods item field, e.g. commodity_code")
    operator: str = Field(description="eq, ne, in, not_in, prefix, gt, gte, lt, lte")
    value: Any


class RuleCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    criteria: list[CriterionBase]
    channel: Channel
    valid_from: date
    valid_to: date | None = None
    forced: bool = Field(default=False, description="Decides the channel whatever else says")


class RuleStatusUpdate(BaseModel):
    status: RuleStatus


class RuleRead(BaseModel):
    id: str
    name: str
    description: str
    criteria: list[CriterionBase]
    channel: Channel
    valid_from: date
    valid_to: date | None
    status: RuleStatus
    forced: bool
    created_by: str
    selections: int
    inspected: int
    findings: int
    hit_rate: float | None

    @classmethod
    def of(cls, report: RuleReport) -> RuleRead:
        rule, stats = report.rule, report.statistics
        return cls(
            id=rule.id,
            name=rule.name,
            description=report.description,
            criteria=[
                CriterionBase(
                    field=c.field,
                    operator=c.operator.value,
                    value=list(c.value) if isinstance(c.value, tuple) else str(c.value),
                )
                for c in rule.criteria
            ],
            channel=rule.channel,
            valid_from=rule.valid_from,
            valid_to=rule.valid_to,
            status=rule.status,
            forced=rule.forced,
            created_by=report.created_by,
            selections=stats.selections,
            inspected=stats.inspected,
            findings=stats.findings,
            hit_rate=stats.hit_rate,
        )


# A share or factor of the policy: a JSON number, nothing coerced into one (`false` is not 0).
Share = Annotated[float, Field(strict=True, ge=0, le=1)]
# An AEO's random share when a policy is written without one.
DEFAULT_AEO_RANDOM_SHARE = SelectivityPolicy.aeo_random_share


class PolicyBase(BaseModel):
    random_share: Share = Field(description="Share of declarations checked at random")
    random_channel: Channel = Channel.YELLOW
    red_rate: Share = Field(
        0.02, description="Share of the flow the model sends to red (its top scores)"
    )
    yellow_rate: Share = Field(
        0.05, description="Share of the flow the model sends to yellow (the next)"
    )
    aeo_factor: Share = Field(
        0.5, description="An authorised operator's score is multiplied by this"
    )
    aeo_random_share: Share | None = Field(
        None,
        description="Share of a recognised AEO's declarations checked at random: not above"
        " random_share, above 0 while it is (omitted: 0.005, or random_share if lower)",
    )

    def to_domain(self) -> SelectivityPolicy:
        return SelectivityPolicy(
            random_share=self.random_share,
            random_channel=self.random_channel,
            red_rate=self.red_rate,
            yellow_rate=self.yellow_rate,
            aeo_factor=self.aeo_factor,
            aeo_random_share=(
                min(DEFAULT_AEO_RANDOM_SHARE, self.random_share)
                if self.aeo_random_share is None
                else self.aeo_random_share
            ),
        )

    @classmethod
    def of(cls, policy: SelectivityPolicy) -> PolicyBase:
        return cls.model_validate(policy, from_attributes=True)


class ModelRead(BaseModel):
    version: int
    status: ModelStatus
    created_at: datetime
    data_from: date
    data_to: date
    declarations: int = Field(description="Inspected goods items it was trained on")
    frauds: int | None
    calibrated: bool = Field(description="Has score quantiles of the recent flow (thresholds)")
    calibration_population: int | None
    compared: bool
    note: str
    promoted_by: str | None
    promoted_at: datetime | None
    retired_at: datetime | None

    @classmethod
    def of(cls, v: ModelVersion) -> ModelRead:
        calibration = v.metrics.get("calibration")
        return cls(
            version=v.version,
            status=v.status,
            created_at=v.created_at,
            data_from=v.data_from,
            data_to=v.data_to,
            declarations=v.declarations,
            frauds=v.metrics.get("training", {}).get("frauds"),
            calibrated=calibration is not None,
            calibration_population=calibration["population"] if calibration else None,
            compared="comparison" in v.metrics,
            note=v.note,
            promoted_by=v.promoted_by,
            promoted_at=v.promoted_at,
            retired_at=v.retired_at,
        )


class MetricsRead(BaseModel):
    n: int
    frauds: int
    precision: dict[str, float] = Field(description="By inspection rate, per cent")
    recall: dict[str, float]
    auc: float | None


class ComparisonRead(BaseModel):
    candidate: int
    in_service: int | None
    period_from: date
    period_to: date
    candidate_metrics: MetricsRead
    in_service_metrics: MetricsRead | None
    candidate_trained_on_period: bool
    candidate_better: bool = Field(
        description="The candidate wins the comparison gate of promotion (out of time, enough "
        "results, and better than the model in service or the no-skill baseline)"
    )
    verdict: str | None = Field(description="Why it does not win; null when it does")
    inspection_rate: float = Field(description="The policy's red + yellow rate it was judged at")
    candidate_precision_at_rate: float
    in_service_precision_at_rate: float | None
    base_hit_rate: float = Field(description="Findings among the period's inspected items")

    @classmethod
    def of(cls, report: Comparison) -> ComparisonRead:
        def metrics(m: Metrics | None) -> MetricsRead | None:
            if m is None:
                return None
            return MetricsRead(
                n=m.n,
                frauds=m.frauds,
                precision={str(k): v for k, v in m.precision.items()},
                recall={str(k): _finite(v) or 0.0 for k, v in m.recall.items()},
                auc=_finite(m.auc),
            )

        candidate = metrics(report.candidate_metrics)
        assert candidate is not None
        return cls(
            candidate=report.candidate,
            in_service=report.in_service,
            period_from=report.period_from,
            period_to=report.period_to,
            candidate_metrics=candidate,
            in_service_metrics=metrics(report.in_service_metrics),
            candidate_trained_on_period=report.candidate_trained_on_period,
            candidate_better=report.candidate_better,
            verdict=report.verdict(),
            inspection_rate=report.inspection_rate,
            candidate_precision_at_rate=report.candidate_precision_at_rate,
            in_service_precision_at_rate=report.in_service_precision_at_rate,
            base_hit_rate=report.base_hit_rate,
        )


class ModelRollbackCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(
        min_length=1, max_length=500, description="Why the model in service is withdrawn"
    )


class ModelRollbackRead(BaseModel):
    withdrawn: int = Field(description="The model taken out of service")
    reinstated: int | None = Field(description="The model put back; null: rules only")
    by: str
    reason: str
    at: datetime

    @classmethod
    def of(cls, done: Rollback) -> ModelRollbackRead:
        return cls(
            withdrawn=done.withdrawn,
            reinstated=done.reinstated,
            by=done.by,
            reason=done.reason,
            at=done.at,
        )


class WeekDriftRead(BaseModel):
    week: date
    declarations: int
    mean_score: float
    high_share: float = Field(description="Share at or above the model's yellow threshold")
    inspected: int
    hit_rate: float | None
    psi: float | None


class DriftRead(BaseModel):
    version: int | None
    threshold: float | None
    weeks: list[WeekDriftRead]

    @classmethod
    def of(cls, report: DriftReport) -> DriftRead:
        return cls(
            version=report.version,
            threshold=report.threshold,
            weeks=[
                WeekDriftRead(
                    week=w.week,
                    declarations=w.declarations,
                    mean_score=w.mean_score,
                    high_share=w.high_share,
                    inspected=w.inspected,
                    hit_rate=w.hit_rate,
                    psi=_finite(w.psi),
                )
                for w in report.weeks
            ],
        )


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None
