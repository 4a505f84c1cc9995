"""API shapes of declarations. Pydantic checks types; the domain checks meaning, so the same
rules hold for the API, the command line and the batch path."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from singlewindow.access.model import Principal, Role
from singlewindow.core.fields import FreeText, LineText, decimal_string
from singlewindow.core.money import round_to_minor_unit
from singlewindow.declarations.assessment import explained
from singlewindow.declarations.attachments import AttachmentKind
from singlewindow.declarations.lifecycle import RepresentationKind
from singlewindow.declarations.model import (
    Declaration,
    DeclarationType,
    GoodsItem,
    Party,
    PreferenceClaim,
    Seizure,
    Status,
    SupportingDocument,
)
from singlewindow.declarations.repository import to_document
from singlewindow.declarations.representation import RegisteredRepresentation
from singlewindow.declarations.services import DeclarationView, PaymentNotice
from singlewindow.declarations.services import EventLogEntry as Event
from singlewindow.declarations.settlement import Guarantee, Refund
from singlewindow.declarations.views import AttachmentView
from singlewindow.risk.model import Channel, InspectionOutcome
from singlewindow.tariff.measures import CODE_PATTERN, ID_PATTERN


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# Bounds a real declaration needs (WCO Data Model lengths where it has them): texts by
# length, amounts and masses by magnitude and decimals, so nothing unbounded is stored. What
# a value means (a known code, a positive mass) the domain checks, so that one answer lists
# every problem of a declaration.
PartyId = Annotated[LineText, Field(max_length=35)]
Name = Annotated[LineText, Field(max_length=140)]
Code = Annotated[LineText, Field(max_length=8)]
CountryCode = Annotated[Code, Field(description="ISO 3166-1 alpha-2")]
Reference = Annotated[LineText, Field(max_length=35)]
# An agreement's id (AANZFTA), and a tariff document type (IMPORT-LICENCE) or additional code
# (C001), as a measure file writes them.
TariffId = Annotated[str, Field(pattern=ID_PATTERN)]
TariffCode = Annotated[str, Field(pattern=CODE_PATTERN)]
Reason = Annotated[FreeText, Field(max_length=500)]
# Below 10^12 with 4 decimals (masses in kg, quantities, amounts in an invoice currency).
Quantity = Annotated[
    Decimal, Field(max_digits=16, decimal_places=4), decimal_string(12, 4)
]
Amount = Quantity
# A payment or guarantee in national currency: up to 10^14, to the minor unit.
NationalAmount = Annotated[
    Decimal, Field(gt=0, max_digits=18, decimal_places=4), decimal_string(14, 4, signed=False)
]
Rate = Annotated[Decimal, Field(max_digits=18, decimal_places=8), decimal_string(10, 8)]


class PartyBase(_Strict):
    id: PartyId = Field(description="Identifier of the party (TIN, EORI-like)")
    name: Name
    country: CountryCode | None = None


class DocumentBase(_Strict):
    code: TariffCode = Field(
        description="Document code: N380 commercial invoice, or a tariff document type"
        " (IMPORT-LICENCE, PERMIT, …)"
    )
    reference: Annotated[LineText, Field(max_length=70)]


class PreferenceClaimBase(_Strict):
    agreement: TariffId = Field(
        description="The agreement claimed: ATIGA, ACFTA, AKFTA, RCEP, …"
    )
    proof_type: TariffCode = Field(
        description="Type of the proof of origin (a tariff document type: E-FORM-D, FORM-E,"
        " FORM-AK, RCEP-CO, ORIGIN-DECLARATION, …)"
    )
    proof_reference: Reference = Field(description="Reference of the proof of origin")


class GoodsItemBase(_Strict):
    sequence: int | None = Field(
        default=None, ge=1, le=999, description="Item number; defaults to position"
    )
    commodity_code: Code = Field(description="8-digit national tariff line (AHTN 2022)")
    description: Annotated[FreeText, Field(max_length=512)]
    origin_country: CountryCode
    quantity: Quantity
    quantity_unit: Code = Field(description="kg, l, u, pair, m2, …")
    net_mass: Quantity = Field(description="kg")
    gross_mass: Quantity = Field(description="kg")
    invoice_amount: Amount = Field(description="In the invoice currency")
    preference: PreferenceClaimBase | None = Field(
        default=None,
        description="The item's own preference claim; without one, the declaration's claim"
        " (preference, proof_type, proof_of_origin) covers it",
    )
    documents: list[DocumentBase] = Field(
        default=[],
        max_length=20,
        description="Licences, permits and consents the item holds, by tariff document type"
        " (IMPORT-LICENCE, PERMIT, CONSENT, …)",
    )
    additional_code: TariffCode | None = Field(
        default=None, description="Additional code of the producer, where a measure names one"
    )
    basel_code: Annotated[str, Field(pattern=r"^(A[0-9]{4}|B[0-9]{4}|Y[0-9]{1,2})$")] | None = (
        Field(
            default=None,
            description="Waste: the Basel Convention entry (A3210, Y48, B3011, A1181, Y49, …)",
        )
    )
    waste_consent: Annotated[LineText, Field(min_length=1, max_length=40)] | None = Field(
        default=None,
        description="Waste: the notification reference of the importing country's prior"
        " informed consent, e.g. VN-2026-0042",
    )
    recycling_attestation: bool | Annotated[LineText, Field(min_length=1, max_length=70)] | None = (
        Field(
            default=None,
            description="Waste: the exporter's attestation that it is sorted, clean and for"
            " environmentally sound recycling (true, or the attestation's reference)",
        )
    )
    contamination_share: (
        Annotated[Decimal, Field(ge=0, le=1, max_digits=7, decimal_places=6),
                  decimal_string(1, 6, signed=False)]
        | None
    ) = Field(default=None, description="Waste: the share of contamination, 0 to 1 (0.005 is"
              " 0.5 %)")


class DeclarationCreate(_Strict):
    type: DeclarationType
    lrn: Reference = Field(description="Local reference number given by the declarant")
    declarant: PartyBase
    importer: PartyBase | None = None
    exporter: PartyBase | None = None
    seller: PartyBase | None = None
    buyer: PartyBase | None = None
    office: Code = Field(description="Customs office of declaration (the node's register)")
    export_country: CountryCode
    destination_country: CountryCode
    transport_mode: Code = Field(description="UN/ECE Rec. 19 mode of transport at the border")
    incoterm: Code = Field(description="Incoterms 2020")
    invoice_currency: Code = Field(description="ISO 4217")
    exchange_rate: Rate | None = Field(
        default=None,
        description="National currency per unit of invoice currency. Leave it out: customs"
        " fills in its published rate for the period; a different rate is refused.",
    )
    freight: Amount = Decimal(0)
    insurance: Amount = Decimal(0)
    preference: TariffId | None = Field(
        default=None,
        description="The agreement claimed for the consignment (ATIGA, ACFTA, RCEP, …)",
    )
    proof_of_origin: Reference | None = Field(
        default=None, description="Reference of the consignment's proof of origin"
    )
    proof_type: TariffCode | None = Field(
        default=None,
        description="Type of that proof (E-FORM-D, FORM-E, RCEP-CO, …); default for ATIGA:"
        " E-FORM-D",
    )
    export_reference: Annotated[LineText, Field(max_length=40)] | None = Field(
        default=None, description="Number of the export declaration at origin (ACDD)"
    )
    documents: list[DocumentBase] = Field(default=[], max_length=99)
    items: list[GoodsItemBase] = Field(max_length=999)

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
            proof_type=self.proof_type,
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
                    preference=(
                        None
                        if i.preference is None
                        else PreferenceClaim(
                            i.preference.agreement,
                            i.preference.proof_type,
                            i.preference.proof_reference,
                        )
                    ),
                    documents=tuple(SupportingDocument(d.code, d.reference) for d in i.documents),
                    additional_code=i.additional_code,
                    basel_code=i.basel_code,
                    waste_consent=i.waste_consent,
                    recycling_attestation=_attestation(i.recycling_attestation),
                    contamination_share=i.contamination_share,
                )
                for n, i in enumerate(self.items, start=1)
            ),
        )


def _attestation(given: bool | str | None) -> str | None:
    """`true` is the declarant's word that the exporter attested; `false` is none."""
    if given is True:
        return "attested"
    return given or None


