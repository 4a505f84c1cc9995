"""Use cases of access: create users, issue and check tokens."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import func, select

from singlewindow.access.errors import InvalidUser, UnknownToken, UnknownUser, UsernameTaken
from singlewindow.access.model import Principal, Role
from singlewindow.access.repository import TokenRow, UserRow, principal_for_digest
from singlewindow.core.clock import utcnow
from singlewindow.core.db import Database
from singlewindow.core.errors import Problem


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


def issue_token(database: Database, username: str) -> str:
    token = secrets.token_urlsafe(32)
    with database.unit_of_work() as session:
        if session.get(UserRow, username) is None:
            raise UnknownUser(f"no user {username!r}")
        session.add(TokenRow(digest=_digest(token), username=username, created_at=utcnow()))
    return token


def revoke_token(database: Database, token: str) -> None:
    with database.unit_of_work() as session:
        row = session.get(TokenRow, _digest(token))
        if row is None:
            raise UnknownToken("no such token")
        row.revoked_at = utcnow()
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


def list_users(database: Database, limit: int = 50, offset: int = 0) -> tuple[list[Principal], int]:
    with database.unit_of_work() as session:
        total = session.scalar(select(func.count()).select_from(UserRow)) or 0
        rows = session.scalars(
            select(UserRow).order_by(UserRow.username).limit(limit).offset(offset)
        ).all()
        return [row.principal() for row in rows], total
