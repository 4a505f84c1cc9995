"""Transit end to end with real node processes over HTTP and AS4: a movement lodged at Laos
goes through Thailand and Malaysia to Singapore, each office recorded by its border officer
over its node's API, and Laos discharges it with the guarantee back; a message received twice
changes nothing, an officer of another office is refused, a broken seal found at Singapore is
a discrepancy Laos's officer solves, a movement that never arrives goes overdue, to the enquiry
and to recovery, and Singapore's node killed after the release, or in the middle of a dozen
arrivals, loses nothing and discharges nothing twice."""

from __future__ import annotations

import signal
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial
from itertools import count
from pathlib import Path
from typing import Any

import httpx
import pytest

from singlewindow.devnet.network import NodeProcess, provision, stop_network
from tests.nodes import free_ports, until

pytestmark = pytest.mark.e2e

COUNTRIES = ["LA", "TH", "MY", "SG"]
# The enquiry opens 1 s after a missed time limit and runs 2 s (days in production), so that
# the late movement's whole follow-up happens within the test.
ENV = {"SINGLEWINDOW_RANDOM_SHARE": "0", "SINGLEWINDOW_TRANSIT_ENQUIRY_AFTER": "1",
       "SINGLEWINDOW_TRANSIT_ENQUIRY_PERIOD": "2"}
LRNS = count(1)


@dataclass
class Net:
    nodes: dict[str, NodeProcess]

    def users(self, country: str) -> dict[str, str]:
        return self.nodes[country].tokens()

    def call(self, country: str, who: str, method: str, path: str,
             body: dict[str, Any] | None = None, params: dict[str, Any] | None = None,
             expect: int | None = 200) -> Any:
        """One request to `country`'s API as its sample user `who`; the answer's JSON, its
        status checked against `expect` (None: the response itself)."""
        token = self.users(country)[who]
        response = httpx.request(method, f"{self.nodes[country].api}{path}", json=body,
                                 params=params, timeout=30,
                                 headers={"Authorization": f"Bearer {token}"})
        if expect is None:
            return response
        assert response.status_code == expect, (country, method, path, response.text)
        return response.json()

    def lodge(self, value: str = "42000000", released: bool = True,
              within: timedelta = timedelta(days=3)) -> dict[str, Any]:
        users = self.users("LA")
        body = {
            "lrn": f"NET-{next(LRNS)}-{time.time_ns() % 10**9}", "holder": users["trader_party"],
            "guarantee": users["transit_guarantee"], "access_code": users["access_code"],
            "departure_office": "LAVTE01", "transit_offices": ["THNKI01", "MYBKH01"],
            "destination_office": "SGWDL01", "routing": COUNTRIES, "transport": "LA 70-1234",
            "equipment": [{"number": "MSKU9070323", "seals": ["LA-88213", "LA-88214"],
                           "sealed": True}],
            "items": [{"commodity_code": "09011100", "description": "Green coffee beans",
                       "packages": 200, "gross_mass": "10500", "net_mass": "10000",
                       "value": value}],
            "time_limit": (datetime.now(UTC) + within).isoformat(),
        }
        movement: dict[str, Any] = self.call("LA", "trader", "POST", "/transit/movements",
                                             body, expect=201)
        if released:
            assert movement["status"] == "released", movement
        return movement

    def guarantee(self) -> dict[str, Decimal]:
        reference = self.users("LA")["transit_guarantee"]
        found = self.call("LA", "trader", "GET", f"/transit/guarantees/{reference}")
        return {key: Decimal(found[key]) for key in ("amount", "reserved", "balance")}

    def movement(self, country: str, mrn: str) -> dict[str, Any]:
        found: dict[str, Any] = self.call(country, "border", "GET", f"/transit/movements/{mrn}")
        return found

    def history(self, country: str, mrn: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.call(country, "border", "GET",
                                                f"/transit/movements/{mrn}/history")
        return found

    def expected(self, country: str) -> list[str]:
        return [m["mrn"] for m in self.call(country, "border", "GET", "/transit/expected")]

    def record(self, country: str, mrn: str, what: str, expect: int = 200,
               seals_intact: bool = True) -> Any:
        office = self.users(country)["border_office"]
        body = ({"seals_intact": seals_intact, "discrepancies": [], "remarks": ""}
                if what == "control" else {"office": office})
        return self.call(country, "border", "POST", f"/transit/movements/{mrn}/{what}", body,
                         expect=expect)

    def announced(self, mrn: str) -> None:
        """Wait until the movement is expected at TH, MY and SG (IE050, IE050, IE001)."""
        for country in ("TH", "MY", "SG"):
            until(partial(self.is_expected, country, mrn), f"{mrn} expected at {country}")

    def is_expected(self, country: str, mrn: str) -> bool:
        return mrn in self.expected(country)

    def journey(self, mrn: str) -> None:
        """Each border officer in turn: crossings at THNKI01 and MYBKH01, arrival and control
        at SGWDL01, each once its node was told of the movement."""
        self.announced(mrn)
        self.record("TH", mrn, "crossing")
        self.record("MY", mrn, "crossing")
        self.record("SG", mrn, "arrival")
        self.record("SG", mrn, "control")




def written_off(net: Net, mrn: str) -> None:
    until(lambda: net.movement("LA", mrn)["status"] == "written_off", f"{mrn} written off")


def events(history: list[dict[str, Any]], what: str) -> list[dict[str, Any]]:
    return [event for event in history if event["what"] == what]


def sqlite(node: NodeProcess) -> sqlite3.Connection:
    """The node's own database (SQLite, WAL), next to the running process."""
    return sqlite3.connect(Path(node.home) / f"{node.country}.db", timeout=30)


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Net]:
    nodes = provision(tmp_path_factory.mktemp("transit-network"), COUNTRIES,
                      free_ports(len(COUNTRIES)))
    try:
        for node in nodes:
            node.start(ENV)
        for node in nodes:
            node.wait_ready()
        yield Net({node.country: node for node in nodes})
    finally:
        stop_network(nodes)


