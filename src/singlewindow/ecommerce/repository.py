"""Storage of the e-commerce room: manifests with their rejected lines, parcels with what they
owe and why they were held, the de minimis rules, and the records of sellers, platforms and
couriers at inspection. Parcels are written with Core bulk inserts (thousands a request)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import (
    Boolean,
    Date,
    Index,
    Integer,
    Numeric,
    String,
    Table,
)
from sqlalchemy.orm import Mapped, mapped_column

from singlewindow.core.db import Amount, Base, Document, UtcDateTime
from singlewindow.ecommerce.model import DeMinimis, PartyHistory, PartyKind

Percent = Numeric(7, 4)


class ManifestRow(Base):
    __tablename__ = "ecommerce_manifest"
    __table_args__ = (Index("ix_ecommerce_manifest_platform", "platform", "submitted_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    platform: Mapped[str] = mapped_column(String(70))
    submitted_by: Mapped[str] = mapped_column(String(200))
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    format: Mapped[str] = mapped_column(String(8))  # jsonl or csv
    lines: Mapped[int] = mapped_column(Integer)
    # Counts by verdict at submission, and each rejected line with its problems.
    counts: Mapped[dict[str, int]] = mapped_column(Document)
    rejected: Mapped[list[dict[str, Any]]] = mapped_column(Document)
    currency: Mapped[str] = mapped_column(String(3))
    codes_checked: Mapped[bool] = mapped_column(Boolean)  # the assistant's doubts were asked


class ParcelRow(Base):
    __tablename__ = "ecommerce_parcel"
    __table_args__ = (
        # One parcel per order reference of a platform: a re-sent order is refused, not counted
        # twice.
        Index("ux_ecommerce_parcel_order", "platform", "order_reference", unique=True),
        Index("ix_ecommerce_parcel_order_reference", "order_reference"),
        # Split orders: the same buyer and seller within the window.
        Index("ix_ecommerce_parcel_split", "buyer_key", "seller_key", "declared_at"),
        Index("ix_ecommerce_parcel_manifest", "manifest_id", "line"),
        Index("ix_ecommerce_parcel_status", "status", "declared_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    manifest_id: Mapped[str] = mapped_column(String(32))
    line: Mapped[int] = mapped_column(Integer)
    platform: Mapped[str] = mapped_column(String(70))
    order_reference: Mapped[str] = mapped_column(String(35))
    seller: Mapped[str] = mapped_column(String(70))
    seller_key: Mapped[str] = mapped_column(String(70))
    buyer: Mapped[str] = mapped_column(String(70))
    buyer_key: Mapped[str] = mapped_column(String(70))
    description: Mapped[str] = mapped_column(String(512))
    goods_key: Mapped[str] = mapped_column(String(512))
    code: Mapped[str | None] = mapped_column(String(8))
    code6: Mapped[str | None] = mapped_column(String(6))
    courier: Mapped[str | None] = mapped_column(String(70))
    quantity: Mapped[int] = mapped_column(Integer)
    value: Mapped[Decimal] = mapped_column(Amount)
    currency: Mapped[str] = mapped_column(String(3))
    origin: Mapped[str] = mapped_column(String(2))
    transport_document: Mapped[str] = mapped_column(String(35))
    value_national: Mapped[Decimal] = mapped_column(Amount)
    duty_if_due: Mapped[Decimal] = mapped_column(Amount)
    vat_if_due: Mapped[Decimal] = mapped_column(Amount)
    duty: Mapped[Decimal] = mapped_column(Amount)
    vat: Mapped[Decimal] = mapped_column(Amount)
    basis: Mapped[str] = mapped_column(String(300))
    notes: Mapped[list[str]] = mapped_column(Document)
    split_with: Mapped[list[str]] = mapped_column(Document)
    status: Mapped[str] = mapped_column(String(16))
    # Why it was held: for officers only, never shown to the platform.
    reasons: Mapped[list[str]] = mapped_column(Document)
    rule_ids: Mapped[list[str]] = mapped_column(Document)
    random: Mapped[bool] = mapped_column(Boolean)
    declared_at: Mapped[datetime] = mapped_column(UtcDateTime())
    decision: Mapped[str | None] = mapped_column(String(20))
    decision_note: Mapped[str | None] = mapped_column(String(500))
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class DeMinimisRow(Base):
    __tablename__ = "ecommerce_de_minimis"
    __table_args__ = (Index("ix_ecommerce_de_minimis_country", "country", "valid_from"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    country: Mapped[str] = mapped_column(String(2))
    currency: Mapped[str] = mapped_column(String(3))
    duty_threshold: Mapped[Decimal] = mapped_column(Amount)
    vat_threshold: Mapped[Decimal] = mapped_column(Amount)
    flat_duty_percent: Mapped[Decimal] = mapped_column(Percent)
    standard_vat_percent: Mapped[Decimal] = mapped_column(Percent)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    sample: Mapped[bool] = mapped_column(Boolean)
    set_by: Mapped[str] = mapped_column(String(200))
    set_at: Mapped[datetime] = mapped_column(UtcDateTime())

    def rule(self) -> DeMinimis:
        return DeMinimis(self.country, self.currency, plain(self.duty_threshold),
                         plain(self.vat_threshold), plain(self.flat_duty_percent),
                         plain(self.standard_vat_percent), self.valid_from, self.valid_to,
                         self.sample, self.set_by)


class HistoryRow(Base):
    """A seller's, platform's or courier's parcels inspected and found irregular."""

    __tablename__ = "ecommerce_history"

    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    party: Mapped[str] = mapped_column(String(70), primary_key=True)
    inspected: Mapped[int] = mapped_column(Integer)
    irregular: Mapped[int] = mapped_column(Integer)

    def history(self) -> PartyHistory:
        return PartyHistory(PartyKind(self.kind), self.party, self.inspected, self.irregular)


def plain(value: Decimal | int | str) -> Decimal:
    """A stored decimal without the column's trailing zeros (1000000, 12.5), never 1E+6."""
    number = Decimal(value)
    if number == number.to_integral_value():
        return number.quantize(Decimal(1))
    return number.normalize()


def table(row: type[Base]) -> Table:
    return cast(Table, row.__table__)
