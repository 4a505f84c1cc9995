"""A small network for the exchange tests: a CA, two customs nodes and a rogue one."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from singlewindow.core.db import Database
from singlewindow.core.migrate import upgrade
from singlewindow.exchange import pki
from singlewindow.exchange.pmode import ProcessingModes
from singlewindow.exchange.services import Gateway

KH = "KH-CUSTOMS"
VN = "VN-CUSTOMS"
SERVICE = "urn:asw:pre-arrival"
ACTION = "ACDD"
ORIGIN = "urn:asw:origin"
DOCUMENT = b"<ACDD><ExportDeclaration>KH-2026-000123</ExportDeclaration></ACDD>"


@dataclass
class Network:
    root: Path
    ca: pki.CertificateAuthority
    kh: pki.NodeIdentity
    vn: pki.NodeIdentity
    rogue: pki.NodeIdentity  # certified by another CA, claims to be KH
    impostor: pki.NodeIdentity  # certified by our CA, a real node, but not KH


def pmode_for(partner: str, encrypt: bool = True, **extra: object) -> ProcessingModes:
    legs = [
        {"service": SERVICE, "action": ACTION},
        {"service": SERVICE, "action": "FormD"},
        {"service": ORIGIN, "action": "FormD"},
    ]
    return ProcessingModes.from_dict(
        {
            "partners": {
                partner: {"encrypt": encrypt, "send": legs, "receive": legs},
                "TH-CUSTOMS": {"encrypt": encrypt, "send": legs, "receive": legs},
            },
            "retry": {"first_delay_seconds": 0.05, "max_delay_seconds": 0.5},
            **extra,
        }
    )


@pytest.fixture(scope="session")
def network(tmp_path_factory: pytest.TempPathFactory) -> Network:
    root = tmp_path_factory.mktemp("network")
    ca = pki.init_ca(root / "ca")
    other_ca = pki.init_ca(root / "other-ca", "Not Our CA")
    return Network(
        root=root,
        ca=ca,
        kh=pki.issue_node(ca, KH, "KH", root / "kh"),
        vn=pki.issue_node(ca, VN, "VN", root / "vn"),
        rogue=pki.issue_node(other_ca, KH, "KH", root / "rogue"),
        impostor=pki.issue_node(ca, "TH-CUSTOMS", "TH", root / "th"),
    )


def trust(*identities: pki.NodeIdentity, endpoint: str = "http://peer.test/as4") -> pki.TrustList:
    return pki.TrustList(
        [pki.partner_from_certificate(i.certificate, endpoint) for i in identities]
    )


@pytest.fixture
def receiver_db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path}/vn.db")
    upgrade(database)
    yield database
    database.dispose()


@pytest.fixture
def kh_gateway(network: Network, database: Database) -> Gateway:
    """The sending node (Cambodia), on the engine under test."""
    return Gateway(database, network.kh, trust(network.vn), pmode_for(VN))


@pytest.fixture
def vn_gateway(network: Network, receiver_db: Database) -> Gateway:
    """The receiving node (Viet Nam): trusts KH and TH."""
    return Gateway(receiver_db, network.vn, trust(network.kh, network.impostor), pmode_for(KH))


def transport_to(gateway: Gateway) -> httpx.MockTransport:
    """An in-process HTTP hop to a gateway's receive endpoint."""

    def handle(request: httpx.Request) -> httpx.Response:
        result = gateway.receive(request.read(), dict(request.headers))
        return httpx.Response(result.status, content=result.body, headers=result.headers)

    return httpx.MockTransport(handle)
