"""The account rules, without a database."""

from datetime import UTC, datetime, timedelta

import pytest

from singlewindow.access.errors import AccountConflict, TokenExpired
from singlewindow.access.model import (
    TOKEN_LIFETIME,
    ApiToken,
    Role,
    UserAccount,
    refuse_expired,
    token_expiry,
)
from singlewindow.core.errors import Invalid

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def account(role: Role = Role.TRADER) -> UserAccount:
    return UserAccount("u", role, "VN1" if role is Role.TRADER else None, None, NOW)


def test_a_disabled_account_gets_no_new_token_until_enabled():
    user = account()
    user.may_receive_token()
    user.disable(NOW, other_enabled_admins=0)  # a trader may be the last of anything
    with pytest.raises(AccountConflict):
        user.may_receive_token()
    with pytest.raises(AccountConflict):
        user.disable(NOW, other_enabled_admins=3)
    user.enable()
    user.may_receive_token()
    with pytest.raises(AccountConflict):
        user.enable()


def test_the_last_admin_stays_enabled():
    # Disabling it would leave nobody to enable it again or to manage the node.
    with pytest.raises(AccountConflict, match="last enabled admin"):
        account(Role.ADMIN).disable(NOW, other_enabled_admins=0)
    admin = account(Role.ADMIN)
    admin.disable(NOW, other_enabled_admins=1)
    assert admin.disabled


def test_a_token_is_revoked_once():
    token = ApiToken("0123456789ab", "u", NOW, token_expiry(NOW))
    token.revoke(NOW)
    with pytest.raises(AccountConflict, match="already revoked"):
        token.revoke(NOW)
    assert token.revoked_at == NOW


def test_a_token_stops_working_at_its_expiry():
    # A leaked or forgotten token must not work for ever.
    expires_at = token_expiry(NOW)
    assert expires_at == NOW + TOKEN_LIFETIME == NOW + timedelta(days=90)
    refuse_expired(expires_at, expires_at - timedelta(microseconds=1))
    with pytest.raises(TokenExpired, match="expired at 2027-03-01T09:00:00"):
        refuse_expired(expires_at, expires_at)
    assert token_expiry(NOW, timedelta(hours=1)) == NOW + timedelta(hours=1)


@pytest.mark.parametrize("life", [timedelta(0), timedelta(seconds=-1), timedelta(days=3651)])
def test_a_token_lives_a_bounded_time(life):
    with pytest.raises(Invalid) as refused:
        token_expiry(NOW, life)
    assert refused.value.problems[0].path == "lifetime"
