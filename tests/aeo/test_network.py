"""Mutual recognition end to end with real node processes over HTTP and AS4 (Thailand, Viet
Nam, Singapore): a Thai AEO granted through the whole programme, the arrangement recorded at
each node, Thailand's list received by the others; a Thai AEO exporting to Viet Nam gets the
benefit there until Thailand suspends it; an operator without consent never leaves Thailand;
consent withdrawn makes the partners drop it; a partner down during a suspension learns it
when it comes back."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import count
from typing import Any

import httpx
import pytest

from singlewindow.aeo.model import Criterion
from singlewindow.declarations.model import DeclarationType, Party
from singlewindow.devnet.network import NodeProcess, provision, stop_network
from tests.aeo.builders import application_document
from tests.builders import as_json, import_declaration
from tests.nodes import free_ports, until

pytestmark = pytest.mark.e2e

COUNTRIES = ["TH", "VN", "SG"]
ENV = {"SINGLEWINDOW_RANDOM_SHARE": "0"}
AEO = "THTRADER0001"  # the Thai sample trader, made an AEO with consent
UNSHARED = "THBROKER0001"  # the Thai sample broker, made an AEO without consent
LRNS = count(1)


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

    def grant(self, country: str, who: str, operator: str, consent: bool) -> None:
        """The operator through its home's programme: applies, is validated, granted."""
        body = application_document(operator, consent)
        number = self.call(country, who, "POST", "/aeo/applications", body, expect=201)["number"]
        base = f"/aeo/applications/{number}"
        self.call(country, "officer", "POST", f"{base}/validation")
        for criterion in Criterion:
            self.call(country, "officer", "POST", f"{base}/findings",
                      {"criterion": criterion.value, "met": True, "note": "seen"})
        self.call(country, "officer", "POST", f"{base}/visits",
                  {"site": "Bangkok warehouse", "on": "2026-12-01", "note": "visited"})
        decided = self.call(country, "officer", "POST", f"{base}/decision",
                            {"grant": True, "reason": "all criteria met"})
        assert decided["status"] == "granted"

    def recognised(self, country: str, operator: str = AEO, role: str = "exporter") -> bool:
        found = self.call(country, "officer", "GET", f"/aeo/recognition/{operator}",
                          params={"role": role})
        return bool(found["recognised"])

    def change(self, change: str, reason: str = "audit findings") -> float:
        """A status change at home; the moment its answer came."""
        self.call("TH", "officer", "POST", f"/aeo/operators/{AEO}/status",
                  {"change": change, "reason": reason})
        return time.monotonic()

    def import_from_the_aeo(self, cites_the_export: bool = True) -> dict[str, Any]:
        """The Thai AEO exports coffee to Viet Nam's trader (released at TH, its ACDD sent to
        VN); the trader lodges the import, citing the export; the officer's view of it."""
        thai = Party(AEO, "Siam Rice Export Co., Ltd.", "TH")
        buyer = Party("VNTRADER0001", "Saigon Coffee Importers JSC", "VN")
        lrn = f"AEO-{next(LRNS)}-{time.time_ns() % 10**9}"
        export = as_json(import_declaration(
            f"EX-{lrn}", type=DeclarationType.EXPORT, declarant=thai, exporter=thai,
            seller=thai, importer=None, buyer=buyer, office="THBKK01", export_country="TH",
            destination_country="VN", exchange_rate=None))
        exported = self.call("TH", "trader", "POST", "/declarations", export, expect=201)
        assert exported["status"] == "released", exported
        number = exported["number"]
        until(lambda: self.call("VN", "officer", "GET", f"/pre-arrival/TH/{number}",
                                expect=None).status_code == 200, f"ACDD {number} at VN")
        declaration = import_declaration(
            lrn, export_country="TH", seller=thai, exporter=thai,
            export_reference=number if cites_the_export else None)
        lodged = self.call("VN", "trader", "POST", "/declarations", as_json(declaration),
                           expect=201)
        return dict(self.call("VN", "officer", "GET", f"/declarations/{lodged['number']}"))




