"""The transit API of an office of departure (Lao PDR's node, its sample users): the holder
lodges, follows and reads its guarantee; what a dishonest trader tries is refused with its
reason and changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from singlewindow.core.db import Database
from singlewindow.transit.model import mrn_problem
from tests.nodes import NodeClient, open_node

MOVEMENTS = "/transit/movements"


@pytest.fixture
def laos(database: Database, tmp_path: Path) -> Iterator[NodeClient]:
    opened = open_node(database, tmp_path, "LA")
    yield opened
    opened.opened.database.dispose()


def body(node: NodeClient, **changes: Any) -> dict[str, Any]:
    lodged = {
        "lrn": "LA-T-API-1", "holder": node.users.trader_party,
        "guarantee": node.users.transit_guarantee, "access_code": node.users.access_code,
        "departure_office": "LAVTE01", "transit_offices": ["THNKI01", "MYBKH01"],
        "destination_office": "SGWDL01", "routing": ["LA", "TH", "MY", "SG"],
        "transport": "LA 70-1234",
        "equipment": [{"number": "MSKU9070323", "seals": ["LA-88213"], "sealed": True}],
        "items": [{"commodity_code": "0901.11.00", "description": "Green coffee beans",
                   "packages": 200, "gross_mass": "10500", "net_mass": "10000",
                   "value": "420000000"}],
        "time_limit": (datetime.now(UTC) + timedelta(days=3)).isoformat(),
    }
    return lodged | changes


def guarantee(node: NodeClient, who: str = "trader") -> Any:
    return node.client.get(f"/transit/guarantees/{node.users.transit_guarantee}",
                           headers=node.as_(who))


def test_the_holder_lodges_follows_and_sees_its_guarantee_reserved(laos: NodeClient) -> None:
    before = guarantee(laos).json()
    answer = laos.client.post(MOVEMENTS, json=body(laos), headers=laos.as_("trader"))
    assert answer.status_code == 201, answer.text
    movement = answer.json()
    assert mrn_problem(movement["mrn"]) is None and movement["mrn"][2:4] == "LA"
    assert movement["status"] == "released" and movement["control"] is None
    assert set(movement["duties"]) == {"LA", "TH", "MY", "SG"}
    reserved = Decimal(movement["reserved"])
    assert reserved == max(Decimal(v) for v in movement["duties"].values()) > 0
    after = guarantee(laos).json()
    assert Decimal(after["reserved"]) == Decimal(before["reserved"]) + reserved
    assert Decimal(after["balance"]) == Decimal(before["balance"]) - reserved
    # Officers see selectivity's decision; the holder never does.
    seen = laos.client.get(f"{MOVEMENTS}/{movement['mrn']}", headers=laos.as_("officer"))
    assert seen.json()["control"]["channel"] == "green"
    mine = laos.client.get(MOVEMENTS, headers=laos.as_("trader")).json()
    assert mine["total"] == 1 and mine["items"][0]["mrn"] == movement["mrn"]
    history = laos.client.get(f"{MOVEMENTS}/{movement['mrn']}/history",
                              headers=laos.as_("trader")).json()
    assert [event["what"] for event in history] == ["lodged"]


def test_another_trader_neither_lodges_for_the_holder_nor_sees_its_movement(
        laos: NodeClient) -> None:
    refused = laos.client.post(MOVEMENTS, json=body(laos), headers=laos.as_("broker"))
    assert refused.status_code == 403 and "holder" in refused.json()["detail"]
    movement = laos.client.post(MOVEMENTS, json=body(laos), headers=laos.as_("trader")).json()
    assert laos.client.get(f"{MOVEMENTS}/{movement['mrn']}",
                           headers=laos.as_("broker")).status_code == 404
    assert guarantee(laos, "broker").status_code == 404
    assert laos.client.get(MOVEMENTS, headers=laos.as_("broker")).json()["total"] == 0


def test_a_wrong_access_code_is_refused_counted_and_reserves_nothing(laos: NodeClient) -> None:
    wrong = "0000" if laos.users.access_code != "0000" else "1111"
    refused = laos.client.post(MOVEMENTS, json=body(laos, access_code=wrong),
                               headers=laos.as_("trader"))
    assert refused.status_code == 409 and "access code" in refused.json()["detail"]
    assert Decimal(guarantee(laos).json()["reserved"]) == 0
    assert laos.client.get(MOVEMENTS, headers=laos.as_("officer")).json()["total"] == 0


@pytest.mark.parametrize(("changes", "path"), [
    ({"lrn": "L" * 5000}, "lrn"),
    ({"time_limit": "2026-12-05T10:00:00"}, "time_limit"),  # no offset: which instant?
    ({"destination_office": "SGXXX99"}, "destination"),
    ({"routing": ["LA", "MY", "SG"]}, "transit"),
    ({"access_code": "47111"}, "access_code"),
])
def test_bad_declarations_are_refused_at_their_place_and_store_nothing(
        laos: NodeClient, changes: dict[str, Any], path: str) -> None:
    refused = laos.client.post(MOVEMENTS, json=body(laos, **changes), headers=laos.as_("trader"))
    assert refused.status_code == 422, refused.text
    assert any(path in error["path"] for error in refused.json()["errors"]), refused.json()
    assert laos.client.get(MOVEMENTS, headers=laos.as_("officer")).json()["total"] == 0
    assert Decimal(guarantee(laos).json()["reserved"]) == 0


def test_officers_record_only_what_is_expected_at_their_own_office(laos: NodeClient) -> None:
    movement = laos.client.post(MOVEMENTS, json=body(laos), headers=laos.as_("trader")).json()
    number = movement["mrn"]
    # The holder may not record its own arrival, nor an officer a crossing in another country.
    assert laos.client.post(f"{MOVEMENTS}/{number}/arrival", json={"office": "SGWDL01"},
                            headers=laos.as_("trader")).status_code == 403
    elsewhere = laos.client.post(f"{MOVEMENTS}/{number}/crossing", json={"office": "THNKI01"},
                                 headers=laos.as_("officer"))
    assert elsewhere.status_code in (403, 422), elsewhere.text
    # Nothing is expected here (Laos is the departure), and nothing is overdue yet.
    assert laos.client.get("/transit/expected", headers=laos.as_("officer")).json() == []
    assert laos.client.get("/transit/overdue", headers=laos.as_("officer")).json() == []
    # A discrepancy can only be solved once there is one.
    early = laos.client.post(f"{MOVEMENTS}/{number}/solution",
                             json={"recovered": False, "note": "fine"},
                             headers=laos.as_("officer"))
    assert early.status_code == 409
    assert laos.client.get(f"{MOVEMENTS}/{number}",
                           headers=laos.as_("trader")).json()["status"] == "released"


def test_a_revoked_guarantee_leaves_the_next_movement_unreleased(laos: NodeClient) -> None:
    reference = laos.users.transit_guarantee
    assert laos.client.post(f"/transit/guarantees/{reference}/revocation",
                            json={"on": "2026-01-01"},
                            headers=laos.as_("trader")).status_code == 403
    revoked = laos.client.post(f"/transit/guarantees/{reference}/revocation",
                               json={"on": "2026-01-01"}, headers=laos.as_("officer"))
    assert revoked.status_code == 200 and revoked.json()["revoked_on"] == "2026-01-01"
    movement = laos.client.post(MOVEMENTS, json=body(laos), headers=laos.as_("trader")).json()
    assert movement["status"] == "guarantee_refused" and Decimal(movement["reserved"]) == 0
    assert movement["reasons"] and "revoked" in movement["reasons"][0]


def test_guarantees_are_registered_by_officers_only(laos: NodeClient) -> None:
    new = {"reference": "LATGR0002", "holder": "LATRADER0002", "amount": "1000000",
           "currency": "LAK", "valid_from": "2026-01-01", "valid_to": "2027-12-31",
           "access_code": "1234"}
    urls = "/transit/guarantees"
    assert laos.client.post(urls, json=new, headers=laos.as_("trader")).status_code == 403
    made = laos.client.post(urls, json=new, headers=laos.as_("officer"))
    assert made.status_code == 201 and Decimal(made.json()["balance"]) == 1000000
    assert "access_code" not in made.json()
    again = laos.client.post(urls, json=new, headers=laos.as_("officer"))
    assert again.status_code == 409
