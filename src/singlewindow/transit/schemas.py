"""API shapes of transit: the transit declaration (IE015) a holder lodges, the movement and
guarantee as readers get them, and what officers record at their offices.

Pydantic bounds every field (lengths, ranges, decimals); the domain checks meaning (offices,
routing, seals, masses), so that one answer lists every problem of a declaration."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from singlewindow.core.fields import FreeText, LineText, decimal_string
from singlewindow.transit.model import (
    USUAL_TIME_LIMIT,
    Equipment,
    Itinerary,
    Office,
    TransitDeclaration,
    TransitGoodsItem,
    TransitStatus,
)
from singlewindow.transit.services import GuaranteeView, MovementEvent, MovementView


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


OfficeCode = Annotated[str, Field(pattern=r"^[A-Z]{2}[A-Z0-9]{3,6}$",
                                  description="Customs office reference number (5 to 8 characters, "
                                              "its country first), e.g. THNKI01")]
CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")]
PartyId = Annotated[LineText, Field(min_length=1, max_length=35)]
GuaranteeReference = Annotated[LineText, Field(min_length=1, max_length=24)]
AccessCode = Annotated[str, Field(pattern=r"^[0-9]{4}$", description="4 digits")]
# Masses in kg and values in the guarantee's currency: below 10^14 with 4 decimals.
Quantity = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=4),
                     decimal_string(14, 4, signed=False)]
Remark = Annotated[FreeText, Field(max_length=500)]


class EquipmentIn(_Strict):
    number: Annotated[LineText, Field(min_length=1, max_length=17,
                                      description="Container or vehicle identifier")]
    seals: list[Annotated[LineText, Field(min_length=1, max_length=35)]] = Field(
        default_factory=list, max_length=99)
    sealed: bool = True


class TransitItemIn(_Strict):
    commodity_code: Annotated[str, Field(pattern=r"^[0-9.]{1,10}$",
                                         description="6 to 8 digits, dots allowed")]
    description: Annotated[LineText, Field(min_length=1, max_length=512)]
    packages: Annotated[int, Field(ge=0, le=99_999_999)]
    gross_mass: Quantity
    net_mass: Quantity
    value: Quantity


class TransitDeclarationCreate(_Strict):
    """A transit declaration (IE015), lodged by its holder of the procedure."""

    lrn: Annotated[LineText, Field(min_length=1, max_length=22,
                                   description="The holder's local reference number")]
    holder: PartyId
    guarantee: GuaranteeReference
    access_code: AccessCode
    departure_office: OfficeCode
    transit_offices: list[OfficeCode] = Field(default_factory=list, max_length=9)
    destination_office: OfficeCode
    routing: list[CountryCode] = Field(min_length=2, max_length=11,
                                       description="Countries of routing, in order, departure's "
                                                   "first and destination's last")
    transport: Annotated[LineText, Field(min_length=1, max_length=35,
                                         description="Means of transport (registration)")]
    equipment: list[EquipmentIn] = Field(default_factory=list, max_length=99)
    items: list[TransitItemIn] = Field(min_length=1, max_length=999)
    time_limit: AwareDatetime | None = Field(
        default=None, description="Instant by which the goods are presented at destination "
                                  "(with its offset); by default the office of departure "
                                  "gives 8 days")

    def to_domain(self, now: datetime) -> TransitDeclaration:
        itinerary = Itinerary(
            _office(self.departure_office),
            tuple(_office(code) for code in self.transit_offices),
            _office(self.destination_office),
            tuple(self.routing),
        )
        return TransitDeclaration(
            lrn=self.lrn, holder=self.holder, guarantee=self.guarantee,
            access_code=self.access_code, itinerary=itinerary, transport=self.transport,
            equipment=tuple(Equipment(e.number, tuple(e.seals), e.sealed)
                            for e in self.equipment),
            items=tuple(TransitGoodsItem(n, i.commodity_code.replace(".", ""), i.description,
                                         i.packages, i.gross_mass, i.net_mass, i.value)
                        for n, i in enumerate(self.items, start=1)),
            time_limit=(self.time_limit.astimezone(UTC) if self.time_limit is not None
                        else now + USUAL_TIME_LIMIT),
        )


def _office(code: str) -> Office:
    return Office(code, code[:2])


class OfficeRecord(_Strict):
    office: OfficeCode


class ControlResultsCreate(_Strict):
    """Unloading remarks and control results at the office of destination (IE018)."""

    seals_intact: bool
    discrepancies: list[Annotated[FreeText, Field(min_length=1, max_length=500)]] = Field(
        default_factory=list, max_length=100)
    remarks: Remark = ""


class SolutionCreate(_Strict):
    recovered: bool = Field(description="true: the duties are recovered; false: written off")
    note: Annotated[FreeText, Field(min_length=1, max_length=500)]


class GuaranteeCreate(_Strict):
    reference: GuaranteeReference
    holder: PartyId
    amount: Annotated[Decimal, Field(gt=0, max_digits=19, decimal_places=4),
                      decimal_string(15, 4, signed=False)]
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    valid_from: date
    valid_to: date
    access_code: AccessCode


class RevocationCreate(_Strict):
    on: date


class GuaranteeRead(BaseModel):
    reference: str
    holder: str
    currency: str
    amount: Decimal
    reserved: Decimal
    balance: Decimal
    valid_from: date
    valid_to: date
    revoked_on: date | None
    blocked: bool = Field(description="Blocked after repeated wrong access codes")

    @classmethod
    def of(cls, view: GuaranteeView) -> GuaranteeRead:
        return cls(reference=view.reference, holder=view.holder, currency=view.currency,
                   amount=view.amount, reserved=view.reserved, balance=view.balance,
                   valid_from=view.valid_from, valid_to=view.valid_to,
                   revoked_on=view.revoked_on, blocked=view.blocked)


class MovementRead(BaseModel):
    """A movement as this node holds it, in its role here (departure, transit, destination).
    `control` (selectivity's decision and reasons) is shown to officers only."""

    mrn: str
    role: str
    lrn: str
    holder: str
    status: TransitStatus
    departure_office: str
    transit_offices: list[str]
    destination_office: str
    routing: list[str]
    time_limit: datetime
    reserved: Decimal
    currency: str
    guarantee: str
    duties: dict[str, str]
    control: dict[str, Any] | None
    reasons: list[str]
    lodged_at: datetime
    released_at: datetime | None
    crossings: list[dict[str, Any]]
    arrival: dict[str, Any] | None
    control_results: dict[str, Any] | None
    solution: dict[str, Any] | None

    @classmethod
    def of(cls, view: MovementView) -> MovementRead:
        itinerary = view.itinerary
        return cls(
            mrn=view.mrn, role=view.role, lrn=view.lrn, holder=view.holder, status=view.status,
            departure_office=itinerary.departure.code,
            transit_offices=[o.code for o in itinerary.transit],
            destination_office=itinerary.destination.code, routing=list(itinerary.routing),
            time_limit=view.time_limit, reserved=view.reserved, currency=view.currency,
            guarantee=view.guarantee, duties=view.duties, control=view.control,
            reasons=list(view.reasons), lodged_at=view.lodged_at, released_at=view.released_at,
            crossings=list(view.crossings), arrival=view.arrival,
            control_results=view.control_results, solution=view.solution,
        )


class MovementEventRead(BaseModel):
    at: datetime
    what: str
    by: str
    detail: dict[str, Any]

    @classmethod
    def of(cls, event: MovementEvent) -> MovementEventRead:
        return cls(at=event.at, what=event.what, by=event.by, detail=event.detail)
