"""What clearance answers its readers: a declaration, its payment notice, its event log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import Any

from singlewindow.declarations.lifecycle import LodgedDeclaration, notice_reference
from singlewindow.declarations.model import (
    Declaration,
    Settlement,
    Status,
)
from singlewindow.declarations.repository import AttachmentRow, DeclarationRow, from_document
from singlewindow.risk.model import Channel, InspectionOutcome


@dataclass(frozen=True)
class PaymentNotice:
    reference: str
    declaration: str
    amount: Decimal
    currency: str
    due_on: date
    status: str


@dataclass(frozen=True)
class DeclarationView:
    """A declaration as its readers see it."""

    id: str
    number: str
    status: Status
    version: int
    channel: Channel | None
    declaration: Declaration
    assessment: dict[str, Any]
    selection: dict[str, Any]
    settlement: Settlement
    lodged_at: datetime
    updated_at: datetime
    released_at: datetime | None
    released_by: str | None = None
    inspection: InspectionOutcome | None = None
    preference_pending: bool = False
    refundable: Decimal = Decimal(0)
    payment_notice: PaymentNotice | None = None
    # The AEO whose standing puts it first in the worklist (officers' knowledge, like the
    # selection: traders' readings leave it out).
    aeo_operator: str | None = None

    def state(self) -> LodgedDeclaration:
        """The rules' view of it, to ask what they allow now (amend, release) without
        restating them; the rules themselves decide again when the step is taken."""
        s = self.settlement
        return LodgedDeclaration(number=self.number, status=self.status, channel=self.channel,
                                 currency=s.currency, duties=s.assessed, paid=s.paid,
                                 secured=s.secured, inspection=self.inspection,
                                 preference_pending=self.preference_pending,
                                 released_by=self.released_by)

    @classmethod
    def of(
        cls, row: DeclarationRow | dict[str, Any], declaration: Declaration | None = None
    ) -> DeclarationView:
        """From a stored row, or from the values of a row just inserted (with the
        declaration it was made from, which spares reading the document back)."""
        value = row.__getitem__ if isinstance(row, dict) else partial(getattr, row)
        channel = value("channel")
        inspection = value("inspection")
        notice = None
        if value("notice_sequence") and Decimal(value("notice_amount")) > 0:
            notice = PaymentNotice(
                notice_reference(value("number"), value("notice_sequence")),
                value("number"),
                Decimal(value("notice_amount")),
                value("currency"),
                value("notice_due"),
                "open",
            )
        return cls(
            id=value("id"),
            number=value("number"),
            status=Status(value("status")),
            version=value("version"),
            channel=Channel(channel) if channel else None,
            declaration=declaration or from_document(value("data")),
            assessment=value("assessment"),
            selection=value("selection"),
            settlement=Settlement(
                value("currency"),
                Decimal(value("duties")),
                Decimal(value("paid")),
                Decimal(value("secured")),
            ),
            lodged_at=value("lodged_at"),
            updated_at=value("updated_at"),
            released_at=value("released_at"),
            released_by=value("released_by"),
            inspection=InspectionOutcome(inspection) if inspection else None,
            preference_pending=bool(value("preference_pending")),
            refundable=Decimal(value("refundable")),
            payment_notice=notice,
            aeo_operator=value("aeo_operator"),
        )


@dataclass(frozen=True)
class EventLogEntry:
    """One step in a declaration's event log, as its readers see it."""

    at: datetime
    actor: str
    kind: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class AttachmentView:
    """A photo or scanner image of a declaration, without its content."""

    id: str
    kind: str
    filename: str
    media_type: str
    size: int
    sha256: str
    scanner_id: str | None
    added_at: datetime
    added_by: str

    @classmethod
    def of(cls, row: AttachmentRow) -> AttachmentView:
        return cls(row.id, row.kind, row.filename, row.media_type, row.size, row.sha256,
                   row.scanner_id, row.added_at, row.added_by)
