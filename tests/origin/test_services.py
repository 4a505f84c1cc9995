"""Issue, receive, verify and answer, on each engine, with real gateways."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from singlewindow.access.model import Principal, Role
from singlewindow.core.db import Database
from singlewindow.declarations.services import Clearance
from singlewindow.exchange.repository import OutboxRow
from singlewindow.origin.errors import (
    CertificateConflict,
    DuplicateCertificate,
    InvalidCertificate,
    NotAnIssuer,
    UnknownCertificate,
)
from singlewindow.origin.model import CertificateStatus, Party, Provenance, to_payload
from singlewindow.origin.services import ACCEPTANCE, FORM_D, REJECTION, SERVICE, Origin
from singlewindow.reference.services import ensure_sample_reference
from singlewindow.risk import services as selectivity
from singlewindow.tariff.services import ensure_sample_schedule
from tests.builders import COFFEE, SMARTPHONES, TRADER, import_declaration

from .conftest import (
    ISSUER,
    KH,
    VN,
    Network,
    deliver_all,
    delivered,
    form_d,
    kh_gateway_on,
    message,
    outbox,
    vn_gateway_on,
)

REF = "KH-2026-000123"


def claim(**changes):  # type: ignore[no-untyped-def]
    return import_declaration(preference="ATIGA", proof_of_origin=REF, **changes)


def outbox_count(database: Database, action: str) -> int:
    with database.unit_of_work() as session:
        return int(
            session.scalar(
                select(func.count()).select_from(OutboxRow).where(OutboxRow.action == action)
            )
            or 0
        )


def receive(vn: Origin, kh: Origin, reference: str = REF, **changes) -> str:  # type: ignore[no-untyped-def]
    """Issue at KH and hand the FormD it queued to VN's handler; returns the message id."""
    issued = kh.issue(form_d(reference, **changes), ISSUER)
    assert issued.message_id is not None
    with vn.database.unit_of_work() as session:
        vn.receive_form_d(session, delivered(kh.database, issued.message_id, KH))
    return issued.message_id


def answer_payload(database: Database, message_id: str) -> dict:  # type: ignore[type-arg]
    return json.loads(outbox(database, message_id).payload)


# --- issuing --------------------------------------------------------------------------------


def test_issuing_stores_and_queues_the_form_d_in_one_transaction(kh: Origin, now) -> None:  # type: ignore[no-untyped-def]
    view = kh.issue(form_d(), ISSUER)
    assert view.status is CertificateStatus.SENT and view.provenance is Provenance.ISSUED
    assert view.partner == VN and view.issued_at == now and view.issued_by == "kh-moc"
    row = outbox(kh.database, view.message_id)  # type: ignore[arg-type]
    assert (row.to_party, row.service, row.action) == (VN, SERVICE, FORM_D)
    payload = json.loads(row.payload)
    assert payload == to_payload(replace(form_d(), issued_at=now))
    assert payload["GoodsItem"][0]["ClassificationCode"] == "090111"
    assert outbox_count(kh.database, FORM_D) == 1
    assert kh.get("KH", REF).certificate == replace(form_d(), issued_at=now,
                                                     status=CertificateStatus.SENT)


def test_a_reference_is_made_when_the_issuer_gives_none(kh: Origin) -> None:
    view = kh.issue(form_d(""), ISSUER)
    assert view.reference.startswith("KH-2026-") and len(view.reference) == 18


def test_only_issuing_authorities_issue(kh: Origin) -> None:
    with pytest.raises(NotAnIssuer):
        kh.issue(form_d(), Principal("officer", Role.OFFICER, office="KHPP01"))
    kh.issue(form_d(), Principal("root", Role.ADMIN))


def test_an_invalid_certificate_is_refused_and_nothing_is_sent(kh: Origin) -> None:
    bad = form_d(issuing_country="TH", exporter=Party("X", "X", "TH"),
                 items=(replace(form_d().items[0], subheading="0901"),))
    with pytest.raises(InvalidCertificate) as refused:
        kh.issue(bad, ISSUER)
    paths = [p.path for p in refused.value.problems]
    assert paths[0] == "issuing_country" and "items.0.subheading" in paths
    assert outbox_count(kh.database, FORM_D) == 0
    assert kh.list()[1] == 0


def test_a_reference_is_issued_once(kh: Origin) -> None:
    kh.issue(form_d(), ISSUER)
    with pytest.raises(DuplicateCertificate):
        kh.issue(form_d(), ISSUER)
    assert outbox_count(kh.database, FORM_D) == 1


def test_no_pmode_to_the_importing_country_is_an_invalid_certificate(kh: Origin) -> None:
    with pytest.raises(InvalidCertificate, match="cannot send to TH-CUSTOMS"):
        kh.issue(form_d(importing_country="TH", consignee=Party("TH1", "Bangkok Co", "TH")),
                 ISSUER)


# --- receiving ------------------------------------------------------------------------------


