"""Attacks and faults: each refused with the right ebMS error, and nothing stored."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from sqlalchemy import func, select

from singlewindow.core.clock import utcnow
from singlewindow.core.db import Database
from singlewindow.declarations.model import DeclarationType, Party
from singlewindow.declarations.prearrival import PreArrival, acdd_document, export_country_of
from singlewindow.exchange import pki, receiving, refusals, sending
from singlewindow.exchange.repository import InboxRow, MessageLogRow, OutboxRow
from singlewindow.exchange.services import Gateway, ReceiveResult, names_no_issuer
from singlewindow.origin.errors import UnknownCertificate
from singlewindow.origin.model import CertificateOfOrigin, CertificateStatus, to_payload
from singlewindow.origin.services import FORM_D, Origin
from singlewindow.risk import services as selectivity
from tests.builders import import_declaration

from . import profile
from .conftest import ACTION, DOCUMENT, KH, ORIGIN, SERVICE, Network, pmode_for, trust


def build(
    sender: pki.NodeIdentity, receiver: pki.NodeIdentity, encrypt: bool = True
) -> sending.OutboundMessage:
    return sending.build_user_message(
        sender,
        pki.partner_from_certificate(receiver.certificate, "http://vn.test/as4"),
        message_id=f"{uuid.uuid4()}@{sender.party_id}",
        conversation_id="conv-attack",
        service=SERVICE,
        action=ACTION,
        payload=DOCUMENT,
        encrypt=encrypt,
    )


def stored(gateway: Gateway) -> int:
    with gateway.database.unit_of_work() as session:
        inbox = session.scalar(select(func.count()).select_from(InboxRow)) or 0
        log = session.scalar(select(func.count()).select_from(MessageLogRow)) or 0
    return inbox + log


def assert_refused(result: ReceiveResult, code: str, gateway: Gateway, detail: str = "") -> None:
    assert not result.accepted
    assert result.error_code == code, (result.error_code, result.detail)
    assert detail in result.detail
    assert b"eb3:Error" in result.body or b"Error" in result.body
    assert stored(gateway) == 0


def attachment_span(body: bytes) -> tuple[int, int]:
    """Where the payload part's content lies in a multipart body built by the library."""
    boundary = body.split(b"\r\n", 1)[0]
    end = body.rindex(boundary + b"--") - 2
    start = body.rindex(b"\r\n\r\n", 0, end) + 4
    return start, end


def test_a_genuine_message_is_accepted(network: Network, vn_gateway: Gateway) -> None:
    outbound = build(network.kh, network.vn)
    result = vn_gateway.receive(outbound.body, outbound.headers)
    assert result.accepted and result.status == 200
    assert sending.judge_signal(outbound, result.body).delivered
    # the evidence: the signed envelope byte for byte as posted, and the receipt as answered
    [entry] = vn_gateway.get_message(outbound.message_id)
    assert entry.envelope == outbound.envelope and entry.signal == result.body


@pytest.mark.parametrize("encrypt, code", [(True, "EBMS:0102"), (False, "EBMS:0101")])
def test_tampered_payload(network: Network, receiver_db, encrypt: bool, code: str) -> None:  # type: ignore[no-untyped-def]
    gateway = Gateway(receiver_db, network.vn, trust(network.kh), pmode_for(KH, encrypt=encrypt))
    outbound = build(network.kh, network.vn, encrypt=encrypt)
    start, end = attachment_span(outbound.body)
    body = bytearray(outbound.body)
    body[end - 5] ^= 0x01
    assert_refused(gateway.receive(bytes(body), outbound.headers), code, gateway)


def test_tampered_header(network: Network, vn_gateway: Gateway) -> None:
    outbound = build(network.kh, network.vn)
    body = outbound.body.replace(b">ACDD<", b">FormD<", 1)  # an action the P-Mode allows
    assert body != outbound.body
    result = vn_gateway.receive(body, outbound.headers)
    assert_refused(result, "EBMS:0101", vn_gateway)


def test_certificate_not_in_the_trust_list(network: Network, vn_gateway: Gateway) -> None:
    outbound = build(network.rogue, network.vn)  # claims KH, certified by another CA
    assert_refused(vn_gateway.receive(outbound.body, outbound.headers), "EBMS:0101", vn_gateway)


def test_unknown_party(network: Network, receiver_db) -> None:  # type: ignore[no-untyped-def]
    gateway = Gateway(receiver_db, network.vn, trust(network.impostor), pmode_for(KH))
    outbound = build(network.kh, network.vn)
    assert_refused(gateway.receive(outbound.body, outbound.headers), "EBMS:0101", gateway)


