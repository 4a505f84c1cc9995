"""The model registry table: every trained model, its period, metrics and who promoted it."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, DateTime, Integer, LargeBinary, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from singlewindow.core.db import Base, Document


class ModelStatus(enum.StrEnum):
    CANDIDATE = "candidate"  # trained, not used for selection
    IN_SERVICE = "in_service"  # the one model scoring declarations (at most one)
    RETIRED = "retired"  # was in service, replaced

    def may_become(self, other: ModelStatus) -> bool:
        return other in _TRANSITIONS[self]


_TRANSITIONS = {
    ModelStatus.CANDIDATE: {ModelStatus.IN_SERVICE, ModelStatus.RETIRED},
    ModelStatus.IN_SERVICE: {ModelStatus.RETIRED},
    ModelStatus.RETIRED: {ModelStatus.IN_SERVICE},  # a rollback to a known model
}


class RiskModelRow(Base):
    __tablename__ = "risk_model"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    data_from: Mapped[date] = mapped_column(Date)
    data_to: Mapped[date] = mapped_column(Date)
    declarations: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True)
    metrics: Mapped[dict] = mapped_column(Document, default=dict)
    note: Mapped[str] = mapped_column(String(500), default="")
    promoted_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    promoted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)


def get(session: Session, version: int) -> RiskModelRow | None:
    return session.get(RiskModelRow, version)


def in_service(session: Session) -> RiskModelRow | None:
    return session.scalars(
        select(RiskModelRow).where(RiskModelRow.status == ModelStatus.IN_SERVICE.value)
    ).first()


def listing(session: Session) -> list[RiskModelRow]:
    return list(session.scalars(select(RiskModelRow).order_by(RiskModelRow.version.desc())))


def latest_version(session: Session) -> int:
    return int(session.scalar(select(func.coalesce(func.max(RiskModelRow.version), 0))) or 0)
