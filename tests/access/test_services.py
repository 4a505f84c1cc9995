import time
from datetime import timedelta

import pytest

from singlewindow.access import services
from singlewindow.access.errors import (
    AccountConflict,
    InvalidUser,
    TokenExpired,
    UnknownToken,
    UnknownTokenId,
    UnknownUser,
    UsernameTaken,
)
from singlewindow.access.model import TOKEN_LIFETIME, Role
from singlewindow.access.repository import TokenRow, current_revision
from singlewindow.core.clock import utcnow
from singlewindow.core.db import Database
from singlewindow.core.errors import Invalid


def test_a_token_authenticates_its_user(database):
    token = services.create_user(database, "trader", Role.TRADER, party_id="VN1")
    principal = services.authenticate(database, token)
    assert (principal.username, principal.role, principal.party_id) == ("trader", Role.TRADER,
                                                                         "VN1")


def test_only_the_digest_of_a_token_is_stored(database):
    token = services.create_user(database, "a", Role.ADMIN)
    with database.engine.connect() as connection:
        from sqlalchemy import text

        stored = connection.execute(text("SELECT digest FROM api_token")).scalar_one()
    assert token not in stored and len(stored) == 64


def test_unknown_and_revoked_tokens_are_refused(database):
    with pytest.raises(UnknownToken):
        services.authenticate(database, "nonsense")
    token = services.create_user(database, "o", Role.OFFICER, office="VNHCM01")
    services.authenticate(database, token)
    services.revoke_token(database, token)
    with pytest.raises(UnknownToken):
        services.authenticate(database, token)


def test_users_need_what_their_role_needs(database):
    with pytest.raises(InvalidUser) as raised:
        services.create_user(database, "", Role.TRADER)
    assert {p.path for p in raised.value.problems} == {"username", "party_id"}
    with pytest.raises(InvalidUser):
        services.create_user(database, "o", Role.OFFICER)
    services.create_user(database, "x", Role.ADMIN)
    with pytest.raises(UsernameTaken):
        services.create_user(database, "x", Role.ADMIN)


def test_a_disabled_users_tokens_stop_working_until_it_is_enabled(database):
    token = services.create_user(database, "t", Role.TRADER, party_id="VN1")
    services.create_user(database, "root", Role.ADMIN)
    services.authenticate(database, token)  # cached from here on
    disabled = services.disable_user(database, "t")
    assert disabled.disabled and disabled.disabled_at is not None
    with pytest.raises(UnknownToken):
        services.authenticate(database, token)
    with pytest.raises(AccountConflict):
        services.disable_user(database, "t")
    with pytest.raises(AccountConflict):
        services.issue_token(database, "t")  # no new token for a disabled user
    assert not services.enable_user(database, "t").disabled
    assert services.authenticate(database, token).username == "t"
    with pytest.raises(AccountConflict):
        services.enable_user(database, "t")


def test_the_last_enabled_admin_cannot_be_disabled(database):
    services.create_user(database, "root", Role.ADMIN)
    services.create_user(database, "deputy", Role.ADMIN)
    services.disable_user(database, "deputy")
    with pytest.raises(AccountConflict, match="last enabled admin"):
        services.disable_user(database, "root")
    services.enable_user(database, "deputy")
    services.disable_user(database, "root")
    users, total = services.list_users(database)
    assert total == 2
    assert {u.username: u.disabled for u in users} == {"deputy": False, "root": True}


def test_unknown_users_are_not_found(database):
    for change in (services.disable_user, services.enable_user, services.issue_token,
                   services.list_tokens):
        with pytest.raises(UnknownUser):
            change(database, "nobody")


def test_a_token_is_revoked_by_its_id_and_never_works_again(database):
    first = services.create_user(database, "o", Role.OFFICER, office="VNHCM01")
    second = services.issue_token(database, "o")
    services.authenticate(database, first)
    services.authenticate(database, second)
    listed = services.list_tokens(database, "o")
    assert sorted(t.token_id for t in listed) == sorted(
        services.token_id(t) for t in (first, second))
    assert all(len(t.token_id) == 12 and t.revoked_at is None for t in listed)
    revoked = services.revoke_token_id(database, services.token_id(first).upper())
    assert revoked.revoked_at is not None
    with pytest.raises(UnknownToken):
        services.authenticate(database, first)
    assert services.authenticate(database, second).username == "o"  # the other one still works
    with pytest.raises(AccountConflict, match="already revoked"):
        services.revoke_token_id(database, services.token_id(first))
    services.disable_user(database, "o")
    services.enable_user(database, "o")
    with pytest.raises(UnknownToken):  # enabling the user does not bring a revoked token back
        services.authenticate(database, first)
    states = {t.token_id: t.revoked_at is not None for t in services.list_tokens(database, "o")}
    assert states == {services.token_id(first): True, services.token_id(second): False}


