"""API shapes of the enforcement room: the alert an officer raises (its criteria as the risk
engine reads them), its withdrawal, a seizure, a joint operation, and what officers read back
(alerts with their hits, seizures, an operation's board).

Pydantic bounds every field (lengths, list sizes, enums); the domain checks meaning (a field
the risk engine knows, an operation this node belongs to, a declaration lodged here), so that
one answer lists every problem."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from singlewindow.core.fields import FreeText, LineText
from singlewindow.enforcement.model import (
    CONCEALMENT_LIMIT,
    MAX_CONCEALMENT,
    MAX_CRITERIA,
    MAX_MEMBERS,
    TEXT_LIMIT,
    TITLE_LIMIT,
    AlertHit,
    AlertStatus,
    Category,
    JointOperation,
    criterion_document,
)
from singlewindow.enforcement.services import (
    AlertDraft,
    AlertView,
    Board,
    SeizureDraft,
    SeizureView,
)
from singlewindow.risk.model import Channel

ALERT_PATTERN = r"^[A-Z]{2}-ALERT-[0-9]{1,10}$"
SEIZURE_PATTERN = r"^[A-Z]{2}-SEIZURE-[0-9]{1,10}$"
OPERATION_PATTERN = r"^[A-Z0-9][A-Z0-9-]{1,39}$"

Title = Annotated[LineText, Field(min_length=1, max_length=TITLE_LIMIT)]
Text = Annotated[FreeText, Field(min_length=1, max_length=TEXT_LIMIT)]
Word = Annotated[LineText, Field(min_length=1, max_length=CONCEALMENT_LIMIT)]
Value = Annotated[LineText, Field(max_length=200)]
CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")]
OperationCode = Annotated[str, Field(pattern=OPERATION_PATTERN, max_length=40)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CriterionIn(_Strict):
    """One criterion as the risk engine reads it: a field it knows (commodity_code,
    origin_country, export_country, transport_mode, exporter, ...), an operator and a value."""

    field: Annotated[LineText, Field(min_length=1, max_length=40)]
    operator: Annotated[LineText, Field(min_length=1, max_length=10)]
    value: Value | Annotated[list[Value], Field(min_length=1, max_length=50)] | Decimal


class AlertCreate(_Strict):
    category: Category
    title: Title
    description: Text = Field(description="What to look for, in words")
    criteria: Annotated[list[CriterionIn], Field(min_length=1, max_length=MAX_CRITERIA)]
    concealment: Annotated[list[Word], Field(max_length=MAX_CONCEALMENT)] = Field(
        default_factory=list, description="Concealment methods, in words, for the officer")
    valid_from: date
    valid_to: date
    channel: Channel = Channel.RED
    operation: OperationCode | None = Field(
        None, description="A joint operation whose members alone receive it; none: every "
                          "partner")

    def to_domain(self) -> AlertDraft:
        return AlertDraft(
            category=self.category, title=self.title, description=self.description,
            criteria=[c.model_dump() for c in self.criteria], valid_from=self.valid_from,
            valid_to=self.valid_to, channel=self.channel, concealment=list(self.concealment),
            operation=self.operation)


class WithdrawalCreate(_Strict):
    reason: Text


class HitRead(BaseModel):
    alert: str
    country: str
    declaration: str
    hit_at: datetime
    criteria: list[str]
    channel: Channel
    reported: bool

    @classmethod
    def of(cls, hit: AlertHit) -> HitRead:
        return cls(alert=hit.alert, country=hit.country, declaration=hit.declaration,
                   hit_at=hit.hit_at, criteria=list(hit.criteria), channel=hit.channel,
                   reported=hit.reported)


class AlertRead(BaseModel):
    id: str
    country: str
    category: Category
    title: str
    description: str
    criteria: list[dict[str, object]]
    concealment: list[str]
    valid_from: date
    valid_to: date
    channel: Channel
    operation: str | None
    status: AlertStatus
    raised_here: bool
    raised_by: str | None
    raised_at: datetime
    received_at: datetime | None
    withdrawn_at: datetime | None
    reason: str | None
    recipients: list[str]
    hits: list[HitRead]

    @classmethod
    def of(cls, view: AlertView) -> AlertRead:
        alert = view.alert
        return cls(
            id=alert.id, country=alert.country, category=alert.category, title=alert.title,
            description=alert.description,
            criteria=[criterion_document(c) for c in alert.criteria],
            concealment=list(alert.concealment), valid_from=alert.valid_from,
            valid_to=alert.valid_to, channel=alert.channel,
            operation=alert.recipients.operation, status=view.status,
            raised_here=view.raised_here, raised_by=view.raised_by, raised_at=alert.raised_at,
            received_at=view.received_at, withdrawn_at=view.withdrawn_at, reason=view.reason,
            recipients=list(view.recipients), hits=[HitRead.of(h) for h in view.hits])


class SeizureCreate(_Strict):
    goods: Title
    hs_code: Annotated[str, Field(pattern=r"^[0-9]{4,10}$")]
    quantity: Annotated[Decimal, Field(gt=0, max_digits=15, decimal_places=3)]
    unit: Annotated[LineText, Field(min_length=1, max_length=20)]
    concealment: Annotated[LineText, Field(max_length=CONCEALMENT_LIMIT)] = ""
    declaration: Annotated[str, Field(pattern=r"^[A-Z0-9-]{1,40}$")] | None = None
    alert: Annotated[str, Field(pattern=ALERT_PATTERN)] | None = None
    shareable: bool = False

    def to_domain(self) -> SeizureDraft:
        return SeizureDraft(self.goods, self.hs_code, self.quantity, self.unit,
                            self.concealment, self.declaration, self.alert, self.shareable)


class SeizureRead(BaseModel):
    id: str
    country: str
    goods: str
    hs_code: str
    quantity: Decimal
    unit: str
    concealment: str
    declaration: str | None
    alert: str | None
    operation: str | None
    shareable: bool
    seized_at: datetime
    recorded_here: bool
    recorded_by: str | None
    shared_at: datetime | None
    received_at: datetime | None

    @classmethod
    def of(cls, view: SeizureView) -> SeizureRead:
        s = view.seizure
        return cls(id=s.id, country=s.country, goods=s.goods, hs_code=s.hs_code,
                   quantity=s.quantity, unit=s.unit, concealment=s.concealment,
                   declaration=s.declaration, alert=s.alert, operation=s.operation,
                   shareable=s.shareable, seized_at=s.seized_at,
                   recorded_here=view.recorded_here, recorded_by=view.recorded_by,
                   shared_at=view.shared_at, received_at=view.received_at)


class OperationCreate(_Strict):
    code: OperationCode
    name: Title
    members: Annotated[list[CountryCode], Field(min_length=1, max_length=MAX_MEMBERS)] = Field(
        description="The member countries (this node, the coordinator, is one in any case)")
    starts_on: date
    ends_on: date


class OperationRead(BaseModel):
    code: str
    name: str
    coordinator: str
    members: list[str]
    starts_on: date
    ends_on: date

    @classmethod
    def of(cls, operation: JointOperation) -> OperationRead:
        return cls(code=operation.code, name=operation.name, coordinator=operation.coordinator,
                   members=sorted(operation.members), starts_on=operation.starts_on,
                   ends_on=operation.ends_on)


class BoardRead(BaseModel):
    operation: OperationRead
    alerts: list[AlertRead]
    hits: list[HitRead]
    seizures: list[SeizureRead]

    @classmethod
    def of(cls, board: Board) -> BoardRead:
        return cls(operation=OperationRead.of(board.operation),
                   alerts=[AlertRead.of(a) for a in board.alerts],
                   hits=[HitRead.of(h) for h in board.hits],
                   seizures=[SeizureRead.of(s) for s in board.seizures])
