"""The transhipment API of Malaysia's node (its sample users) and Viet Nam's: officers record
a consignment through Port Klang and read its legs, the administrator keeps the laundering
hubs; what a trader or a careless officer tries is refused with its reason and changes
nothing; at Saigon an import off its own hub records whose origin differs is yellow."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from singlewindow.core.db import Database
from singlewindow.declarations.model import SupportingDocument
from tests.builders import COFFEE, as_json, import_declaration
from tests.nodes import NodeClient, open_node
from tests.transhipment.builders import arrival_body, departure_body

BASE = "/transhipment"


@pytest.fixture
def malaysia(database: Database, tmp_path: Path) -> Iterator[NodeClient]:
    opened = open_node(database, tmp_path, "MY")
    yield opened
    opened.opened.database.dispose()


def test_officers_record_a_consignment_through_the_hub_and_read_its_legs(
        malaysia: NodeClient) -> None:
    c, officer = malaysia.client, malaysia.as_("officer")
    arrived = c.post(f"{BASE}/arrivals", json=arrival_body(), headers=officer)
    assert arrived.status_code == 201, arrived.text
    assert arrived.json()["not_yet_left"] == [
        {"subheading": "720825", "quantity_unit": "kg", "quantity": "250000"}]
    left = c.post(f"{BASE}/departures", json=departure_body(quantity="100000"),
                  headers=officer)
    assert left.status_code == 201, left.text
    assert left.json()["not_yet_left"][0]["quantity"] == "150000"
    found = c.get(f"{BASE}/consignments/MSKU7788990011", headers=officer).json()
    assert [(leg["loading_port"], leg["unloading_port"]) for leg in found["legs"]] == [
        ("CNSHA", "MYPKG"), ("MYPKG", "VNSGN")]
    assert found["legs"][1]["goods"][0]["origin_country"] == "CN"
    listed = c.get(f"{BASE}/consignments", headers=officer).json()
    assert listed["total"] == 1 and listed["items"][0]["departures"] == ["MSKU7788990011"]


def test_bad_input_is_refused_with_its_reason_and_changes_nothing(
        malaysia: NodeClient) -> None:
    c, officer = malaysia.client, malaysia.as_("officer")
    elsewhere = c.post(f"{BASE}/arrivals", json=arrival_body(port="SGSIN"), headers=officer)
    assert elsewhere.status_code == 422
    assert elsewhere.json()["errors"][0]["path"] == "port"
    assert "not a hub port of MY" in elsewhere.json()["errors"][0]["message"]
    for bad in ({"transport_document": "bl 1"}, {"from_port": "china"},
                {"goods": []}, {"arrived_on": "yesterday"}, {"surprise": 1}):
        assert c.post(f"{BASE}/arrivals", json=arrival_body(**bad),
                      headers=officer).status_code == 422, bad
    no_origin = c.post(f"{BASE}/arrivals", json=arrival_body(origin=None), headers=officer)
    assert no_origin.status_code == 422
    assert no_origin.json()["errors"][0]["path"] == "goods.0.origin_country"
    # Nothing arrived, so nothing may leave.
    orphan = c.post(f"{BASE}/departures", json=departure_body(), headers=officer)
    assert orphan.status_code == 422 and orphan.json()["errors"][0]["path"] == (
        "arrival_document")
    assert c.get(f"{BASE}/consignments", headers=officer).json()["total"] == 0
    assert c.post(f"{BASE}/arrivals", json=arrival_body(), headers=officer).status_code == 201
    twice = c.post(f"{BASE}/arrivals", json=arrival_body(), headers=officer)
    assert twice.status_code == 409
    relabelled = departure_body()
    relabelled["goods"][0]["origin_country"] = "MY"
    refused = c.post(f"{BASE}/departures", json=relabelled, headers=officer)
    assert refused.status_code == 422
    assert "does not change the origin" in refused.json()["errors"][0]["message"]
    assert c.get(f"{BASE}/consignments/COSU6300012345",
                 headers=officer).json()["departures"] == []
    # Paths: a bad document number or listing id is a 422, an unknown one a 404.
    assert c.get(f"{BASE}/consignments/bad%20one", headers=officer).status_code == 422
    assert c.get(f"{BASE}/consignments/NOSUCH0001", headers=officer).status_code == 404
    assert c.post(f"{BASE}/laundering-hubs/99999999999/end", json={"listed_until": "2026-12-31"},
                  headers=malaysia.as_("admin")).status_code == 422


def test_traders_neither_record_nor_see_the_laundering_hubs(malaysia: NodeClient) -> None:
    c, trader = malaysia.client, malaysia.as_("trader")
    assert c.post(f"{BASE}/arrivals", json=arrival_body(), headers=trader).status_code == 403
    assert c.get(f"{BASE}/laundering-hubs", headers=trader).status_code == 403
    assert c.get(f"{BASE}/consignments", headers=trader).status_code == 403
    assert c.get(f"{BASE}/consignments",
                 headers=malaysia.as_("officer")).json()["total"] == 0


def test_the_administrator_keeps_the_laundering_hubs(malaysia: NodeClient) -> None:
    c, admin, officer = malaysia.client, malaysia.as_("admin"), malaysia.as_("officer")
    samples = c.get(f"{BASE}/laundering-hubs", headers=officer).json()
    assert samples and all(s["sample"] for s in samples)
    body = {"port": "SGSIN", "hs_prefix": "8507", "listed_from": "2026-06-01",
            "note": "lithium-ion cells re-declared"}
    assert c.post(f"{BASE}/laundering-hubs", json=body, headers=officer).status_code == 403
    bad = c.post(f"{BASE}/laundering-hubs", json={**body, "hs_prefix": "850"}, headers=admin)
    assert bad.status_code == 422 and bad.json()["errors"][0]["path"] == "hs_prefix"
    backwards = c.post(f"{BASE}/laundering-hubs",
                       json={**body, "listed_until": "2026-01-01"}, headers=admin)
    assert backwards.status_code == 422
    assert backwards.json()["errors"][0]["path"] == "listed_until"
    assert len(c.get(f"{BASE}/laundering-hubs", headers=officer).json()) == len(samples)
    added = c.post(f"{BASE}/laundering-hubs", json=body, headers=admin)
    assert added.status_code == 201 and added.json()["sample"] is False
    ended = c.post(f"{BASE}/laundering-hubs/{added.json()['id']}/end",
                   json={"listed_until": "2026-12-31"}, headers=admin)
    assert ended.status_code == 200 and ended.json()["listed_until"] == "2026-12-31"


def test_an_import_off_saigon_s_own_hub_records_is_held_to_their_origin(
        node: NodeClient) -> None:
    """Viet Nam's node is a hub too: steel recorded arriving at Saigon as Chinese, then
    declared for import as Malaysian on the same bill of lading, is at least yellow."""
    c, officer = node.client, node.as_("officer")
    arrived = c.post(f"{BASE}/arrivals", json=arrival_body(port="VNSGN", from_port="MYPKG"),
                     headers=officer)
    assert arrived.status_code == 201, arrived.text
    steel = replace(COFFEE, commodity_code="72082500", description="Hot-rolled steel coils",
                    origin_country="MY")
    declaration = import_declaration(
        "LRN-STEEL-1", export_country="MY", items=(steel,),
        documents=(SupportingDocument("N380", "INV-1"),
                   SupportingDocument("N705", "COSU6300012345")))
    lodged = c.post("/declarations", json=as_json(declaration), headers=node.as_("trader"))
    assert lodged.status_code == 201, lodged.text
    view = c.get(f"/declarations/{lodged.json()['number']}", headers=officer).json()
    assert view["channel"] in ("yellow", "red")
    mismatch = [r for r in view["reasons"] if "recorded on leg 1" in r]
    assert mismatch and "origin MY declared, CN recorded" in mismatch[0]
    assert "VN hub records" in mismatch[0]
    legs = c.get(f"{BASE}/declarations/{lodged.json()['number']}/legs", headers=officer)
    assert legs.status_code == 200 and legs.json()["source"] == "VN hub records"
    assert c.get(f"{BASE}/declarations/NOSUCH1/legs", headers=officer).status_code == 404