@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Net]:
    nodes = provision(tmp_path_factory.mktemp("aeo-network"), COUNTRIES,
                      free_ports(len(COUNTRIES)))
    try:
        for node in nodes:
            node.start(ENV)
        for node in nodes:
            node.wait_ready()
        net = Net({node.country: node for node in nodes})
        net.grant("TH", "trader", AEO, consent=True)
        net.grant("TH", "broker", UNSHARED, consent=False)
        today = datetime.now(UTC).date().isoformat()
        for country in COUNTRIES:
            net.call(country, "admin", "POST", "/aeo/arrangements", {
                "id": "ASEAN-AEO-MRA", "name": "ASEAN AEO MRA", "partners": COUNTRIES,
                "starts_on": today, "benefits": ["lower_risk_score", "fewer_inspections",
                                                 "priority", "simplified_transit"],
                "roles": ["importer", "exporter", "consignor", "carrier"]}, expect=201)
        for country in ("VN", "SG"):
            until(lambda c=country: net.recognised(c), f"{AEO} recognised at {country}")
        yield net
    finally:
        stop_network(nodes)


def test_a_thai_aeo_gets_the_benefit_in_viet_nam_until_thailand_suspends_it(net: Net) -> None:
    declaration = net.import_from_the_aeo()
    assert declaration["aeo_operator"] == AEO, declaration
    benefit = [r for r in declaration["reasons"] if "AEO benefit" in r]
    assert benefit and AEO in benefit[0] and "ASEAN AEO MRA" in benefit[0], declaration
    # Naming the AEO as exporter without citing its export gets nothing.
    unproven = net.import_from_the_aeo(cites_the_export=False)
    assert unproven["aeo_operator"] is None
    assert not [r for r in unproven["reasons"] if "AEO benefit" in r]
    # The importer's own view says nothing of it.
    seen = net.call("VN", "trader", "GET", f"/declarations/{declaration['number']}")
    assert seen.get("reasons") is None and seen.get("aeo_operator") is None

    suspended = net.change("suspended")
    ended = until(lambda: not net.recognised("VN") and not net.recognised("SG"),
                  "the benefit ended at every partner", timeout=5.0)
    assert ended - suspended < 5.0
    later = net.import_from_the_aeo()
    assert later["aeo_operator"] is None
    assert not [r for r in later["reasons"] if "AEO benefit" in r]
    told = net.call("VN", "officer", "GET", "/aeo/partners/TH/operators")["items"]
    assert [(o["operator"], o["status"]) for o in told] == [(AEO, "suspended")]

    net.change("reinstated", "corrective actions verified")
    until(lambda: net.recognised("VN"), "the benefit back at Viet Nam")


def test_an_operator_without_consent_never_reaches_a_partner(net: Net) -> None:
    assert net.call("TH", "officer", "GET", f"/aeo/operators/{UNSHARED}")["status"] == "granted"
    # A later change of the Thai register reaches the partners: the unshared one never came.
    net.change("suspended")
    until(lambda: not net.recognised("VN"), "the suspension at Viet Nam")
    for country in ("VN", "SG"):
        assert not net.recognised(country, UNSHARED)
        operators = net.call(country, "officer", "GET", "/aeo/partners/TH/operators")["items"]
        assert UNSHARED not in [o["operator"] for o in operators]
    net.change("reinstated", "cleared")
    until(lambda: net.recognised("VN"), "the benefit back at Viet Nam")


def test_consent_withdrawn_makes_every_partner_drop_the_operator(net: Net) -> None:
    net.call("TH", "trader", "PUT", f"/aeo/operators/{AEO}/consent", {"given": False})
    for country in ("VN", "SG"):
        until(lambda c=country: not net.recognised(c), f"{AEO} dropped at {country}")
        held = net.call(country, "officer", "GET", "/aeo/partners/TH/operators")["items"]
        assert [(o["operator"], o["status"], o["name"]) for o in held] == [
            (AEO, "withdrawn", "")]
    # Another operator cannot give consent in its name.
    net.call("TH", "broker", "PUT", f"/aeo/operators/{AEO}/consent", {"given": True},
             expect=403)
    net.call("TH", "trader", "PUT", f"/aeo/operators/{AEO}/consent", {"given": True})
    until(lambda: net.recognised("VN") and net.recognised("SG"), "recognised again")


def test_a_partner_down_during_a_suspension_learns_it_when_it_comes_back(net: Net) -> None:
    singapore = net.nodes["SG"]
    singapore.stop()
    net.change("suspended")
    until(lambda: not net.recognised("VN"), "the suspension at Viet Nam")
    singapore.start(ENV)
    singapore.wait_ready()
    until(lambda: not net.recognised("SG"), "the suspension at Singapore, once back")
    net.change("reinstated", "cleared")
    until(lambda: net.recognised("SG") and net.recognised("VN"), "reinstated everywhere")
