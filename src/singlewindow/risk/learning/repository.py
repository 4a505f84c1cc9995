"""The model registry tables: every trained model, its period, metrics and who promoted it;
and each change of the model in service (promotion, rollback), with who and why."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, LargeBinary, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from singlewindow.core.db import Base, Document, UtcDateTime


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
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    data_from: Mapped[date] = mapped_column(Date)
    data_to: Mapped[date] = mapped_column(Date)
    declarations: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True)
    metrics: Mapped[dict] = mapped_column(Document, default=dict)
    note: Mapped[str] = mapped_column(String(500), default="")
    promoted_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    promoted_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    retired_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)


class ServiceChange(enum.StrEnum):
    PROMOTED = "promoted"  # went into service through the promotion gates
    REINSTATED = "reinstated"  # came back into service by a rollback
    ROLLED_BACK = "rolled_back"  # left service by a rollback (no model after it: rules only)

    @property
    def enters_service(self) -> bool:
        return self is not ServiceChange.ROLLED_BACK


class ModelChangeRow(Base):
    """One change of the model in service. An entry into service keeps the model it replaced
    (`previous`), so that a rollback knows what to put back, one step at a time."""

    __tablename__ = "risk_model_change"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version: Mapped[int] = mapped_column(ForeignKey("risk_model.version"), index=True)
    change: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    by: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(500), default="")
    previous: Mapped[int | None] = mapped_column(Integer, nullable=True)


def get(session: Session, version: int) -> RiskModelRow | None:
    return session.get(RiskModelRow, version)


def in_service(session: Session) -> RiskModelRow | None:
    return session.scalars(
        select(RiskModelRow).where(RiskModelRow.status == ModelStatus.IN_SERVICE.value)
    ).first()


def listing(session: Session) -> list[RiskModelRow]:
    return list(session.scalars(select(RiskModelRow).order_by(RiskModelRow.version.desc())))


def last_entry(session: Session, version: int) -> ModelChangeRow | None:
    """The latest time a model went into service (promoted or reinstated)."""
    entries = [c.value for c in ServiceChange if c.enters_service]
    return session.scalars(
        select(ModelChangeRow)
        .where(ModelChangeRow.version == version, ModelChangeRow.change.in_(entries))
        .order_by(ModelChangeRow.id.desc())
        .limit(1)
    ).first()


def last_retired_from_service(session: Session, besides: int) -> RiskModelRow | None:
    """The model that left service last (for a registry older than the change log)."""
    return session.scalars(
        select(RiskModelRow)
        .where(
            RiskModelRow.status == ModelStatus.RETIRED.value,
            RiskModelRow.promoted_at.is_not(None),
            RiskModelRow.version != besides,
        )
        .order_by(RiskModelRow.retired_at.desc(), RiskModelRow.version.desc())
        .limit(1)
    ).first()


def changes(session: Session, limit: int = 50) -> list[ModelChangeRow]:
    return list(
        session.scalars(select(ModelChangeRow).order_by(ModelChangeRow.id.desc()).limit(limit))
    )
