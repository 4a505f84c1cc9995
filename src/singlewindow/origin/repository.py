"""Storage of certificates of origin, at both ends: those this node's issuing authority issued
(provenance `issued`) and those received from partners (provenance `received`).

The certificate is kept as its exchanged payload (`document`, WCO Data Model names), with the
columns queries need, the exchange message ids it travelled in and was answered by, the
verdict and its reasons.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import String, UniqueConstraint, func, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from singlewindow.core.db import Base, Document, UtcDateTime
from singlewindow.core.ids import new_id
from singlewindow.exchange.model import UserMessage
from singlewindow.origin.model import (
    Certificate,
    CertificateOfOrigin,
    CertificateStatus,
    Provenance,
    from_payload,
)


class CertificateRow(Base):
    __tablename__ = "origin_certificate"
    __table_args__ = (
        UniqueConstraint(
            "direction", "issuing_country", "reference", name="uq_origin_certificate_reference"
        ),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    # Stored in the column `direction` (its name before the exchange room's inbound/outbound
    # took that word).
    provenance: Mapped[str] = mapped_column("direction", String(8), index=True)
    reference: Mapped[str] = mapped_column(String(64), index=True)
    issuing_country: Mapped[str] = mapped_column(String(2))
    importing_country: Mapped[str] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(10), index=True)
    exporter_id: Mapped[str] = mapped_column(String(35))
    consignee_id: Mapped[str] = mapped_column(String(35), index=True)
    document: Mapped[Any] = mapped_column(Document)
    # The partner node (issuer → importing node's party id; importer → issuer's).
    partner: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[str | None] = mapped_column(String(200), index=True)
    conversation_id: Mapped[str | None] = mapped_column(String(200))
    answer_message_id: Mapped[str | None] = mapped_column(String(200))
    reasons: Mapped[list[str]] = mapped_column(Document)
    # The last verification against a declaration (importing side).
    verdict: Mapped[dict[str, Any] | None] = mapped_column(Document)
    accepted_for: Mapped[str | None] = mapped_column(String(80))
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime())
    issued_by: Mapped[str] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


def issued_row(
    certificate: CertificateOfOrigin,
    state: Certificate,
    document: dict[str, Any],
    partner: str,
    message_id: str,
    issued_by: str,
    now: datetime,
) -> CertificateRow:
    """The row of a certificate this node's issuing authority issued and sent."""
    return CertificateRow(
        id=new_id(),
        provenance=Provenance.ISSUED.value,
        reference=certificate.reference,
        issuing_country=certificate.issuing_country,
        importing_country=certificate.importing_country,
        status=state.status.value,
        exporter_id=certificate.exporter.id,
        consignee_id=certificate.consignee.id,
        document=document,
        partner=partner,
        message_id=message_id,
        reasons=list(state.reasons),
        issued_at=now,
        issued_by=issued_by,
        created_at=now,
        updated_at=now,
    )


def received_row(
    certificate: CertificateOfOrigin | None,
    reference: str,
    issuing_country: str,
    importing_country: str,
    document: Any,
    message: UserMessage,
    now: datetime,
) -> CertificateRow:
    """The row of a certificate received from a partner (kept even when unreadable)."""
    return CertificateRow(
        id=new_id(),
        provenance=Provenance.RECEIVED.value,
        reference=reference,
        issuing_country=issuing_country,
        importing_country=certificate.importing_country if certificate else importing_country,
        status=CertificateStatus.RECEIVED.value,
        exporter_id=certificate.exporter.id if certificate else "",
        consignee_id=certificate.consignee.id if certificate else "",
        document=document,
        partner=message.from_party,
        message_id=message.message_id,
        conversation_id=message.conversation_id,
        reasons=[],
        issued_at=certificate.issued_at if certificate else now,
        issued_by=certificate.issuer[:64] if certificate else "",
        created_at=now,
        updated_at=now,
    )


def certificate_state(row: CertificateRow) -> Certificate:
    """The rules' view of a stored certificate."""
    return Certificate(
        reference=row.reference,
        status=CertificateStatus(row.status),
        reasons=tuple(row.reasons or ()),
        answer_message_id=row.answer_message_id,
        decided_at=row.decided_at,
    )


def write_state(row: CertificateRow, state: Certificate, now: datetime) -> None:
    """Copy what the rules decided onto the row."""
    row.status = state.status.value
    row.reasons = list(state.reasons)
    row.answer_message_id = state.answer_message_id
    row.decided_at = state.decided_at
    row.updated_at = now


def to_certificate(row: CertificateRow) -> CertificateOfOrigin | None:
    """The certificate a row holds; None for a received payload that could not be read."""
    certificate, problems = from_payload(row.document)
    if certificate is None or problems:
        return None
    return replace(certificate, status=CertificateStatus(row.status))


def find(
    session: Session, provenance: str, issuing_country: str, reference: str, lock: bool = False
) -> CertificateRow | None:
    query = select(CertificateRow).where(
        CertificateRow.provenance == provenance,
        CertificateRow.issuing_country == issuing_country,
        CertificateRow.reference == reference,
    )
    if lock:
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


def find_by_reference(session: Session, provenance: str, reference: str) -> list[CertificateRow]:
    query = select(CertificateRow).where(
        CertificateRow.provenance == provenance, CertificateRow.reference == reference
    )
    return list(session.scalars(query.order_by(CertificateRow.created_at)))


def search(
    session: Session,
    *,
    provenance: str | None = None,
    status: str | None = None,
    party_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[Sequence[CertificateRow], int]:
    conditions = []
    if provenance is not None:
        conditions.append(CertificateRow.provenance == provenance)
    if status is not None:
        conditions.append(CertificateRow.status == status)
    if party_id is not None:
        conditions.append(
            or_(CertificateRow.exporter_id == party_id, CertificateRow.consignee_id == party_id)
        )
    total = session.scalar(select(func.count()).select_from(CertificateRow).where(*conditions))
    rows = session.scalars(
        select(CertificateRow)
        .where(*conditions)
        .order_by(CertificateRow.created_at.desc(), CertificateRow.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return rows, int(total or 0)