def test_a_movement_crosses_three_borders_and_is_discharged_with_the_guarantee_back(
    net: Net,
) -> None:
    before = net.guarantee()
    movement = net.lodge()
    mrn, reserved = movement["mrn"], Decimal(movement["reserved"])
    assert reserved > 0 and movement["currency"] == "LAK"
    assert reserved == max(Decimal(d) for d in movement["duties"].values())
    held = net.guarantee()
    assert held["reserved"] == before["reserved"] + reserved
    assert held["balance"] == held["amount"] - held["reserved"] == before["balance"] - reserved

    net.journey(mrn)
    written_off(net, mrn)
    departure = net.movement("LA", mrn)
    assert [c["office"] for c in departure["crossings"]] == ["THNKI01", "MYBKH01"]
    assert all(c["declared"] for c in departure["crossings"])
    assert departure["arrival"]["office"] == "SGWDL01"
    assert departure["control_results"]["seals_intact"] is True
    assert net.guarantee() == before  # every unit back, once
    history = net.history("LA", mrn)
    # (written off and discharged in one transaction, at one moment: in either order)
    assert sorted(e["what"] for e in history) == sorted(
        ["lodged", "crossed", "crossed", "arrived", "written_off", "discharged"])
    assert Decimal(events(history, "discharged")[0]["detail"]["released"]) == reserved
    # each office's own record of it
    assert net.movement("TH", mrn)["role"] == "transit"
    assert [c["office"] for c in net.movement("MY", mrn)["crossings"]] == ["MYBKH01"]
    destination = net.movement("SG", mrn)
    assert destination["role"] == "destination" and destination["status"] == "written_off"
    for country in ("TH", "MY", "SG"):
        assert mrn not in net.expected(country)


