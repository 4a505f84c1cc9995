"""Identity and trust: the network certificate authority, node keys and the trust list.

A network CA (one per regional network) issues each node an RSA key and an X.509 certificate
whose subject names the node's party id (CN) and country (C). Every node keeps a trust list
of its partners (party id, country, endpoint, certificate) and refuses everyone else.

Keys never leave their node's directory: directories are made 0700 and keys written 0600.
All the cryptography is `cryptography`'s; nothing here is hand-written.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from singlewindow.exchange.errors import TrustError

CA_KEY = "ca.key"
CA_CERT = "ca.crt"
NODE_KEY = "node.key"
NODE_CERT = "node.crt"
KEY_SIZE = 2048
NODE_VALIDITY = timedelta(days=2 * 365)
CA_VALIDITY = timedelta(days=10 * 365)


# --- files ------------------------------------------------------------------------------


def _private_directory(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    return directory


def _write_private(path: Path, data: bytes) -> None:
    """Create the file 0600 from the start (no window where it is world-readable)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(path, 0o600)


def _write_public(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    os.chmod(path, 0o644)


def _key_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def certificate_pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def load_certificate(path_or_pem: Path | str | bytes) -> x509.Certificate:
    if isinstance(path_or_pem, Path):
        path_or_pem = path_or_pem.read_bytes()
    if isinstance(path_or_pem, str):
        path_or_pem = path_or_pem.encode("ascii")
    return x509.load_pem_x509_certificate(path_or_pem)


def load_private_key(path: Path) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise TrustError(f"{path} does not hold an RSA private key")
    return key


def fingerprint(certificate: x509.Certificate) -> str:
    return certificate.fingerprint(hashes.SHA256()).hex()


# --- the certificate authority -----------------------------------------------------------


@dataclass(frozen=True)
class CertificateAuthority:
    certificate: x509.Certificate
    private_key: rsa.RSAPrivateKey

    @classmethod
    def load(cls, directory: Path) -> CertificateAuthority:
        return cls(
            certificate=load_certificate(directory / CA_CERT),
            private_key=load_private_key(directory / CA_KEY),
        )


def init_ca(directory: Path, name: str = "Single Window Network CA") -> CertificateAuthority:
    """Create the network CA in `directory` (refuses to overwrite an existing one)."""
    directory = _private_directory(Path(directory))
    if (directory / CA_KEY).exists():
        raise TrustError(f"a certificate authority already exists in {directory}")
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + CA_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_private(directory / CA_KEY, _key_pem(key))
    _write_public(directory / CA_CERT, certificate.public_bytes(serialization.Encoding.PEM))
    return CertificateAuthority(certificate, key)


# --- node identities ---------------------------------------------------------------------


@dataclass(frozen=True)
class NodeIdentity:
    """This node: its party id, country, key and certificate (the key stays in memory)."""

    party_id: str
    country: str
    certificate: x509.Certificate
    private_key: rsa.RSAPrivateKey

    @classmethod
    def load(cls, directory: Path) -> NodeIdentity:
        directory = Path(directory)
        certificate = load_certificate(directory / NODE_CERT)
        party_id, country = subject_party(certificate)
        return cls(party_id, country, certificate, load_private_key(directory / NODE_KEY))


def subject_party(certificate: x509.Certificate) -> tuple[str, str]:
    """The (party id, country) a node certificate names in its subject."""
    common_names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    countries = certificate.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)
    if len(common_names) != 1 or len(countries) != 1:
        raise TrustError("a node certificate names exactly one party id (CN) and country (C)")
    return str(common_names[0].value), str(countries[0].value)


def issue_node(
    ca: CertificateAuthority,
    party_id: str,
    country: str,
    directory: Path,
    validity: timedelta = NODE_VALIDITY,
) -> NodeIdentity:
    """Generate the node's key in its own directory and have the CA certify it."""
    if not party_id or len(country) != 2 or not country.isalpha() or not country.isupper():
        raise TrustError("a node needs a party id and an ISO 3166 alpha-2 country code")
    directory = _private_directory(Path(directory))
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, country),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, f"Customs administration {country}"),
            x509.NameAttribute(NameOID.COMMON_NAME, party_id),
        ]
    )
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + validity)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=True, key_encipherment=True,
                data_encipherment=False, key_agreement=False, key_cert_sign=False,
                crl_sign=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.UniformResourceIdentifier(f"urn:singlewindow:party:{party_id}")]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.private_key.public_key()),
            critical=False,
        )
        .sign(ca.private_key, hashes.SHA256())
    )
    _write_private(directory / NODE_KEY, _key_pem(key))
    _write_public(directory / NODE_CERT, certificate.public_bytes(serialization.Encoding.PEM))
    _write_public(directory / CA_CERT, ca.certificate.public_bytes(serialization.Encoding.PEM))
    return NodeIdentity(party_id, country, certificate, key)


