"""End to end with real node processes over HTTP: Cambodia exports to Viet Nam."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from singlewindow.devnet.network import start_network, stop_network
from singlewindow.devnet.traffic import Traffic, _items
from tests.nodes import free_ports

pytestmark = pytest.mark.e2e



@pytest.fixture(scope="module")
def network(tmp_path_factory):
    nodes = start_network(tmp_path_factory.mktemp("network"), ["KH", "VN"], free_ports(2))
    traffic = Traffic([node.account() for node in nodes], seed=11)
    yield traffic
    traffic.close()
    stop_network(nodes)


def coffee(origin: str) -> list[dict[str, str]]:
    items = _items(random.Random(1), origin)[:1]
    items[0] |= {"commodity_code": "09011100", "description": "Green coffee beans",
                 "quantity_unit": "kg", "quantity": "12000", "net_mass": "12000",
                 "gross_mass": "12300", "invoice_amount": "27600.00"}
    return items


def run_trade(traffic: Traffic, index: int, flawed: bool):
    items = coffee("KH")
    exporter, importer = traffic.party("KH", "exporter"), traffic.party("VN", "importer")
    export = traffic.export(index, "KH", "VN", exporter, importer, items)
    certificate = traffic.certify(index, "KH", "VN", exporter, importer, items, flawed)
    traffic.wait_for_documents("VN", "KH", export["number"], certificate)
    traffic.import_(index, "KH", "VN", exporter, importer, items, export, certificate)
    traffic.wait_for_answer("KH", certificate)
    vn, kh = traffic.desks["VN"], traffic.desks["KH"]
    imports = vn.call("GET", "/declarations", "officer", params={"limit": 500})["items"]
    number = next(
        i["number"] for i in imports
        if vn.call("GET", f"/declarations/{i['number']}", "officer")["declaration"][
            "export_reference"] == export["number"]
    )
    declaration = vn.call("GET", f"/declarations/{number}", "officer")
    answer = kh.call("GET", f"/origin/certificates/KH/{certificate['reference']}", "issuer")
    pre_arrival = vn.call("GET", f"/pre-arrival/KH/{export['number']}", "officer")
    return declaration, answer, pre_arrival


def test_a_trade_from_cambodia_to_viet_nam_gets_the_atiga_rate(network):
    declaration, answer, pre_arrival = run_trade(network, 1, flawed=False)
    assert declaration["status"] == "released"
    duty = declaration["assessment"]["items"][0]["duties"][0]
    assert duty["tax"] == "import_duty" and duty["preferential"] is True
    assert Decimal(duty["amount"]) == 0
    assert answer["status"] == "accepted"
    assert pre_arrival["import_number"] == declaration["number"]
    # no mismatch with the ACDD (the pre-arrival record itself may be randomly selected)
    assert not any(
        reason.startswith(("ACDD", "no ACDD")) for reason in declaration["reasons"]
    ), declaration["reasons"]


def test_a_rejected_e_form_d_pays_the_mfn_rate(network):
    declaration, answer, _ = run_trade(network, 2, flawed=True)
    assert declaration["status"] == "released"
    duty = declaration["assessment"]["items"][0]["duties"][0]
    assert duty["preferential"] is False and Decimal(duty["amount"]) > 0
    assert "MFN" in duty["measure"]
    assert answer["status"] == "rejected"
    assert answer["reasons"], answer
    assert any("more than the 6000 kg" in reason for reason in answer["reasons"]), answer


def test_every_message_was_delivered_once_with_a_receipt(network):
    counts = network.message_counts()
    assert counts["sent"] >= 6 and counts["sent"] == counts["delivered"]


def test_a_second_run_on_the_same_network_lodges_its_own_declarations(network):
    """Traffic with the same seed on a kept network (`singlewindow up` run again) plans the
    same trades: its local references must still be new, not refused as lodged before."""
    accounts = [desk.account for desk in network.desks.values()]
    runs = [Traffic(accounts, seed=7), Traffic(accounts, seed=7)]
    try:
        exporter, importer = network.party("KH", "exporter"), network.party("VN", "importer")
        numbers = {
            run.export(900, "KH", "VN", exporter, importer, coffee("KH"))["number"]
            for run in runs
        }
        assert len(numbers) == 2
    finally:
        for run in runs:
            run.close()


def test_a_destination_killed_during_traffic_loses_nothing_and_duplicates_nothing(
    tmp_path,
):
    """Cambodia releases exports while Viet Nam's node is killed (SIGKILL) and restarted:
    every ACDD arrives exactly once."""
    import signal
    import time

    nodes = start_network(tmp_path, ["KH", "VN"], free_ports(2))
    traffic = Traffic([node.account() for node in nodes], seed=5)
    vn_node = next(node for node in nodes if node.country == "VN")
    kh, vn = traffic.desks["KH"], traffic.desks["VN"]
    exporter, importer = traffic.party("KH", "exporter"), traffic.party("VN", "importer")
    numbers = []
    try:
        for index in range(30):
            if index == 10:
                vn_node.stop(signal.SIGKILL)
            if index == 20:
                vn_node.start()
                vn_node.wait_ready()
            numbers.append(
                traffic.export(index, "KH", "VN", exporter, importer, coffee("KH"))["number"]
            )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            received = vn.call("GET", "/pre-arrival", "officer", params={"limit": 500})
            if received["total"] >= len(numbers):
                break
            time.sleep(0.5)
        assert sorted(r["export_reference"] for r in received["items"]) == sorted(numbers)
        inbound = vn.call("GET", "/exchange/messages", "officer",
                          params={"direction": "inbound", "limit": 500})
        assert inbound["total"] == len(numbers)
        assert len({m["message_id"] for m in inbound["items"]}) == len(numbers)
        counts = traffic.message_counts()
        assert counts["sent"] == counts["delivered"] == len(numbers)
        assert kh.call("GET", "/exchange/messages", "officer",
                       params={"direction": "outbound", "status": "delivered"})["total"] == 30
    finally:
        traffic.close()
        stop_network(nodes)