def test_a_reservation_beyond_the_balance_is_refused_and_nothing_goes_out(net: Net) -> None:
    before = net.guarantee()
    # Coffee worth far more than the guarantee covers, in duties of any country on the way.
    movement = net.lodge(value="90000000000000", released=False)
    assert movement["status"] == "guarantee_refused" and Decimal(movement["reserved"]) == 0
    assert "left, the movement needs" in movement["reasons"][0]
    assert net.guarantee() == before
    history = net.history("LA", movement["mrn"])
    assert [e["what"] for e in history] == ["lodged"]
    # Not released: no anticipated record went out, so no office expects it.
    with sqlite(net.nodes["LA"]) as db:
        sent = db.execute("SELECT count(*) FROM exchange_outbox WHERE conversation_id = ?",
                          (movement["mrn"],)).fetchone()[0]
    assert sent == 0


def test_the_same_message_received_twice_changes_nothing(net: Net) -> None:
    before = net.guarantee()
    movement = net.lodge()
    mrn = movement["mrn"]
    net.journey(mrn)
    written_off(net, mrn)
    # Thailand's crossing notice (IE118) and Singapore's control results (IE018) are sent
    # again as the same AS4 messages (same message ids): their outbox rows back to pending.
    again = {}
    for country, action in (("TH", "IE118"), ("SG", "IE018")):
        with sqlite(net.nodes[country]) as db:
            message_id, attempts = db.execute(
                "SELECT message_id, attempts FROM exchange_outbox "
                "WHERE conversation_id = ? AND action = ?", (mrn, action)).fetchone()
            db.execute("UPDATE exchange_outbox SET status = 'pending', "
                       "next_attempt_at = '2000-01-01 00:00:00.000000' "
                       "WHERE message_id = ?", (message_id,))
        again[country] = (message_id, attempts)
    for country, (message_id, attempts) in again.items():
        def resent(country: str = country, message_id: str = message_id,
                   attempts: int = attempts) -> bool:
            with sqlite(net.nodes[country]) as db:
                row = db.execute("SELECT status, attempts FROM exchange_outbox "
                                 "WHERE message_id = ?", (message_id,)).fetchone()
            return bool(row == ("delivered", attempts + 1))
        until(resent, f"{message_id} delivered again")
    # the same facts in new messages (another message id, the same payload) too
    for country, (message_id, _) in again.items():
        with sqlite(net.nodes[country]) as db:
            db.execute(
                "INSERT INTO exchange_outbox (message_id, to_party, service, service_type, "
                "action, conversation_id, ref_to_message_id, payload, status, attempts, "
                "next_attempt_at, claimed_by, claimed_until, last_error, created_at, "
                "delivered_at) SELECT 'again-' || message_id, to_party, service, service_type,"
                " action, conversation_id, ref_to_message_id, payload, 'pending', 0, "
                "next_attempt_at, NULL, NULL, NULL, created_at, NULL FROM exchange_outbox "
                "WHERE message_id = ?", (message_id,))
    for country, (message_id, _) in again.items():
        def delivered(country: str = country, message_id: str = message_id) -> bool:
            with sqlite(net.nodes[country]) as db:
                row = db.execute("SELECT status FROM exchange_outbox WHERE message_id = ?",
                                 (f"again-{message_id}",)).fetchone()
            return bool(row and row[0] in ("delivered", "rejected"))
        until(delivered, f"again-{message_id} answered")

    history = net.history("LA", mrn)
    assert sorted(e["detail"]["office"] for e in events(history, "crossed")) == [
        "MYBKH01", "THNKI01"]
    assert len(events(history, "arrived")) == 1
    assert len(events(history, "written_off")) == len(events(history, "discharged")) == 1
    assert [c["office"] for c in net.movement("LA", mrn)["crossings"]] == [
        "THNKI01", "MYBKH01"]
    assert net.guarantee() == before
    with sqlite(net.nodes["LA"]) as db:  # the inbox took each message id once
        rows = db.execute("SELECT duplicates FROM exchange_inbox WHERE message_id IN (?, ?)",
                          [message_id for message_id, _ in again.values()]).fetchall()
    assert rows == [(1,), (1,)]  # and refused its second copy as a duplicate
    # and the officers cannot record it twice either
    net.record("TH", mrn, "crossing", expect=409)
    net.record("SG", mrn, "control", expect=409)