def test_signed_by_the_wrong_node(network: Network, vn_gateway: Gateway) -> None:
    """TH is a trusted partner, but signs a message that claims to come from KH."""
    forger = pki.NodeIdentity(KH, "KH", network.impostor.certificate, network.impostor.private_key)
    outbound = build(forger, network.vn)
    result = vn_gateway.receive(outbound.body, outbound.headers)
    assert_refused(result, "EBMS:0101", vn_gateway)


def test_replayed_message_is_a_duplicate(network: Network, vn_gateway: Gateway) -> None:
    outbound = build(network.kh, network.vn)
    assert vn_gateway.receive(outbound.body, outbound.headers).accepted
    before = stored(vn_gateway)
    result = vn_gateway.receive(outbound.body, outbound.headers)
    assert not result.accepted and result.error_code == "EBMS:0004"
    assert refusals.DUPLICATE_MARK in result.detail
    assert stored(vn_gateway) == before


def test_replayed_message_outside_the_time_window(network: Network, receiver_db) -> None:  # type: ignore[no-untyped-def]
    later = Gateway(
        receiver_db, network.vn, trust(network.kh), pmode_for(KH),
        clock=lambda: utcnow() + timedelta(hours=1),
    )
    outbound = build(network.kh, network.vn)
    assert_refused(later.receive(outbound.body, outbound.headers), "EBMS:0003", later, "window")


@pytest.mark.parametrize(
    "body, headers",
    [
        (b"\x00\xffgarbage" * 10, {"content-type": "application/octet-stream"}),
        (b"<not-soap/>", {"content-type": "application/soap+xml"}),
        (b"--x\r\nContent-Type: application/soap+xml\r\n\r\n<a>\r\n--x--",
         {"content-type": 'multipart/related; boundary="x"'}),
        (b"", {}),
    ],
)
def test_garbage_body(vn_gateway: Gateway, body: bytes, headers: dict[str, str]) -> None:
    result = vn_gateway.receive(body, headers)
    assert not result.accepted and result.error_code in {"EBMS:0009", "EBMS:0003", "EBMS:0007"}
    assert stored(vn_gateway) == 0


def test_unknown_service_or_action(network: Network, vn_gateway: Gateway) -> None:
    outbound = sending.build_user_message(
        network.kh,
        pki.partner_from_certificate(network.vn.certificate, "http://vn.test/as4"),
        message_id="x1@kh", conversation_id="c", service="urn:asw:intelligence",
        action="Alert", payload=DOCUMENT,
    )
    result = vn_gateway.receive(outbound.body, outbound.headers)
    assert_refused(result, "EBMS:0010", vn_gateway)


def test_not_addressed_to_this_node(network: Network, receiver_db) -> None:  # type: ignore[no-untyped-def]
    th = Gateway(receiver_db, network.impostor, trust(network.kh), pmode_for(KH))
    outbound = build(network.kh, network.vn)  # for VN, posted to TH (which cannot decrypt)
    result = th.receive(outbound.body, outbound.headers)
    assert not result.accepted and stored(th) == 0


def test_encryption_required_by_the_pmode(network: Network, vn_gateway: Gateway) -> None:
    outbound = build(network.kh, network.vn, encrypt=False)
    assert_refused(vn_gateway.receive(outbound.body, outbound.headers), "EBMS:0103", vn_gateway)


