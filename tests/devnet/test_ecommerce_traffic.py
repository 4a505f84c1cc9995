"""The traffic's e-commerce rider against a Viet Nam node's API in process: its sample
platform's manifests are answered per parcel, the malformed line rejected, the split order
found, and the shops whose documents the officer accepted get their parcels released."""

from __future__ import annotations

from singlewindow.devnet.ecommerce import PARCEL_COUNTS, parcels_of
from singlewindow.devnet.network import COUNTED
from singlewindow.devnet.traffic import Account, Desk, Traffic
from tests.nodes import NodeClient


def test_the_rider_sends_a_manifest_and_counts_what_the_node_answered(
        node: NodeClient) -> None:
    users = node.users
    account = Account("VN", "http://testserver", users.tokens(), users.trader_party,
                      users.broker_party, users.office)
    traffic = Traffic([account, Account("KH", "http://unused", {}, "", "", "")])
    traffic.close()
    traffic.desks = {"VN": Desk(account, node.client)}
    jobs, keys = parcels_of(traffic, 2)
    assert keys == PARCEL_COUNTS and {k for k, _ in COUNTED} >= set(keys)
    for job in jobs:
        job()
    counts = traffic.counts
    assert counts["parcels"] == 40 + 2  # 20 a trade, and the split order's two parcels
    assert counts["parcels_rejected"] == 1
    assert counts["parcels_split"] == 1
    assert counts["parcels_released"] > 0 and counts["parcels_held"] >= 2
    assert counts["parcels_released"] + counts["parcels_held"] == counts["parcels"]
