"""Use cases of access: create, list, disable and enable users; issue, check and revoke
tokens; set console passwords and log in with them.

Known tokens are cached per database in each process. Every revocation and disabling bumps
the access revision in its own transaction; each process reads the revision at most every
half second, on an authentication, and drops its cache when it moved. So a token revoked or
a user disabled through any process (a node's other workers, the command line) is refused
by all of them within a second: one indexed read per half second, not one per request.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from singlewindow.access.errors import (
    WRONG_CREDENTIALS,
    AccountConflict,
    AccountLocked,
    InvalidUser,
    LoginRefused,
    UnknownToken,
    UnknownTokenId,
    UnknownUser,
    UsernameTaken,
)
from singlewindow.access.model import (
    TOKEN_ID_LENGTH,
    ApiToken,
    Principal,
    Role,
    UserAccount,
    refuse_expired,
    token_expiry,
)
from singlewindow.access.passwords import LONGEST_PASSWORD, check_password, password_problems
from singlewindow.access.repository import (
    TokenRow,
    UserRow,
    bump_revision,
    current_revision,
    enabled_admins,
    holder_of,
    tokens_of,
    tokens_with_id,
)
from singlewindow.core.clock import utcnow
from singlewindow.core.db import Database
from singlewindow.core.errors import Invalid, Problem
from singlewindow.core.revisions import CHECK_SECONDS, RevisionWatch

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
    lifetime: timedelta | None = None,
    password: str | None = None,
) -> str:
    """Create a user and return its first API token (shown once; only its digest is kept),
    which works for `lifetime` (by default `TOKEN_LIFETIME`); with `password`, its console
    password too, in the same transaction (an unacceptable one creates nothing)."""
    problems = password_problems(username, password) if password is not None else []
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
    password_hash = _HASHER.hash(password) if password is not None else None
    now = utcnow()
    expires_at = token_expiry(now, lifetime)
    with database.unit_of_work() as session:
        if session.get(UserRow, username) is not None:
            raise UsernameTaken(f"user {username!r} already exists")
        session.add(
            UserRow(
                username=username,
                role=role.value,
                party_id=party_id,
                office=office,
                created_at=now,
                password_hash=password_hash,
                password_changed_at=now if password_hash else None,
            )
        )
        session.flush()
        session.add(TokenRow(digest=_digest(token), username=username, created_at=now,
                             expires_at=expires_at))
    return token


def token_id(token: str) -> str:
    """The public id of a token (the first characters of its digest), for listing and
    revoking it without ever showing the token again."""
    return _digest(token)[:TOKEN_ID_LENGTH]


def issue_token(database: Database, username: str, lifetime: timedelta | None = None) -> str:
    """A new API token for an enabled user (shown once; only its digest is kept), which
    works for `lifetime` (by default `TOKEN_LIFETIME`)."""
    return new_token(database, username, lifetime)[0]


def new_token(
    database: Database, username: str, lifetime: timedelta | None = None
) -> tuple[str, ApiToken]:
    """As `issue_token`, with the token as it is listed (its id and expiry)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    expires_at = token_expiry(now, lifetime)
    with database.unit_of_work() as session:
        _user(session, username).account().may_receive_token()
        row = TokenRow(digest=_digest(token), username=username, created_at=now,
                       expires_at=expires_at)
        session.add(row)
        session.flush()
        return token, row.token()


def revoke_token(database: Database, token: str) -> None:
    with database.unit_of_work() as session:
        row = session.get(TokenRow, _digest(token))
        if row is None:
            raise UnknownToken("no such token")
        row.revoked_at = utcnow()
        bump_revision(session)
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
        bump_revision(session)
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
        bump_revision(session)
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
    RevisionWatch.changed(database, "access")


# How often a process looks whether the access revision moved: a revocation elsewhere is
# honoured within this, plus the time of one read.
REVISION_CHECK_SECONDS = CHECK_SECONDS


class _KnownTokens:
    """The tokens one process has seen accepted on one database, dropped when the access
    revision moves (looked at most every REVISION_CHECK_SECONDS)."""

    def __init__(self, database: Database) -> None:
        self.holders: dict[str, tuple[Principal, datetime]] = {}

        def read() -> int:
            with database.unit_of_work() as session:
                return current_revision(session)

        self._watch = RevisionWatch(database, "access", read, lambda: REVISION_CHECK_SECONDS)

    def drop(self) -> None:
        # A request that read a token before the change stores it into the dictionary
        # dropped here, not into the one the next request reads.
        self.holders = {}

    def current(self) -> dict[str, tuple[Principal, datetime]]:
        """The cache to read and fill, dropped first if the revision moved."""
        if self._watch.moved():
            self.drop()
        return self.holders


def _cache(database: Database) -> _KnownTokens:
    return database.kept("access.tokens", lambda: _KnownTokens(database))


