"""Storage of the green room: the consents this country's competent authority gave, every use
of one by a declaration (taken at lodgement, given back at cancellation), the country's rules,
and each waste shipment stopped or passed (the node's figures)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    func,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from singlewindow.core.db import Base, Document, UtcDateTime
from singlewindow.green.model import Consent, CountryRule, Direction, RuleKind

Kilograms = Numeric(18, 3)


class ConsentRow(Base):
    __tablename__ = "green_consent"

    reference: Mapped[str] = mapped_column(String(40), primary_key=True)
    importing_country: Mapped[str] = mapped_column(String(2))
    exporter: Mapped[str] = mapped_column(String(35))
    exporter_name: Mapped[str] = mapped_column(String(200))
    importer: Mapped[str] = mapped_column(String(35))
    importer_name: Mapped[str] = mapped_column(String(200))
    basel_code: Mapped[str] = mapped_column(String(6))
    hs_code: Mapped[str] = mapped_column(String(6))
    quantity: Mapped[Decimal] = mapped_column(Kilograms)
    used: Mapped[Decimal] = mapped_column(Kilograms)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date] = mapped_column(Date)
    revoked: Mapped[bool] = mapped_column(Boolean)
    revoked_reason: Mapped[str | None] = mapped_column(String(500))
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ConsentUseRow(Base):
    """What one goods item of a declaration took of a consent."""

    __tablename__ = "green_consent_use"
    __table_args__ = (Index("ix_green_consent_use_declaration", "declaration"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    consent: Mapped[str] = mapped_column(ForeignKey("green_consent.reference"), index=True)
    declaration: Mapped[str] = mapped_column(String(40))
    item: Mapped[int] = mapped_column(Integer)
    kg: Mapped[Decimal] = mapped_column(Kilograms)
    taken_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # Set when the declaration was cancelled or amended: the kilograms went back.
    returned_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class RuleRow(Base):
    __tablename__ = "green_rule"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    direction: Mapped[str] = mapped_column(String(6))
    basel_code: Mapped[str | None] = mapped_column(String(6))
    hs_prefix: Mapped[str | None] = mapped_column(String(8))
    origin: Mapped[str | None] = mapped_column(String(2))
    max_share: Mapped[Decimal | None] = mapped_column(Numeric(7, 6))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(500))
    sample: Mapped[bool] = mapped_column(Boolean)
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ShipmentRow(Base):
    """A waste shipment this node stopped (with why) or let through (with its number)."""

    __tablename__ = "green_shipment"
    __table_args__ = (Index("ix_green_shipment_outcome", "outcome", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    outcome: Mapped[str] = mapped_column(String(8))  # stopped | passed
    declaration: Mapped[str | None] = mapped_column(String(40), unique=True)
    lrn: Mapped[str] = mapped_column(String(35))
    declarant: Mapped[str] = mapped_column(String(35))
    problems: Mapped[list[dict[str, str]]] = mapped_column(Document)
    at: Mapped[datetime] = mapped_column(UtcDateTime())


def consent_of(row: ConsentRow) -> Consent:
    return Consent(
        reference=row.reference, importing_country=row.importing_country,
        exporter=row.exporter, importer=row.importer, basel_code=row.basel_code,
        hs_code=row.hs_code, quantity=Decimal(row.quantity), valid_from=row.valid_from,
        valid_to=row.valid_to, used=Decimal(row.used), revoked=row.revoked,
        exporter_name=row.exporter_name, importer_name=row.importer_name,
    )


def consent_row(consent: Consent, by: str, at: datetime) -> ConsentRow:
    return ConsentRow(
        reference=consent.reference, importing_country=consent.importing_country,
        exporter=consent.exporter, exporter_name=consent.exporter_name,
        importer=consent.importer, importer_name=consent.importer_name,
        basel_code=consent.basel_code, hs_code=consent.hs_code, quantity=consent.quantity,
        used=consent.used, valid_from=consent.valid_from, valid_to=consent.valid_to,
        revoked=consent.revoked, revoked_reason=None, recorded_by=by, recorded_at=at,
    )


def rule_of(row: RuleRow) -> CountryRule:
    return CountryRule(
        id=row.id, kind=RuleKind(row.kind), direction=Direction(row.direction),
        basel_code=row.basel_code, hs_prefix=row.hs_prefix, origin=row.origin,
        max_share=Decimal(row.max_share) if row.max_share is not None else None,
        valid_from=row.valid_from, valid_to=row.valid_to, note=row.note, sample=row.sample,
    )


def rule_row(rule: CountryRule, by: str, at: datetime) -> RuleRow:
    return RuleRow(
        id=rule.id, kind=rule.kind.value, direction=rule.direction.value,
        basel_code=rule.basel_code, hs_prefix=rule.hs_prefix, origin=rule.origin,
        max_share=rule.max_share, valid_from=rule.valid_from, valid_to=rule.valid_to,
        note=rule.note, sample=rule.sample, recorded_by=by, recorded_at=at,
    )


def consents_named(session: Session, references: set[str]) -> dict[str, Consent]:
    if not references:
        return {}
    rows = session.scalars(select(ConsentRow).where(ConsentRow.reference.in_(references)))
    return {row.reference: consent_of(row) for row in rows}


def take(session: Session, reference: str, kg: Decimal) -> bool:
    """Add `kg` to a consent's use if it stays within the quantity, in one conditional
    statement: of two lodgements racing for the last kilograms, the database lets one win
    (the row's lock serialises the two UPDATEs; the second sees the first's sum)."""
    written = session.execute(
        update(ConsentRow)
        .where(ConsentRow.reference == reference, ConsentRow.revoked.is_(False),
               ConsentRow.used + kg <= ConsentRow.quantity)
        .values(used=ConsentRow.used + kg)
        .execution_options(synchronize_session=False)
    )
    return int(written.rowcount or 0) == 1  # type: ignore[attr-defined]


def give_back(session: Session, declaration: str, now: datetime) -> list[ConsentUseRow]:
    """Return every kilogram the declaration holds; the uses stay, marked returned."""
    uses = list(session.scalars(
        select(ConsentUseRow)
        .where(ConsentUseRow.declaration == declaration, ConsentUseRow.returned_at.is_(None))
        .order_by(ConsentUseRow.id)
    ))
    for use in uses:
        session.execute(
            update(ConsentRow)
            .where(ConsentRow.reference == use.consent)
            .values(used=ConsentRow.used - use.kg)
            .execution_options(synchronize_session=False)
        )
        use.returned_at = now
    return uses


def outcome_counts(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(ShipmentRow.outcome, func.count()).group_by(ShipmentRow.outcome)
    ).all()
    counts: dict[str, Any] = {"stopped": 0, "passed": 0}
    counts.update({outcome: int(n) for outcome, n in rows})
    return counts