def wrap(body: bytes, new_id: str) -> bytes:
    """XML signature wrapping: hide the signed eb:Messaging, put a forged one in its place."""
    from lxml import etree

    start = body.index(b"<S12:Envelope") if b"<S12:Envelope" in body else body.index(b"<")
    end = body.index(b"Envelope>", start) + len(b"Envelope>")
    envelope = etree.fromstring(body[start:end])
    ns = {"eb3": "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/",
          "S12": "http://www.w3.org/2003/05/soap-envelope",
          "wsu": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"}
    header = envelope.find("S12:Header", ns)
    original = header.find("eb3:Messaging", ns)
    forged = etree.fromstring(etree.tostring(original))
    forged.set(f"{{{ns['wsu']}}}Id", "forged-messaging")
    forged.find(".//eb3:MessageId", ns).text = new_id
    wrapper = etree.SubElement(header, "{urn:attacker}Wrapper")
    header.remove(original)
    wrapper.append(original)
    header.insert(0, forged)
    return body[:start] + etree.tostring(envelope) + body[end:]


def test_signature_wrapping_is_refused(network: Network, vn_gateway: Gateway) -> None:
    outbound = build(network.kh, network.vn)
    assert vn_gateway.receive(outbound.body, outbound.headers).accepted
    before = stored(vn_gateway)
    # Replay under a new message id, to get past duplicate elimination.
    result = vn_gateway.receive(wrap(outbound.body, "replayed@KH-CUSTOMS"), outbound.headers)
    assert not result.accepted and result.error_code == "EBMS:0101"
    assert "eb:Messaging" in result.detail
    assert stored(vn_gateway) == before


def test_the_library_alone_accepts_a_wrapped_message(network: Network) -> None:
    """Evidence for docs/exchange.md: `as4`'s coverage check does not bind the signed
    eb:Messaging to the header's, so the wrapped replay verifies with the library alone."""
    from as4 import AS4ReceivingExchange, SecurityPolicy, pinned_certificates
    from as4.core.message import AS4Message

    class LibraryOnly(profile.SingleWindowProfile):
        @classmethod
        def message_class(cls):  # type: ignore[no-untyped-def]
            class Plain(profile.SingleWindowMessage):
                @classmethod
                def process(cls, fields, parse_context, element, attachments):  # type: ignore[no-untyped-def]
                    return AS4Message.process.__func__(
                        cls, fields, parse_context, element, attachments
                    )

            return Plain

    outbound = build(network.kh, network.vn)
    exchange = AS4ReceivingExchange(
        profile=LibraryOnly, local_party=receiving.internal_party(network.vn)
    )
    exchange.receive(
        outbound.headers,
        wrap(outbound.body, "replayed@KH-CUSTOMS"),
        security_policy=SecurityPolicy(signer_resolver=pinned_certificates(network.kh.certificate)),
    )
    assert exchange.message is not None and exchange.message.parse_error is None
    assert exchange.message.message_id == "replayed@KH-CUSTOMS"


# --- a trusted partner speaking for another (issue 10, holes 1 and 2) ----------------------

ACDD_NUMBER = "KH26KHPNH0000000017"


def signed(
    sender: pki.NodeIdentity, receiver: pki.NodeIdentity, action: str, payload: bytes
) -> sending.OutboundMessage:
    return sending.build_user_message(
        sender,
        pki.partner_from_certificate(receiver.certificate, "http://vn.test/as4"),
        message_id=f"{uuid.uuid4()}@{sender.party_id}",
        conversation_id="conv-forgery",
        service=SERVICE if action == ACTION else ORIGIN,
        action=action,
        payload=payload,
    )


def acdd_of_cambodia() -> bytes:
    export = replace(
        import_declaration(), type=DeclarationType.EXPORT, office="KHPNH01",
        exporter=Party("KHEXP0042", "Mondulkiri Coffee Co., Ltd.", "KH"),
    )
    document = acdd_document(ACDD_NUMBER, export, datetime(2026, 11, 2, tzinfo=UTC))
    assert document["ExportCountryCode"] == "KH"
    return orjson.dumps(document)


def receiving_node(network: Network, database: Database) -> tuple[Gateway, PreArrival, Origin]:
    """Viet Nam with its real ACDD and e-Form D handlers, wired as `node._join_network`
    does; it trusts Cambodia and Thailand."""
    gateway = Gateway(database, network.vn, trust(network.kh, network.impostor), pmode_for(KH))
    selectivity.configure(database, default_random_share=0.0, seed=7)
    pre_arrival = PreArrival(database, "VN", gateway.send)
    gateway.register_handler(
        SERVICE, ACTION, pre_arrival.receive,
        issuer=lambda payload: f"{export_country_of(payload)}-CUSTOMS",
    )
    origin = Origin(database, "VN", gateway)
    origin.register_handlers()
    return gateway, pre_arrival, origin


def inbound_log(gateway: Gateway) -> list[MessageLogRow]:
    with gateway.database.unit_of_work() as session:
        return list(session.scalars(select(MessageLogRow)))


def assert_forgery_refused(
    forged: sending.OutboundMessage, result: ReceiveResult, gateway: Gateway
) -> None:
    assert not result.accepted and result.status == 400
    assert result.error_code == "EBMS:0004", (result.error_code, result.detail)
    assert "KH-CUSTOMS" in result.detail and "TH-CUSTOMS" in result.detail
    assert b"IssuerNotSender" in result.body
    with gateway.database.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(InboxRow)) == 0
    # The signed forgery is kept as evidence, refused, with the error it was answered with.
    [entry] = gateway.get_message(forged.message_id)
    assert (entry.from_party, entry.status, entry.error_code) == (
        "TH-CUSTOMS", "refused", "EBMS:0004"
    )
    assert entry.envelope == forged.envelope and entry.signal == result.body
    assert gateway.statistics()["received"] == 0