def test_a_broken_seal_is_a_discrepancy_the_departure_solves(net: Net) -> None:
    before = net.guarantee()
    mrn = net.lodge()["mrn"]
    net.announced(mrn)
    net.record("TH", mrn, "crossing")
    net.record("MY", mrn, "crossing")
    net.record("SG", mrn, "arrival")
    net.record("SG", mrn, "control", seals_intact=False)
    until(lambda: net.movement("LA", mrn)["status"] == "discrepancy", f"{mrn} a discrepancy")
    departure = net.movement("LA", mrn)
    assert departure["control_results"]["discrepancies"] == ["seals found broken"]
    assert net.guarantee()["reserved"] > before["reserved"]  # held until it is solved
    path = f"/transit/movements/{mrn}/solution"
    solution = {"recovered": False, "note": "seal LA-88214 replaced at MYBKH01, goods intact"}
    # only customs at the departure solves it: not the holder, not the destination
    net.call("LA", "trader", "POST", path, solution, expect=403)
    net.call("SG", "border", "POST", path, solution, expect=404)
    solved = net.call("LA", "border", "POST", path, solution)
    assert solved["status"] == "written_off" and solved["solution"]["recovered"] is False
    assert net.guarantee() == before
    net.call("LA", "border", "POST", path, solution, expect=409)  # once
    assert [e["what"] for e in net.history("LA", mrn)].count("discharged") == 1


def test_a_movement_that_never_arrives_goes_to_enquiry_and_recovery(net: Net) -> None:
    before = net.guarantee()
    movement = net.lodge(within=timedelta(seconds=3))
    mrn, reserved = movement["mrn"], Decimal(movement["reserved"])
    net.announced(mrn)
    net.record("TH", mrn, "crossing")  # and then nothing: the truck never reaches Singapore

    def reached(status: str) -> bool:
        return net.movement("LA", mrn)["status"] == status

    for status in ("overdue", "enquiry", "recovery"):
        until(partial(reached, status), f"{mrn} {status}", timeout=30)
    overdue = net.call("LA", "border", "GET", "/transit/overdue")
    assert mrn in [m["mrn"] for m in overdue]
    assert [e["what"] for e in net.history("LA", mrn)][-3:] == [
        "overdue", "enquiry", "recovery"]
    # the reservation stays with the duties claimed from it: nothing went back
    assert net.guarantee()["reserved"] == before["reserved"] + reserved
    # the truck turns up at last: Singapore records it, Laos refuses the advice (an ebMS
    # error back to Singapore's outbox) and stays in recovery
    net.record("SG", mrn, "arrival")

    def refused() -> bool:
        with sqlite(net.nodes["SG"]) as db:
            row = db.execute("SELECT status, last_error FROM exchange_outbox "
                             "WHERE conversation_id = ? AND action = 'IE006'", (mrn,)).fetchone()
        return bool(row and row[0] == "rejected" and "recovery" in (row[1] or ""))

    until(refused, f"the late IE006 of {mrn} refused")
    assert net.movement("LA", mrn)["status"] == "recovery"


