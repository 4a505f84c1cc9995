"""Interoperation with the plain `as4` library, on both sides of the wire."""

from __future__ import annotations

from as4 import AS4ParseContext, SecurityPolicy, pinned_certificates
from as4.core.message import AS4Message
from as4.peppol import (
    BusdoxDocidQnsDocumentIdentifier,
    build_peppol_message,
    create_peppol_external_party,
    create_peppol_internal_party,
    parse_peppol_receipt,
)
from as4.profiles.peppol.profile import PeppolAS4Profile
from as4.utils.mime_handler import MIMEHandler

from singlewindow.exchange import pki, receiving, sending
from singlewindow.exchange.pmode import ProcessingModes
from singlewindow.exchange.services import Gateway

from .conftest import ACTION, DOCUMENT, KH, SERVICE, VN, Network, trust

DOCTYPE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2::Invoice##urn:x::2.1"
PROCESS = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"


def test_a_message_built_by_the_library_is_accepted(network: Network, receiver_db) -> None:  # type: ignore[no-untyped-def]
    action = BusdoxDocidQnsDocumentIdentifier.from_identifier_value(DOCTYPE).action
    pmode = ProcessingModes.from_dict(
        {"partners": {KH: {"receive": [{"service": PROCESS, "action": action}]}}}
    )
    vn = Gateway(receiver_db, network.vn, trust(network.kh), pmode)
    key = network.kh.private_key
    from as4 import AS4LocalPrivateKey

    message = build_peppol_message(
        payload=b"<Invoice>42</Invoice>",
        local_party=create_peppol_internal_party(
            KH, network.kh.certificate, AS4LocalPrivateKey(key)
        ),
        remote_party=create_peppol_external_party(VN, network.vn.certificate),
        sender="9932:KH0001",
        recipient="9932:VN0001",
        sender_country_id="KH",
        document_type_identifier_scheme="busdox-docid-qns",
        document_type_identifier_value=DOCTYPE,
        process_identifier=PROCESS,
    )
    body, boundary = message.get_request_data()
    result = vn.receive(body, message.get_http_headers(boundary))
    assert result.accepted, result.detail

    receipt = parse_peppol_receipt(result.body, network.vn.certificate)
    receipt.verify_non_repudiation(message.signed_references)
    assert receipt.original_message_id == message.message_id
    [entry] = vn.get_message(message.message_id)
    assert entry.from_party == KH and entry.action == action


def test_a_node_message_is_verified_and_decrypted_by_the_library(network: Network) -> None:
    outbound = sending.build_user_message(
        network.kh,
        pki.partner_from_certificate(network.vn.certificate, "http://vn.test/as4"),
        message_id="interop-1@KH-CUSTOMS",
        conversation_id="conv",
        service=SERVICE,
        action=ACTION,
        payload=DOCUMENT,
    )
    soap, attachments = PeppolAS4Profile.unpack_message(
        MIMEHandler.payload_from_request(outbound.headers, outbound.body)
    )
    from as4 import AS4InternalParty  # noqa: F401  (the library's own party model)

    parsed = AS4Message.parse(
        AS4ParseContext(
            local_party=receiving.internal_party(network.vn),
            security_policy=SecurityPolicy(
                signer_resolver=pinned_certificates(network.kh.certificate)
            ),
        ),
        soap,
        attachments,
    )
    assert parsed.parse_error is None
    assert parsed.signer_certificate == network.kh.certificate
    assert list(parsed.decrypted_data.values()) == [DOCUMENT]
    assert parsed.message_id == "interop-1@KH-CUSTOMS"
