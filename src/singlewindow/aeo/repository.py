"""Storage of the AEO room: applications with their validation, the register of this
country's authorised operators and every change of it, the arrangements, and what each partner
told us of its operators (the latest version of each, and every message as it came)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Date, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from singlewindow.core.db import Base, Document, UtcDateTime


class ApplicationRow(Base):
    __tablename__ = "aeo_application"
    __table_args__ = (Index("ix_aeo_application_status", "status", "submitted_at"),)

    number: Mapped[str] = mapped_column(String(20), primary_key=True)  # TH-AEO-2026-000001
    operator: Mapped[str] = mapped_column(String(17), index=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(200))
    types: Mapped[list[str]] = mapped_column(Document)
    sites: Mapped[list[dict[str, str]]] = mapped_column(Document)
    self_assessment: Mapped[dict[str, str]] = mapped_column(Document)
    consent_to_share: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(12))
    # Findings by criterion ({criterion: {met, note, by, at}}) and the visits, in order.
    findings: Mapped[dict[str, dict[str, Any]]] = mapped_column(Document)
    visits: Mapped[list[dict[str, str]]] = mapped_column(Document)
    decision: Mapped[dict[str, str] | None] = mapped_column(Document)
    submitted_by: Mapped[str] = mapped_column(String(200))
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class OperatorRow(Base):
    """One of this country's authorised operators."""

    __tablename__ = "aeo_operator"

    operator: Mapped[str] = mapped_column(String(17), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(200))
    types: Mapped[list[str]] = mapped_column(Document)
    application: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12), index=True)
    consent: Mapped[bool] = mapped_column(Boolean)
    version: Mapped[int] = mapped_column(Integer)
    granted_on: Mapped[date] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class StatusChangeRow(Base):
    """The register's history: every change of an authorisation, who made it and why."""

    __tablename__ = "aeo_status_change"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    operator: Mapped[str] = mapped_column(String(17), index=True)
    change: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12))
    version: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(2000))
    by: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class ArrangementRow(Base):
    __tablename__ = "aeo_arrangement"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    partners: Mapped[list[str]] = mapped_column(Document)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    benefits: Mapped[list[str]] = mapped_column(Document)
    roles: Mapped[list[str]] = mapped_column(Document)
    # The partners this node has sent its list to, since the arrangement started.
    lists_sent: Mapped[list[str]] = mapped_column(Document)
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class PartnerOperatorRow(Base):
    """A partner's operator, as the latest message about it said."""

    __tablename__ = "aeo_partner_operator"
    __table_args__ = (Index("ix_aeo_partner_operator_administration", "administration",
                            "status"),)

    operator: Mapped[str] = mapped_column(String(17), primary_key=True)
    administration: Mapped[str] = mapped_column(String(2))
    name: Mapped[str] = mapped_column(String(200))
    types: Mapped[list[str]] = mapped_column(Document)
    status: Mapped[str] = mapped_column(String(12))
    version: Mapped[int] = mapped_column(Integer)
    told_at: Mapped[datetime] = mapped_column(UtcDateTime())  # the partner's clock
    learnt_at: Mapped[datetime] = mapped_column(UtcDateTime())  # ours
    message_id: Mapped[str] = mapped_column(String(200))


class PartnerNoticeRow(Base):
    """What a partner told us, message by message: a list (how many operators) or a change."""

    __tablename__ = "aeo_partner_notice"
    __table_args__ = (Index("ix_aeo_partner_notice_from", "administration", "learnt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    administration: Mapped[str] = mapped_column(String(2))
    kind: Mapped[str] = mapped_column(String(10))  # list or change
    operator: Mapped[str | None] = mapped_column(String(17))
    change: Mapped[str | None] = mapped_column(String(20))
    operators: Mapped[int] = mapped_column(Integer)  # in the message
    applied: Mapped[int] = mapped_column(Integer)  # newer than what we held
    told_at: Mapped[datetime] = mapped_column(UtcDateTime())
    learnt_at: Mapped[datetime] = mapped_column(UtcDateTime())
    message_id: Mapped[str] = mapped_column(String(200))


class AeoRevisionRow(Base):
    """One row (id 1): how many changes the register of benefits has seen (our operators'
    statuses, the arrangements, what partners told); every process reloads when it moves."""

    __tablename__ = "aeo_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    revision: Mapped[int] = mapped_column(BigInteger)
