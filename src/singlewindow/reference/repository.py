"""The reference room's tables: the office register, the published exchange rates (stored as
exact decimal text, so no digit is lost on SQLite), and one revision row per country that
tells every worker when its in-memory copy is stale."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Date,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
    delete,
    func,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from singlewindow.core.db import Base, UtcDateTime
from singlewindow.reference.model import (
    ExchangeRate,
    Office,
    OfficeKind,
    Procedure,
    RevenueTarget,
)


class OfficeRow(Base):
    __tablename__ = "reference_office"

    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    country: Mapped[str] = mapped_column(String(2), index=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16))
    procedures: Mapped[str] = mapped_column(String(40))  # space-separated, sorted
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    sample: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    def to_office(self) -> Office:
        return Office(
            code=self.code,
            name=self.name,
            kind=OfficeKind(self.kind),
            procedures=frozenset(Procedure(p) for p in self.procedures.split()),
            valid_from=self.valid_from,
            valid_to=self.valid_to,
            sample=self.sample,
        )

    def update_from(self, office: Office, now: datetime) -> None:
        self.code = office.code
        self.country = office.country
        self.name = office.name
        self.kind = office.kind.value
        self.procedures = " ".join(sorted(p.value for p in office.procedures))
        self.valid_from = office.valid_from
        self.valid_to = office.valid_to
        self.sample = office.sample
        self.updated_at = now


class ExchangeRateRow(Base):
    __tablename__ = "reference_exchange_rate"
    __table_args__ = (
        UniqueConstraint(
            "country", "currency", "valid_from", name="uq_reference_exchange_rate_period"
        ),
        Index("ix_reference_exchange_rate_country_currency", "country", "currency"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    country: Mapped[str] = mapped_column(String(2))
    currency: Mapped[str] = mapped_column(String(3))
    national_currency: Mapped[str] = mapped_column(String(3))
    rate: Mapped[str] = mapped_column(String(40))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date] = mapped_column(Date)
    sample: Mapped[bool] = mapped_column(Boolean)
    loaded_at: Mapped[datetime] = mapped_column(UtcDateTime())

    def to_rate(self) -> ExchangeRate:
        return ExchangeRate(
            currency=self.currency,
            national_currency=self.national_currency,
            rate=Decimal(self.rate),
            valid_from=self.valid_from,
            valid_to=self.valid_to,
            sample=self.sample,
        )

    @classmethod
    def of(cls, country: str, rate: ExchangeRate, now: datetime) -> ExchangeRateRow:
        return cls(
            country=country,
            currency=rate.currency,
            national_currency=rate.national_currency,
            rate=format(rate.rate, "f"),
            valid_from=rate.valid_from,
            valid_to=rate.valid_to,
            sample=rate.sample,
            loaded_at=now,
        )


class ReferenceRevisionRow(Base):
    """One per country: bumped at every change of its offices or rates, so caches reload."""

    __tablename__ = "reference_revision"

    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime())


def offices_of(session: Session, country: str) -> list[Office]:
    rows = session.scalars(
        select(OfficeRow).where(OfficeRow.country == country).order_by(OfficeRow.code)
    )
    return [row.to_office() for row in rows]


def office_row(session: Session, code: str) -> OfficeRow | None:
    return session.get(OfficeRow, code)


def count_offices(session: Session, country: str) -> int:
    return int(
        session.scalar(
            select(func.count()).select_from(OfficeRow).where(OfficeRow.country == country)
        )
        or 0
    )


def rates_of(session: Session, country: str) -> list[ExchangeRate]:
    rows = session.scalars(
        select(ExchangeRateRow)
        .where(ExchangeRateRow.country == country)
        .order_by(ExchangeRateRow.currency, ExchangeRateRow.valid_from)
    )
    return [row.to_rate() for row in rows]


def count_rates(session: Session, country: str) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(ExchangeRateRow)
            .where(ExchangeRateRow.country == country)
        )
        or 0
    )


def delete_rate(session: Session, country: str, rate: ExchangeRate) -> None:
    session.execute(
        delete(ExchangeRateRow).where(
            ExchangeRateRow.country == country,
            ExchangeRateRow.currency == rate.currency,
            ExchangeRateRow.valid_from == rate.valid_from,
        )
    )


def revision_of(session: Session, country: str) -> int:
    """0 for a country whose reference data never changed."""
    row = session.get(ReferenceRevisionRow, country)
    return 0 if row is None else row.revision


def bump_revision(session: Session, country: str, now: datetime) -> int:
    # Lock the row first, so that two loads of one country serialise on PostgreSQL and the
    # second checks its overlaps against what the first committed.
    row = session.get(ReferenceRevisionRow, country, with_for_update=True)
    if row is None:
        row = ReferenceRevisionRow(country=country, revision=0, changed_at=now)
        session.add(row)
        session.flush()
    row.revision += 1
    row.changed_at = now
    return row.revision


class RevenueTargetRow(Base):
    __tablename__ = "reference_revenue_target"

    office: Mapped[str] = mapped_column(String(8), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(20, 2))
    currency: Mapped[str] = mapped_column(String(3))
    set_by: Mapped[str] = mapped_column(String(64))
    set_at: Mapped[datetime] = mapped_column(UtcDateTime())

    def target(self) -> RevenueTarget:
        return RevenueTarget(self.office, self.year, self.amount, self.currency)


def targets_of(session: Session, year: int) -> list[RevenueTarget]:
    rows = session.scalars(select(RevenueTargetRow).where(RevenueTargetRow.year == year)
                           .order_by(RevenueTargetRow.office))
    return [row.target() for row in rows]
