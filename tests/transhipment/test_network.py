"""An origin laundered through a hub, caught end to end with real node processes over HTTP
and AS4 (Malaysia as the hub, Viet Nam as the destination): Chinese hot-rolled steel arrives
at Port Klang, leaves for Saigon on a bill of lading of its own, and Malaysia's export
declaration sends its ACDD to Viet Nam with the earlier legs; the import that declares the
steel Malaysian is at least yellow with the reason naming the leg, port, document and origin;
one that declares it Chinese is not flagged for its origin."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from decimal import Decimal
from itertools import count
from typing import Any

import httpx
import pytest

from singlewindow.declarations.model import (
    DeclarationType,
    GoodsItem,
    Party,
    SupportingDocument,
)
from singlewindow.devnet.network import NodeProcess, provision, stop_network
from singlewindow.devnet.traffic import Traffic
from singlewindow.devnet.transhipment import hubs_of
from tests.builders import as_json, import_declaration
from tests.nodes import free_ports, until
from tests.transhipment.builders import arrival_body, departure_body

pytestmark = pytest.mark.e2e

COUNTRIES = ["MY", "VN"]
ENV = {"SINGLEWINDOW_RANDOM_SHARE": "0"}
SERIALS = count(1)
EXPORTER = Party("MYTRADER0001", "Klang Steel Trading Sdn. Bhd.", "MY")
BUYER = Party("VNTRADER0001", "Saigon Coffee Importers JSC", "VN")


def steel(origin: str) -> GoodsItem:
    return GoodsItem(sequence=1, commodity_code="72082500",
                     description="Hot-rolled steel coils, 4.75 mm", origin_country=origin,
                     quantity=Decimal("250000"), quantity_unit="kg",
                     net_mass=Decimal("250000"), gross_mass=Decimal("251000"),
                     invoice_amount=Decimal("137500.00"))




@dataclass
class Net:
    nodes: dict[str, NodeProcess]

    def call(self, country: str, who: str, method: str, path: str,
             body: dict[str, Any] | None = None, expect: int | None = 200) -> Any:
        token = self.nodes[country].tokens()[who]
        response = httpx.request(method, f"{self.nodes[country].api}{path}", json=body,
                                 timeout=30, headers={"Authorization": f"Bearer {token}"})
        if expect is None:
            return response
        assert response.status_code == expect, (country, method, path, response.text)
        return response.json()

    def through_port_klang(self, exported_as: str, imported_as: str,
                           additional_code: str | None = None) -> dict[str, Any]:
        """Chinese steel through Port Klang to Saigon: its arrival and departure recorded
        by Malaysian customs, the Malaysian export (origin `exported_as`) released and its
        ACDD received in Viet Nam, the Vietnamese import lodged (origin `imported_as`); the
        officer's view of the import."""
        serial = f"{next(SERIALS)}{time.time_ns() % 10**6:06d}"
        inbound, outbound = f"COSU63{serial}", f"MSKU77{serial}"
        self.call("MY", "officer", "POST", "/transhipment/arrivals",
                  arrival_body(inbound, origin="CN"), expect=201)
        self.call("MY", "officer", "POST", "/transhipment/departures",
                  departure_body(outbound, arrival_document=inbound), expect=201)
        documents = (SupportingDocument("N380", f"INV-{serial}"),
                     SupportingDocument("N705", outbound))
        export = as_json(import_declaration(
            f"EX-{serial}", type=DeclarationType.EXPORT, declarant=EXPORTER,
            exporter=EXPORTER, seller=EXPORTER, importer=None, buyer=BUYER, office="MYKUL01",
            export_country="MY", destination_country="VN", exchange_rate=None,
            documents=documents, items=(steel(exported_as),)))
        exported = self.call("MY", "trader", "POST", "/declarations", export, expect=201)
        number = exported["number"]
        at_the_hub = self.call("MY", "officer", "GET", f"/declarations/{number}")
        if exported_as != "CN":
            # The hub's own customs doubts the export first: the goods arrived Chinese.
            assert exported["status"] == "channelled", exported
            doubts = [r for r in at_the_hub["reasons"] if "recorded on leg 1" in r]
            assert doubts and f"origin {exported_as} declared, CN recorded" in doubts[0]
            assert "MY hub records" in doubts[0]
            # Its officer lets it go (a certificate of origin was shown); Saigon decides.
            exported = self.call("MY", "officer", "POST", f"/declarations/{number}/inspection",
                                 {"outcome": "no_discrepancy",
                                  "findings": "Malaysian certificate of origin presented"})
        else:
            assert not [r for r in at_the_hub["reasons"] if "recorded on leg" in r]
        assert exported["status"] == "released", exported
        until(lambda: self.call("VN", "officer", "GET", f"/pre-arrival/MY/{number}",
                                expect=None).status_code == 200, f"ACDD {number} at VN")
        item = replace(steel(imported_as), commodity_code="72082500",
                       additional_code=additional_code)
        declaration = import_declaration(
            f"IM-{serial}", export_country="MY", seller=EXPORTER, exporter=EXPORTER,
            export_reference=number, documents=documents, items=(item,))
        lodged = self.call("VN", "trader", "POST", "/declarations", as_json(declaration),
                           expect=201)
        view = dict(self.call("VN", "officer", "GET", f"/declarations/{lodged['number']}"))
        view["inbound"], view["outbound"], view["export"] = inbound, outbound, number
        return view


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Net]:
    nodes = provision(tmp_path_factory.mktemp("transhipment-network"), COUNTRIES,
                      free_ports(len(COUNTRIES)))
    try:
        for node in nodes:
            node.start(ENV)
        for node in nodes:
            node.wait_ready()
        yield Net({node.country: node for node in nodes})
    finally:
        stop_network(nodes)


