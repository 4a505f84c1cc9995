"""The tariff room's tables: national tariff lines (rates stored as rate text), one row per
country schedule whose revision tells every worker when its in-memory book is stale, and the
measure data a country adds to its schedule (docs/tariff-measures.md): geographical areas
with their dated memberships, agreements, additional codes, document types and measures.

Every measure-data row is keyed by the country whose tariff it belongs to and its business
code within that tariff (`VN`/`RCEP`), so that an import replaces entries by id."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Date,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    delete,
    func,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from singlewindow.core.db import Base, Document, UtcDateTime
from singlewindow.tariff.measure_set import MeasureData
from singlewindow.tariff.measures import (
    DOCUMENT_TYPES,
    AdditionalCode,
    Agreement,
    AreaKind,
    AreaMembership,
    DocumentRole,
    DocumentType,
    GeographicalArea,
    Measure,
    MeasureCondition,
    MeasureType,
)
from singlewindow.tariff.model import Rate, TariffLine


class TariffLineRow(Base):
    __tablename__ = "tariff_line"
    __table_args__ = (
        UniqueConstraint("country", "code", "valid_from", name="uq_tariff_line_country_code_from"),
        Index("ix_tariff_line_country_code", "country", "code"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    country: Mapped[str] = mapped_column(String(2))
    code: Mapped[str] = mapped_column(String(8))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    description: Mapped[str] = mapped_column(Text)
    unit: Mapped[str] = mapped_column(String(16))
    mfn: Mapped[str] = mapped_column(String(80))
    atiga: Mapped[str | None] = mapped_column(String(80), nullable=True)
    vat: Mapped[str] = mapped_column(String(80))
    excise: Mapped[str | None] = mapped_column(String(80), nullable=True)
    reference_unit_value: Mapped[Decimal | None] = mapped_column(Numeric(24, 4), nullable=True)

    def to_line(self) -> TariffLine:
        return TariffLine(
            country=self.country,
            code=self.code,
            description=self.description,
            quantity_unit=self.unit,
            valid_from=self.valid_from,
            valid_to=self.valid_to,
            mfn=Rate.parse(self.mfn),
            vat=Rate.parse(self.vat),
            atiga=Rate.parse_optional(self.atiga),
            excise=Rate.parse_optional(self.excise),
            reference_unit_value=(
                None if self.reference_unit_value is None else Decimal(self.reference_unit_value)
            ),
        )

    def update_from(self, line: TariffLine) -> None:
        self.country = line.country
        self.code = line.code
        self.valid_from = line.valid_from
        self.valid_to = line.valid_to
        self.description = line.description
        self.unit = line.quantity_unit
        self.mfn = str(line.mfn)
        self.atiga = None if line.atiga is None else str(line.atiga)
        self.vat = str(line.vat)
        self.excise = None if line.excise is None else str(line.excise)
        self.reference_unit_value = line.reference_unit_value


class TariffScheduleRow(Base):
    """One per country with lines: bumped at every import so caches know to reload."""

    __tablename__ = "tariff_schedule"

    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime())


def lines_of(session: Session, country: str) -> list[TariffLine]:
    rows = session.scalars(
        select(TariffLineRow)
        .where(TariffLineRow.country == country)
        .order_by(TariffLineRow.code, TariffLineRow.valid_from)
    )
    return [row.to_line() for row in rows]


def rows_by_key(session: Session, country: str) -> dict[tuple[str, date], TariffLineRow]:
    rows = session.scalars(select(TariffLineRow).where(TariffLineRow.country == country))
    return {(row.code, row.valid_from): row for row in rows}


def delete_country(session: Session, country: str) -> int:
    result = session.execute(delete(TariffLineRow).where(TariffLineRow.country == country))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def count_lines(session: Session, country: str) -> int:
    return int(
        session.scalar(
            select(func.count()).select_from(TariffLineRow).where(TariffLineRow.country == country)
        )
        or 0
    )


def revision_of(session: Session, country: str) -> int:
    """0 for a country never imported."""
    row = session.get(TariffScheduleRow, country)
    return 0 if row is None else row.revision


def bump_revision(session: Session, country: str, now: datetime) -> int:
    # Lock the row so that two imports of one country serialise on PostgreSQL.
    row = session.get(TariffScheduleRow, country, with_for_update=True)
    if row is None:
        row = TariffScheduleRow(country=country, revision=0, imported_at=now)
        session.add(row)
    row.revision += 1
    row.imported_at = now
    return row.revision


# ---------------------------------------------------------------------------------------------
# Measure data (what a country's measure file adds to its schedule)


class TariffAreaRow(Base):
    __tablename__ = "tariff_area"

    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    area_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    description: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))


class TariffAreaMembershipRow(Base):
    """A country's dated membership of a group area (RCEP parties joined on their own dates)."""

    __tablename__ = "tariff_area_membership"
    __table_args__ = (Index("ix_tariff_area_membership_country_area", "country", "area_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    country: Mapped[str] = mapped_column(String(2))
    area_id: Mapped[str] = mapped_column(String(40))
    member: Mapped[str] = mapped_column(String(2))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)


class TariffAgreementRow(Base):
    __tablename__ = "tariff_agreement"

    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    agreement_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    area_id: Mapped[str] = mapped_column(String(40))


class TariffAdditionalCodeRow(Base):
    __tablename__ = "tariff_additional_code"

    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    description: Mapped[str] = mapped_column(Text)


class TariffDocumentTypeRow(Base):
    __tablename__ = "tariff_document_type"

    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    description: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16))


