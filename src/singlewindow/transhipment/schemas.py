"""API shapes of the transhipment room: an arrival and a departure as an officer records them
at a hub, a laundering-hub listing as an administrator sets it, and a consignment with its
legs as readers get it. Pydantic bounds every field; the model checks meaning (the node's
hubs, the origin kept, what arrived), so one answer lists every problem."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from singlewindow.core.fields import FreeText, LineText, decimal_string
from singlewindow.transhipment.model import (
    MAX_ITEMS,
    NAME_LIMIT,
    TEXT_LIMIT,
    Arrival,
    ArrivedGoods,
    DepartingGoods,
    Departure,
    LaunderingHub,
    Leg,
    TransportDocument,
)
from singlewindow.transhipment.services import Consignment

LOCODE_PATTERN = r"^[A-Z]{2}[A-Z2-9]{3}$"
DOCUMENT_PATTERN = r"^[A-Z0-9][A-Z0-9-]{3,34}$"
HS_PATTERN = r"^[0-9]{6}([0-9]{2})?$"
PREFIX_PATTERN = r"^[0-9]{2}([0-9]{2}){0,3}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


Port = Annotated[str, Field(pattern=LOCODE_PATTERN, description="UN/LOCODE, e.g. SGSIN")]
DocumentNumber = Annotated[str, Field(pattern=DOCUMENT_PATTERN, max_length=35,
                                      description="Bill of lading or air waybill number")]
Code = Annotated[str, Field(pattern=HS_PATTERN, description="HS subheading (6) or line (8)")]
Country = Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")]
Name = Annotated[LineText, Field(min_length=1, max_length=NAME_LIMIT)]
Quantity = Annotated[Decimal, Field(gt=0, max_digits=16, decimal_places=3),
                     decimal_string(13, 3, signed=False)]
Unit = Annotated[LineText, Field(min_length=1, max_length=8)]
Packages = Annotated[int, Field(ge=1, le=1_000_000)]
Sequence = Annotated[int, Field(ge=1, le=999)]


class ArrivedGoodsIn(_Strict):
    sequence: Sequence
    commodity_code: Code
    description: Name
    quantity: Quantity
    quantity_unit: Unit
    origin_country: Country | None = Field(
        None, description="The origin the earlier leg recorded (the arrival's documents); "
                          "taken from the ACDD when one is cited")
    packages: Packages | None = None


class AcddIn(_Strict):
    export_country: Country
    number: Annotated[LineText, Field(min_length=1, max_length=40)]


class ArrivalCreate(_Strict):
    """A consignment unloaded at one of this node's hub ports."""

    port: Port
    document_type: TransportDocument
    transport_document: DocumentNumber
    from_port: Port
    carrier: Name
    arrived_on: date
    goods: Annotated[list[ArrivedGoodsIn], Field(min_length=1, max_length=MAX_ITEMS)]
    acdd: AcddIn | None = Field(None, description="The ACDD of the earlier leg, if one came")

    def to_domain(self) -> Arrival:
        return Arrival(
            self.port, self.document_type, self.transport_document, self.from_port,
            self.carrier, self.arrived_on,
            tuple(ArrivedGoods(g.sequence, g.commodity_code, g.description, g.quantity,
                               g.quantity_unit, g.origin_country or "", g.packages)
                  for g in self.goods),
            self.acdd.export_country if self.acdd else None,
            self.acdd.number if self.acdd else None)


class DepartingGoodsIn(_Strict):
    sequence: Sequence
    commodity_code: Code
    description: Name
    quantity: Quantity
    quantity_unit: Unit
    packages: Packages | None = None
    origin_country: Country | None = Field(
        None, description="If the departure's documents state one: it must be the arrival's")


class DepartureCreate(_Strict):
    """The next leg of a consignment that arrived at the hub on `arrival_document`."""

    port: Port
    arrival_document: DocumentNumber
    document_type: TransportDocument
    transport_document: DocumentNumber
    to_port: Port
    carrier: Name
    departed_on: date
    goods: Annotated[list[DepartingGoodsIn], Field(min_length=1, max_length=MAX_ITEMS)]

    def to_domain(self) -> Departure:
        return Departure(
            self.port, self.arrival_document, self.document_type, self.transport_document,
            self.to_port, self.carrier, self.departed_on,
            tuple(DepartingGoods(g.sequence, g.commodity_code, g.description, g.quantity,
                                 g.quantity_unit, g.packages, g.origin_country)
                  for g in self.goods))


class LegGoodsRead(BaseModel):
    commodity_code: str
    description: str
    quantity: Decimal
    quantity_unit: str
    origin_country: str


class LegRead(BaseModel):
    sequence: int
    document_type: str
    transport_document: str
    loading_port: str
    unloading_port: str
    carrier: str
    on: date
    goods: list[LegGoodsRead]

    @classmethod
    def of(cls, leg: Leg) -> LegRead:
        return cls(sequence=leg.sequence, document_type=leg.document_type,
                   transport_document=leg.transport_document, loading_port=leg.loading_port,
                   unloading_port=leg.unloading_port, carrier=leg.carrier, on=leg.on,
                   goods=[LegGoodsRead(commodity_code=g.commodity_code,
                                       description=g.description, quantity=g.quantity,
                                       quantity_unit=g.quantity_unit,
                                       origin_country=g.origin_country) for g in leg.goods])


class RemainingRead(BaseModel):
    subheading: str
    quantity_unit: str
    quantity: Decimal


class ConsignmentRead(BaseModel):
    port: str
    arrival_document: str
    departures: list[str]
    legs: list[LegRead]
    not_yet_left: list[RemainingRead]
    recorded_by: str
    recorded_at: datetime

    @classmethod
    def of(cls, c: Consignment) -> ConsignmentRead:
        return cls(port=c.arrival.port, arrival_document=c.arrival.transport_document,
                   departures=[d.transport_document for d in c.departures],
                   legs=[LegRead.of(leg) for leg in c.legs],
                   not_yet_left=[RemainingRead(subheading=s, quantity_unit=u, quantity=q)
                                 for (s, u), q in sorted(c.left.items()) if q > 0],
                   recorded_by=c.recorded_by, recorded_at=c.recorded_at)


class DeclarationLegsRead(BaseModel):
    declaration: str
    source: str
    legs: list[LegRead]


class ListingCreate(_Strict):
    """A hub known for origin laundering of the goods of an HS prefix, from a day."""

    port: Port
    hs_prefix: Annotated[str, Field(pattern=PREFIX_PATTERN,
                                    description="HS chapter, heading, subheading or line")]
    listed_from: date
    listed_until: date | None = None
    note: Annotated[FreeText, Field(max_length=TEXT_LIMIT)] = ""

    def to_domain(self) -> LaunderingHub:
        return LaunderingHub(self.port, self.hs_prefix, self.listed_from, self.listed_until,
                             self.note)


class ListingEnd(_Strict):
    listed_until: date


class ListingRead(BaseModel):
    id: int
    port: str
    hs_prefix: str
    listed_from: date
    listed_until: date | None
    note: str
    sample: bool
    recorded_by: str

    @classmethod
    def of(cls, listing: LaunderingHub) -> ListingRead:
        assert listing.id is not None
        return cls(id=listing.id, port=listing.port, hs_prefix=listing.hs_prefix,
                   listed_from=listing.listed_from, listed_until=listing.listed_until,
                   note=listing.note, sample=listing.sample, recorded_by=listing.recorded_by)
