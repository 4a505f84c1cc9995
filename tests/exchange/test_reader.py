"""The reader of partners' documents (`reader`) against the `as4` library, document by document.

The library (with our profile's three extra checks) is the reference: for every variant of a
genuine message or receipt (each element's text changed, each element removed, each
attribute changed), the reader must refuse what the library refuses, and accept what it
accepts. Where the reader is knowingly stricter, STRICTER says so.
"""

from __future__ import annotations

import copy
import gzip
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from as4 import AS4ParseContext, ReceiptVerificationError
from as4.errors import BaseAS4ReceiptableError
from lxml import etree

from singlewindow.exchange import reader, receiving, refusals, sending, wire
from singlewindow.exchange.pki import partner_from_certificate

from . import profile
from .conftest import ACTION, DOCUMENT, KH, SERVICE, VN, Network, trust


def written(network: Network, encrypt: bool) -> sending.OutboundMessage:
    return sending.build_user_message(
        network.kh, partner_from_certificate(network.vn.certificate, "http://vn/as4"),
        message_id=f"{uuid.uuid4()}@{KH}", conversation_id="conv", service=SERVICE,
        action=ACTION, payload=DOCUMENT, ref_to_message_id="earlier@KH-CUSTOMS",
        encrypt=encrypt,
    )


def variants(envelope: bytes) -> Iterator[tuple[str, bytes]]:
    """Every single-edit variant of a document: a text changed, an element removed, an
    attribute value changed."""
    root = etree.fromstring(envelope)
    count = sum(1 for _ in root.iter())
    for index in range(1, count):  # not the root
        for edit in ("text", "remove", "attribute"):
            copied = etree.fromstring(envelope)
            element = list(copied.iter())[index]
            parent = element.getparent()
            assert parent is not None
            name = f"{edit} {etree.QName(parent).localname}/{etree.QName(element).localname}"
            if edit == "text":
                if not (element.text or "").strip():
                    continue
                text = element.text or ""
                element.text = text[:-2] + ("AA" if text[-2:] != "AA" else "BB")
            elif edit == "remove":
                parent.remove(element)
            else:
                if not element.attrib:
                    continue
                key = sorted(element.attrib)[0]
                element.set(key, element.get(key, "") + "x")
                name += f"@{etree.QName(key).localname}"
            yield name, etree.tostring(copied)


def ours(network: Network, soap: bytes, attachments: dict[str, bytes]) -> str | None:
    try:
        document = reader.parse_envelope(soap)
        reader.read_user_message(
            document, attachments,
            resolve_signer=receiving.signer_resolver(trust(network.kh)),
            private_key=receiving.internal_party(network.vn).credentials.private_key,
            maximum_size=receiving.MAXIMUM_PAYLOAD,
        )
    except BaseAS4ReceiptableError as error:
        return error.error_code
    return None


def library(network: Network, soap: bytes, attachments: dict[str, bytes]) -> str | None:
    message = profile.SingleWindowMessage.parse(
        AS4ParseContext(
            local_party=receiving.internal_party(network.vn),
            security_policy=profile.security_policy(trust(network.kh)),
        ),
        soap,
        attachments,
    )
    if message.parse_error is not None:
        return message.parse_error.error_code
    return None


# RSA-OAEP without its SHA-256 digest and MGF named means SHA-1 by default: the library
# decrypts with SHA-256 whatever is declared, the reader requires the declaration.
STRICTER = {
    f"{edit} EncryptionMethod/{name}"
    for edit in ("remove", "attribute") for name in ("DigestMethod", "MGF")
}


@pytest.mark.parametrize("encrypt", [True, False], ids=["encrypted", "signed-only"])
def test_the_reader_refuses_what_the_library_refuses(network: Network, encrypt: bool) -> None:
    outbound = written(network, encrypt)
    soap, attachments = receiving.unpack_multipart(outbound.headers["Content-Type"], outbound.body)
    assert ours(network, soap, attachments) is None and library(network, soap, attachments) is None
    disagreements = []
    checked = 0
    for name, variant in variants(soap):
        checked += 1
        mine, theirs = ours(network, variant, attachments), library(network, variant, attachments)
        if (mine is None) != (theirs is None):
            if name.split("@")[0] in STRICTER and mine == "EBMS:0103":
                continue
            disagreements.append((name, mine, theirs))
    assert not disagreements, "\n".join(map(str, disagreements))
    assert checked > 80


def test_the_reader_reads_what_was_written(network: Network) -> None:
    outbound = written(network, encrypt=True)
    soap, attachments = receiving.unpack_multipart(outbound.headers["Content-Type"], outbound.body)
    read = reader.read_user_message(
        reader.parse_envelope(soap), attachments,
        resolve_signer=receiving.signer_resolver(trust(network.kh)),
        private_key=receiving.internal_party(network.vn).credentials.private_key,
        maximum_size=receiving.MAXIMUM_PAYLOAD,
    )
    message = read.message
    assert (message.message_id, message.from_party, message.to_party) == (
        outbound.message_id, KH, VN,
    )
    assert (message.service, message.action, message.conversation_id) == (SERVICE, ACTION, "conv")
    assert message.ref_to_message_id == "earlier@KH-CUSTOMS"
    assert abs(message.timestamp - outbound.timestamp) < timedelta(milliseconds=1)
    assert message.payload == DOCUMENT and read.encrypted
    assert read.signer == network.kh.certificate
    assert {reader.reference_key(r) for r in read.references} == {
        reader.reference_key(r) for r in outbound.references
    }


