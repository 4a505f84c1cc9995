"""The rules of console passwords: what a password must be, and when repeated failed logins
lock an account.

Pure rules with the clock passed in; hashing (Argon2id) and storage are the services' and
the repository's. A password is never kept here, nor put in an error: a problem says what
is wrong with it, never what it was.

    failed login ──► failed_logins + 1 ──(the 5th in a row)──► locked for 15 minutes
    successful login ──► failed_logins = 0
    locked ──► every login refused, the right password too, saying until when
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from singlewindow.access.errors import AccountLocked, InvalidPassword
from singlewindow.core.errors import Problem

SHORTEST_PASSWORD = 12
# Long enough for any passphrase or manager's password, short enough that hashing one is
# no way to make the node work hard.
LONGEST_PASSWORD = 128

FAILURES_BEFORE_LOCK = 5
LOCK_DURATION = timedelta(minutes=15)


def password_problems(username: str, password: str) -> list[Problem]:
    """Everything wrong with `password` as `username`'s new password, each located at
    `password`; none when it may be set."""
    problems = []
    if len(password) < SHORTEST_PASSWORD:
        problems.append(Problem("password", f"must be at least {SHORTEST_PASSWORD} characters"))
    if len(password) > LONGEST_PASSWORD:
        problems.append(Problem("password", f"must be at most {LONGEST_PASSWORD} characters"))
    # Case and surrounding spaces aside: "Trader1 " is still the username to a guesser.
    if password.strip().casefold() == username.strip().casefold():
        problems.append(Problem("password", "must not be the username"))
    if password and len(set(password)) == 1:
        problems.append(Problem("password", "must not be one character repeated"))
    return problems


def check_password(username: str, password: str) -> None:
    """Refuse a new password that breaks the policy, naming every problem."""
    problems = password_problems(username, password)
    if problems:
        raise InvalidPassword(problems)


@dataclass
class LoginRecord:
    """An account's run of failed logins and its lock, as the lock-out rule keeps them."""

    username: str
    failed_logins: int = 0
    locked_until: datetime | None = None

    def locked(self, at: datetime) -> bool:
        return self.locked_until is not None and at < self.locked_until

    def refuse_if_locked(self, at: datetime) -> None:
        """A locked account refuses every login, the right password too, until its lock
        ends."""
        if self.locked_until is not None and self.locked(at):
            raise AccountLocked(self.username, self.locked_until)

    def failed(self, at: datetime) -> bool:
        """Count a failed login; True when it locks the account (the run then starts again,
        so that after the lock the account has its five tries back)."""
        if self.locked(at):  # a try while locked was refused unheard: it counts for nothing
            return False
        self.failed_logins += 1
        if self.failed_logins < FAILURES_BEFORE_LOCK:
            return False
        self.locked_until = at + LOCK_DURATION
        self.failed_logins = 0
        return True

    def succeeded(self) -> None:
        self.failed_logins = 0
        self.locked_until = None

    def reset(self) -> None:
        """A new password, set by its user or an admin, clears the failures and the lock."""
        self.succeeded()