def test_a_token_id_must_look_like_one_and_exist(database):
    services.create_user(database, "a", Role.ADMIN)
    for bad in ("", "abc", "zzzzzzzzzzzz", "1234567890ab%"):
        with pytest.raises(Invalid) as raised:
            services.revoke_token_id(database, bad)
        assert raised.value.problems[0].path == "token_id"
    with pytest.raises(UnknownTokenId):
        services.revoke_token_id(database, "0" * 12)


def test_an_id_shared_by_two_tokens_revokes_neither(database):
    services.create_user(database, "a", Role.ADMIN, token="first")
    services.issue_token(database, "a")
    with database.unit_of_work() as session:
        # A second digest with the same 12 leading characters: rare, but refused plainly.
        twin = services._digest("first")[:12] + "0" * 52
        session.add(TokenRow(digest=twin, username="a", created_at=utcnow(),
                             expires_at=utcnow() + TOKEN_LIFETIME))
    with pytest.raises(AccountConflict, match="more than one token"):
        services.revoke_token_id(database, services.token_id("first"))
    assert services.authenticate(database, "first").username == "a"


def _refused_within(seconds: float, database, token: str) -> float:
    """How long until `token` is refused on `database` (failing after `seconds`)."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        try:
            services.authenticate(database, token)
        except UnknownToken:
            return time.monotonic() - start
        time.sleep(0.02)
    raise AssertionError(f"the token still works after {seconds} s")


def test_a_revocation_elsewhere_is_honoured_within_a_second(database):
    # Another Database on the same URL has a cache of its own, as another process does.
    elsewhere = Database(database.url)
    try:
        token = services.create_user(database, "t", Role.TRADER, party_id="VN1")
        services.create_user(database, "root", Role.ADMIN)
        assert services.authenticate(elsewhere, token).username == "t"  # cached there
        services.revoke_token_id(database, services.token_id(token))
        _refused_within(1.0, elsewhere, token)
    finally:
        elsewhere.dispose()


def test_a_disabling_elsewhere_is_honoured_within_a_second(database):
    elsewhere = Database(database.url)
    try:
        token = services.create_user(database, "t", Role.TRADER, party_id="VN1")
        services.create_user(database, "root", Role.ADMIN)
        assert services.authenticate(elsewhere, token).username == "t"
        services.disable_user(database, "t")
        _refused_within(1.0, elsewhere, token)
        services.enable_user(database, "t")
        assert services.authenticate(elsewhere, token).username == "t"
    finally:
        elsewhere.dispose()


def test_the_revision_is_read_at_most_every_half_second(database, monkeypatch):
    token = services.create_user(database, "t", Role.TRADER, party_id="VN1")
    reads = []
    real = services.current_revision
    monkeypatch.setattr(services, "current_revision", lambda s: reads.append(1) or real(s))
    fresh = Database(database.url)
    try:
        start = time.monotonic()
        while time.monotonic() - start < 0.3:
            services.authenticate(fresh, token)
        assert len(reads) == 1  # hundreds of requests, one read
    finally:
        fresh.dispose()


def test_every_revocation_and_disabling_moves_the_revision(database):
    def revision() -> int:
        with database.unit_of_work() as session:
            return current_revision(session)

    first = services.create_user(database, "t", Role.TRADER, party_id="VN1")
    services.create_user(database, "root", Role.ADMIN)
    before = revision()
    services.revoke_token(database, first)
    services.revoke_token_id(database, services.token_id(services.issue_token(database, "t")))
    services.disable_user(database, "t")
    assert revision() == before + 3
    with pytest.raises(AccountConflict):
        services.disable_user(database, "t")  # refused: rolled back with its bump
    assert revision() == before + 3


def test_an_expired_token_is_refused_saying_so(database):
    token = services.create_user(database, "t", Role.TRADER, party_id="VN1",
                                 lifetime=timedelta(seconds=2))
    lasting = services.issue_token(database, "t")
    assert services.authenticate(database, token).username == "t"  # cached from here on
    (listed, issued) = services.list_tokens(database, "t")
    assert listed.expires_at - listed.created_at == timedelta(seconds=2)
    assert issued.expires_at - issued.created_at == TOKEN_LIFETIME
    # Two seconds: a loaded machine must not let it expire before the first check above.
    time.sleep(max(0.0, (listed.expires_at - utcnow()).total_seconds()) + 0.05)
    with pytest.raises(TokenExpired, match="expired at .*; ask an admin for a new one"):
        services.authenticate(database, token)
    assert services.authenticate(database, lasting).username == "t"


def test_all_users_are_every_user_in_username_order(database: Database) -> None:
    for name in ("zoe", "anh", "minh"):
        services.create_user(database, name, Role.TRADER, party_id="VN1")
    services.disable_user(database, "minh")
    users = services.all_users(database)
    assert [u.username for u in users] == ["anh", "minh", "zoe"]
    assert [u.disabled_at is not None for u in users] == [False, True, False]
    page, total = services.list_users(database, limit=2, offset=0)
    assert (page, total) == (users[:2], 3)
