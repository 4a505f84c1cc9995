"""API shapes of declarations. Pydantic checks types; the domain checks meaning, so the same
rules hold for the API, the command line and the batch path."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from singlewindow.declarations.assessment import explained
from singlewindow.declarations.model import (
    Declaration,
    DeclarationType,
    GoodsItem,
    Party,
    Status,
    SupportingDocument,
)
from singlewindow.declarations.repository import to_document
from singlewindow.declarations.services import DeclarationView, Event
from singlewindow.risk.model import Channel, InspectionOutcome


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PartyBase(_Strict):
    id: str = Field(description="Identifier of the party (TIN, EORI-like)")
    name: str
    country: str | None = Field(default=None, description="ISO 3166-1 alpha-2")


class DocumentBase(_Strict):
    code: str = Field(description="Document code, e.g. N380 commercial invoice")
    reference: str


class GoodsItemBase(_Strict):
    sequence: int | None = Field(default=None, description="Item number; defaults to position")
    commodity_code: str = Field(description="8-digit national tariff line (AHTN 2022)")
    description: str
    origin_country: str = Field(description="ISO 3166-1 alpha-2")
    quantity: Decimal
    quantity_unit: str = Field(description="kg, l, u, pair, m2, …")
    net_mass: Decimal = Field(description="kg")
    gross_mass: Decimal = Field(description="kg")
    invoice_amount: Decimal = Field(description="In the invoice currency")


class DeclarationCreate(_Strict):
    type: DeclarationType
    lrn: str = Field(description="Local reference number given by the declarant")
    declarant: PartyBase
    importer: PartyBase | None = None
    exporter: PartyBase | None = None
    seller: PartyBase | None = None
    buyer: PartyBase | None = None
    office: str = Field(description="Customs office of declaration")
    export_country: str
    destination_country: str
    transport_mode: str = Field(description="UN/ECE Rec. 19 mode of transport at the border")
    incoterm: str = Field(description="Incoterms 2020")
    invoice_currency: str = Field(description="ISO 4217")
    exchange_rate: Decimal = Field(description="National currency per unit of invoice currency")
    freight: Decimal = Decimal(0)
    insurance: Decimal = Decimal(0)
    preference: str | None = Field(default=None, description="ATIGA when claimed")
    proof_of_origin: str | None = Field(default=None, description="e-Form D reference")
    export_reference: str | None = Field(
        default=None, description="Number of the export declaration at origin (ACDD)"
    )
    documents: list[DocumentBase] = []
    items: list[GoodsItemBase]

    def to_domain(self) -> Declaration:
        def party(p: PartyBase | None) -> Party | None:
            return None if p is None else Party(p.id, p.name, p.country)

        declarant = party(self.declarant)
        assert declarant is not None
        return Declaration(
            type=self.type,
            lrn=self.lrn,
            declarant=declarant,
            importer=party(self.importer),
            exporter=party(self.exporter),
            seller=party(self.seller),
            buyer=party(self.buyer),
            office=self.office,
            export_country=self.export_country,
            destination_country=self.destination_country,
            transport_mode=self.transport_mode,
            incoterm=self.incoterm,
            invoice_currency=self.invoice_currency,
            exchange_rate=self.exchange_rate,
            freight=self.freight,
            insurance=self.insurance,
            preference=self.preference,
            proof_of_origin=self.proof_of_origin,
            export_reference=self.export_reference,
            documents=tuple(SupportingDocument(d.code, d.reference) for d in self.documents),
            items=tuple(
                GoodsItem(
                    sequence=i.sequence if i.sequence is not None else n,
                    commodity_code=i.commodity_code,
                    description=i.description,
                    origin_country=i.origin_country,
                    quantity=i.quantity,
                    quantity_unit=i.quantity_unit,
                    net_mass=i.net_mass,
                    gross_mass=i.gross_mass,
                    invoice_amount=i.invoice_amount,
                )
                for n, i in enumerate(self.items, start=1)
            ),
        )


class DeclarationUpdate(DeclarationCreate):
    expected_version: int = Field(description="The version being amended (optimistic lock)")


class SettlementRead(BaseModel):
    currency: str
    assessed: Decimal
    paid: Decimal
    secured: Decimal
    outstanding: Decimal


class DeclarationRead(BaseModel):
    number: str
    lrn: str
    type: DeclarationType
    status: Status
    version: int
    channel: Channel | None
    reasons: list[str]
    assessment: dict[str, Any]
    settlement: SettlementRead
    declaration: dict[str, Any]
    lodged_at: datetime
    updated_at: datetime
    released_at: datetime | None

    @classmethod
    def of(cls, view: DeclarationView) -> DeclarationRead:
        s = view.settlement
        return cls(
            number=view.number,
            lrn=view.declaration.lrn,
            type=view.declaration.type,
            status=view.status,
            version=view.version,
            channel=view.channel,
            reasons=list(view.selection.get("reasons", [])),
            assessment=explained(view.assessment),
            settlement=SettlementRead(
                currency=s.currency,
                assessed=s.assessed,
                paid=s.paid,
                secured=s.secured,
                outstanding=s.outstanding,
            ),
            declaration=to_document(view.declaration),
            lodged_at=view.lodged_at,
            updated_at=view.updated_at,
            released_at=view.released_at,
        )


class DeclarationSummary(BaseModel):
    number: str
    lrn: str
    type: DeclarationType
    status: Status
    channel: Channel | None
    office: str
    trader: str | None
    duties: Decimal
    outstanding: Decimal
    lodged_at: datetime

    @classmethod
    def of(cls, view: DeclarationView) -> DeclarationSummary:
        trader = view.declaration.trader
        return cls(
            number=view.number,
            lrn=view.declaration.lrn,
            type=view.declaration.type,
            status=view.status,
            channel=view.channel,
            office=view.declaration.office,
            trader=trader.id if trader else None,
            duties=view.settlement.assessed,
            outstanding=view.settlement.outstanding,
            lodged_at=view.lodged_at,
        )


class EventRead(BaseModel):
    at: datetime
    actor: str
    kind: str
    detail: dict[str, Any]

    @classmethod
    def of(cls, event: Event) -> EventRead:
        return cls(at=event.at, actor=event.actor, kind=event.kind, detail=event.detail)


class VersionRead(BaseModel):
    version: int
    recorded_at: datetime
    declaration: dict[str, Any]


class PaymentCreate(_Strict):
    amount: Decimal
    bank_reference: str


class GuaranteeUse(_Strict):
    guarantee: str = Field(description="Reference of the guarantee that secures the duties")


class GuaranteeCreate(_Strict):
    reference: str
    holder_id: str
    amount: Decimal


class InspectionCreate(_Strict):
    outcome: InspectionOutcome
    findings: str = ""
    corrected: DeclarationCreate | None = Field(
        default=None, description="The corrected declaration, with a discrepancy"
    )


class CancellationCreate(_Strict):
    reason: str


class PreArrivalRead(BaseModel):
    export_reference: str
    export_country: str
    consignee_id: str
    channel: Channel
    reasons: list[str]
    received_at: datetime
    import_number: str | None
    message_id: str
    acdd: dict[str, Any] = Field(description="The ACDD as received (WCO Data Model names)")

    @classmethod
    def of(cls, row: Any) -> PreArrivalRead:
        return cls(
            export_reference=row.export_reference,
            export_country=row.export_country,
            consignee_id=row.consignee_id,
            channel=Channel(row.channel),
            reasons=row.reasons,
            received_at=row.received_at,
            import_number=row.import_number,
            message_id=row.message_id,
            acdd=row.data,
        )
