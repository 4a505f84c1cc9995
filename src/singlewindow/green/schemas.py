"""API shapes of the green room: the consent an authority records, the rule an administrator
sets, and what readers get back (a consent with its uses, a rule, the node's figures).

Pydantic bounds every field (lengths, patterns, ranges); the model checks meaning (a Basel
entry under consent, a waste subheading, dates in order), so one answer lists every problem."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from singlewindow.core.errors import Problem
from singlewindow.core.fields import FreeText, LineText, decimal_string
from singlewindow.declarations.schemas import DeclarationCreate
from singlewindow.green.model import KG, Consent, CountryRule, Direction, RuleKind
from singlewindow.green.services import ConsentView, Figures, RuleView, ShipmentView, UseView


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


REFERENCE_PATTERN = r"^[A-Z]{2}-[0-9A-Z][0-9A-Z/-]{0,30}$"
RULE_PATTERN = r"^[a-z0-9][a-z0-9-]{0,39}$"
BASEL_PATTERN = r"^(A[0-9]{4}|B[0-9]{4}|Y[0-9]{1,2})$"

Reference = Annotated[str, Field(pattern=REFERENCE_PATTERN, max_length=33,
                                 description="Notification reference, e.g. VN-2026-0042")]
BaselCode = Annotated[str, Field(pattern=BASEL_PATTERN,
                                 description="Basel entry: A3210, Y48, A1181, Y49, …")]
PartyId = Annotated[LineText, Field(min_length=1, max_length=35)]
Name = Annotated[LineText, Field(max_length=200)]
Kilograms = Annotated[Decimal, Field(gt=0, max_digits=15, decimal_places=3),
                      decimal_string(12, 3, signed=False)]
Share = Annotated[Decimal, Field(ge=0, lt=1, max_digits=7, decimal_places=6),
                  decimal_string(1, 6, signed=False)]


class ConsentCreate(_Strict):
    """A consent this country's competent authority gave to a notified transboundary
    movement of waste (Basel Convention, Art. 6)."""

    reference: Reference
    importing_country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
    exporter: PartyId = Field(description="The exporter's party id, as declarations name it")
    exporter_name: Name = ""
    importer: PartyId
    importer_name: Name = ""
    basel_code: BaselCode
    hs_code: Annotated[str, Field(pattern=r"^[0-9]{6}$", description="HS 2022 subheading")]
    quantity: Kilograms = Field(description="kg consented, over every shipment")
    valid_from: date
    valid_to: date

    def to_domain(self) -> Consent:
        return Consent(
            reference=self.reference, importing_country=self.importing_country,
            exporter=self.exporter, importer=self.importer, basel_code=self.basel_code,
            hs_code=self.hs_code, quantity=self.quantity, valid_from=self.valid_from,
            valid_to=self.valid_to, exporter_name=self.exporter_name,
            importer_name=self.importer_name,
        )


class RevocationCreate(_Strict):
    reason: Annotated[FreeText, Field(min_length=1, max_length=500)]


class UseRead(BaseModel):
    declaration: str
    item: int
    kg: Decimal
    taken_at: datetime
    returned_at: datetime | None

    @classmethod
    def of(cls, use: UseView) -> UseRead:
        return cls(declaration=use.declaration, item=use.item, kg=use.kg.quantize(KG),
                   taken_at=use.taken_at, returned_at=use.returned_at)


class ConsentRead(BaseModel):
    reference: str
    importing_country: str
    exporter: str
    exporter_name: str
    importer: str
    importer_name: str
    basel_code: str
    hs_code: str
    quantity: Decimal
    used: Decimal
    remaining: Decimal
    valid_from: date
    valid_to: date
    revoked: bool
    revoked_reason: str | None
    recorded_by: str
    recorded_at: datetime
    uses: list[UseRead] | None = Field(None, description="Shipment by shipment (one consent)")

    @classmethod
    def of(cls, view: ConsentView, with_uses: bool = False) -> ConsentRead:
        c = view.consent
        return cls(
            reference=c.reference, importing_country=c.importing_country, exporter=c.exporter,
            exporter_name=c.exporter_name, importer=c.importer, importer_name=c.importer_name,
            basel_code=c.basel_code, hs_code=c.hs_code, quantity=c.quantity.quantize(KG),
            used=c.used.quantize(KG), remaining=c.remaining.quantize(KG),
            valid_from=c.valid_from, valid_to=c.valid_to,
            revoked=c.revoked, revoked_reason=view.revoked_reason,
            recorded_by=view.recorded_by, recorded_at=view.recorded_at,
            uses=[UseRead.of(u) for u in view.uses] if with_uses else None,
        )


class RuleCreate(_Strict):
    """A dated rule of this country on waste: an outright ban of what it matches, or a
    minimum standard (the maximum contamination share). Omitted criteria match all."""

    id: Annotated[str, Field(pattern=RULE_PATTERN)]
    kind: RuleKind
    direction: Direction = Direction.IMPORT
    basel_code: BaselCode | None = None
    hs_prefix: Annotated[str, Field(pattern=r"^[0-9]{2,8}$")] | None = None
    origin: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] | None = None
    max_share: Share | None = Field(None, description="For max_contamination: 0.005 is 0.5 %")
    valid_from: date
    valid_to: date | None = None
    note: Annotated[FreeText, Field(max_length=500)] = ""

    def to_domain(self) -> CountryRule:
        return CountryRule(
            id=self.id, kind=self.kind, direction=self.direction, basel_code=self.basel_code,
            hs_prefix=self.hs_prefix, origin=self.origin, max_share=self.max_share,
            valid_from=self.valid_from, valid_to=self.valid_to, note=self.note,
        )


class RuleEnd(_Strict):
    last_day: date = Field(description="The last day the rule applies")


class RuleRead(BaseModel):
    id: str
    kind: RuleKind
    direction: Direction
    basel_code: str | None
    hs_prefix: str | None
    origin: str | None
    max_share: Decimal | None
    valid_from: date
    valid_to: date | None
    note: str
    sample: bool = Field(description="Set by the packaged sample data, not the country's law")
    recorded_by: str
    recorded_at: datetime

    @classmethod
    def of(cls, view: RuleView) -> RuleRead:
        r = view.rule
        return cls(id=r.id, kind=r.kind, direction=r.direction, basel_code=r.basel_code,
                   hs_prefix=r.hs_prefix, origin=r.origin, max_share=r.max_share,
                   valid_from=r.valid_from, valid_to=r.valid_to, note=r.note, sample=r.sample,
                   recorded_by=view.recorded_by, recorded_at=view.recorded_at)


class CheckRequest(DeclarationCreate):
    """A declaration to check against this node's Basel checks, storing nothing."""


class ProblemRead(BaseModel):
    path: str
    message: str

    @classmethod
    def of(cls, problem: Problem) -> ProblemRead:
        return cls(path=problem.path, message=problem.message)


class CheckRead(BaseModel):
    passes: bool
    problems: list[ProblemRead]


class FiguresRead(BaseModel):
    waste_stopped: int = Field(description="Waste shipments this node refused at lodgement")
    waste_passed: int = Field(description="Waste declarations lodged here")

    @classmethod
    def of(cls, figures: Figures) -> FiguresRead:
        return cls(waste_stopped=figures.stopped, waste_passed=figures.passed)


class ShipmentRead(BaseModel):
    outcome: str = Field(description="stopped, or passed")
    declaration: str | None = Field(description="The number of a shipment that passed")
    lrn: str
    declarant: str
    problems: list[ProblemRead] = Field(description="Why it was stopped")
    at: datetime

    @classmethod
    def of(cls, view: ShipmentView) -> ShipmentRead:
        return cls(outcome=view.outcome, declaration=view.declaration, lrn=view.lrn,
                   declarant=view.declarant, at=view.at,
                   problems=[ProblemRead.of(p) for p in view.problems])