def test_a_received_form_d_is_kept_once(vn: Origin, kh: Origin) -> None:
    message_id = receive(vn, kh)
    view = vn.get("KH", REF, Provenance.RECEIVED)
    assert view.status is CertificateStatus.RECEIVED and view.partner == KH
    assert view.message_id == message_id and view.certificate is not None
    # The same message again, and the same certificate in a new message: kept once.
    with vn.database.unit_of_work() as session:
        vn.receive_form_d(session, delivered(kh.database, message_id, KH))
        vn.receive_form_d(session, replace(delivered(kh.database, message_id, KH),
                                           message_id="resent@KH-CUSTOMS"))
    assert vn.list(provenance=Provenance.RECEIVED)[1] == 1
    assert outbox_count(vn.database, REJECTION) == 0


def test_a_different_certificate_under_a_known_reference_is_rejected(vn: Origin, kh: Origin) -> None:  # noqa: E501
    receive(vn, kh)
    changed = to_payload(form_d(remarks="changed"))
    with vn.database.unit_of_work() as session:
        vn.receive_form_d(session, message(json.dumps(changed).encode(), message_id="m-2@KH"))
    assert outbox_count(vn.database, REJECTION) == 1
    assert vn.get("KH", REF, Provenance.RECEIVED).status is CertificateStatus.RECEIVED


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"<FormD/>", "the payload is not a JSON document"),
        (json.dumps({**to_payload(form_d()), "GoodsItem": [{**to_payload(form_d())["GoodsItem"][0],
                    "OriginCriterion": "RVC 35%"}]}).encode(),
         "GoodsItem.0.OriginCriterion: a regional value content of 35% is below"),
        (json.dumps(to_payload(form_d(importing_country="TH"))).encode(),
         "ImportationCountry: the e-Form D is for import into TH, not VN"),
    ],
)
def test_a_malformed_form_d_is_kept_as_rejected_and_answered(vn: Origin, payload: bytes,
                                                             reason: str) -> None:
    with vn.database.unit_of_work() as session:
        vn.receive_form_d(session, message(payload))
    [view] = vn.list(provenance=Provenance.RECEIVED)[0]
    assert view.status is CertificateStatus.REJECTED
    assert any(r.startswith(reason) for r in view.reasons), view.reasons
    rejection = outbox(vn.database, view.answer_message_id)  # type: ignore[arg-type]
    assert (rejection.to_party, rejection.action) == (KH, REJECTION)
    assert rejection.ref_to_message_id == "m-1@KH-CUSTOMS"
    answer = json.loads(rejection.payload)
    assert answer["Decision"] == "REJECTED" and answer["Reasons"] == list(view.reasons)


def test_a_form_d_from_another_node_than_its_issuer_is_rejected(vn: Origin) -> None:
    payload = json.dumps(to_payload(form_d(
        issuing_country="LA", exporter=Party("LA1", "Vientiane Co", "LA")))).encode()
    with vn.database.unit_of_work() as session:
        vn.receive_form_d(session, message(payload))
    view = vn.get("LA", REF, Provenance.RECEIVED)
    assert view.status is CertificateStatus.REJECTED
    assert "comes from LA-CUSTOMS, not KH-CUSTOMS" in view.reasons[0]


# --- verification and the answer ------------------------------------------------------------


def test_preference_check_grants_a_covered_item_and_records_it(vn: Origin, kh: Origin) -> None:
    receive(vn, kh)
    granted, why = vn.preference_check(claim(), COFFEE)
    assert granted and "verified" in why and "0901.11" in why
    refused, why_not = vn.preference_check(claim(), SMARTPHONES)
    assert not refused and "covers no goods of subheading 8517.13" in why_not
    verdict = vn.get("KH", REF, Provenance.RECEIVED).verdict
    assert verdict is not None and verdict["declaration"] == "VNTRADER0001/LRN-0001"
    assert verdict["items"]["1"]["granted"] and not verdict["items"]["2"]["granted"]


def test_preference_check_refuses_what_was_never_received(vn: Origin) -> None:
    granted, why = vn.preference_check(claim(), COFFEE)
    assert not granted
    assert why == f"e-Form D {REF} has not been received from Cambodia"
    assert vn.preference_check(import_declaration(), COFFEE)[0] is False


def test_preference_check_refuses_with_every_reason(vn: Origin, kh: Origin) -> None:
    receive(vn, kh)
    declaration = claim(importer=import_declaration().seller)
    granted, why = vn.preference_check(declaration, replace(COFFEE, quantity=Decimal(20000)))
    assert not granted
    assert "not the importer KHEXP0042" in why and "more than the 19200 kg" in why


