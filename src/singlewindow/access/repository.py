"""Users and their API tokens (only a SHA-256 digest of each token is stored)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from singlewindow.access.model import Principal, Role
from singlewindow.core.db import Base


class UserRow(Base):
    __tablename__ = "user_account"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    party_id: Mapped[str | None] = mapped_column(String(35))
    office: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    def principal(self) -> Principal:
        return Principal(self.username, Role(self.role), self.party_id, self.office)


class TokenRow(Base):
    __tablename__ = "api_token"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(ForeignKey("user_account.username"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


def principal_for_digest(session: Session, digest: str) -> Principal | None:
    row = session.execute(
        select(UserRow)
        .join(TokenRow, TokenRow.username == UserRow.username)
        .where(
            TokenRow.digest == digest,
            TokenRow.revoked_at.is_(None),
            UserRow.disabled_at.is_(None),
        )
    ).scalar_one_or_none()
    return row.principal() if row else None
