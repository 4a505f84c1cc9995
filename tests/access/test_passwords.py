"""Console passwords: the policy, Argon2id storage, the lock-out after repeated failures, one
answer for an unknown user and a wrong password, and `singlewindow users password`."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from typer.testing import CliRunner, Result

from singlewindow.access import services
from singlewindow.access.errors import (
    WRONG_CREDENTIALS,
    AccountLocked,
    InvalidPassword,
    LoginRefused,
    UnknownUser,
)
from singlewindow.access.model import Role
from singlewindow.access.passwords import (
    FAILURES_BEFORE_LOCK,
    LOCK_DURATION,
    LoginRecord,
    check_password,
    password_problems,
)
from singlewindow.access.repository import UserRow
from singlewindow.cli import app
from singlewindow.core.db import Database
from singlewindow.core.errors import Unauthenticated

PASSWORD = "correct horse battery"
NOON = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def _row(database: Database, username: str) -> UserRow:
    with database.unit_of_work() as session:
        row = session.scalars(select(UserRow).where(UserRow.username == username)).one()
        session.expunge(row)
        return row


def _trader(database: Database, password: str = PASSWORD) -> None:
    services.create_user(database, "trader", Role.TRADER, party_id="VN0100112437")
    services.set_password(database, "trader", password)


# --- the policy (pure)


def test_a_good_password_has_no_problem():
    assert password_problems("trader", PASSWORD) == []
    check_password("trader", "x" * 11 + "y")  # 12 characters, two different


@pytest.mark.parametrize(
    ("username", "password", "messages"),
    [
        ("trader", "short1", ["must be at least 12 characters"]),
        ("trader", "ab" * 65, ["must be at most 128 characters"]),
        ("trader-of-saigon", "Trader-Of-Saigon", ["must not be the username"]),
        ("trader", "a" * 20, ["must not be one character repeated"]),
        ("trader", "aaaa",
         ["must be at least 12 characters", "must not be one character repeated"]),
        ("trader", "", ["must be at least 12 characters"]),
    ],
)
def test_every_problem_of_a_password_is_named_at_password(username, password, messages):
    with pytest.raises(InvalidPassword) as raised:
        check_password(username, password)
    assert [(p.path, p.message) for p in raised.value.problems] == [
        ("password", m) for m in messages
    ]
    assert password not in raised.value.detail or not password


# --- the lock-out rule (pure, the clock passed in)


def test_the_fifth_failure_in_a_row_locks_for_fifteen_minutes():
    record = LoginRecord("trader")
    assert [record.failed(NOON) for _ in range(FAILURES_BEFORE_LOCK)] == [False] * 4 + [True]
    assert record.locked_until == NOON + LOCK_DURATION
    with pytest.raises(AccountLocked) as raised:
        record.refuse_if_locked(NOON + LOCK_DURATION - timedelta(seconds=1))
    assert raised.value.until == NOON + LOCK_DURATION
    assert (NOON + LOCK_DURATION).isoformat() in raised.value.detail
    record.refuse_if_locked(NOON + LOCK_DURATION)  # the lock has ended
    # After the lock, five more tries before the next one.
    later = NOON + LOCK_DURATION
    assert [record.failed(later) for _ in range(FAILURES_BEFORE_LOCK)] == [False] * 4 + [True]


def test_a_success_resets_the_run_of_failures():
    record = LoginRecord("trader")
    for _ in range(FAILURES_BEFORE_LOCK - 1):
        record.failed(NOON)
    record.succeeded()
    assert record.failed_logins == 0
    assert not record.failed(NOON) and not record.locked(NOON)


def test_a_try_while_locked_counts_for_nothing():
    record = LoginRecord("trader", failed_logins=0, locked_until=NOON + LOCK_DURATION)
    assert not record.failed(NOON)
    assert (record.failed_logins, record.locked_until) == (0, NOON + LOCK_DURATION)


# --- storage and services


def test_only_an_argon2id_hash_is_stored(database, frozen_clock):
    _trader(database)
    row = _row(database, "trader")
    assert row.password_hash is not None and row.password_hash.startswith("$argon2id$")
    assert PASSWORD not in row.password_hash
    assert row.password_changed_at == frozen_clock
    assert services.login(database, "trader", PASSWORD).username == "trader"


def test_a_password_the_policy_refuses_is_not_stored(database):
    services.create_user(database, "trader", Role.TRADER, party_id="VN1")
    with pytest.raises(InvalidPassword) as raised:
        services.set_password(database, "trader", "trader")
    assert {p.path for p in raised.value.problems} == {"password"}
    assert _row(database, "trader").password_hash is None
    with pytest.raises(UnknownUser):
        services.set_password(database, "nobody", PASSWORD)


def test_five_failures_lock_even_the_right_password_out_for_fifteen_minutes(
    database, frozen_clock, monkeypatch
):
    _trader(database)
    for _ in range(FAILURES_BEFORE_LOCK - 1):
        with pytest.raises(LoginRefused) as raised:
            services.login(database, "trader", "not the password")
        assert raised.value.detail == WRONG_CREDENTIALS
    with pytest.raises(AccountLocked) as locked:
        services.login(database, "trader", "not the password")
    assert locked.value.until == frozen_clock + LOCK_DURATION
    with pytest.raises(AccountLocked) as still:
        services.login(database, "trader", PASSWORD)
    assert (frozen_clock + LOCK_DURATION).isoformat() in still.value.detail
    assert isinstance(still.value, Unauthenticated) and still.value.status == 401

    monkeypatch.setattr(services, "utcnow", lambda: frozen_clock + LOCK_DURATION)
    assert services.login(database, "trader", PASSWORD).username == "trader"
    assert _row(database, "trader").failed_logins == 0


def test_a_success_clears_the_failures_and_a_new_password_the_lock(database, frozen_clock):
    _trader(database)
    for _ in range(FAILURES_BEFORE_LOCK - 1):
        with pytest.raises(LoginRefused):
            services.login(database, "trader", "not the password")
    assert _row(database, "trader").failed_logins == FAILURES_BEFORE_LOCK - 1
    services.login(database, "trader", PASSWORD)
    assert _row(database, "trader").failed_logins == 0

    for _ in range(FAILURES_BEFORE_LOCK):
        with pytest.raises(LoginRefused):
            services.login(database, "trader", "not the password")
    services.set_password(database, "trader", "another good password")  # an admin's reset
    assert services.login(database, "trader", "another good password").role is Role.TRADER
    with pytest.raises(LoginRefused):
        services.login(database, "trader", PASSWORD)


def test_an_unknown_user_gets_the_wrong_passwords_answer_after_as_much_work(
    database, monkeypatch
):
    _trader(database)
    services.create_user(database, "officer", Role.OFFICER, office="VNHCM01")  # no password
    verified: list[str] = []
    real = services._verified

    def counted(password_hash: str, password: str) -> bool:
        verified.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(services, "_verified", counted)
    answers = []
    for username in ("trader", "nobody", "officer"):
        with pytest.raises(LoginRefused) as raised:
            services.login(database, username, "not the password")
        answers.append((type(raised.value), raised.value.detail))
    assert answers == [(LoginRefused, WRONG_CREDENTIALS)] * 3
    # Each answer came after one Argon2 verification, the unknown ones against the dummy.
    assert len(verified) == 3 and all(h.startswith("$argon2id$") for h in verified)


def test_a_disabled_user_is_refused_its_right_password(database):
    _trader(database)
    services.create_user(database, "admin", Role.ADMIN)
    services.disable_user(database, "trader")
    with pytest.raises(LoginRefused) as right:
        services.login(database, "trader", PASSWORD)
    assert "disabled" in right.value.detail
    with pytest.raises(LoginRefused) as wrong:
        services.login(database, "trader", "not the password")
    assert wrong.value.detail == WRONG_CREDENTIALS  # nothing told to one without the password
    services.enable_user(database, "trader")
    assert services.login(database, "trader", PASSWORD).party_id == "VN0100112437"


def test_a_hash_with_old_parameters_is_redone_at_login(database):
    services.create_user(database, "trader", Role.TRADER, party_id="VN1")
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)
    with database.unit_of_work() as session:
        session.get_one(UserRow, "trader").password_hash = weak
    assert services.login(database, "trader", PASSWORD).username == "trader"
    redone = _row(database, "trader").password_hash
    assert redone is not None and redone != weak
    assert not PasswordHasher().check_needs_rehash(redone)
    assert services.login(database, "trader", PASSWORD).username == "trader"
    assert _row(database, "trader").password_hash == redone  # redone once, not every time


def test_concurrent_wrong_logins_are_all_counted(database, monkeypatch):
    """Two workers (threads here) check a wrong password at once; both failures count, since
    each is kept under the user's row lock (PostgreSQL) or in turn (SQLite)."""
    _trader(database)
    tries = FAILURES_BEFORE_LOCK - 1
    together = threading.Barrier(tries, timeout=60)
    real = services._verified

    def verified_together(password_hash: str, password: str) -> bool:
        answer = real(password_hash, password)
        together.wait()  # all go on to count their failure at the same moment
        return answer

    monkeypatch.setattr(services, "_verified", verified_together)
    refused: list[BaseException] = []

    def wrong_login() -> None:
        try:
            services.login(database, "trader", "not the password")
        except BaseException as error:  # noqa: BLE001 - collected for the assertion below
            refused.append(error)

    threads = [threading.Thread(target=wrong_login) for _ in range(tries)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert [type(e) for e in refused] == [LoginRefused] * tries
    assert _row(database, "trader").failed_logins == tries


def test_an_overlong_password_is_refused_like_a_wrong_one(database):
    _trader(database)
    with pytest.raises(LoginRefused) as raised:
        services.login(database, "trader", PASSWORD + "x" * 200)
    assert raised.value.detail == WRONG_CREDENTIALS


# --- the command line


def _run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(app, list(args), input=input)


@pytest.fixture
def node_database(database: Database, monkeypatch: pytest.MonkeyPatch) -> Database:
    monkeypatch.setenv("SINGLEWINDOW_DATABASE_URL", database.url)
    services.create_user(database, "trader", Role.TRADER, party_id="VN1")
    return database


def test_users_password_reads_stdin(node_database):
    said = _run("users", "password", "trader", input=PASSWORD + "\n")
    assert said.exit_code == 0, said.output
    assert "password is set" in said.output and PASSWORD not in said.output
    assert services.login(node_database, "trader", PASSWORD).username == "trader"


def test_users_password_reads_a_file_for_scripts(node_database, tmp_path: Path):
    file = tmp_path / "password"
    file.write_text("a long sample password\r\n", encoding="utf-8")
    said = _run("users", "password", "trader", "--password-file", str(file))
    assert said.exit_code == 0, said.output
    assert services.login(node_database, "trader", "a long sample password").role is Role.TRADER


def test_users_password_names_the_problems_and_stores_nothing(node_database, tmp_path: Path):
    said = _run("users", "password", "trader", input="aaaa\n")
    assert said.exit_code == 1 and "Traceback" not in said.output
    assert "password: must be at least 12 characters" in said.output
    assert "password: must not be one character repeated" in said.output
    assert "aaaa" not in said.output
    assert _row(node_database, "trader").password_hash is None

    missing = _run("users", "password", "trader", "--password-file", str(tmp_path / "none"))
    assert missing.exit_code == 1 and "no such file" in missing.output
    assert _run("users", "password", "trader", input="").exit_code == 1
    unknown = _run("users", "password", "nobody", input=PASSWORD + "\n")
    assert unknown.exit_code == 1 and "no user 'nobody'" in unknown.output
