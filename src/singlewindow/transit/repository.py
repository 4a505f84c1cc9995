"""Storage of transit: the movements this node holds and the guarantees it keeps.

A node holds a movement in one of three roles: the office of departure keeps the whole record
(the declaration, the reservation, every crossing, the arrival and the control results, and
when the scheduler must look at it next); an office of transit or of destination keeps the
anticipated record it received (IE050, IE001) and what its officers recorded. A country is
never two of these for one movement (the itinerary crosses borders), so the MRN is the key.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Connection,
    Date,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    bindparam,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column

from singlewindow.core.db import Amount, Base, Document, Prepared, UtcDateTime


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


# -- the hot paths, in prepared Core statements ---------------------------------------------
# Each movement brings its departure four notices (IE118 twice, IE006, IE018), each checked on
# receipt and taken by the inbox; each office of transit and the destination one anticipated
# record. Through the ORM, loading, flushing and the identity map cost more than SQLite's own
# work there; these statements send the same SQL without them.

_MOVEMENT: Table = MovementRow.__table__  # type: ignore[assignment]
_EVENT: Table = MovementEventRow.__table__  # type: ignore[assignment]
_GUARANTEE: Table = GuaranteeRow.__table__  # type: ignore[assignment]


@dataclass
class MovementRecord:
    """A movement as the hot paths read and change it: every column but the declaration
    (which only the transit accompanying document and the anticipated records need)."""

    mrn: str
    role: str
    lrn: str
    holder: str
    guarantee: str
    departure_office: str
    destination_office: str
    transit_offices: list[str]
    routing: list[str]
    status: str
    time_limit: datetime
    reserved: Decimal
    currency: str
    control: dict[str, Any] | None
    duties: dict[str, str] | None
    crossings: list[dict[str, Any]]
    arrival: dict[str, Any] | None
    control_results: dict[str, Any] | None
    solution: dict[str, Any] | None
    due_at: datetime | None
    message_id: str | None
    lodged_at: datetime
    released_at: datetime | None
    arrived_at: datetime | None
    closed_at: datetime | None
    updated_at: datetime


_RECORD = [field.name for field in fields(MovementRecord)]
# What the passage of a movement changes (its crossings, arrival, control results).
_NOTICED = ("status", "crossings", "arrival", "arrived_at", "control_results", "due_at",
            "closed_at", "updated_at")
_BY_MRN = _MOVEMENT.c.mrn == bindparam("key", type_=String)
_READ_RECORD = Prepared(select(*(_MOVEMENT.c[name] for name in _RECORD)).where(_BY_MRN))
_READ_RECORD_LOCKED = Prepared(
    select(*(_MOVEMENT.c[name] for name in _RECORD)).where(_BY_MRN).with_for_update())
_WRITE_RECORD = Prepared(update(_MOVEMENT).where(_BY_MRN).values(
    {name: bindparam(name, type_=_MOVEMENT.c[name].type) for name in _NOTICED}))
_HELD = Prepared(select(_MOVEMENT.c.role).where(_BY_MRN))
_MOVEMENT_KEYS = [column.name for column in _MOVEMENT.columns]
_ADD_MOVEMENT = Prepared(insert(_MOVEMENT), _MOVEMENT_KEYS)
_EVENT_KEYS = ("id", "mrn", "at", "what", "by", "detail")
_ADD_EVENT = Prepared(insert(_EVENT), _EVENT_KEYS)
_GUARANTEE_BY = _GUARANTEE.c.reference == bindparam("key", type_=String)
_READ_RESERVED = Prepared(
    select(_GUARANTEE.c.reserved).where(_GUARANTEE_BY).with_for_update())
_WRITE_RESERVED = Prepared(update(_GUARANTEE).where(_GUARANTEE_BY).values(
    reserved=bindparam("reserved", type_=Amount), updated_at=bindparam(
        "updated_at", type_=UtcDateTime())))


def movement_record(connection: Connection, mrn: str, *,
                    for_update: bool = False) -> MovementRecord | None:
    """The movement `mrn` without its declaration (locked for the transaction on PostgreSQL
    with `for_update`), or None if this node holds no such movement."""
    statement = _READ_RECORD_LOCKED if for_update else _READ_RECORD
    rows = statement.rows(connection, {"key": mrn})
    return MovementRecord(*rows[0]) if rows else None


def save_passage(connection: Connection, record: MovementRecord) -> None:
    """Write back what the movement's passage changed of `record` (`_NOTICED`)."""
    _WRITE_RECORD.execute(connection, {"key": record.mrn} | {
        name: getattr(record, name) for name in _NOTICED})


def holds(connection: Connection, mrn: str) -> bool:
    """Whether this node holds the movement `mrn` (in any role)."""
    return bool(_HELD.rows(connection, {"key": mrn}))


def add_movement(connection: Connection, values: dict[str, Any]) -> None:
    """Insert a movement given every column's value."""
    _ADD_MOVEMENT.execute(connection, values)


def add_event(connection: Connection, values: dict[str, Any]) -> None:
    """Insert one event of a movement's history (`_EVENT_KEYS`)."""
    _ADD_EVENT.execute(connection, values)


def reserved_of(connection: Connection, reference: str) -> Decimal | None:
    """What the guarantee `reference` has reserved (locked for the transaction on
    PostgreSQL), or None if there is no such guarantee."""
    rows = _READ_RESERVED.rows(connection, {"key": reference})
    return rows[0][0] if rows else None  # a Decimal (Amount)


def set_reserved(connection: Connection, reference: str, reserved: Decimal,
                 now: datetime) -> None:
    _WRITE_RESERVED.execute(connection, {"key": reference, "reserved": reserved,
                                         "updated_at": now})
