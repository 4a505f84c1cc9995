"""API shapes of origin: what an issuing authority sends to issue, what readers get back.

The HTTP API speaks this node's snake_case; the certificate travels between nodes in the
payload of docs/origin.md (WCO Data Model names), which `CertificateRead.document` shows.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from singlewindow.origin.model import (
    CertificateItem,
    CertificateOfOrigin,
    CertificateStatus,
    OriginCriterion,
    Party,
    Provenance,
)
from singlewindow.origin.services import CertificateView


class PartyBase(BaseModel):
    id: str = Field(max_length=35, description="Identifier (TIN or registration number)")
    name: str
    country: str = Field(min_length=2, max_length=2, description="ISO 3166-1 alpha-2")
    address: str = ""


class CertificateItemCreate(BaseModel):
    number: int = Field(ge=1, description="Item number on the certificate (box 5)")
    description: str
    subheading: str = Field(description="HS 6-digit subheading, e.g. 090111")
    origin_criterion: str = Field(description="WO, PE, RVC 40%, CC, CTH, CTSH or PSR")
    quantity: Decimal
    quantity_unit: str = Field(description="UN/ECE Rec. 20 unit, e.g. kg, u")
    gross_mass: Decimal = Field(description="Gross mass in kg")
    fob_value: Decimal
    currency: str = Field(min_length=3, max_length=3)
    invoice_number: str
    invoice_date: date
    marks: str = ""

    @field_validator("subheading")
    @classmethod
    def _digits(cls, value: str) -> str:
        return value.replace(".", "").strip()

    @field_validator("origin_criterion")
    @classmethod
    def _criterion(cls, value: str) -> str:
        return str(OriginCriterion.parse(value))  # ValueError → 422 with the field's path


class CertificateCreate(BaseModel):
    reference: str = Field(
        default="", max_length=35, description="The issuing authority's reference; made if empty"
    )
    issuing_country: str | None = Field(
        default=None, description="The exporting member state; this node's country if omitted"
    )
    importing_country: str = Field(min_length=2, max_length=2)
    exporter: PartyBase
    consignee: PartyBase
    items: list[CertificateItemCreate]
    issuer: str = Field(default="", description="The issuing authority; the user if empty")
    remarks: str = ""
    transport: str = Field(default="", description="Means of transport and route (box 3)")

    def to_domain(self, country: str) -> CertificateOfOrigin:
        return CertificateOfOrigin(
            reference=self.reference,
            issuing_country=self.issuing_country or country,
            importing_country=self.importing_country,
            exporter=Party(**self.exporter.model_dump()),
            consignee=Party(**self.consignee.model_dump()),
            items=tuple(
                CertificateItem(
                    number=i.number,
                    description=i.description,
                    subheading=i.subheading,
                    origin_criterion=OriginCriterion.parse(i.origin_criterion),
                    quantity=i.quantity,
                    quantity_unit=i.quantity_unit,
                    gross_mass=i.gross_mass,
                    fob_value=i.fob_value,
                    currency=i.currency,
                    invoice_number=i.invoice_number,
                    invoice_date=i.invoice_date,
                    marks=i.marks,
                )
                for i in self.items
            ),
            issued_at=datetime.now(UTC),  # the service sets the moment of issue
            issuer=self.issuer,
            remarks=self.remarks,
            transport=self.transport,
        )


class CertificateRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    provenance: Provenance
    status: CertificateStatus
    reference: str
    issuing_country: str
    importing_country: str
    partner: str = Field(description="The other node: importing node, or issuer")
    issued_at: datetime
    issued_by: str
    reasons: list[str] = Field(description="Why it was rejected, or notes of the acceptance")
    verdict: dict[str, Any] | None = Field(description="Last verification against a declaration")
    accepted_for: str | None
    message_id: str | None = Field(description="The FormD message it travelled in")
    answer_message_id: str | None
    decided_at: datetime | None
    created_at: datetime
    updated_at: datetime
    document: Any = Field(description="The e-Form D payload (WCO Data Model names)")

    @classmethod
    def of(cls, view: CertificateView) -> CertificateRead:
        return cls.model_validate(view)


class CertificateSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    provenance: Provenance
    status: CertificateStatus
    reference: str
    issuing_country: str
    importing_country: str
    partner: str
    issued_at: datetime
    decided_at: datetime | None

    @classmethod
    def of(cls, view: CertificateView) -> CertificateSummary:
        return cls.model_validate(view)
