"""Two networked nodes in process, Viet Nam's and Cambodia's, for console tests of what
travels between them (e-Form D, the message log): messages are carried through the real
signing, receipt and processing steps by `carry`."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from singlewindow.api.app import create_app
from singlewindow.core.config import Settings
from singlewindow.core.db import Database
from singlewindow.devnet import sample
from singlewindow.devnet.network import provision
from singlewindow.exchange.services import Gateway
from singlewindow.exchange.workers import OutboxDeliveryWorker
from singlewindow.node import Node
from tests.nodes import NodeClient, api_client

FORM = {
    "reference": "VN-2026-WEB-001", "issuing_country": "VN", "importing_country": "KH",
    "issuer": "Ministry of Industry and Trade of Viet Nam",
    "transport": "By truck from Ho Chi Minh City to Phnom Penh via Moc Bai", "remarks": "",
    "exporter-id": "VNEXP0001", "exporter-name": "Saigon Pepper Exporters JSC",
    "exporter-country": "VN", "exporter-address": "Ho Chi Minh City",
    "consignee-id": "KHIMP0007", "consignee-name": "Phnom Penh Spice Trading Co., Ltd.",
    "consignee-country": "KH", "consignee-address": "Phnom Penh",
    "items-0-number": "1", "items-0-description": "Black pepper, neither crushed nor ground",
    "items-0-subheading": "090411", "items-0-origin_criterion": "WO",
    "items-0-quantity": "12000", "items-0-quantity_unit": "kg", "items-0-gross_mass": "12300",
    "items-0-fob_value": "51000.00", "items-0-currency": "USD",
    "items-0-invoice_number": "INV-2026-77", "items-0-invoice_date": "2026-03-01",
    "items-0-marks": "",
}


@dataclass
class Pair:
    vn: NodeClient
    kh: NodeClient

    def carry(self, sender: NodeClient, receiver: NodeClient) -> int:
        """Deliver what `sender` queued to `receiver` (signed, receipted) and have `receiver`
        hand it to its handlers."""
        return carry(gateway(sender), gateway(receiver))


def gateway(node: NodeClient) -> Gateway:
    found = node.opened.gateway
    assert found is not None
    return found


def carry(sender: Gateway, receiver: Gateway) -> int:
    def hop(request: httpx.Request) -> httpx.Response:
        result = receiver.receive(request.read(), dict(request.headers))
        return httpx.Response(result.status, content=result.body, headers=result.headers)

    worker = OutboxDeliveryWorker(sender, client=httpx.Client(transport=httpx.MockTransport(hop)))
    try:
        sent = worker.run_once()
    finally:
        worker.close()
    receiver.process_inbox()
    return sent


def _base_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1]) % 50000 + 10000  # nothing listens: carried in process


def networked_node(country: str, database: Database, home: Path) -> NodeClient:
    settings = Settings(country=country, database_url=database.url, home=home,
                        exchange_dir=home / "exchange", random_inspection_share=0.0,
                        random_seed=3)
    opened = Node.open(settings, with_sample=True)
    users = sample.load(opened.database, country, home)
    return NodeClient(api_client(create_app(opened)), users, opened)


def open_pair(database: Database, root: Path) -> Iterator[Pair]:
    """Viet Nam's node on `database`, Cambodia's on a SQLite file of its own, on a network."""
    provision(root, ["VN", "KH"], _base_port())
    kh_database = Database(f"sqlite:///{root}/kh.db")
    pair = Pair(networked_node("VN", database, root / "VN"),
                networked_node("KH", kh_database, root / "KH"))
    try:
        yield pair
    finally:
        pair.vn.opened.database.dispose()
        pair.kh.opened.database.dispose()
