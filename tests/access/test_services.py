import pytest

from singlewindow.access import services
from singlewindow.access.errors import InvalidUser, UnknownToken, UsernameTaken
from singlewindow.access.model import Role


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
