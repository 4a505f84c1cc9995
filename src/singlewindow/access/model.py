"""Who may do what: users with one role each, and the principal a request acts as.

A user's account is enabled or disabled; while it is disabled none of its tokens is
accepted (they come back when it is enabled again). A token, once revoked, never does; nor
does one past its expiry (90 days after it is issued, unless the admin gives another life).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from singlewindow.access.errors import AccountConflict, TokenExpired
from singlewindow.core.errors import Invalid, Problem

# A token is known by the first characters of its digest: enough to tell tokens apart
# (48 bits), and nothing about the token itself, which is never kept.
TOKEN_ID_LENGTH = 12

# How long a token works unless its issuer says otherwise: a token that leaked or was
# forgotten stops working on its own. At most ten years, so that none is forever.
TOKEN_LIFETIME = timedelta(days=90)
LONGEST_TOKEN_LIFETIME = timedelta(days=3650)


def token_expiry(issued_at: datetime, lifetime: timedelta | None = None) -> datetime:
    """When a token issued at `issued_at` stops working."""
    life = TOKEN_LIFETIME if lifetime is None else lifetime
    if not timedelta(0) < life <= LONGEST_TOKEN_LIFETIME:
        raise Invalid([Problem("lifetime", "a token lives more than 0 and at most "
                                   f"{LONGEST_TOKEN_LIFETIME.days} days")])
    return issued_at + life


def refuse_expired(expires_at: datetime, at: datetime) -> None:
    """A token is refused from its expiry on, with when it expired (its holder needs a new
    one, not a retry)."""
    if at >= expires_at:
        raise TokenExpired(f"the bearer token expired at {expires_at.isoformat()}; "
                           "ask an admin for a new one")


class Role(enum.StrEnum):
    TRADER = "trader"  # lodges and follows its own declarations (declarant or broker)
    OFFICER = "officer"  # works the declarations of its customs office
    ADMIN = "admin"  # manages tariffs, risk rules and users
    ISSUER = "issuer"  # an issuing authority for certificates of origin
    BANK = "bank"  # a bank or the treasury: confirms payments of duties and taxes
    MANAGER = "manager"  # sees the dashboards of its administration; changes nothing


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of a request."""

    username: str
    role: Role
    party_id: str | None = None  # the trader's or bank's identifier (TIN/EORI-like, BIC)
    office: str | None = None  # the customs office code, for officers


@dataclass
class UserAccount:
    """A user as an administrator manages it."""

    username: str
    role: Role
    party_id: str | None
    office: str | None
    created_at: datetime
    disabled_at: datetime | None = None

    @property
    def disabled(self) -> bool:
        return self.disabled_at is not None

    def disable(self, at: datetime, other_enabled_admins: int) -> None:
        if self.disabled_at is not None:
            raise AccountConflict(f"user {self.username!r} is already disabled "
                                  f"(since {self.disabled_at.isoformat()})")
        if self.role is Role.ADMIN and other_enabled_admins == 0:
            # Nobody could enable it again, nor manage users, tariffs or the policy.
            raise AccountConflict(f"user {self.username!r} is the node's last enabled admin")
        self.disabled_at = at

    def enable(self) -> None:
        if self.disabled_at is None:
            raise AccountConflict(f"user {self.username!r} is not disabled")
        self.disabled_at = None

    def may_receive_token(self) -> None:
        if self.disabled_at is not None:
            raise AccountConflict(f"user {self.username!r} is disabled; enable it first")


@dataclass
class ApiToken:
    """One of a user's bearer tokens, known by its id (the token itself is shown once)."""

    token_id: str
    username: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None

    def revoke(self, at: datetime) -> None:
        if self.revoked_at is not None:
            raise AccountConflict(f"token {self.token_id} was already revoked "
                                  f"(at {self.revoked_at.isoformat()})")
        self.revoked_at = at