class TariffMeasureRow(Base):
    """One measure; its exclusions and conditions (lists of document type codes, each inner
    list one condition) are JSON: they are read and written with the measure, never queried."""

    __tablename__ = "tariff_measure"

    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    measure_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    type: Mapped[str] = mapped_column(String(24))
    goods_code: Mapped[str] = mapped_column(String(8))
    area_id: Mapped[str] = mapped_column(String(40))
    excluded: Mapped[list[str]] = mapped_column(Document)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    duty: Mapped[str | None] = mapped_column(String(80), nullable=True)
    additional_code: Mapped[str | None] = mapped_column(String(20), nullable=True)
    conditions: Mapped[list[list[str]]] = mapped_column(Document)
    agreement_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    description: Mapped[str] = mapped_column(Text)


_MEASURE_TABLES: tuple[Any, ...] = (
    TariffMeasureRow,
    TariffAreaMembershipRow,
    TariffAreaRow,
    TariffAgreementRow,
    TariffAdditionalCodeRow,
    TariffDocumentTypeRow,
)


def measure_data_of(session: Session, country: str) -> MeasureData:
    """The country's stored measure data (empty when it has none), in id order."""
    members: dict[str, list[AreaMembership]] = {}
    for membership in session.scalars(
        select(TariffAreaMembershipRow)
        .where(TariffAreaMembershipRow.country == country)
        .order_by(TariffAreaMembershipRow.id)
    ):
        members.setdefault(membership.area_id, []).append(
            AreaMembership(membership.member, membership.valid_from, membership.valid_to)
        )
    areas = tuple(
        GeographicalArea(
            row.area_id, row.description, AreaKind(row.kind), tuple(members.get(row.area_id, ()))
        )
        for row in _rows(session, TariffAreaRow, country, TariffAreaRow.area_id)
    )
    document_types = tuple(
        DocumentType(row.code, row.description, DocumentRole(row.role))
        for row in _rows(session, TariffDocumentTypeRow, country, TariffDocumentTypeRow.code)
    )
    known = {**DOCUMENT_TYPES, **{t.code: t for t in document_types}}
    return MeasureData(
        measures=tuple(
            _measure(row, known)
            for row in _rows(session, TariffMeasureRow, country, TariffMeasureRow.measure_id)
        ),
        areas=areas,
        agreements=tuple(
            Agreement(row.agreement_id, row.name, row.area_id)
            for row in _rows(session, TariffAgreementRow, country, TariffAgreementRow.agreement_id)
        ),
        additional_codes=tuple(
            AdditionalCode(row.code, row.description)
            for row in _rows(
                session, TariffAdditionalCodeRow, country, TariffAdditionalCodeRow.code
            )
        ),
        document_types=document_types,
    )


