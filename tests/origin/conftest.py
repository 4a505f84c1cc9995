"""A small network for the origin tests: a CA, Cambodia's and Viet Nam's customs nodes, their
gateways (real ones) and the `Origin` service of each."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from singlewindow.access.model import Principal, Role
from singlewindow.core.db import Database
from singlewindow.core.migrate import upgrade
from singlewindow.exchange import pki
from singlewindow.exchange.model import UserMessage
from singlewindow.exchange.pmode import ProcessingModes
from singlewindow.exchange.repository import OutboxRow
from singlewindow.exchange.services import Gateway
from singlewindow.exchange.workers import OutboxDeliveryWorker
from singlewindow.origin.model import (
    CertificateItem,
    CertificateOfOrigin,
    OriginCriterion,
    Party,
)
from singlewindow.origin.services import ACCEPTANCE, FORM_D, REJECTION, SERVICE, Origin

KH = "KH-CUSTOMS"
VN = "VN-CUSTOMS"
ISSUER = Principal("kh-moc", Role.ISSUER)
ISSUED_AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)

EXPORTER = Party("KHEXP0042", "Mondulkiri Coffee Co., Ltd.", "KH", "Sen Monorom")
CONSIGNEE = Party("VNTRADER0001", "Saigon Coffee Importers JSC", "VN", "Ho Chi Minh City")

COFFEE_LINE = CertificateItem(
    number=1,
    description="Green robusta coffee beans, not roasted",
    subheading="090111",
    origin_criterion=OriginCriterion.parse("WO"),
    quantity=Decimal("19200"),
    quantity_unit="kg",
    gross_mass=Decimal("19520"),
    fob_value=Decimal("42240.00"),
    currency="USD",
    invoice_number="INV-1",
    invoice_date=date(2026, 3, 1),
)


def form_d(reference: str = "KH-2026-000123", **changes: Any) -> CertificateOfOrigin:
    certificate = CertificateOfOrigin(
        reference=reference,
        issuing_country="KH",
        importing_country="VN",
        exporter=EXPORTER,
        consignee=CONSIGNEE,
        items=(COFFEE_LINE,),
        issued_at=ISSUED_AT,
        issuer="Ministry of Commerce of Cambodia",
        transport="By truck from Phnom Penh to Ho Chi Minh City via Bavet",
    )
    return replace(certificate, **changes)


@dataclass
class Network:
    ca: pki.CertificateAuthority
    kh: pki.NodeIdentity
    vn: pki.NodeIdentity


@pytest.fixture(scope="session")
def network(tmp_path_factory: pytest.TempPathFactory) -> Network:
    root = tmp_path_factory.mktemp("origin-network")
    ca = pki.init_ca(root / "ca")
    return Network(
        ca=ca,
        kh=pki.issue_node(ca, KH, "KH", root / "kh"),
        vn=pki.issue_node(ca, VN, "VN", root / "vn"),
    )


def trust(identity: pki.NodeIdentity) -> pki.TrustList:
    return pki.TrustList([pki.partner_from_certificate(identity.certificate, "http://peer/as4")])


def pmode(partner: str, send: list[str], receive: list[str]) -> ProcessingModes:
    return ProcessingModes.from_dict(
        {
            "partners": {
                partner: {
                    "send": [{"service": SERVICE, "action": a} for a in send],
                    "receive": [{"service": SERVICE, "action": a} for a in receive],
                }
            },
            "retry": {"first_delay_seconds": 0.05, "max_delay_seconds": 0.5},
        }
    )


def kh_gateway_on(network: Network, database: Database) -> Gateway:
    return Gateway(database, network.kh, trust(network.vn),
                   pmode(VN, [FORM_D], [ACCEPTANCE, REJECTION]))


def vn_gateway_on(network: Network, database: Database) -> Gateway:
    return Gateway(database, network.vn, trust(network.kh),
                   pmode(KH, [ACCEPTANCE, REJECTION], [FORM_D]))


@pytest.fixture
def now() -> datetime:
    return datetime(2026, 3, 10, 8, 0, tzinfo=UTC)


@pytest.fixture
def kh(network: Network, database: Database, now: datetime) -> Origin:
    """Cambodia's issuing authority and customs, on the engine under test."""
    return Origin(database, "KH", kh_gateway_on(network, database), clock=lambda: now)


@pytest.fixture
def vn(network: Network, database: Database, now: datetime) -> Origin:
    """Viet Nam's customs, on the same database (rows carry their provenance)."""
    return Origin(database, "VN", vn_gateway_on(network, database), clock=lambda: now)


@pytest.fixture
def kh_database(tmp_path: Path) -> Iterator[Database]:
    """Cambodia's own node database, for tests where the two nodes really exchange."""
    database = Database(f"sqlite:///{tmp_path}/kh.db")
    upgrade(database)
    yield database
    database.dispose()


def outbox(database: Database, message_id: str) -> OutboxRow:
    with database.unit_of_work() as session:
        row = session.scalars(select(OutboxRow).where(OutboxRow.message_id == message_id)).one()
        session.expunge(row)
        return row


def delivered(database: Database, message_id: str, from_party: str) -> UserMessage:
    """The user message a partner would hand its handler for what this node queued."""
    row = outbox(database, message_id)
    return UserMessage(
        message_id=row.message_id,
        timestamp=datetime.now(UTC),
        from_party=from_party,
        to_party=row.to_party,
        service=row.service,
        action=row.action,
        conversation_id=row.conversation_id,
        ref_to_message_id=row.ref_to_message_id,
        payload=row.payload,
    )


def message(payload: bytes, *, message_id: str = "m-1@KH-CUSTOMS", from_party: str = KH,
            action: str = FORM_D, ref_to: str | None = None) -> UserMessage:
    return UserMessage(
        message_id=message_id,
        timestamp=datetime.now(UTC),
        from_party=from_party,
        to_party=VN if from_party == KH else KH,
        service=SERVICE,
        action=action,
        conversation_id="conv-1",
        ref_to_message_id=ref_to,
        payload=payload,
    )


def transport_to(gateway: Gateway) -> httpx.MockTransport:
    """An in-process HTTP hop to a gateway's receive endpoint."""

    def handle(request: httpx.Request) -> httpx.Response:
        result = gateway.receive(request.read(), dict(request.headers))
        return httpx.Response(result.status, content=result.body, headers=result.headers)

    return httpx.MockTransport(handle)


def deliver_all(sender: Gateway, receiver: Gateway) -> int:
    """Deliver what `sender` has queued to `receiver` (signed, encrypted, receipted), and have
    `receiver` hand it to its handlers."""
    worker = OutboxDeliveryWorker(sender, client=httpx.Client(transport=transport_to(receiver)))
    try:
        sent = worker.run_once()
    finally:
        worker.close()
    receiver.process_inbox()
    return sent
