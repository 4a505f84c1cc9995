from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from singlewindow.risk.model import Channel, RuleStatus
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


class PolicyBase(BaseModel):
    random_share: float = Field(ge=0, le=1, description="Share of declarations checked at random")
    random_channel: Channel = Channel.YELLOW
