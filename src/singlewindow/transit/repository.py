"""Storage of transit: the movements this node holds and the guarantees it keeps.

A node holds a movement in one of three roles: the office of departure keeps the whole record
(the declaration, the reservation, every crossing, the arrival and the control results, and
when the scheduler must look at it next); an office of transit or of destination keeps the
anticipated record it received (IE050, IE001) and what its officers recorded. A country is
never two of these for one movement (the itinerary crosses borders), so the MRN is the key.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from singlewindow.core.db import Amount, Base, Document, UtcDateTime


class MovementRow(Base):
    __tablename__ = "transit_movement"
    __table_args__ = (
        # The holder's own reference is unique among the movements it lodged here.
        UniqueConstraint("role", "holder", "lrn", name="uq_transit_movement_lrn"),
        # The scheduler's question: which departures are due for a look now.
        Index("ix_transit_movement_due", "role", "due_at"),
        # An office's officers: what is expected at their office, by state.
        Index("ix_transit_movement_destination", "destination_office", "status"),
    )

    mrn: Mapped[str] = mapped_column(String(18), primary_key=True)
    role: Mapped[str] = mapped_column(String(12))  # departure, transit or destination
    lrn: Mapped[str] = mapped_column(String(35))
    holder: Mapped[str] = mapped_column(String(35), index=True)
    guarantee: Mapped[str] = mapped_column(String(24))
    departure_office: Mapped[str] = mapped_column(String(8), index=True)
    destination_office: Mapped[str] = mapped_column(String(8))
    transit_offices: Mapped[list[str]] = mapped_column(Document)
    routing: Mapped[list[str]] = mapped_column(Document)
    status: Mapped[str] = mapped_column(String(20), index=True)
    time_limit: Mapped[datetime] = mapped_column(UtcDateTime())
    reserved: Mapped[Decimal] = mapped_column(Amount)
    currency: Mapped[str] = mapped_column(String(3))
    # The transit declaration as lodged (IE015), in the names the messages use.
    # Loaded when read (the TAD, the anticipated records): lists and notices do without it.
    declaration: Mapped[dict[str, Any]] = mapped_column(Document, deferred=True)
    # Selectivity's decision at departure (channel, reasons): officers only.
    control: Mapped[dict[str, Any] | None] = mapped_column(Document)
    # What each country would charge, behind the amount reserved.
    duties: Mapped[dict[str, str] | None] = mapped_column(Document)
    crossings: Mapped[list[dict[str, Any]]] = mapped_column(Document)
    arrival: Mapped[dict[str, Any] | None] = mapped_column(Document)
    control_results: Mapped[dict[str, Any] | None] = mapped_column(Document)
    solution: Mapped[dict[str, Any] | None] = mapped_column(Document)
    # When the scheduler looks at this departure next (the time limit, the end of the
    # enquiry); None once nothing more is due.
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # The partner's message this record came from (transit and destination roles).
    message_id: Mapped[str | None] = mapped_column(String(200))
    lodged_at: Mapped[datetime] = mapped_column(UtcDateTime())
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    arrived_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class GuaranteeRow(Base):
    """A holder's transit guarantee (its guarantee reference number, GRN)."""

    __tablename__ = "transit_guarantee"

    reference: Mapped[str] = mapped_column(String(24), primary_key=True)
    holder: Mapped[str] = mapped_column(String(35), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(Amount)
    reserved: Mapped[Decimal] = mapped_column(Amount)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date] = mapped_column(Date)
    revoked_on: Mapped[date | None] = mapped_column(Date)
    access_digest: Mapped[str] = mapped_column(String(90))
    failed_codes: Mapped[int] = mapped_column(Integer)
    registered_by: Mapped[str] = mapped_column(String(64))
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class MovementEventRow(Base):
    """The movement's history at this node: what happened, when, by whom or from which
    partner's message."""

    __tablename__ = "transit_event"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    mrn: Mapped[str] = mapped_column(String(18), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    what: Mapped[str] = mapped_column(String(40))
    by: Mapped[str] = mapped_column(String(200))
    detail: Mapped[dict[str, Any]] = mapped_column(Document)
