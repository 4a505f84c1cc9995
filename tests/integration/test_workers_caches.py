"""Two real node worker processes on one PostgreSQL database: what each keeps in memory (known
tokens, risk rules) follows a change made through the other within a second."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from singlewindow.access import services as access
from singlewindow.access.model import Role
from singlewindow.core.db import Database
from singlewindow.devnet.network import NodeProcess
from tests.builders import as_json, import_declaration

pytestmark = pytest.mark.postgres


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def workers(database: Database, tmp_path: Path) -> Iterator[tuple[NodeProcess, NodeProcess]]:
    """Two node processes serving one PostgreSQL database, standalone, no random checks."""
    if database.engine.dialect.name != "postgresql":
        pytest.skip("several worker processes share a PostgreSQL database")
    env = {"SINGLEWINDOW_DATABASE_URL": database.url, "SINGLEWINDOW_SAMPLE": "0",
           "SINGLEWINDOW_RANDOM_SHARE": "0"}
    started = [NodeProcess("VN", free_port(), tmp_path / name) for name in ("one", "two")]
    try:
        for worker in started:
            worker.start(env)
            worker.wait_ready()  # one after the other: the first migrates the database
        yield started[0], started[1]
    finally:
        for worker in started:
            worker.stop()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _within(seconds: float, condition: Callable[[], bool], what: str) -> float:
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if condition():
            return time.monotonic() - start
        time.sleep(0.02)
    raise AssertionError(f"{what}: still not so {seconds} s on")


def test_a_token_revoked_through_one_worker_is_refused_by_the_other_within_a_second(
    database: Database, workers: tuple[NodeProcess, NodeProcess]
) -> None:
    one, two = workers
    admin = access.create_user(database, "admin", Role.ADMIN)
    trader = access.create_user(database, "trader", Role.TRADER, party_id="VNTRADER0001")
    for worker in workers:  # both know the token now
        assert httpx.get(f"{worker.url}/me", headers=_bearer(trader), timeout=5).is_success
    revoked = httpx.post(f"{one.url}/tokens/{access.token_id(trader)}/revocation",
                         headers=_bearer(admin), timeout=5)
    assert revoked.status_code == 200, revoked.text
    _within(1.0, lambda: httpx.get(f"{two.url}/me", headers=_bearer(trader),
                                   timeout=5).status_code == 401,
            "the other worker accepts the revoked token")


def test_a_risk_profile_retired_through_one_worker_stops_selecting_on_the_other_within_a_second(
    database: Database, workers: tuple[NodeProcess, NodeProcess]
) -> None:
    one, two = workers
    officer = access.create_user(database, "officer", Role.OFFICER, office="VNHCM01")
    trader = access.create_user(database, "trader", Role.TRADER, party_id="VNTRADER0001")
    lodged = iter(range(1, 1000))

    def channel(worker: NodeProcess) -> str:
        body = as_json(import_declaration(f"LRN-WORKERS-{next(lodged)}"))
        answer = httpx.post(f"{worker.url}/declarations", json=body, headers=_bearer(trader),
                            timeout=10)
        assert answer.status_code == 201, answer.text
        return str(answer.json()["channel"])

    assert channel(two) == "green"  # worker two has read the rules: there are none
    created = httpx.post(
        f"{one.url}/risk/rules",
        json={"name": "coffee check", "channel": "red", "valid_from": "2020-01-01",
              "criteria": [{"field": "commodity_code", "operator": "prefix", "value": "0901"}]},
        headers=_bearer(officer), timeout=5,
    )
    assert created.status_code == 201, created.text
    rule = created.json()["id"]
    assert channel(one) == "red"  # at once where it was made
    _within(1.0, lambda: channel(two) == "red", "the other worker ignores the new profile")

    retired = httpx.patch(f"{one.url}/risk/rules/{rule}", json={"status": "retired"},
                          headers=_bearer(officer), timeout=5)
    assert retired.status_code == 200, retired.text
    assert channel(one) == "green"
    time.sleep(1.0)
    assert channel(two) == "green"  # not selected by the retired profile a second on
