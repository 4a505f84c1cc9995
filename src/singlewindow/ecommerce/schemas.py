"""API shapes of the e-commerce room. A manifest itself is no schema: its body is read as a
stream of lines (JSON lines or CSV) and each line checked by `model.check_parcel`, so that a
bad line rejects that parcel, with its number, and not the request."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from singlewindow.core.fields import FreeText, LineText, decimal_string
from singlewindow.ecommerce.model import Consolidation, Decision, DeMinimis, RejectedLine
from singlewindow.ecommerce.services import ManifestView, ParcelView

Threshold = Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=4),
                      decimal_string(12, 4, signed=False)]
Percent = Annotated[Decimal, Field(ge=0, le=100, max_digits=7, decimal_places=4),
                    decimal_string(3, 4, signed=False)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DueRead(BaseModel):
    """Duties and VAT for one payment, in national currency: of released parcels (`duty`,
    `vat`, `total`) and of parcels still held (`held_*`: due once released)."""

    currency: str
    parcels: int
    by_status: dict[str, int]
    duty: Decimal
    vat: Decimal
    total: Decimal
    held_duty: Decimal
    held_vat: Decimal

    @classmethod
    def of(cls, due: Consolidation) -> DueRead:
        return cls(currency=due.currency, parcels=due.parcels, by_status=due.by_status,
                   duty=due.duty, vat=due.vat, total=due.total, held_duty=due.held_duty,
                   held_vat=due.held_vat)


class ProblemRead(BaseModel):
    path: str
    message: str


class RejectedLineRead(BaseModel):
    line: int
    order_reference: str | None
    errors: list[ProblemRead]

    @classmethod
    def of(cls, rejected: RejectedLine | dict[str, Any]) -> RejectedLineRead:
        data = rejected.as_dict() if isinstance(rejected, RejectedLine) else rejected
        return cls.model_validate(data)


class ManifestRead(BaseModel):
    id: str
    platform: str
    submitted_by: str
    submitted_at: datetime
    format: str
    lines: int
    parcels: int
    counts: dict[str, int]
    rejected: list[RejectedLineRead]
    codes_checked: bool
    due: DueRead

    @classmethod
    def of(cls, view: ManifestView) -> ManifestRead:
        return cls(id=view.id, platform=view.platform, submitted_by=view.submitted_by,
                   submitted_at=view.submitted_at, format=view.format, lines=view.lines,
                   parcels=view.parcels, counts=view.counts,
                   rejected=[RejectedLineRead.of(r) for r in view.rejected],
                   codes_checked=view.codes_checked, due=DueRead.of(view.due))


class ParcelRead(BaseModel):
    """A parcel's result. `reasons`, `rule_ids` and `random` are customs' own: null for the
    platform, which gets the verdict and the documents needed."""

    id: str
    manifest_id: str
    line: int
    platform: str
    order_reference: str
    seller: str
    buyer: str
    description: str
    code: str | None
    courier: str | None
    quantity: int
    value: Decimal
    currency: str
    origin: str
    transport_document: str
    status: str
    documents: list[str]
    value_national: Decimal
    duty: Decimal
    vat: Decimal
    national_currency: str
    basis: str
    notes: list[str]
    split_with: list[str]
    declared_at: datetime
    decision: str | None
    decided_at: datetime | None
    reasons: list[str] | None
    rule_ids: list[str] | None
    random: bool | None
    decision_note: str | None
    decided_by: str | None

    @classmethod
    def of(cls, view: ParcelView) -> ParcelRead:
        data = {name: getattr(view, name) for name in cls.model_fields}
        data["status"] = view.status.value
        return cls.model_validate(data)


class DecisionCreate(_Strict):
    decision: Decision
    note: Annotated[FreeText, Field(max_length=500)] = ""


class DeMinimisCreate(_Strict):
    """The country's thresholds from `valid_from`, in national currency: duty is due above
    `duty_threshold`, VAT above `vat_threshold`; without a tariff code, duty at
    `flat_duty_percent` and VAT at `standard_vat_percent`."""

    currency: Annotated[LineText, Field(min_length=3, max_length=3)]
    duty_threshold: Threshold
    vat_threshold: Threshold
    flat_duty_percent: Percent
    standard_vat_percent: Percent
    valid_from: date
    valid_to: date | None = None

    def rule(self, country: str) -> DeMinimis:
        return DeMinimis(country, self.currency, self.duty_threshold, self.vat_threshold,
                         self.flat_duty_percent, self.standard_vat_percent, self.valid_from,
                         self.valid_to)


class DeMinimisRead(BaseModel):
    country: str
    currency: str
    duty_threshold: Decimal
    vat_threshold: Decimal
    flat_duty_percent: Decimal
    standard_vat_percent: Decimal
    valid_from: date
    valid_to: date | None
    sample: bool
    set_by: str
    in_force: bool

    @classmethod
    def of(cls, rule: DeMinimis, today: date) -> DeMinimisRead:
        return cls(country=rule.country, currency=rule.currency,
                   duty_threshold=rule.duty_threshold, vat_threshold=rule.vat_threshold,
                   flat_duty_percent=rule.flat_duty_percent,
                   standard_vat_percent=rule.standard_vat_percent, valid_from=rule.valid_from,
                   valid_to=rule.valid_to, sample=rule.sample, set_by=rule.set_by,
                   in_force=rule.in_force(today))
