"""Storage of the assistant's labels: each description whose subheading an officer confirmed
or corrected, and each goods item of a released declaration with its final code."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from singlewindow.classification.assistant import Label
from singlewindow.core.db import Base, UtcDateTime


class LabelRow(Base):
    __tablename__ = "classification_label"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    description: Mapped[str] = mapped_column(String(1000))
    subheading: Mapped[str] = mapped_column(String(6), index=True)
    # True: an officer's confirmation or correction; False: a released declaration's code.
    confirmed: Mapped[bool] = mapped_column(Boolean)
    suggested: Mapped[str | None] = mapped_column(String(6))  # what the assistant had said
    given_by: Mapped[str] = mapped_column(String(64))
    given_at: Mapped[datetime] = mapped_column(UtcDateTime())
    declaration: Mapped[str | None] = mapped_column(String(40), index=True)


def add(session: Session, label: Label, *, by: str, at: datetime,
        suggested: str | None = None, declaration: str | None = None) -> None:
    session.add(LabelRow(description=label.description, subheading=label.code,
                         confirmed=label.confirmed, suggested=suggested, given_by=by,
                         given_at=at, declaration=declaration))


def since(session: Session, after: int, newest: int) -> list[tuple[int, Label]]:
    """The labels stored after row `after`, oldest first: the `newest` of them at most (a
    worker holds no more; at its start it reads those, not years of labels)."""
    rows = session.scalars(
        select(LabelRow).where(LabelRow.id > after).order_by(LabelRow.id.desc())
        .limit(newest)).all()
    return [(r.id, Label(r.description, r.subheading, r.confirmed)) for r in reversed(rows)]