def test_a_partner_cannot_forge_another_countrys_acdd(network: Network, database: Database) -> None:
    gateway, pre_arrival, _ = receiving_node(network, database)
    # Thailand's node, trusted, signs an ACDD that says it is Cambodia's export.
    forged = signed(network.impostor, network.vn, ACTION, acdd_of_cambodia())
    assert_forgery_refused(forged, gateway.receive(forged.body, forged.headers), gateway)
    # sent again, refused again, and still one entry of evidence
    again = gateway.receive(forged.body, forged.headers)
    assert again.error_code == "EBMS:0004" and b"IssuerNotSender" in again.body
    assert len(gateway.get_message(forged.message_id)) == 1
    assert gateway.process_inbox() == 0
    assert pre_arrival.records()[1] == 0

    genuine = signed(network.kh, network.vn, ACTION, acdd_of_cambodia())
    result = gateway.receive(genuine.body, genuine.headers)
    assert result.accepted and sending.judge_signal(genuine, result.body).delivered
    assert gateway.process_inbox() == 1
    record = pre_arrival.get("KH", ACDD_NUMBER)
    assert record.message_id == genuine.message_id


def test_a_partner_cannot_squat_another_issuers_form_d(
    network: Network, database: Database
) -> None:
    gateway, _, origin = receiving_node(network, database)
    payload = json.dumps(to_payload(form_d_of_cambodia())).encode()
    forged = signed(network.impostor, network.vn, FORM_D, payload)
    assert_forgery_refused(forged, gateway.receive(forged.body, forged.headers), gateway)
    assert gateway.process_inbox() == 0
    with pytest.raises(UnknownCertificate):
        origin.get("KH", "KH-2026-000123")

    genuine = signed(network.kh, network.vn, FORM_D, payload)
    assert gateway.receive(genuine.body, genuine.headers).accepted
    assert gateway.process_inbox() == 1
    received = origin.get("KH", "KH-2026-000123")
    assert received.status is CertificateStatus.RECEIVED
    with database.unit_of_work() as session:  # nobody is sent a rejection
        assert session.scalar(select(func.count()).select_from(OutboxRow)) == 0


def test_the_trust_list_may_let_a_partner_speak_for_another(
    network: Network, database: Database
) -> None:
    gateway, pre_arrival, _ = receiving_node(network, database)
    hub = pki.partner_from_certificate(network.impostor.certificate, "http://th.test/as4")
    gateway.trust_list.add(replace(hub, speaks_for=("KH-CUSTOMS",)))
    relayed = signed(network.impostor, network.vn, ACTION, acdd_of_cambodia())
    assert gateway.receive(relayed.body, relayed.headers).accepted
    assert gateway.process_inbox() == 1
    assert pre_arrival.get("KH", ACDD_NUMBER).message_id == relayed.message_id


def form_d_of_cambodia() -> CertificateOfOrigin:
    from tests.origin.conftest import form_d

    return form_d("KH-2026-000123")


# --- envelopes SOAP forbids, identifiers no column holds (issue 10, holes 5 and 6) ---------


@pytest.mark.parametrize(
    "doctype",
    [b"<!DOCTYPE S12:Envelope>", b'<!DOCTYPE S12:Envelope [<!ENTITY acdd "KH">]>'],
)
def test_an_envelope_carrying_a_dtd_is_refused(
    network: Network, vn_gateway: Gateway, doctype: bytes
) -> None:
    outbound = build(network.kh, network.vn)
    start = outbound.body.index(b"<S12:Envelope")
    body = outbound.body[:start] + doctype + outbound.body[start:]
    result = vn_gateway.receive(body, outbound.headers)
    assert_refused(result, "EBMS:0009", vn_gateway, "document type declaration")