def test_an_officer_of_another_office_is_refused(net: Net) -> None:
    movement = net.lodge()
    mrn = movement["mrn"]
    net.announced(mrn)
    # the sample's `officer` works at the capital's office (THBKK01, SGSIN01), not the border
    crossing = {"office": "THNKI01"}
    path = f"/transit/movements/{mrn}"
    net.call("TH", "officer", "POST", f"{path}/crossing", crossing, expect=403)
    net.call("SG", "officer", "POST", f"{path}/arrival", {"office": "SGWDL01"}, expect=403)
    net.call("SG", "officer", "POST", f"{path}/control",
             {"seals_intact": True, "discrepancies": [], "remarks": ""}, expect=403)
    # a border officer records at its own office only, and a trader records nothing
    net.call("TH", "border", "POST", f"{path}/crossing", {"office": "THMKD01"}, expect=403)
    net.call("TH", "trader", "POST", f"{path}/crossing", crossing, expect=403)
    assert net.movement("TH", mrn)["crossings"] == []
    assert events(net.history("LA", mrn), "crossed") == []
    net.journey(mrn)  # the right officers still can
    written_off(net, mrn)


def test_the_destination_killed_after_release_discharges_once_when_restarted(
    net: Net,
) -> None:
    """A movement still on its way holds part of the guarantee throughout, so a reservation
    released twice would show (the reserved amount below what it was)."""
    base = net.guarantee()
    holding = net.lodge()
    prior = net.guarantee()
    assert prior["reserved"] == base["reserved"] + Decimal(holding["reserved"]) > 0

    sg = net.nodes["SG"]
    movement = net.lodge()
    sg.stop(signal.SIGKILL)
    mrn, reserved = movement["mrn"], Decimal(movement["reserved"])
    assert net.guarantee()["reserved"] == prior["reserved"] + reserved
    time.sleep(3)  # LA tries the IE001 to Singapore meanwhile, and fails
    assert net.movement("LA", mrn)["status"] == "released"
    sg.start(ENV)
    sg.wait_ready()
    net.journey(mrn)
    written_off(net, mrn)
    time.sleep(1.5)  # anything delivered twice would be taken by now
    history = net.history("LA", mrn)
    assert len(events(history, "written_off")) == len(events(history, "discharged")) == 1
    assert net.guarantee() == prior  # the reservation back once, the holding one kept
    assert net.history("SG", mrn)[0]["what"] == "expected"
    assert [e["what"] for e in net.history("SG", mrn)].count("expected") == 1
    net.record("SG", mrn, "control", expect=409)

    net.journey(holding["mrn"])  # and the one that waited
    written_off(net, holding["mrn"])
    assert net.guarantee() == base


def test_the_destination_killed_during_traffic_loses_no_movement_and_discharges_each_once(
    net: Net,
) -> None:
    """A dozen movements on their way: Singapore records the arrival and the control results of
    half of them and is killed at once (its IE006 and IE018 still in its outbox or on the
    wire), then restarted; the other half arrive after. Each is written off once at LA and the
    guarantee comes back to the unit."""
    base = net.guarantee()
    numbers = [net.lodge()["mrn"] for _ in range(12)]
    for mrn in numbers:
        net.announced(mrn)
        net.record("TH", mrn, "crossing")
        net.record("MY", mrn, "crossing")
    first, rest = numbers[:6], numbers[6:]
    for mrn in first:
        net.record("SG", mrn, "arrival")
        net.record("SG", mrn, "control")
    sg = net.nodes["SG"]
    sg.stop(signal.SIGKILL)
    sg.start(ENV)
    sg.wait_ready()
    for mrn in first:  # what Singapore committed before it was killed, it still has
        net.record("SG", mrn, "control", expect=409)
    for mrn in rest:
        net.record("SG", mrn, "arrival")
        net.record("SG", mrn, "control")
    for mrn in numbers:
        written_off(net, mrn)
    time.sleep(1.5)  # anything delivered twice would be taken by now
    for mrn in numbers:
        history = [e["what"] for e in net.history("LA", mrn)]
        assert history.count("discharged") == history.count("written_off") == 1, (mrn, history)
        assert history.count("arrived") == 1, (mrn, history)
    assert net.guarantee() == base
