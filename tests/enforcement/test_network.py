"""Shared enforcement intelligence end to end with real node processes over HTTP and AS4
(Viet Nam, Cambodia, and Thailand outside the joint operation): an alert raised in Viet Nam
selects a matching declaration in Cambodia (two worker processes) within 5 seconds and the hit
is reported back to Viet Nam; an alert sent to a joint operation never reaches a node outside it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import count
from typing import Any

import httpx
import pytest

from singlewindow.declarations.model import Party
from singlewindow.devnet.network import NodeProcess, provision, stop_network
from tests.builders import as_json, import_declaration
from tests.nodes import free_ports, until

pytestmark = pytest.mark.e2e

COUNTRIES = ["VN", "KH", "TH"]
ENV = {"SINGLEWINDOW_RANDOM_SHARE": "0"}
LRNS = count(1)
OPERATION = "OP-MEKONG-DRAGON"


@dataclass
class Net:
    nodes: dict[str, NodeProcess]

    def call(self, country: str, who: str, method: str, path: str,
             body: dict[str, Any] | None = None, params: dict[str, Any] | None = None,
             expect: int | None = 200) -> Any:
        token = self.nodes[country].tokens()[who]
        response = httpx.request(method, f"{self.nodes[country].api}{path}", json=body,
                                 params=params, timeout=30,
                                 headers={"Authorization": f"Bearer {token}"})
        if expect is None:
            return response
        assert response.status_code == expect, (country, method, path, response.text)
        return response.json()

    def alert(self, country: str, exporter: str, **changes: Any) -> dict[str, Any]:
        """An alert on coffee from `exporter` (each test its own, so no other alert hits)."""
        today = datetime.now(UTC).date()
        body = {"category": "wildlife", "title": f"Pangolin scales in coffee of {exporter}",
                "description": "Scales in sacks declared as coffee", "criteria": [
                    {"field": "commodity_code", "operator": "prefix", "value": "0901"},
                    {"field": "exporter", "operator": "eq", "value": exporter}],
                "concealment": ["sacks under dried fish"], "valid_from": today.isoformat(),
                "valid_to": (today + timedelta(days=30)).isoformat(), "channel": "red",
                **changes}
        return dict(self.call(country, "officer", "POST", "/enforcement/alerts", body,
                              expect=201))

    def lodge_at_kh(self, exporter: str) -> dict[str, Any]:
        """Cambodia's trader imports coffee from `exporter` in Viet Nam; the officer's view."""
        buyer = Party("KHTRADER0001", "Phnom Penh Traders", "KH")
        seller = Party(exporter, "Saigon Exporters JSC", "VN")
        declaration = import_declaration(
            f"ENF-{next(LRNS)}-{time.time_ns() % 10**9}", declarant=buyer, importer=buyer,
            seller=seller, exporter=seller, office="KHPNH01", export_country="VN",
            destination_country="KH", exchange_rate=Decimal("4100"))
        lodged = self.call("KH", "trader", "POST", "/declarations", as_json(declaration),
                           expect=201)
        return dict(self.call("KH", "officer", "GET", f"/declarations/{lodged['number']}"))

    def alert_at(self, country: str, alert_id: str) -> httpx.Response:
        return self.call(country, "officer", "GET", f"/enforcement/alerts/{alert_id}",
                         expect=None)




@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Net]:
    nodes = provision(tmp_path_factory.mktemp("enforcement-network"), COUNTRIES,
                      free_ports(len(COUNTRIES)))
    try:
        for node in nodes:
            # Cambodia with two worker processes: the one that takes the alert from the
            # inbox need not be the one a lodgement reaches (each reloads its risk rules
            # when the risk revision moves).
            node.start(ENV, workers=2 if node.country == "KH" else 1)
        for node in nodes:
            node.wait_ready()
        net = Net({node.country: node for node in nodes})
        today = datetime.now(UTC).date()
        net.call("VN", "officer", "POST", "/enforcement/operations", {
            "code": OPERATION, "name": "Mekong Dragon", "members": ["VN", "KH"],
            "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=60)).isoformat()}, expect=201)
        until(lambda: net.call("KH", "officer", "GET", f"/enforcement/operations/{OPERATION}",
                               expect=None).status_code == 200, "the operation at KH")
        yield net
    finally:
        stop_network(nodes)


def test_an_alert_from_viet_nam_selects_in_cambodia_within_5_s_and_the_hit_comes_back(
        net: Net) -> None:
    raised = net.alert("VN", "VNEXP0101")
    alert_id = raised["id"]
    started = time.monotonic()
    until(lambda: net.alert_at("KH", alert_id).status_code == 200, "the alert at KH",
          timeout=5.0)
    # Lodge until the profile selects (each node looks at its risk revision every 0.5 s).
    declaration = net.lodge_at_kh("VNEXP0101")
    while not any(alert_id in r for r in declaration["reasons"]):
        assert time.monotonic() - started < 5.0, declaration["reasons"]
        time.sleep(0.1)
        declaration = net.lodge_at_kh("VNEXP0101")
    selected = time.monotonic() - started
    print(f"alert raised in VN selected a declaration in KH {selected:.2f} s later")
    assert selected < 5.0
    assert declaration["channel"] == "red", declaration
    # From then on every lodgement is selected, whichever worker takes it.
    later = [net.lodge_at_kh("VNEXP0101") for _ in range(4)]
    assert all(any(alert_id in r for r in d["reasons"]) for d in later), later
    hits = net.call("KH", "officer", "GET", "/enforcement/hits", params={"alert": alert_id})
    assert {d["number"] for d in [declaration, *later]} <= {h["declaration"] for h in hits}
    # The hit reported back to Viet Nam.
    until(lambda: declaration["number"] in [
        h["declaration"] for h in net.call("VN", "officer", "GET",
                                           f"/enforcement/alerts/{alert_id}")["hits"]],
        "the hit reported to VN", timeout=10.0)
    reported = net.call("VN", "officer", "GET", f"/enforcement/alerts/{alert_id}")["hits"]
    assert {(h["country"], h["channel"]) for h in reported} == {("KH", "red")}
    # Thailand, a partner, got the alert to every partner too.
    until(lambda: net.alert_at("TH", alert_id).status_code == 200, "the alert at TH")
    # Cambodia's trader sees nothing of it.
    seen = net.call("KH", "trader", "GET", f"/declarations/{declaration['number']}")
    assert alert_id not in str(seen)


def test_an_operations_alert_never_reaches_a_node_outside_it(net: Net) -> None:
    assert net.call("TH", "officer", "GET", f"/enforcement/operations/{OPERATION}",
                    expect=None).status_code == 404
    raised = net.alert("VN", "VNEXP0102", operation=OPERATION)
    alert_id = raised["id"]
    assert raised["recipients"] == ["KH"]
    until(lambda: net.alert_at("KH", alert_id).status_code == 200, "the alert at KH")
    # A later alert to every partner reaches Thailand, so the operation's would have by now.
    later = net.alert("VN", "VNEXP0103")["id"]
    until(lambda: net.alert_at("TH", later).status_code == 200, "the later alert at TH")
    assert net.alert_at("TH", alert_id).status_code == 404
    th = net.call("TH", "officer", "GET", "/enforcement/alerts")
    assert alert_id not in [a["id"] for a in th]
    # Thailand cannot raise one in the operation's name.
    refused = net.call("TH", "officer", "POST", "/enforcement/alerts", {
        **{k: v for k, v in raised.items() if k in ("category", "title", "description",
                                                    "concealment", "valid_from", "valid_to",
                                                    "channel")},
        "criteria": raised["criteria"], "operation": OPERATION}, expect=422)
    assert "not a member" in refused["errors"][0]["message"]
    # The operation's board at Viet Nam shows the alert and the hit Cambodia reports.
    declaration = net.lodge_at_kh("VNEXP0102")
    assert any(alert_id in r for r in declaration["reasons"]), declaration["reasons"]
    until(lambda: [h["declaration"] for h in net.call(
        "VN", "officer", "GET", f"/enforcement/operations/{OPERATION}")["hits"]] == [
        declaration["number"]], "the hit on the operation's board")