# --- the trust list ----------------------------------------------------------------------


@dataclass(frozen=True)
class Partner:
    """A partner this node trusts: who it is, where it listens, the certificate it signs with."""

    party_id: str
    country: str
    endpoint: str
    certificate: x509.Certificate
    # Other parties whose documents this partner may issue (e.g. a regional hub relaying
    # for a member without its own node). Empty for a national node: it speaks for itself.
    speaks_for: tuple[str, ...] = ()

    def may_issue_for(self, party_id: str) -> bool:
        """Whether a document issued by `party_id` may come signed by this partner."""
        return party_id == self.party_id or party_id in self.speaks_for

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.certificate)

    @functools.cached_property
    def sha256_fingerprint(self) -> bytes:
        """The certificate's SHA-256 fingerprint, computed once (checked on every message)."""
        return self.certificate.fingerprint(hashes.SHA256())

    def as_dict(self) -> dict[str, object]:
        entry: dict[str, object] = {
            "party_id": self.party_id,
            "country": self.country,
            "endpoint": self.endpoint,
            "certificate": certificate_pem(self.certificate),
        }
        if self.speaks_for:
            entry["speaks_for"] = list(self.speaks_for)
        return entry


class TrustList:
    """The partners of a node, keyed by party id; kept in a JSON file (public data only)."""

    def __init__(self, partners: list[Partner] | None = None) -> None:
        self._partners: dict[str, Partner] = {}
        for partner in partners or []:
            self.add(partner)

    def __iter__(self) -> Iterator[Partner]:
        return iter(sorted(self._partners.values(), key=lambda p: p.party_id))

    def __len__(self) -> int:
        return len(self._partners)

    def __contains__(self, party_id: object) -> bool:
        return party_id in self._partners

    def get(self, party_id: str) -> Partner | None:
        return self._partners.get(party_id)

    def add(self, partner: Partner, ca_certificate: x509.Certificate | None = None) -> None:
        named_party, named_country = subject_party(partner.certificate)
        if (named_party, named_country) != (partner.party_id, partner.country):
            raise TrustError(
                f"the certificate names {named_party}/{named_country}, "
                f"not {partner.party_id}/{partner.country}"
            )
        if ca_certificate is not None:
            try:
                partner.certificate.verify_directly_issued_by(ca_certificate)
            except Exception as exc:  # InvalidSignature, ValueError, TypeError
                raise TrustError(
                    f"the certificate of {partner.party_id} is not issued by the network CA"
                ) from exc
        self._partners[partner.party_id] = partner

    def remove(self, party_id: str) -> None:
        if self._partners.pop(party_id, None) is None:
            raise TrustError(f"{party_id} is not on the trust list")

    def as_dict(self) -> dict[str, object]:
        return {"partners": [partner.as_dict() for partner in self]}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> TrustList:
        entries = data.get("partners", [])
        if not isinstance(entries, list):
            raise TrustError("the trust list needs a list of partners")
        return cls(
            [
                Partner(
                    party_id=str(entry["party_id"]),
                    country=str(entry["country"]),
                    endpoint=str(entry["endpoint"]),
                    certificate=load_certificate(str(entry["certificate"])),
                    speaks_for=tuple(str(party) for party in entry.get("speaks_for", ())),
                )
                for entry in entries
            ]
        )

    @classmethod
    def load(cls, path: Path) -> TrustList:
        path = Path(path)
        if not path.exists():
            return cls()
        return cls.from_dict(json.loads(path.read_text()))

    def save(self, path: Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.as_dict(), indent=2) + "\n")


def partner_from_certificate(certificate: x509.Certificate, endpoint: str) -> Partner:
    party_id, country = subject_party(certificate)
    return Partner(party_id, country, endpoint, certificate)
