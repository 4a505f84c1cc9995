"""The account rules, without a database."""

from datetime import UTC, datetime

import pytest

from singlewindow.access.errors import AccountConflict
from singlewindow.access.model import ApiToken, Role, UserAccount

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
    token = ApiToken("0123456789ab", "u", NOW)
    token.revoke(NOW)
    with pytest.raises(AccountConflict, match="already revoked"):
        token.revoke(NOW)
    assert token.revoked_at == NOW
