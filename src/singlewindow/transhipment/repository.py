"""Storage of the transhipment room: the arrivals and departures recorded at this node's hub
ports (each on its transport document, goods as a document), and the hubs known for origin
laundering of a code."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, Date, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from singlewindow.core.db import Base, Document, UtcDateTime
from singlewindow.transhipment.model import (
    Arrival,
    ArrivedGoods,
    DepartingGoods,
    Departure,
    LaunderingHub,
    TransportDocument,
)


class ArrivalRow(Base):
    __tablename__ = "transhipment_arrival"
    __table_args__ = (
        UniqueConstraint("port", "transport_document", name="uq_transhipment_arrival_document"),
        Index("ix_transhipment_arrival_document", "transport_document"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    port: Mapped[str] = mapped_column(String(5))
    document_type: Mapped[str] = mapped_column(String(4))
    transport_document: Mapped[str] = mapped_column(String(35))
    from_port: Mapped[str] = mapped_column(String(5))
    carrier: Mapped[str] = mapped_column(String(200))
    arrived_on: Mapped[date] = mapped_column(Date)
    goods: Mapped[list[dict[str, Any]]] = mapped_column(Document)
    acdd_country: Mapped[str | None] = mapped_column(String(2))
    acdd_number: Mapped[str | None] = mapped_column(String(40))
    # The legs before this one, as the cited ACDD carried them (ACDD form), so that the next
    # leg's ACDD carries the whole journey.
    earlier_legs: Mapped[list[dict[str, Any]]] = mapped_column(Document)
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class DepartureRow(Base):
    __tablename__ = "transhipment_departure"
    __table_args__ = (
        UniqueConstraint("port", "transport_document",
                         name="uq_transhipment_departure_document"),
        Index("ix_transhipment_departure_document", "transport_document"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    arrival_id: Mapped[int] = mapped_column(Integer, index=True)
    port: Mapped[str] = mapped_column(String(5))
    document_type: Mapped[str] = mapped_column(String(4))
    transport_document: Mapped[str] = mapped_column(String(35))
    to_port: Mapped[str] = mapped_column(String(5))
    carrier: Mapped[str] = mapped_column(String(200))
    departed_on: Mapped[date] = mapped_column(Date)
    goods: Mapped[list[dict[str, Any]]] = mapped_column(Document)
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class LaunderingHubRow(Base):
    __tablename__ = "transhipment_laundering_hub"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    port: Mapped[str] = mapped_column(String(5), index=True)
    hs_prefix: Mapped[str] = mapped_column(String(8))
    listed_from: Mapped[date] = mapped_column(Date)
    listed_until: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(1000))
    sample: Mapped[bool] = mapped_column(Boolean)
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())


def _goods_document(goods: ArrivedGoods | DepartingGoods) -> dict[str, Any]:
    document: dict[str, Any] = {
        "sequence": goods.sequence, "commodity_code": goods.commodity_code,
        "description": goods.description, "quantity": str(goods.quantity),
        "quantity_unit": goods.quantity_unit, "packages": goods.packages,
    }
    if goods.origin_country is not None:
        document["origin_country"] = goods.origin_country
    return document


def arrival_row(arrival: Arrival, earlier_legs: list[dict[str, Any]], by: str,
                at: datetime) -> ArrivalRow:
    return ArrivalRow(
        port=arrival.port, document_type=arrival.document_type.value,
        transport_document=arrival.transport_document, from_port=arrival.from_port,
        carrier=arrival.carrier, arrived_on=arrival.arrived_on,
        goods=[_goods_document(g) for g in arrival.goods], acdd_country=arrival.acdd_country,
        acdd_number=arrival.acdd_number, earlier_legs=earlier_legs, recorded_by=by,
        recorded_at=at)


def arrival_of(row: ArrivalRow) -> Arrival:
    return Arrival(
        port=row.port, document_type=TransportDocument(row.document_type),
        transport_document=row.transport_document, from_port=row.from_port,
        carrier=row.carrier, arrived_on=row.arrived_on,
        goods=tuple(ArrivedGoods(g["sequence"], g["commodity_code"], g["description"],
                                 Decimal(g["quantity"]), g["quantity_unit"],
                                 g["origin_country"], g.get("packages"))
                    for g in row.goods),
        acdd_country=row.acdd_country, acdd_number=row.acdd_number)


def departure_row(departure: Departure, arrival_id: int, by: str, at: datetime) -> DepartureRow:
    return DepartureRow(
        arrival_id=arrival_id, port=departure.port, document_type=departure.document_type.value,
        transport_document=departure.transport_document, to_port=departure.to_port,
        carrier=departure.carrier, departed_on=departure.departed_on,
        goods=[_goods_document(g) for g in departure.goods], recorded_by=by, recorded_at=at)


def departure_of(row: DepartureRow, arrival_document: str) -> Departure:
    return Departure(
        port=row.port, arrival_document=arrival_document,
        document_type=TransportDocument(row.document_type),
        transport_document=row.transport_document, to_port=row.to_port, carrier=row.carrier,
        departed_on=row.departed_on,
        goods=tuple(DepartingGoods(g["sequence"], g["commodity_code"], g["description"],
                                   Decimal(g["quantity"]), g["quantity_unit"],
                                   g.get("packages"), g.get("origin_country"))
                    for g in row.goods))


def listing_of(row: LaunderingHubRow) -> LaunderingHub:
    return LaunderingHub(row.port, row.hs_prefix, row.listed_from, row.listed_until, row.note,
                         row.sample, row.id, row.recorded_by, row.recorded_at)
