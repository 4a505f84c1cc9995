"""Our cached XML serialiser produces the library's trees, byte for byte."""

from __future__ import annotations

from lxml import etree

from singlewindow.exchange import messaging
from singlewindow.exchange.pki import partner_from_certificate

from .conftest import VN, Network, trust

ENVELOPE = "{http://www.w3.org/2003/05/soap-envelope}Envelope"


def both(element: object, name: str = ENVELOPE) -> tuple[bytes, bytes]:
    ours = etree.tostring(messaging._dump_to_xml(element, name))  # type: ignore[arg-type]
    library = etree.tostring(messaging._library_dump_to_xml(element, name))  # type: ignore[arg-type]
    return ours, library


def test_installed() -> None:
    assert messaging.BaseElement.dump_to_xml is messaging._dump_to_xml


def test_user_messages_signals_and_parsed_envelopes_serialise_identically(
    network: Network,
) -> None:
    partner = partner_from_certificate(network.vn.certificate, "http://vn/as4")
    for encrypt in (True, False):
        outbound = messaging.build_user_message(
            network.kh, partner, message_id=f"m-{encrypt}@KH", conversation_id="c",
            service="urn:asw:pre-arrival", action="ACDD", payload=b"<ACDD/>",
            ref_to_message_id="earlier@KH", service_type="t", encrypt=encrypt,
        )
        built = outbound.exchange.message
        assert built is not None and built.soap_envelope is not None
        ours, library = both(built.soap_envelope)
        assert ours == library
        assert outbound.envelope == ours  # the log keeps what was posted

        inbound = messaging.open_user_message(
            network.vn, trust(network.kh), outbound.body, outbound.headers
        )
        assert inbound.error is None
        parsed = inbound.message.soap_envelope
        assert parsed is not None
        assert both(parsed)[0] == both(parsed)[1]  # with wildcard content copied
        receipt = inbound.exchange.receipt
        assert receipt is not None and receipt.soap_envelope is not None
        assert both(receipt.soap_envelope)[0] == both(receipt.soap_envelope)[1]
        verdict = messaging.judge_signal(outbound, inbound.signal()[1])
        assert verdict.delivered, verdict


def test_error_signals_serialise_identically(network: Network) -> None:
    inbound = messaging.open_user_message(network.vn, trust(network.kh), b"garbage", {})
    assert inbound.error is not None
    receipt = inbound.exchange.receipt
    assert receipt is not None and receipt.soap_envelope is not None
    assert both(receipt.soap_envelope)[0] == both(receipt.soap_envelope)[1]
    assert VN  # the network fixture's receiver
