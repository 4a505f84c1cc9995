"""Use cases of access: create, list, disable and enable users; issue, check and revoke
tokens.

Known tokens are cached per database in this process; disabling a user or revoking a token
clears the cache of this process only. Another process serving the same database (a node's
other workers, or `singlewindow serve` while the command line disables a user) keeps
accepting the token it had cached until it restarts: cross-process invalidation is still
to come.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from singlewindow.access.errors import (
    AccountConflict,
    InvalidUser,
    UnknownToken,
    UnknownTokenId,
    UnknownUser,
    UsernameTaken,
)
from singlewindow.access.model import TOKEN_ID_LENGTH, ApiToken, Principal, Role, UserAccount
from singlewindow.access.repository import (
    TokenRow,
    UserRow,
    enabled_admins,
    principal_for_digest,
    tokens_of,
    tokens_with_id,
)
from singlewindow.core.clock import utcnow
from singlewindow.core.db import Database
from singlewindow.core.errors import Invalid, Problem

_TOKEN_ID = re.compile(rf"[0-9a-f]{{{TOKEN_ID_LENGTH},64}}")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(
    database: Database,
    username: str,
    role: Role,
    party_id: str | None = None,
    office: str | None = None,
    token: str | None = None,
) -> str:
    """Create a user and return its first API token (shown once; only its digest is kept)."""
    problems = []
    if not username or len(username) > 64:
        problems.append(Problem("username", "must be 1 to 64 characters"))
    if role in (Role.TRADER, Role.BANK) and not party_id:
        problems.append(
            Problem("party_id", f"a {role.value} needs the party identifier it acts for")
        )
    if role is Role.OFFICER and not office:
        problems.append(Problem("office", "an officer needs the customs office it works at"))
    if problems:
        raise InvalidUser(problems)
    token = token or secrets.token_urlsafe(32)
    with database.unit_of_work() as session:
        if session.get(UserRow, username) is not None:
            raise UsernameTaken(f"user {username!r} already exists")
        now = utcnow()
        session.add(
            UserRow(
                username=username,
                role=role.value,
                party_id=party_id,
                office=office,
                created_at=now,
            )
        )
        session.flush()
        session.add(TokenRow(digest=_digest(token), username=username, created_at=now))
    return token


def token_id(token: str) -> str:
    """The public id of a token (the first characters of its digest), for listing and
    revoking it without ever showing the token again."""
    return _digest(token)[:TOKEN_ID_LENGTH]


def issue_token(database: Database, username: str) -> str:
    """A new API token for an enabled user (shown once; only its digest is kept)."""
    token = secrets.token_urlsafe(32)
    with database.unit_of_work() as session:
        _user(session, username).account().may_receive_token()
        session.add(TokenRow(digest=_digest(token), username=username, created_at=utcnow()))
    return token


def revoke_token(database: Database, token: str) -> None:
    with database.unit_of_work() as session:
        row = session.get(TokenRow, _digest(token))
        if row is None:
            raise UnknownToken("no such token")
        row.revoked_at = utcnow()
    _forget(database)


def revoke_token_id(database: Database, token_id: str) -> ApiToken:
    """Revoke the token with this id (or a longer prefix of its digest); it never works
    again."""
    wanted = token_id.strip().lower()
    if not _TOKEN_ID.fullmatch(wanted):
        raise Invalid([Problem("token_id", f"a token id is {TOKEN_ID_LENGTH} to 64 "
                                           "hexadecimal characters, as `users tokens` lists")])
    with database.unit_of_work() as session:
        rows = tokens_with_id(session, wanted)
        if not rows:
            raise UnknownTokenId(f"no token with id {wanted}")
        if len(rows) > 1:
            raise AccountConflict(f"token id {wanted} names more than one token; "
                                  "give more characters of its digest")
        (row,) = rows
        token = row.token()
        token.revoke(utcnow())
        row.save(token)
    _forget(database)
    return token


def list_tokens(database: Database, username: str) -> list[ApiToken]:
    with database.unit_of_work() as session:
        _user(session, username)
        return [row.token() for row in tokens_of(session, username)]


def disable_user(database: Database, username: str) -> UserAccount:
    """Disable a user: none of its tokens is accepted until it is enabled again. The last
    enabled admin cannot be disabled."""
    with database.unit_of_work() as session:
        row = _user(session, username, lock=True)
        account = row.account()
        account.disable(utcnow(), enabled_admins(session, other_than=username))
        row.save(account)
    _forget(database)
    return account


def enable_user(database: Database, username: str) -> UserAccount:
    """Enable a disabled user; its tokens that were not revoked work again."""
    with database.unit_of_work() as session:
        row = _user(session, username, lock=True)
        account = row.account()
        account.enable()
        row.save(account)
    return account


def _user(session: Session, username: str, lock: bool = False) -> UserRow:
    row = session.get(UserRow, username, with_for_update=lock)
    if row is None:
        raise UnknownUser(f"no user {username!r}")
    return row


def _forget(database: Database) -> None:
    # A request that read a principal before this change stores it into the dictionary
    # dropped here, not into the one the next request reads.
    _principals.pop(database, None)


def authenticate(database: Database, token: str) -> Principal:
    digest = _digest(token)
    # Tokens are checked on every request, so known ones are cached per database; only
    # positive answers are cached, and a revocation clears the cache of this process.
    cache = _principals.setdefault(database, {})
    principal = cache.get(digest)
    if principal is None:
        with database.unit_of_work() as session:
            principal = principal_for_digest(session, digest)
        if principal is None:
            raise UnknownToken("the bearer token is unknown or revoked")
        cache[digest] = principal
    return principal


_principals: dict[Database, dict[str, Principal]] = {}


def list_users(
    database: Database, limit: int = 50, offset: int = 0
) -> tuple[list[UserAccount], int]:
    with database.unit_of_work() as session:
        total = session.scalar(select(func.count()).select_from(UserRow)) or 0
        rows = session.scalars(
            select(UserRow).order_by(UserRow.username).limit(limit).offset(offset)
        ).all()
        return [row.account() for row in rows], total
