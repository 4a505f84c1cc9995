"""Two real node processes on one database: a token revoked or a user disabled through one
is refused by the other within a second (each process caches the tokens it has seen)."""

from __future__ import annotations

import time

import httpx

from singlewindow.access import services
from singlewindow.access.model import Role
from singlewindow.devnet.network import NodeProcess


def _me(node: NodeProcess, token: str) -> httpx.Response:
    return httpx.get(f"{node.api}/me", headers={"Authorization": f"Bearer {token}"}, timeout=5)


def _refused_within(seconds: float, node: NodeProcess, token: str) -> float:
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        answer = _me(node, token)
        if answer.status_code == 401:
            return time.monotonic() - start
        assert answer.status_code == 200, answer.text
        time.sleep(0.02)
    raise AssertionError(f"{node.url} still accepts the token {seconds} s on")


def test_a_token_revoked_through_one_worker_is_refused_by_the_other(database, two_workers):
    one, two = two_workers
    admin = services.create_user(database, "admin", Role.ADMIN)
    trader = services.create_user(database, "trader", Role.TRADER, party_id="VNTRADER0001")
    assert _me(one, trader).status_code == 200 and _me(two, trader).status_code == 200
    revoked = httpx.post(f"{one.api}/tokens/{services.token_id(trader)}/revocation",
                         headers={"Authorization": f"Bearer {admin}"}, timeout=5)
    assert revoked.status_code == 200, revoked.text
    assert _me(one, trader).status_code == 401
    _refused_within(1.0, two, trader)


def test_a_user_disabled_through_one_worker_is_refused_by_the_other(database, two_workers):
    one, two = two_workers
    admin = services.create_user(database, "admin", Role.ADMIN)
    trader = services.create_user(database, "trader", Role.TRADER, party_id="VNTRADER0001")
    assert _me(one, trader).status_code == 200 and _me(two, trader).status_code == 200
    disabled = httpx.post(f"{two.api}/users/trader/disabling",
                          headers={"Authorization": f"Bearer {admin}"}, timeout=5)
    assert disabled.status_code == 200, disabled.text
    _refused_within(1.0, one, trader)
    refused = _me(one, trader)
    assert refused.headers["content-type"] == "application/problem+json"
    assert "unknown or revoked, or its user disabled" in refused.json()["detail"]