def _rows(session: Session, table: Any, country: str, order: Any) -> Iterable[Any]:
    return session.scalars(select(table).where(table.country == country).order_by(order))


def _measure(row: TariffMeasureRow, document_types: dict[str, DocumentType]) -> Measure:
    return Measure(
        id=row.measure_id,
        type=MeasureType(row.type),
        goods_code=row.goods_code,
        area=row.area_id,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        duty=Rate.parse_optional(row.duty),
        excluded=frozenset(row.excluded),
        additional_code=row.additional_code,
        conditions=tuple(
            MeasureCondition(tuple(document_types[code] for code in codes))
            for codes in row.conditions
        ),
        agreement=row.agreement_id,
        description=row.description,
    )


def count_measure_data(session: Session, country: str) -> int:
    """How many entries of every kind the country has stored (0: no measure data yet)."""
    return sum(
        int(
            session.scalar(
                select(func.count()).select_from(table).where(table.country == country)
            )
            or 0
        )
        for table in (TariffMeasureRow, TariffAreaRow, TariffAgreementRow)
    )


def delete_measure_data(session: Session, country: str) -> dict[str, int]:
    """Delete the country's whole measure data; how many entries of each kind went."""
    deleted: dict[str, int] = {}
    for table in _MEASURE_TABLES:
        result = session.execute(delete(table).where(table.country == country))
        deleted[table.__tablename__] = int(result.rowcount or 0)  # type: ignore[attr-defined]
    return deleted


def store_measure_data(session: Session, country: str, data: MeasureData) -> None:
    """Write `data`'s entries, replacing the stored ones of the same ids (an area's
    memberships go with it): a merge. The caller has validated the result."""
    keys: list[tuple[Any, Any, list[str]]] = [
        (TariffMeasureRow, TariffMeasureRow.measure_id, [m.id for m in data.measures]),
        (TariffAreaRow, TariffAreaRow.area_id, [a.id for a in data.areas]),
        (TariffAreaMembershipRow, TariffAreaMembershipRow.area_id, [a.id for a in data.areas]),
        (TariffAgreementRow, TariffAgreementRow.agreement_id, [a.id for a in data.agreements]),
        (
            TariffAdditionalCodeRow,
            TariffAdditionalCodeRow.code,
            [c.code for c in data.additional_codes],
        ),
        (TariffDocumentTypeRow, TariffDocumentTypeRow.code, [t.code for t in data.document_types]),
    ]
    for table, column, ids in keys:
        for start in range(0, len(ids), 500):  # bounded IN lists on either engine
            session.execute(
                delete(table).where(table.country == country, column.in_(ids[start : start + 500]))
            )
    session.flush()
    session.add_all(
        TariffAreaRow(
            country=country, area_id=a.id, description=a.description, kind=a.kind.value
        )
        for a in data.areas
    )
    session.add_all(
        TariffAreaMembershipRow(
            country=country,
            area_id=a.id,
            member=m.country,
            valid_from=m.valid_from,
            valid_to=m.valid_to,
        )
        for a in data.areas
        for m in a.memberships
    )
    session.add_all(
        TariffAgreementRow(country=country, agreement_id=a.id, name=a.name, area_id=a.area)
        for a in data.agreements
    )
    session.add_all(
        TariffAdditionalCodeRow(country=country, code=c.code, description=c.description)
        for c in data.additional_codes
    )
    session.add_all(
        TariffDocumentTypeRow(
            country=country, code=t.code, description=t.description, role=t.role.value
        )
        for t in data.document_types
    )
    session.add_all(
        TariffMeasureRow(
            country=country,
            measure_id=m.id,
            type=m.type.value,
            goods_code=m.goods_code,
            area_id=m.area,
            excluded=sorted(m.excluded),
            valid_from=m.valid_from,
            valid_to=m.valid_to,
            duty=None if m.duty is None else m.duty.text,
            additional_code=m.additional_code,
            conditions=[[t.code for t in c.accepted] for c in m.conditions],
            agreement_id=m.agreement,
            description=m.description,
        )
        for m in data.measures
    )
