"""Storage of the enforcement room: alerts raised here and received from partners, joint
operations this node belongs to, the hits of every alert (ours, wherever they were lodged;
partners', here), and seizures recorded here or shared by partners."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, Index, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from singlewindow.core.db import Base, Document, UtcDateTime
from singlewindow.enforcement.model import (
    Alert,
    AlertHit,
    AlertStatus,
    Category,
    JointOperation,
    Recipients,
    Seizure,
    parse_alert_criteria,
)
from singlewindow.risk.model import Channel


class AlertRow(Base):
    __tablename__ = "enforcement_alert"
    __table_args__ = (Index("ix_enforcement_alert_country", "country", "raised_at"),)

    id: Mapped[str] = mapped_column(String(24), primary_key=True)  # VN-ALERT-12
    country: Mapped[str] = mapped_column(String(2))
    category: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(2000))
    criteria: Mapped[list[dict[str, object]]] = mapped_column(Document)
    concealment: Mapped[list[str]] = mapped_column(Document)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(8))
    operation: Mapped[str | None] = mapped_column(String(40), index=True)
    status: Mapped[str] = mapped_column(String(10))
    raised_by: Mapped[str | None] = mapped_column(String(64))  # an officer here; None if received
    raised_at: Mapped[datetime] = mapped_column(UtcDateTime())
    received_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    message_id: Mapped[str | None] = mapped_column(String(200))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    reason: Mapped[str | None] = mapped_column(String(2000))  # why it was withdrawn

    def alert(self) -> Alert:
        criteria = parse_alert_criteria(self.criteria, "criteria", [])
        return Alert(
            id=self.id, category=Category(self.category), title=self.title,
            description=self.description, criteria=criteria,
            concealment=tuple(self.concealment), valid_from=self.valid_from,
            valid_to=self.valid_to, channel=Channel(self.channel),
            recipients=Recipients(self.operation), raised_at=self.raised_at,
            status=AlertStatus(self.status))


class OperationRow(Base):
    __tablename__ = "enforcement_operation"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    coordinator: Mapped[str] = mapped_column(String(2))
    members: Mapped[list[str]] = mapped_column(Document)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    created_by: Mapped[str | None] = mapped_column(String(64))  # None if told by a coordinator
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())

    def operation(self) -> JointOperation:
        return JointOperation(self.code, self.name, self.coordinator, frozenset(self.members),
                              self.starts_on, self.ends_on)


class HitRow(Base):
    """A declaration an alert's profile selected: at this node (any alert), or reported by
    a partner (our alerts)."""

    __tablename__ = "enforcement_hit"
    __table_args__ = (UniqueConstraint("alert", "country", "declaration",
                                       name="uq_enforcement_hit"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert: Mapped[str] = mapped_column(String(24), index=True)
    country: Mapped[str] = mapped_column(String(2))
    declaration: Mapped[str] = mapped_column(String(40))
    hit_at: Mapped[datetime] = mapped_column(UtcDateTime())
    criteria: Mapped[list[str]] = mapped_column(Document)
    channel: Mapped[str] = mapped_column(String(8))
    reported: Mapped[bool] = mapped_column(Boolean)
    message_id: Mapped[str | None] = mapped_column(String(200))  # the ENF.Hit sent or received

    def hit(self) -> AlertHit:
        return AlertHit(self.alert, self.country, self.declaration, self.hit_at,
                        tuple(self.criteria), Channel(self.channel), self.reported)


class SeizureRow(Base):
    __tablename__ = "enforcement_seizure"
    __table_args__ = (Index("ix_enforcement_seizure_country", "country", "seized_at"),)

    id: Mapped[str] = mapped_column(String(24), primary_key=True)  # VN-SEIZURE-3
    country: Mapped[str] = mapped_column(String(2))
    goods: Mapped[str] = mapped_column(String(200))
    hs_code: Mapped[str] = mapped_column(String(10))
    quantity: Mapped[Decimal] = mapped_column(Numeric(18, 3))
    unit: Mapped[str] = mapped_column(String(20))
    concealment: Mapped[str] = mapped_column(String(200))
    declaration: Mapped[str | None] = mapped_column(String(40), index=True)
    alert: Mapped[str | None] = mapped_column(String(24), index=True)
    operation: Mapped[str | None] = mapped_column(String(40), index=True)
    shareable: Mapped[bool] = mapped_column(Boolean)
    shared_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    seized_at: Mapped[datetime] = mapped_column(UtcDateTime())
    recorded_by: Mapped[str | None] = mapped_column(String(64))  # None if shared by a partner
    received_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    def seizure(self) -> Seizure:
        return Seizure(self.id, self.goods, self.hs_code, self.quantity, self.unit,
                       self.concealment, self.declaration, self.alert, self.shareable,
                       self.seized_at, self.operation)