def test_an_accepted_certificate_is_answered_once(vn: Origin, kh: Origin) -> None:
    form_d_id = receive(vn, kh)
    verdicts = vn.verify_and_answer(claim(items=(COFFEE, SMARTPHONES)))
    assert verdicts[1].granted and not verdicts[2].granted
    view = vn.get("KH", REF, Provenance.RECEIVED)
    assert view.status is CertificateStatus.ACCEPTED
    assert view.accepted_for == "VNTRADER0001/LRN-0001"
    acceptance = outbox(vn.database, view.answer_message_id)  # type: ignore[arg-type]
    assert (acceptance.action, acceptance.ref_to_message_id) == (ACCEPTANCE, form_d_id)
    assert json.loads(acceptance.payload)["Decision"] == "ACCEPTED"
    # Again (an amendment, a release hook): verified again, not answered again.
    assert vn.verify_and_answer(claim())[1].granted
    assert outbox_count(vn.database, ACCEPTANCE) == 1
    # Another declaration may not use it.
    granted, why = vn.preference_check(claim(lrn="LRN-2"), COFFEE)
    assert not granted and "already accepted for declaration VNTRADER0001/LRN-0001" in why


def test_a_certificate_that_covers_nothing_is_rejected_with_reasons(vn: Origin, kh: Origin) -> None:  # noqa: E501
    receive(vn, kh)
    vn.verify_and_answer(claim(items=(replace(COFFEE, quantity=Decimal(30000)),)))
    view = vn.get("KH", REF, Provenance.RECEIVED)
    assert view.status is CertificateStatus.REJECTED
    assert any("more than the 19200 kg" in r for r in view.reasons)
    assert answer_payload(vn.database, view.answer_message_id)["Decision"] == "REJECTED"  # type: ignore[arg-type]
    assert vn.preference_check(claim(), COFFEE)[0] is False  # rejected now


def test_answer_is_once_per_certificate(vn: Origin, kh: Origin) -> None:
    receive(vn, kh)
    with vn.database.unit_of_work() as session:
        first = vn.answer(session, REF, True)
        assert vn.answer(session, REF, True, issuing_country="KH") == first
        with pytest.raises(CertificateConflict):
            vn.answer(session, REF, False, ["changed our mind"])
    with pytest.raises(UnknownCertificate), vn.database.unit_of_work() as session:
        vn.answer(session, "KH-NOPE", True)


def test_the_issuer_records_the_answer(vn: Origin, kh: Origin) -> None:
    receive(vn, kh)
    vn.verify_and_answer(claim(items=(replace(COFFEE, quantity=Decimal(30000)),)))
    answer_id = vn.get("KH", REF, Provenance.RECEIVED).answer_message_id
    reply = delivered(vn.database, answer_id, VN)  # type: ignore[arg-type]
    with kh.database.unit_of_work() as session:
        kh.receive_answer(session, reply)
        kh.receive_answer(session, reply)  # a redelivery changes nothing
    view = kh.get("KH", REF, Provenance.ISSUED)
    assert view.status is CertificateStatus.REJECTED and view.answer_message_id == answer_id
    assert any("more than the 19200 kg" in r for r in view.reasons)


def test_an_answer_for_an_unknown_certificate_fails_the_handler(kh: Origin) -> None:
    payload = json.dumps({"Reference": "KH-X", "IssuingCountry": "KH", "Decision": "ACCEPTED",
                          "Reasons": []}).encode()
    with pytest.raises(UnknownCertificate), kh.database.unit_of_work() as session:
        kh.receive_answer(session, message(payload, from_party=VN, action=ACCEPTANCE))
    with pytest.raises(InvalidCertificate), kh.database.unit_of_work() as session:
        kh.receive_answer(session, message(payload, from_party=VN, action=REJECTION))


# --- the whole flow, between two nodes, through clearance -----------------------------------


@pytest.mark.parametrize(
    ("consignee", "accepted"),
    [(form_d().consignee, True), (Party("VNSOMEONE", "Someone Else JSC", "VN"), False)],
)
def test_cambodia_to_viet_nam_through_clearance(
    network: Network, database: Database, kh_database: Database, consignee: Party,
    accepted: bool,
) -> None:
    kh = Origin(kh_database, "KH", kh_gateway_on(network, kh_database))
    vn = Origin(database, "VN", vn_gateway_on(network, database))
    kh.register_handlers()
    vn.register_handlers()
    ensure_sample_schedule(database, "VN")
    ensure_sample_reference(database, "VN")
    selectivity.configure(database, default_random_share=0.0, seed=7)
    clearance = Clearance(database, "VN", preference_check=vn.preference_check)

    kh.issue(form_d(REF, consignee=consignee), ISSUER)
    assert deliver_all(kh.gateway, vn.gateway) == 1
    assert vn.get("KH", REF).status is CertificateStatus.RECEIVED

    lodged = clearance.lodge(claim(), TRADER)
    duty = lodged.assessment["items"][0]["duties"][0]
    assert duty["preferential"] is accepted
    assert (lodged.assessment["totals"]["import_duty"] == "0") is accepted
    vn.verify_and_answer(lodged.declaration)

    assert deliver_all(vn.gateway, kh.gateway) == 1
    issued = kh.get("KH", REF)
    assert issued.status is (CertificateStatus.ACCEPTED if accepted else CertificateStatus.REJECTED)
    if not accepted:
        assert "consignee on e-Form D" in issued.reasons[0]