class DeclarationUpdate(DeclarationCreate):
    expected_version: int = Field(
        ge=1, le=1_000_000, description="The version being amended (optimistic lock)"
    )


class CorrectionCreate(DeclarationCreate):
    """An officer's correction of the data, with its reason."""

    expected_version: int = Field(ge=1, le=1_000_000, description="The version being corrected")
    reason: Reason


class SettlementRead(BaseModel):
    currency: str
    assessed: Decimal
    paid: Decimal
    secured: Decimal
    outstanding: Decimal
    refundable: Decimal = Field(description="Paid beyond the duties: a credit an officer refunds")


class PaymentNoticeRead(BaseModel):
    """What to pay and the reference to pay it under, at a bank that confirms to customs."""

    reference: str
    declaration: str
    amount: Decimal
    currency: str
    due_on: date
    status: str

    @classmethod
    def of(cls, notice: PaymentNotice) -> PaymentNoticeRead:
        return cls(
            reference=notice.reference,
            declaration=notice.declaration,
            amount=_in_minor_unit(notice.amount, notice.currency),
            currency=notice.currency,
            due_on=notice.due_on,
            status=notice.status,
        )


# What each channel asks of the declarant: the trader's side of a selection.
REQUIREMENTS = {
    Channel.GREEN: "no check: the goods are released once the duties are paid or secured",
    Channel.YELLOW: "documentary check: keep the invoice, transport document and any proof"
    " of origin ready for the officer of the office of declaration",
    Channel.RED: "physical examination: present the goods to the office of declaration",
}


