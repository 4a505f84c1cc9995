from __future__ import annotations

from datetime import datetime

from singlewindow.core.errors import Conflict, Invalid, NotFound, Unauthenticated

# One answer for an unknown user, a user without a password and a wrong password, so that a
# login tells a guesser nothing about which usernames exist.
WRONG_CREDENTIALS = "wrong username or password"


class UnknownToken(Unauthenticated):
    pass


class TokenExpired(UnknownToken):
    """A token past its expiry: refused like an unknown one, but saying so."""


class UnknownUser(NotFound):
    pass


class UsernameTaken(Conflict):
    pass


class InvalidUser(Invalid):
    pass


class UnknownTokenId(NotFound):
    pass


class AccountConflict(Conflict):
    """The account or token is in a state that refuses the change (already disabled, the
    last admin, already revoked)."""


class InvalidPassword(Invalid):
    """A new password the policy refuses; every problem is located at `password`."""


class LoginRefused(Unauthenticated):
    """A console login refused: wrong username or password (one answer for both), or the
    account disabled (said only to one who gave its right password)."""


class AccountLocked(LoginRefused):
    """Too many failed logins in a row: every login is refused until `until`."""

    def __init__(self, username: str, until: datetime) -> None:
        super().__init__(f"user {username!r} is locked after repeated failed logins, until "
                         f"{until.isoformat()}")
        self.until = until
