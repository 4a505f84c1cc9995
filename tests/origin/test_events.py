"""The origin room publishes its decisions on its bus, in the decision's transaction."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from singlewindow.core.events import Event
from singlewindow.origin.events import CertificateAccepted, CertificateRejected
from singlewindow.origin.services import Origin
from tests.builders import COFFEE

from .conftest import message
from .test_services import REF, claim, receive


def heard(origin: Origin) -> list[Event]:
    events: list[Event] = []
    for kind in (CertificateAccepted, CertificateRejected):
        origin.bus.subscribe(kind, lambda session, event: events.append(event))
    return events


def test_an_acceptance_is_published(vn: Origin, kh: Origin) -> None:
    events = heard(vn)
    receive(vn, kh)
    vn.verify_and_answer(claim())
    assert events == [CertificateAccepted(REF, "KH", ())]
    vn.verify_and_answer(claim())  # answered once, so published once
    assert len(events) == 1


def test_a_rejection_after_verification_is_published_with_its_reasons(
    vn: Origin, kh: Origin
) -> None:
    events = heard(vn)
    receive(vn, kh)
    vn.verify_and_answer(claim(items=(replace(COFFEE, quantity=Decimal(30000)),)))
    [event] = events
    assert isinstance(event, CertificateRejected) and event.reference == REF
    assert any("more than the 19200 kg" in r for r in event.reasons)


def test_a_rejection_on_receipt_is_published(vn: Origin) -> None:
    events = heard(vn)
    with vn.database.unit_of_work() as session:
        vn.receive_form_d(session, message(b"<FormD/>"))
    [event] = events
    assert isinstance(event, CertificateRejected)
    assert event.reasons == ("the payload is not a JSON document",)
