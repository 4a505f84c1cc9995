"""Waste shipments end to end with real node processes (Cambodia and Viet Nam, over HTTP and
AS4): Cambodia's exporter declares plastic waste for export with its Basel data; at Viet Nam
the import without consent is stopped with the reason, and once Viet Nam's authority records
its consent the imports pass until the consented kilograms are used up, racing lodgements
included; each node's figures count what it stopped and passed."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from singlewindow.declarations.model import DeclarationType, Party
from singlewindow.devnet.network import NodeProcess, provision, stop_network
from tests.builders import as_json
from tests.green.builders import EXPORTER, waste_import
from tests.nodes import free_ports

pytestmark = pytest.mark.e2e

COUNTRIES = ["KH", "VN"]
ENV = {"SINGLEWINDOW_RANDOM_SHARE": "0"}


class Net:
    def __init__(self, nodes: dict[str, NodeProcess]) -> None:
        self.nodes = nodes
        self.serial = 0

    def call(self, country: str, who: str, method: str, path: str,
             body: dict[str, Any] | None = None) -> httpx.Response:
        token = self.nodes[country].tokens()[who]
        return httpx.request(method, f"{self.nodes[country].api}{path}", json=body, timeout=30,
                             headers={"Authorization": f"Bearer {token}"})

    def lrn(self) -> str:
        self.serial += 1
        return f"LRN-NET-{self.serial}"

    def waste_import(self, kg: str, **item: Any) -> httpx.Response:
        tokens = self.nodes["VN"].tokens()
        importer = Party(tokens["trader_party"], "Saigon Recycling JSC", "VN")
        declaration = replace(waste_import(self.lrn(), kg=kg, **item), declarant=importer,
                              importer=importer, office=tokens["office"])
        return self.call("VN", "trader", "POST", "/declarations", as_json(declaration))

    def figures(self, country: str) -> dict[str, int]:
        answer = self.call(country, "officer", "GET", "/green/figures")
        assert answer.status_code == 200, answer.text
        return dict(answer.json())


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Net]:
    nodes = provision(tmp_path_factory.mktemp("green-network"), COUNTRIES,
                      free_ports(len(COUNTRIES)))
    try:
        for node in nodes:
            node.start(ENV)
        for node in nodes:
            node.wait_ready()
        yield Net({node.country: node for node in nodes})
    finally:
        stop_network(nodes)


def messages(answer: httpx.Response) -> list[str]:
    assert answer.status_code == 422, answer.text
    return [p["message"] for p in answer.json()["errors"]]


def test_cambodia_exports_plastic_waste_with_its_basel_data(net: Net) -> None:
    tokens = net.nodes["KH"].tokens()
    exporter = Party(tokens["trader_party"], EXPORTER.name, "KH")
    export = replace(waste_import(net.lrn(), kg="10000"), type=DeclarationType.EXPORT,
                     declarant=exporter, exporter=exporter, importer=None,
                     office=tokens["office"], export_country="KH", destination_country="VN",
                     freight=0, insurance=0, incoterm="FOB", invoice_currency="USD",
                     exchange_rate=None)
    without = replace(export, lrn=net.lrn(),
                      items=(replace(export.items[0], basel_code=None, waste_consent=None),))
    assert messages(net.call("KH", "trader", "POST", "/declarations", as_json(without))) == [
        "item 1: HS 391590 is waste: a Basel code is needed"]
    lodged = net.call("KH", "trader", "POST", "/declarations", as_json(export))
    assert lodged.status_code == 201, lodged.text
    assert net.figures("KH") == {"waste_stopped": 1, "waste_passed": 1}


def test_an_import_without_consent_is_stopped_and_with_it_passes_until_used_up(net: Net) -> None:
    before = net.figures("VN")
    assert messages(net.waste_import("6000", basel_code=None, waste_consent=None)) == [
        "item 1: HS 391590 is waste: a Basel code is needed"]
    assert messages(net.waste_import("6000")) == [
        "item 1: no consent VN-2026-0042 was recorded by VN's competent authority"]
    today = datetime.now(UTC).date()
    recorded = net.call("VN", "officer", "POST", "/green/consents", {
        "reference": "VN-2026-0042", "importing_country": "VN", "exporter": EXPORTER.id,
        "exporter_name": EXPORTER.name, "importer": net.nodes["VN"].tokens()["trader_party"],
        "basel_code": "Y48", "hs_code": "391590", "quantity": "10000",
        "valid_from": (today - timedelta(days=1)).isoformat(),
        "valid_to": (today + timedelta(days=90)).isoformat()})
    assert recorded.status_code == 201, recorded.text
    first = net.waste_import("4000")
    assert first.status_code == 201, first.text
    # two lodgements race for the 6,000 kg left: one passes, the other is stopped
    answers: list[httpx.Response] = []
    racers = [threading.Thread(target=lambda: answers.append(net.waste_import("6000")))
              for _ in range(2)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(60)
    assert sorted(a.status_code for a in answers) == [201, 422], [a.text for a in answers]
    lost = next(a for a in answers if a.status_code == 422)
    assert messages(lost) == [
        "item 1: consent VN-2026-0042 is used up: 0 kg left, 6,000 kg declared"]
    assert messages(net.waste_import("1")) == [
        "item 1: consent VN-2026-0042 is used up: 0 kg left, 1 kg declared"]
    consent = net.call("VN", "officer", "GET", "/green/consents/VN-2026-0042").json()
    assert consent["used"] == "10000.000" and len(consent["uses"]) == 2
    after = net.figures("VN")
    assert after["waste_passed"] - before["waste_passed"] == 2
    assert after["waste_stopped"] - before["waste_stopped"] == 4
