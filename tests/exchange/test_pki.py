"""The network CA, node certificates, key files and the trust list."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.x509.oid import NameOID

from singlewindow.exchange import pki
from singlewindow.exchange.errors import TrustError

from .conftest import KH, VN, Network


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_ca_is_a_ca_and_is_not_overwritten(network: Network) -> None:
    directory = network.root / "ca"
    basic = network.ca.certificate.extensions.get_extension_for_class(
        pki.x509.BasicConstraints
    )
    assert basic.value.ca is True
    assert mode(directory) == 0o700
    assert mode(directory / pki.CA_KEY) == 0o600
    with pytest.raises(TrustError):
        pki.init_ca(directory)
    again = pki.CertificateAuthority.load(directory)
    assert again.certificate == network.ca.certificate


def test_node_certificate_names_party_and_country(network: Network) -> None:
    subject = network.kh.certificate.subject
    assert subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == KH
    assert subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "KH"
    assert pki.subject_party(network.vn.certificate) == (VN, "VN")
    assert network.kh.certificate.issuer == network.ca.certificate.subject
    network.kh.certificate.verify_directly_issued_by(network.ca.certificate)
    basic = network.kh.certificate.extensions.get_extension_for_class(
        pki.x509.BasicConstraints
    )
    assert basic.value.ca is False


def test_node_key_is_0600_in_a_0700_directory(network: Network) -> None:
    directory = network.root / "kh"
    assert mode(directory) == 0o700
    assert mode(directory / pki.NODE_KEY) == 0o600
    assert mode(directory / pki.NODE_CERT) == 0o644
    loaded = pki.NodeIdentity.load(directory)
    assert (loaded.party_id, loaded.country) == (KH, "KH")
    assert loaded.certificate == network.kh.certificate


def test_node_needs_a_party_and_an_iso_country(network: Network, tmp_path: Path) -> None:
    for party, country in [("", "KH"), ("KH-CUSTOMS", "KHM"), ("KH-CUSTOMS", "kh")]:
        with pytest.raises(TrustError):
            pki.issue_node(network.ca, party, country, tmp_path / "x")


def test_trust_list_refuses_a_certificate_from_another_ca(network: Network) -> None:
    trust = pki.TrustList()
    rogue = pki.partner_from_certificate(network.rogue.certificate, "https://kh/as4")
    with pytest.raises(TrustError, match="not issued by the network CA"):
        trust.add(rogue, ca_certificate=network.ca.certificate)
    assert KH not in trust
    trust.add(
        pki.partner_from_certificate(network.kh.certificate, "https://kh/as4"),
        ca_certificate=network.ca.certificate,
    )
    assert KH in trust and len(trust) == 1


def test_trust_list_refuses_a_certificate_naming_another_party(network: Network) -> None:
    wrong = pki.Partner(VN, "VN", "https://vn/as4", network.kh.certificate)
    with pytest.raises(TrustError, match="names KH-CUSTOMS/KH"):
        pki.TrustList().add(wrong)


def test_trust_list_round_trip_and_remove(network: Network, tmp_path: Path) -> None:
    trust = pki.TrustList(
        [
            pki.partner_from_certificate(network.vn.certificate, "https://vn/as4"),
            pki.partner_from_certificate(network.kh.certificate, "https://kh/as4"),
        ]
    )
    trust.save(tmp_path / "trust.json")
    loaded = pki.TrustList.load(tmp_path / "trust.json")
    assert [p.party_id for p in loaded] == [KH, VN]
    vn = loaded.get(VN)
    assert vn is not None and vn.endpoint == "https://vn/as4"
    assert vn.certificate == network.vn.certificate
    assert vn.fingerprint == pki.fingerprint(network.vn.certificate)
    loaded.remove(VN)
    assert loaded.get(VN) is None
    with pytest.raises(TrustError):
        loaded.remove(VN)
    assert len(pki.TrustList.load(tmp_path / "missing.json")) == 0
