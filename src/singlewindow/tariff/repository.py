"""The tariff room's tables: national tariff lines (rates stored as rate text) and one row
per country schedule whose revision tells every worker when its in-memory book is stale."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

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

from singlewindow.core.db import Base, UtcDateTime
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