@pytest.mark.parametrize("field", ["message_id", "conversation_id", "ref_to_message_id"])
def test_an_over_long_identifier_is_refused_before_the_database(
    network: Network, database: Database, field: str
) -> None:
    gateway = Gateway(database, network.vn, trust(network.kh), pmode_for(KH))
    values = {
        "message_id": f"{uuid.uuid4()}@KH-CUSTOMS",
        "conversation_id": "conv-long",
        "ref_to_message_id": "earlier@KH-CUSTOMS",
        field: "x" * 256,
    }
    outbound = sending.build_user_message(
        network.kh,
        pki.partner_from_certificate(network.vn.certificate, "http://vn.test/as4"),
        service=SERVICE, action=ACTION, payload=DOCUMENT, **values,
    )
    result = gateway.receive(outbound.body, outbound.headers)
    assert_refused(result, "EBMS:0003", gateway, "at most 255")
    # 255 characters still fit
    values[field] = "y" * 255
    fits = sending.build_user_message(
        network.kh,
        pki.partner_from_certificate(network.vn.certificate, "http://vn.test/as4"),
        service=SERVICE, action=ACTION, payload=DOCUMENT, **values,
    )
    assert gateway.receive(fits.body, fits.headers).accepted


# --- duplicate elimination per sender (issue 10, hole 3) -----------------------------------


def test_the_same_message_id_from_two_senders_is_delivered_twice(
    network: Network, database: Database
) -> None:
    """TH learnt the id KH will use and sends first: KH's message is still delivered (and
    the copy each sends again is still a duplicate)."""
    gateway = Gateway(database, network.vn, trust(network.kh, network.impostor), pmode_for(KH))
    handled: list[tuple[str, str]] = []
    gateway.register_handler(
        SERVICE, ACTION, lambda _, message: handled.append(
            (message.from_party, message.message_id)
        ),
        issuer=names_no_issuer,
    )
    message_id = f"{uuid.uuid4()}@KH-CUSTOMS"
    first = with_id(network.impostor, network.vn, message_id)
    genuine = with_id(network.kh, network.vn, message_id)
    assert gateway.receive(first.body, first.headers).accepted
    result = gateway.receive(genuine.body, genuine.headers)
    assert result.accepted, (result.error_code, result.detail)
    assert sending.judge_signal(genuine, result.body).delivered
    again = gateway.receive(genuine.body, genuine.headers)
    assert again.error_code == "EBMS:0004" and refusals.DUPLICATE_MARK in again.detail
    assert gateway.process_inbox() == 2
    assert sorted(handled) == [("KH-CUSTOMS", message_id), ("TH-CUSTOMS", message_id)]
    entries = gateway.get_message(message_id)
    assert sorted(entry.from_party for entry in entries) == ["KH-CUSTOMS", "TH-CUSTOMS"]
    assert {entry.status for entry in entries} == {"processed"}
    assert gateway.statistics()["duplicates_dropped"] == 1



def with_id(
    sender: pki.NodeIdentity, receiver: pki.NodeIdentity, message_id: str
) -> sending.OutboundMessage:
    return sending.build_user_message(
        sender,
        pki.partner_from_certificate(receiver.certificate, "http://vn.test/as4"),
        message_id=message_id, conversation_id="conv-same-id", service=SERVICE,
        action=ACTION, payload=DOCUMENT,
    )


def test_a_document_its_capability_does_not_admit_is_refused_on_receipt_and_logged(
    network: Network, database: Database
) -> None:
    """A capability's own check on receipt (a transit arrival advice for a movement never
    released here): an ebMS error at once, the envelope kept as evidence, nothing stored,
    no handler run; a document it admits goes through as before."""
    gateway = Gateway(database, network.vn, trust(network.kh), pmode_for(KH))
    handled: list[bytes] = []
    gateway.register_handler(
        SERVICE, ACTION, lambda session, message: handled.append(message.payload),
        issuer=names_no_issuer,
        admit=lambda message: None if b"released" in message.payload
        else "no movement 26LA00000000000010J was released here",
    )
    refused = signed(network.kh, network.vn, ACTION, b'{"MRN": "unknown"}')
    result = gateway.receive(refused.body, refused.headers)
    assert not result.accepted and result.error_code == "EBMS:0004"
    assert b"NotAdmitted" in result.body and "was released here" in result.detail
    [entry] = gateway.get_message(refused.message_id)
    assert (entry.status, entry.error_code) == ("refused", "EBMS:0004")
    with gateway.database.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(InboxRow)) == 0
    assert gateway.process_inbox() == 0 and handled == []

    admitted = signed(network.kh, network.vn, ACTION, b'{"MRN": "released"}')
    assert gateway.receive(admitted.body, admitted.headers).accepted
    assert gateway.process_inbox() == 1 and handled == [b'{"MRN": "released"}']