def authenticate(database: Database, token: str) -> Principal:
    """Who the bearer of `token` is; UnknownToken if it is unknown, revoked or its user
    disabled, TokenExpired if it is past its expiry."""
    digest = _digest(token)
    # Tokens are checked on every request, so known ones are cached per database; only
    # positive answers are cached (an expired one is refused from the cache too).
    cache = _cache(database).current()
    found = cache.get(digest)
    if found is None:
        with database.unit_of_work() as session:
            found = holder_of(session, digest)
        if found is None:
            raise UnknownToken("the bearer token is unknown or revoked, or its user disabled")
        cache[digest] = found
    principal, expires_at = found
    refuse_expired(expires_at, utcnow())
    return principal


def list_users(
    database: Database, limit: int = 50, offset: int = 0
) -> tuple[list[UserAccount], int]:
    with database.unit_of_work() as session:
        total = session.scalar(select(func.count()).select_from(UserRow)) or 0
        rows = session.scalars(
            select(UserRow).order_by(UserRow.username).limit(limit).offset(offset)
        ).all()
        return [row.account() for row in rows], total


def get_user(database: Database, username: str) -> UserAccount:
    with database.unit_of_work() as session:
        return _user(session, username).account()


def all_users(database: Database) -> list[UserAccount]:
    """Every user of the node, in username order (the `users list` command's table)."""
    with database.unit_of_work() as session:
        rows = session.scalars(select(UserRow).order_by(UserRow.username)).all()
        return [row.account() for row in rows]


# Argon2id with argon2-cffi's defaults (RFC 9106's second recommended profile: 64 MiB, three
# passes); a stored hash made with other parameters is redone at its next successful login.
_HASHER = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """A hash of no one's password, verified when the username is unknown or has no
    password, so that the answer takes as long as a wrong password's (made once per process,
    on the first such login, not at import)."""
    return _HASHER.hash(secrets.token_urlsafe(32))


def _verified(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def set_password(database: Database, username: str, password: str) -> None:
    """Set a user's console password (by the policy of `access.passwords`; only its Argon2id
    hash is kept); its failed logins and any lock are cleared."""
    check_password(username, password)
    password_hash = _HASHER.hash(password)  # before the unit of work: it takes a while
    with database.unit_of_work() as session:
        row = _user(session, username, lock=True)
        record = row.login_record()
        record.reset()
        row.save_login(record)
        row.password_hash = password_hash
        row.password_changed_at = utcnow()


def login(database: Database, username: str, password: str) -> Principal:
    """Who logs in with `username` and `password` at the console.

    LoginRefused with one answer for an unknown user, a user without a password and a wrong
    password; AccountLocked after repeated failures, until the lock ends, the right password
    too; LoginRefused for a disabled user who gave its right password."""
    with database.unit_of_work() as session:
        row = session.get(UserRow, username)
        password_hash = row.password_hash if row is not None else None
        if row is not None and password_hash is not None:
            row.login_record().refuse_if_locked(utcnow())
    if password_hash is None or len(password) > LONGEST_PASSWORD:  # none could be right
        # As long as a wrong password takes, for the same answer.
        _verified(_dummy_hash(), password[:LONGEST_PASSWORD])
        raise LoginRefused(WRONG_CREDENTIALS)
    # Argon2 takes its time outside any transaction (SQLite's writers take turns); the count
    # is then kept under the user's row lock, so that two workers lose no failure.
    right = _verified(password_hash, password)
    now = utcnow()
    with database.unit_of_work() as session:
        row = _user(session, username, lock=True)
        if row.password_hash != password_hash:  # set anew meanwhile: the new one decides
            right = row.password_hash is not None and _verified(row.password_hash, password)
        record = row.login_record()
        record.refuse_if_locked(now)  # another worker's failure may have locked it meanwhile
        if right:
            record.succeeded()
            if row.password_hash and _HASHER.check_needs_rehash(row.password_hash):
                row.password_hash = _HASHER.hash(password)
            locks = False
        else:
            locks = record.failed(now)
        row.save_login(record)
        principal, disabled = row.principal(), row.disabled_at is not None
    # Raised once the unit of work has kept the count (raising inside it would roll back).
    if locks and record.locked_until is not None:
        raise AccountLocked(username, record.locked_until)
    if not right:
        raise LoginRefused(WRONG_CREDENTIALS)
    if disabled:
        raise LoginRefused(f"user {username!r} is disabled; ask an admin to enable it")
    return principal


def console_principal(database: Database, username: str) -> Principal | None:
    """Who a console session's user is now, or None once the user is disabled or gone: a
    session is checked against the account on every page, so that disabling a user ends its
    sessions at once, as it ends its tokens."""
    with database.unit_of_work() as session:
        row = session.get(UserRow, username)
        if row is None or row.disabled_at is not None:
            return None
        return row.principal()