def _in_minor_unit(amount: Decimal, currency: str) -> Decimal:
    """Amounts owed are in the currency's minor unit, the same on every route and engine."""
    return round_to_minor_unit(amount, currency)


def sees_risk(reader: Principal | None) -> bool:
    """Officers see why customs selected a declaration; traders never see the criteria."""
    return reader is not None and reader.role in (Role.OFFICER, Role.ADMIN)


class DeclarationRead(BaseModel):
    number: str
    lrn: str
    type: DeclarationType
    status: Status
    version: int
    channel: Channel | None
    requirement: str | None = Field(description="What the channel asks of the declarant")
    reasons: list[str] | None = Field(
        description="Why customs chose the channel (officers only; traders get null)"
    )
    aeo_operator: str | None = Field(
        None,
        description="The authorised economic operator whose standing puts it first in the"
        " worklist (officers only; traders get null)",
    )
    assessment: dict[str, Any]
    settlement: SettlementRead
    payment_notice: PaymentNoticeRead | None
    preference_pending: bool = Field(
        description="A preference waits for the officer's documentary check of its proof"
    )
    inspection: InspectionOutcome | None
    declaration: dict[str, Any]
    lodged_at: datetime
    updated_at: datetime
    released_at: datetime | None
    released_by: str | None = Field(description="The officer, or the rule, that released it")

    @classmethod
    def of(cls, view: DeclarationView, reader: Principal | None = None) -> DeclarationRead:
        s = view.settlement
        currency = s.currency
        return cls(
            number=view.number,
            lrn=view.declaration.lrn,
            type=view.declaration.type,
            status=view.status,
            version=view.version,
            channel=view.channel,
            requirement=REQUIREMENTS[view.channel] if view.channel else None,
            reasons=list(view.selection.get("reasons", [])) if sees_risk(reader) else None,
            aeo_operator=view.aeo_operator if sees_risk(reader) else None,
            assessment=explained(view.assessment),
            settlement=SettlementRead(
                currency=currency,
                assessed=_in_minor_unit(s.assessed, currency),
                paid=_in_minor_unit(s.paid, currency),
                secured=_in_minor_unit(s.secured, currency),
                outstanding=_in_minor_unit(s.outstanding, currency),
                refundable=_in_minor_unit(view.refundable, currency),
            ),
            payment_notice=PaymentNoticeRead.of(view.payment_notice)
            if view.payment_notice
            else None,
            preference_pending=view.preference_pending,
            inspection=view.inspection,
            declaration=to_document(view.declaration),
            lodged_at=view.lodged_at,
            updated_at=view.updated_at,
            released_at=view.released_at,
            released_by=view.released_by,
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
        currency = view.settlement.currency
        return cls(
            number=view.number,
            lrn=view.declaration.lrn,
            type=view.declaration.type,
            status=view.status,
            channel=view.channel,
            office=view.declaration.office,
            trader=trader.id if trader else None,
            duties=_in_minor_unit(view.settlement.assessed, currency),
            outstanding=_in_minor_unit(view.settlement.outstanding, currency),
            lodged_at=view.lodged_at,
        )


class EventRead(BaseModel):
    at: datetime
    actor: str
    kind: str
    detail: dict[str, Any]

    @classmethod
    def of(cls, event: Event, reader: Principal | None = None) -> EventRead:
        detail = event.detail
        if event.kind == "channelled" and not sees_risk(reader):
            detail = {"channel": detail.get("channel")}
        elif event.kind == "attachment added" and not sees_risk(reader):
            detail = {}  # inspection evidence is the officers'

        return cls(at=event.at, actor=event.actor, kind=event.kind, detail=detail)


class AttachmentRead(BaseModel):
    id: str
    kind: AttachmentKind
    filename: str
    media_type: str = Field(description="Read from the file's content")
    size: int
    sha256: str
    scanner_id: str | None = Field(description="The scanner that took a scanner image")
    added_at: datetime
    added_by: str

    @classmethod
    def of(cls, view: AttachmentView) -> AttachmentRead:
        return cls(id=view.id, kind=AttachmentKind(view.kind), filename=view.filename,
                   media_type=view.media_type, size=view.size, sha256=view.sha256,
                   scanner_id=view.scanner_id, added_at=view.added_at, added_by=view.added_by)


class VersionRead(BaseModel):
    version: int
    recorded_at: datetime
    declaration: dict[str, Any]


class PaymentCreate(_Strict):
    """A bank's confirmation that it collected a payment against a notice."""

    notice: Annotated[LineText, Field(min_length=1, max_length=24)] = Field(
        description="The payment notice's reference"
    )
    amount: NationalAmount = Field(description="Exactly as collected, in the minor unit")
    currency: Code
    bank_reference: Reference = Field(description="The bank's own reference of the payment")


class GuaranteeUse(_Strict):
    guarantee: Reference = Field(description="Reference of the guarantee that secures the duties")


class GuaranteeCreate(_Strict):
    reference: Reference
    holder_id: PartyId
    amount: NationalAmount


class GuaranteeUseRead(BaseModel):
    declaration: str
    amount: Decimal
    discharged: Decimal
    secured_at: datetime
    discharged_at: datetime | None


class GuaranteeRead(BaseModel):
    reference: str
    holder_id: str
    currency: str
    amount: Decimal
    in_use: Decimal
    available: Decimal
    uses: list[GuaranteeUseRead]

    @classmethod
    def of(cls, guarantee: Guarantee) -> GuaranteeRead:
        c = guarantee.currency
        return cls(
            reference=guarantee.reference,
            holder_id=guarantee.holder_id,
            currency=c,
            amount=_in_minor_unit(guarantee.amount, c),
            in_use=_in_minor_unit(guarantee.in_use, c),
            available=_in_minor_unit(guarantee.available, c),
            uses=[
                GuaranteeUseRead(
                    declaration=u.declaration,
                    amount=_in_minor_unit(u.amount, c),
                    discharged=_in_minor_unit(u.discharged, c),
                    secured_at=u.secured_at,
                    discharged_at=u.discharged_at,
                )
                for u in guarantee.uses
            ],
        )


class RefundRead(BaseModel):
    id: str
    declaration: str
    amount: Decimal
    currency: str
    status: str
    created_at: datetime
    decided_by: str | None
    reason: str | None

    @classmethod
    def of(cls, refund: Refund) -> RefundRead:
        return cls(
            id=refund.id,
            declaration=refund.declaration,
            amount=_in_minor_unit(refund.amount, refund.currency),
            currency=refund.currency,
            status=refund.status,
            created_at=refund.created_at,
            decided_by=refund.decided_by,
            reason=refund.reason,
        )


class RefundDecision(_Strict):
    approve: bool = Field(description="true: pay the credit back; false: keep it, with a reason")
    reason: Reason


class SeizureCreate(_Strict):
    goods: Annotated[LineText, Field(min_length=1, max_length=200)]
    quantity: Annotated[Quantity, Field(gt=0)]
    unit: Annotated[LineText, Field(min_length=1, max_length=8)] = Field(
        description="e.g. KGM, NAR (UN/ECE Recommendation 20)")
    concealment: Annotated[FreeText, Field(max_length=500)] = ""

    def to_domain(self) -> Seizure:
        return Seizure(self.goods, self.quantity, self.unit, self.concealment)


class InspectionCreate(_Strict):
    outcome: InspectionOutcome
    findings: Annotated[FreeText, Field(max_length=2000)] = ""
    corrected: DeclarationCreate | None = Field(
        default=None, description="The corrected declaration, with a discrepancy"
    )
    seizure: SeizureCreate | None = Field(
        default=None, description="What was seized, with a seizure")


class CancellationCreate(_Strict):
    reason: Reason


class RepresentationCreate(_Strict):
    declarant_id: PartyId = Field(description="The representative who lodges")
    represented_id: PartyId = Field(description="The importer or exporter it acts for")
    kind: RepresentationKind = Field(
        description="direct: in the represented party's name; indirect: in its own name"
    )
    valid_from: date
    valid_to: date | None = None


class RepresentationRead(BaseModel):
    id: str
    declarant_id: str
    represented_id: str
    kind: RepresentationKind
    valid_from: date
    valid_to: date | None
    recorded_by: str
    recorded_at: datetime
    revoked_on: date | None

    @classmethod
    def of(cls, r: RegisteredRepresentation) -> RepresentationRead:
        return cls.model_validate(r, from_attributes=True)


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