def leg_reasons(view: dict[str, Any]) -> list[str]:
    return [r for r in view["reasons"] if "recorded on leg" in r]


def test_steel_laundered_through_port_klang_is_caught_at_saigon(net: Net) -> None:
    view = net.through_port_klang(exported_as="MY", imported_as="MY")
    assert view["channel"] in ("yellow", "red"), view
    reasons = leg_reasons(view)
    assert len(reasons) == 1, view["reasons"]
    reason = reasons[0]
    assert "origin MY declared, CN recorded on leg 1" in reason
    assert "CNSHA → MYPKG" in reason and view["inbound"] in reason
    assert f"ACDD {view['export']} from MY" in reason
    # The ACDD itself agreed with the import: only the earlier legs told.
    assert not [r for r in view["reasons"] if "at export" in r], view["reasons"]
    # Viet Nam's officer reads the consignment's legs from the declaration.
    legs = net.call("VN", "officer", "GET",
                    f"/transhipment/declarations/{view['number']}/legs")
    assert [(leg["loading_port"], leg["unloading_port"], leg["transport_document"])
            for leg in legs["legs"]] == [("CNSHA", "MYPKG", view["inbound"]),
                                         ("MYPKG", "VNSGN", view["outbound"])]
    assert [leg["goods"][0]["origin_country"] for leg in legs["legs"]] == ["CN", "CN"]
    # The importer's own view says nothing of it.
    seen = net.call("VN", "trader", "GET", f"/declarations/{view['number']}")
    assert seen["reasons"] is None


def test_the_truthful_origin_is_not_flagged_for_its_origin(net: Net) -> None:
    view = net.through_port_klang(exported_as="CN", imported_as="CN", additional_code="C999")
    assert leg_reasons(view) == [], view["reasons"]
    # Port Klang is (as a sample) listed for laundering of 7208: the route is a reason of
    # its own, naming the hub and the leg that brought the steel there.
    hubs = [r for r in view["reasons"] if "known for origin laundering" in r]
    assert len(hubs) == 1 and "passed MYPKG on leg 1" in hubs[0], view["reasons"]
    assert "sample listing" in hubs[0]


def test_the_traffic_s_trades_through_the_hub_catch_the_laundered_one(net: Net) -> None:
    traffic = Traffic([node.account() for node in net.nodes.values()])
    try:
        jobs, keys = hubs_of(traffic, 1)
        assert keys == ("transhipments", "origin_laundering_caught") and len(jobs) == 1
        jobs[0]()  # Malaysia is the hub, Viet Nam the destination
    finally:
        traffic.close()
    assert traffic.counts["transhipments"] == 3
    assert traffic.counts["origin_laundering_caught"] == 1
    assert traffic.counts["imports_released"] == 0  # the traffic's own count: not its trades
