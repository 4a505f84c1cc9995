"""Admins manage users and tokens through the API; nobody else may."""

from datetime import timedelta

import pytest
from sqlalchemy import update

from singlewindow.access import services
from singlewindow.access.model import Role
from singlewindow.access.repository import TokenRow
from singlewindow.api.app import create_app
from singlewindow.core.clock import utcnow
from singlewindow.core.config import Settings
from singlewindow.node import Node
from tests.nodes import api_client


@pytest.fixture
def api(database, tmp_path):
    """A node's API over a real database, with one user of each role."""
    settings = Settings(country="VN", database_url=database.url, home=tmp_path,
                        random_inspection_share=0.0)
    client = api_client(create_app(Node.open(settings)))
    tokens = {
        "admin": services.create_user(database, "admin", Role.ADMIN),
        "officer": services.create_user(database, "officer", Role.OFFICER, office="VNHCM01"),
        "trader": services.create_user(database, "trader", Role.TRADER, party_id="VN1"),
        "issuer": services.create_user(database, "issuer", Role.ISSUER),
    }

    def as_(who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens.get(who, who)}"}

    client.as_ = as_  # type: ignore[attr-defined]
    return client


def test_a_disabled_trader_is_refused_until_enabled(api):
    assert api.get("/me", headers=api.as_("trader")).status_code == 200
    disabled = api.post("/users/trader/disabling", headers=api.as_("admin"))
    assert disabled.status_code == 200, disabled.text
    assert disabled.json()["disabled_at"] is not None
    refused = api.get("/declarations", headers=api.as_("trader"))
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    listed = api.get("/users", headers=api.as_("admin")).json()["items"]
    assert {u["username"]: u["disabled_at"] is not None for u in listed}["trader"] is True
    again = api.post("/users/trader/disabling", headers=api.as_("admin"))
    assert again.status_code == 409 and "already disabled" in again.json()["detail"]
    enabled = api.post("/users/trader/enabling", headers=api.as_("admin"))
    assert enabled.status_code == 200 and enabled.json()["disabled_at"] is None
    assert api.get("/me", headers=api.as_("trader")).status_code == 200


def test_the_last_admin_cannot_disable_itself(api):
    refused = api.post("/users/admin/disabling", headers=api.as_("admin"))
    assert refused.status_code == 409 and "last enabled admin" in refused.json()["detail"]
    assert api.get("/me", headers=api.as_("admin")).status_code == 200


def test_a_new_token_is_shown_once_and_revoked_by_its_id(api):
    issued = api.post("/users/officer/tokens", headers=api.as_("admin"))
    assert issued.status_code == 201, issued.text
    body = issued.json()
    token, token_id = body["token"], body["token_id"]
    assert api.get("/me", headers=api.as_(token)).json()["username"] == "officer"
    tokens = api.get("/users/officer/tokens", headers=api.as_("admin")).json()
    assert len(tokens) == 2 and token_id in {t["token_id"] for t in tokens}
    assert all("token" not in t for t in tokens)  # listed by id, never shown again
    revoked = api.post(f"/tokens/{token_id}/revocation", headers=api.as_("admin"))
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    assert api.get("/me", headers=api.as_(token)).status_code == 401
    assert api.get("/me", headers=api.as_("officer")).status_code == 200  # its first token
    twice = api.post(f"/tokens/{token_id}/revocation", headers=api.as_("admin"))
    assert twice.status_code == 409


def test_bad_and_unknown_names_get_a_problem_not_a_500(api):
    admin = api.as_("admin")
    bad = api.post("/tokens/not-an-id/revocation", headers=admin)
    assert bad.status_code == 422 and bad.json()["errors"][0]["path"] == "token_id"
    assert api.post("/tokens/0123456789ab/revocation", headers=admin).status_code == 404
    for path in ("/users/nobody/disabling", "/users/nobody/enabling", "/users/nobody/tokens"):
        assert api.post(path, headers=admin).status_code == 404, path
    assert api.get("/users/nobody/tokens", headers=admin).status_code == 404


@pytest.mark.parametrize("who", ["trader", "officer", "issuer"])
def test_only_admins_manage_users_and_tokens(api, who):
    headers = api.as_(who)
    token_id = api.post("/users/officer/tokens", headers=api.as_("admin")).json()["token_id"]
    for method, path in [("get", "/users"), ("post", "/users/trader/disabling"),
                         ("post", "/users/trader/enabling"), ("get", "/users/trader/tokens"),
                         ("post", "/users/trader/tokens"),
                         ("post", f"/tokens/{token_id}/revocation")]:
        assert getattr(api, method)(path, headers=headers).status_code == 403, path
    assert api.get("/me", headers=api.as_("trader")).status_code == 200  # nothing changed


def test_an_expired_token_gets_a_401_saying_so(api, database):
    issued = api.post("/users/officer/tokens", params={"days": 1}, headers=api.as_("admin"))
    assert issued.status_code == 201, issued.text
    body = issued.json()
    listed = api.get("/users/officer/tokens", headers=api.as_("admin")).json()
    assert {t["token_id"]: t["expires_at"] for t in listed}[body["token_id"]] == body["expires_at"]
    assert api.get("/me", headers=api.as_(body["token"])).status_code == 200
    with database.unit_of_work() as session:  # a day later
        session.execute(update(TokenRow).where(TokenRow.digest.startswith(body["token_id"]))
                        .values(expires_at=utcnow() - timedelta(seconds=1)))
    services._forget(api.app.state.database)  # as a day would have refreshed the cache
    refused = api.get("/me", headers=api.as_(body["token"]))
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    assert "expired at" in refused.json()["detail"]
    assert "ask an admin for a new one" in refused.json()["detail"]


@pytest.mark.parametrize("days", [0, -1, 3651, "soon"])
def test_a_token_life_out_of_bounds_is_refused(api, days):
    refused = api.post("/users/officer/tokens", params={"days": days}, headers=api.as_("admin"))
    assert refused.status_code == 422
    assert api.get("/users/officer/tokens", headers=api.as_("admin")).json()[1:] == []