def test_a_tampered_attachment_is_refused(network: Network) -> None:
    for encrypt, code in ((True, "EBMS:0102"), (False, "EBMS:0101")):
        outbound = written(network, encrypt)
        soap, attachments = receiving.unpack_multipart(
            outbound.headers["Content-Type"], outbound.body
        )
        [(part, content)] = attachments.items()
        tampered = {part: content[:-1] + bytes([content[-1] ^ 1])}
        assert ours(network, soap, tampered) == code
        assert library(network, soap, tampered) == code
        assert ours(network, soap, {}) is not None


def test_gunzip_stops_at_the_size_limit_and_refuses_what_is_not_gzip() -> None:
    bomb = gzip.compress(b"\0" * 1_000_000)
    with pytest.raises(reader.DecompressedPayloadTooLargeException):
        reader.gunzip(bomb, 1000)
    assert reader.gunzip(bomb, 1_000_000) == b"\0" * 1_000_000
    assert reader.gunzip(gzip.compress(b"a") + gzip.compress(b"b"), 10) == b"ab"
    for broken in (b"not gzip", bomb[:20], b""):
        with pytest.raises(reader.DecompressionFailedException):
            reader.gunzip(broken, 1000)


# --- signals -------------------------------------------------------------------------------


def receipt_for(network: Network, outbound: sending.OutboundMessage) -> bytes:
    inbound = receiving.open_user_message(
        network.vn, trust(network.kh), outbound.body, outbound.headers
    )
    assert inbound.error is None
    return inbound.signal()[1]


def library_judges(outbound: sending.OutboundMessage, signal: bytes) -> bool:
    try:
        receipt = profile.SingleWindowReceipt.parse(signal, outbound.expected_signer)
        if receipt.original_message_id != outbound.message_id:
            return False
        receipt.verify_non_repudiation(outbound.references)
    except ReceiptVerificationError:
        return False
    return True


def test_the_judge_refuses_every_receipt_the_library_refuses(network: Network) -> None:
    outbound = written(network, encrypt=True)
    receipt = receipt_for(network, outbound)
    assert sending.judge_signal(outbound, receipt).delivered and library_judges(outbound, receipt)
    disagreements = []
    for name, variant in variants(receipt):
        verdict = sending.judge_signal(outbound, variant)
        if verdict.delivered != library_judges(outbound, variant):
            disagreements.append((name, verdict.detail))
    assert disagreements == []


def test_a_receipt_signed_by_another_node_proves_nothing(network: Network) -> None:
    outbound = written(network, encrypt=False)
    impostor = copy.copy(outbound)
    object.__setattr__(impostor, "expected_signer", network.impostor.certificate)
    verdict = sending.judge_signal(impostor, receipt_for(network, outbound))
    assert not verdict.delivered and verdict.retry and "not signed by" in verdict.detail


def test_an_error_signal_is_read_with_its_code(network: Network) -> None:
    outbound = written(network, encrypt=True)
    inbound = receiving.open_user_message(
        network.vn, trust(network.kh), outbound.body, outbound.headers
    )
    inbound.refuse(refusals.ProcessingModeMismatch(detail="no P-Mode for this"))
    signal = reader.read_signal(inbound.signal()[1], network.vn.certificate)
    assert signal.ref_to_message_id == outbound.message_id
    assert signal.error is not None and signal.error.error_code == "EBMS:0010"
    assert signal.error.detail == "no P-Mode for this"
    verdict = sending.judge_signal(outbound, inbound.signal()[1])
    assert not verdict.delivered and not verdict.retry and verdict.error_code == "EBMS:0010"


@pytest.mark.parametrize(
    "signal", [b"", b"garbage", b"<a/>", f"<S:Envelope xmlns:S='{wire.S12}'/>".encode()]
)
def test_what_is_not_a_signal_proves_nothing(network: Network, signal: bytes) -> None:
    verdict = sending.judge_signal(written(network, encrypt=False), signal)
    assert not verdict.delivered and verdict.retry and "no valid receipt" in verdict.detail


def test_a_header_block_nobody_understands_is_refused(network: Network) -> None:
    outbound = written(network, encrypt=False)
    soap, attachments = receiving.unpack_multipart(outbound.headers["Content-Type"], outbound.body)
    envelope = etree.fromstring(soap)
    header = envelope.find(f"{{{wire.S12}}}Header")
    assert header is not None
    block = etree.SubElement(header, "{urn:example:routing}Route")
    block.set(f"{{{wire.S12}}}mustUnderstand", "true")
    assert ours(network, etree.tostring(envelope), attachments) == "EBMS:0009"
    block.set(f"{{{wire.S12}}}mustUnderstand", "false")
    assert ours(network, etree.tostring(envelope), attachments) is None
