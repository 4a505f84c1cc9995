"""The node's own AS4 documents (`wire`): the library's structure, verified by the library."""

from __future__ import annotations

import base64

import pytest
from as4 import AS4ParseContext, AS4SendingExchange, SecurityPolicy, pinned_certificates
from as4.core.message import AS4Message
from as4.core.receipt import AS4Receipt
from as4.errors import PayloadPartNotFoundException, SoapPartNotFoundException
from as4.peppol import build_peppol_message, create_peppol_external_party
from lxml import etree

from singlewindow.exchange import receiving, sending, wire
from singlewindow.exchange.pki import partner_from_certificate

from . import profile
from .conftest import ACTION, DOCUMENT, SERVICE, VN, Network, trust

SECURITY = f"{{{wire.S12}}}Header/{{{wire.WSSE}}}Security"
SIGNAL = f"{{{wire.S12}}}Header/{{{wire.EB3}}}Messaging/{{{wire.EB3}}}SignalMessage"
STRUCTURAL = ("Algorithm", "ValueType", "EncodingType", "Type", "MimeType", "TokenType")


def skeleton(element: etree._Element) -> tuple[object, ...]:
    """An element's shape: tags, algorithm-like attributes and children, not ids or values."""
    attributes = sorted(
        (etree.QName(name).localname, value)
        for name, value in element.attrib.items()
        if etree.QName(name).localname in STRUCTURAL
    )
    return (element.tag, tuple(attributes), tuple(skeleton(child) for child in element))


def written(network: Network, encrypt: bool = True, message_id: str = "w-1@KH-CUSTOMS"):  # type: ignore[no-untyped-def]
    return sending.build_user_message(
        network.kh, partner_from_certificate(network.vn.certificate, "http://vn/as4"),
        message_id=message_id, conversation_id="conv", service=SERVICE, action=ACTION,
        payload=DOCUMENT, ref_to_message_id="earlier@KH-CUSTOMS", service_type="t",
        encrypt=encrypt,
    )


def receive(network: Network, outbound: sending.OutboundMessage) -> receiving.InboundMessage:
    return receiving.open_user_message(
        network.vn, trust(network.kh), outbound.body, outbound.headers
    )


def library_parse(network: Network, outbound: sending.OutboundMessage) -> AS4Message:
    soap, attachments = receiving.unpack_multipart(outbound.headers["Content-Type"], outbound.body)
    return AS4Message.parse(
        AS4ParseContext(
            local_party=receiving.internal_party(network.vn),
            security_policy=SecurityPolicy(
                signer_resolver=pinned_certificates(network.kh.certificate)
            ),
        ),
        soap,
        attachments,
    )


def test_the_security_header_has_the_library_structure(network: Network) -> None:
    ours = etree.fromstring(written(network).envelope).find(SECURITY)
    library = build_peppol_message(
        payload=b"<Invoice/>",
        local_party=receiving.internal_party(network.kh),
        remote_party=create_peppol_external_party(VN, network.vn.certificate),
        sender="9932:KH", recipient="9932:VN", sender_country_id="KH",
        document_type_identifier_scheme="busdox-docid-qns",
        document_type_identifier_value="urn:x::Invoice##urn:x::2.1",
        process_identifier="urn:p",
    )
    theirs = etree.fromstring(library.soap_envelope_xml).find(SECURITY)
    assert ours is not None and theirs is not None
    assert skeleton(ours) == skeleton(theirs)


def test_the_library_verifies_and_decrypts_a_written_message(network: Network) -> None:
    outbound = written(network)
    parsed = library_parse(network, outbound)
    assert parsed.parse_error is None
    assert parsed.signer_certificate == network.kh.certificate
    assert list(parsed.decrypted_data.values()) == [DOCUMENT]
    user_message = parsed.require_soap_envelope().header.messaging.user_message
    assert user_message is not None
    assert user_message.message_info.ref_to_message_id.value == "earlier@KH-CUSTOMS"  # type: ignore[union-attr]
    assert user_message.collaboration_info.service.type_value == "t"
    # what the receipt must acknowledge is what the library sees signed
    assert len(outbound.references) == len(parsed.signed_references) == 3
    assert all(reference in parsed.signed_references for reference in outbound.references)


def test_a_signed_only_message_carries_the_compressed_payload_in_clear(network: Network) -> None:
    outbound = written(network, encrypt=False)
    envelope = etree.fromstring(outbound.envelope)
    assert envelope.find(f"{SECURITY}/{{{wire.ENC}}}EncryptedKey") is None
    inbound = receive(network, outbound)
    assert inbound.error is None and not inbound.encrypted
    assert inbound.message.payload == DOCUMENT


