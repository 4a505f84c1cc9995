"""Users and their API tokens (only a SHA-256 digest of each token is stored), their console
passwords (only the Argon2id encoded hash) with their run of failed logins, and the
access revision: a one-row counter bumped in the transaction of every revocation and
disabling, which tells each process of the node when to drop the tokens it has cached."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from singlewindow.access.model import TOKEN_ID_LENGTH, ApiToken, Principal, Role, UserAccount
from singlewindow.access.passwords import LoginRecord
from singlewindow.core import revisions
from singlewindow.core.clock import as_utc
from singlewindow.core.db import Base, UtcDateTime


class UserRow(Base):
    __tablename__ = "user_account"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    party_id: Mapped[str | None] = mapped_column(String(35))
    office: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # The Argon2id encoded string (parameters, salt and hash; about 100 characters); none
    # until a password is set, and then the user cannot log in to the console.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    password_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime())

    def principal(self) -> Principal:
        return Principal(self.username, Role(self.role), self.party_id, self.office)

    def account(self) -> UserAccount:
        return UserAccount(
            self.username,
            Role(self.role),
            self.party_id,
            self.office,
            as_utc(self.created_at),
            as_utc(self.disabled_at) if self.disabled_at else None,
        )

    def save(self, account: UserAccount) -> None:
        self.disabled_at = account.disabled_at

    def login_record(self) -> LoginRecord:
        return LoginRecord(
            self.username,
            self.failed_logins,
            as_utc(self.locked_until) if self.locked_until else None,
        )

    def save_login(self, record: LoginRecord) -> None:
        self.failed_logins = record.failed_logins
        self.locked_until = record.locked_until


class TokenRow(Base):
    __tablename__ = "api_token"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(ForeignKey("user_account.username"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    def token(self) -> ApiToken:
        return ApiToken(
            self.digest[:TOKEN_ID_LENGTH],
            self.username,
            as_utc(self.created_at),
            as_utc(self.expires_at),
            as_utc(self.revoked_at) if self.revoked_at else None,
        )

    def save(self, token: ApiToken) -> None:
        self.revoked_at = token.revoked_at


class AccessRevisionRow(Base):
    """One row (id 1): how many revocations and disablings the node has seen."""

    __tablename__ = "access_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    revision: Mapped[int] = mapped_column(BigInteger)


def holder_of(session: Session, digest: str) -> tuple[Principal, datetime] | None:
    """Who a token that is neither revoked nor its user's disabled acts as, and when it
    expires."""
    found = session.execute(
        select(UserRow, TokenRow.expires_at)
        .join(TokenRow, TokenRow.username == UserRow.username)
        .where(
            TokenRow.digest == digest,
            TokenRow.revoked_at.is_(None),
            UserRow.disabled_at.is_(None),
        )
    ).one_or_none()
    if found is None:
        return None
    row, expires_at = found
    return row.principal(), as_utc(expires_at)


def bump_revision(session: Session) -> None:
    """Count one more revocation or disabling, in the caller's transaction."""
    revisions.bump_revision(session, AccessRevisionRow)


def current_revision(session: Session) -> int:
    return revisions.stored_revision(session, AccessRevisionRow)


def enabled_admins(session: Session, other_than: str) -> int:
    """How many other admins are enabled; their rows stay locked to the end of the unit of
    work, so that two admins disabling each other at once cannot leave the node with none."""
    return len(
        session.scalars(
            select(UserRow.username)
            .where(
                UserRow.role == Role.ADMIN.value,
                UserRow.disabled_at.is_(None),
                UserRow.username != other_than,
            )
            .with_for_update()
        ).all()
    )


def tokens_with_id(session: Session, token_id: str) -> list[TokenRow]:
    """The tokens whose digest starts with `token_id`: one, unless the id is ambiguous (a
    revocation is rare; a prefix LIKE keeps clear of the engines' collation rules)."""
    return list(
        session.scalars(select(TokenRow).where(TokenRow.digest.startswith(token_id)).limit(2))
    )


def tokens_of(session: Session, username: str) -> list[TokenRow]:
    return list(
        session.scalars(
            select(TokenRow)
            .where(TokenRow.username == username)
            .order_by(TokenRow.created_at, TokenRow.digest)
        )
    )
