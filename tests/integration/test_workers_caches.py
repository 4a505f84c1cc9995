"""Two real node worker processes on one PostgreSQL database: the risk rules each keeps in
memory follow a change made through the other within a second. (Known tokens: the same, in
tests/access/test_workers.py, on both engines.)"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest

from singlewindow.access import services as access
from singlewindow.access.model import Role
from singlewindow.core.db import Database
from singlewindow.devnet.network import NodeProcess
from tests.builders import as_json, import_declaration

pytestmark = pytest.mark.postgres


@pytest.fixture
def workers(database: Database, two_workers: tuple[NodeProcess, NodeProcess]) -> tuple[
    NodeProcess, NodeProcess
]:
    """Two node processes on one PostgreSQL database (as `serve --workers 2` would be)."""
    if database.engine.dialect.name != "postgresql":
        pytest.skip("several worker processes share a PostgreSQL database")
    return two_workers


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _within(seconds: float, condition: Callable[[], bool], what: str) -> float:
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if condition():
            return time.monotonic() - start
        time.sleep(0.02)
    raise AssertionError(f"{what}: still not so {seconds} s on")


def test_a_risk_profile_retired_through_one_worker_stops_selecting_on_the_other_within_a_second(
    database: Database, workers: tuple[NodeProcess, NodeProcess]
) -> None:
    one, two = workers
    officer = access.create_user(database, "officer", Role.OFFICER, office="VNHCM01")
    trader = access.create_user(database, "trader", Role.TRADER, party_id="VNTRADER0001")
    lodged = iter(range(1, 1000))

    def channel(worker: NodeProcess) -> str:
        body = as_json(import_declaration(f"LRN-WORKERS-{next(lodged)}"))
        answer = httpx.post(f"{worker.api}/declarations", json=body, headers=_bearer(trader),
                            timeout=10)
        assert answer.status_code == 201, answer.text
        return str(answer.json()["channel"])

    assert channel(two) == "green"  # worker two has read the rules: there are none
    created = httpx.post(
        f"{one.api}/risk/rules",
        json={"name": "coffee check", "channel": "red", "valid_from": "2020-01-01",
              "criteria": [{"field": "commodity_code", "operator": "prefix", "value": "0901"}]},
        headers=_bearer(officer), timeout=5,
    )
    assert created.status_code == 201, created.text
    rule = created.json()["id"]
    assert channel(one) == "red"  # at once where it was made
    _within(1.0, lambda: channel(two) == "red", "the other worker ignores the new profile")

    retired = httpx.patch(f"{one.api}/risk/rules/{rule}", json={"status": "retired"},
                          headers=_bearer(officer), timeout=5)
    assert retired.status_code == 200, retired.text
    assert channel(one) == "green"
    time.sleep(1.0)
    assert channel(two) == "green"  # not selected by the retired profile a second on