def test_the_library_verifies_a_written_receipt(network: Network) -> None:
    outbound = written(network)
    inbound = receive(network, outbound)
    headers, body = inbound.signal()
    assert headers["Content-Type"].startswith("application/soap+xml")
    receipt = AS4Receipt.parse(body, network.vn.certificate)
    receipt.verify_non_repudiation(outbound.references)
    assert receipt.original_message_id == outbound.message_id
    assert inbound.signal_id.endswith(f"@{VN}")
    assert sending.judge_signal(outbound, body).delivered

    library = AS4Receipt.create_non_repudiation_receipt(
        referenced_message_id=outbound.message_id, referenced_messaging_id="m",
        non_repudiated_references=library_parse(network, outbound).signature_references,
        local_party=receiving.internal_party(network.vn),
    ).get_request_data()[1]
    assert skeleton(etree.fromstring(body)) == skeleton(etree.fromstring(library))


def test_a_receipt_for_another_message_or_other_references_proves_nothing(network: Network) -> None:
    first = written(network, message_id="a@KH-CUSTOMS")
    second = written(network, message_id="b@KH-CUSTOMS")
    receipt = receive(network, first).signal()[1]
    verdict = sending.judge_signal(second, receipt)
    assert not verdict.delivered and verdict.retry and "refers to" in verdict.detail
    forged = sending.OutboundMessage(**{**first.__dict__, "references": second.references})
    verdict = sending.judge_signal(forged, receipt)
    assert not verdict.delivered and "acknowledge" in verdict.detail


def multipart(*parts: tuple[str, bytes]) -> tuple[str, bytes]:
    body = b"".join(
        b"--b\r\n" + headers.encode() + b"\r\n\r\n" + data + b"\r\n" for headers, data in parts
    )
    return 'multipart/related; type="application/soap+xml"; boundary="b"', body + b"--b--\r\n"


def test_unpacking_reads_base64_parts_and_content_ids() -> None:
    content_type, body = multipart(
        ("Content-Type: application/soap+xml; charset=UTF-8", b"<Envelope/>"),
        ("Content-Type: application/octet-stream\r\nContent-ID: <p1@cid>\r\n"
         "Content-Transfer-Encoding: base64", base64.b64encode(b"\x00\x01payload")),
    )
    soap, attachments = receiving.unpack_multipart(content_type, body)
    assert soap == b"<Envelope/>" and attachments == {"p1@cid": b"\x00\x01payload"}


@pytest.mark.parametrize(
    "content_type, body, error",
    [
        ("application/soap+xml", b"<Envelope/>", SoapPartNotFoundException),
        (*multipart(("Content-Type: application/octet-stream\r\nContent-ID: <p>", b"x")),
         SoapPartNotFoundException),
        (*multipart(("Content-Type: application/soap+xml", b"<E/>")), PayloadPartNotFoundException),
        (*multipart(("Content-Type: application/soap+xml", b"<E/>"),
                    ("Content-Type: application/octet-stream", b"x")),
         PayloadPartNotFoundException),
        (*multipart(("Content-Type: application/soap+xml", b"<E/>"),
                    ("Content-Type: application/octet-stream\r\nContent-ID: <p>\r\n"
                     "Content-Transfer-Encoding: x-uuencode", b"x")), PayloadPartNotFoundException),
        ('multipart/related; boundary="b"', b"--b\r\nno header end", SoapPartNotFoundException),
    ],
)
def test_unpacking_refuses_what_is_not_an_as4_message(
    content_type: str, body: bytes, error: type[Exception]
) -> None:
    with pytest.raises(error):
        receiving.unpack_multipart(content_type, body)


def test_the_library_exchange_builds_through_our_profile(network: Network) -> None:
    exchange = AS4SendingExchange(
        profile=profile.SingleWindowProfile,
        local_party=receiving.internal_party(network.kh),
        remote_party=profile.external_party(
            partner_from_certificate(network.vn.certificate, "http://vn/as4")
        ),
    )
    collaboration = wire.Collaboration(
        message_id="lib-1@KH-CUSTOMS", conversation_id="c", from_party="KH-CUSTOMS",
        to_party=VN, party_type=wire.PARTY_TYPE, agreement=wire.AGREEMENT,
        service=SERVICE, action=ACTION,
    )
    headers, body = exchange.build(DOCUMENT, profile.BuilderArgs(collaboration))
    inbound = receiving.open_user_message(network.vn, trust(network.kh), body, headers)
    assert inbound.error is None
    assert inbound.message.payload == DOCUMENT
    exchange.receive_signal(inbound.signal()[1])
    assert exchange.successful


def test_values_with_markup_are_escaped(network: Network) -> None:
    outbound = sending.build_user_message(
        network.kh, partner_from_certificate(network.vn.certificate, "http://vn/as4"),
        message_id='m-<1>&"x"@KH-CUSTOMS', conversation_id="a<b&c\"d'e", service=SERVICE,
        action=ACTION, payload=DOCUMENT, service_type='t"<', encrypt=False,
    )
    inbound = receive(network, outbound)
    assert inbound.error is None, inbound.error
    assert inbound.message.message_id == 'm-<1>&"x"@KH-CUSTOMS'
    assert inbound.message.conversation_id == "a<b&c\"d'e"
    assert inbound.message.service_type == 't"<'
    assert sending.judge_signal(outbound, inbound.signal()[1]).delivered
