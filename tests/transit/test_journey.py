"""One movement from Laos to Singapore through Thailand and Malaysia, with the four countries'
transit rooms on four real SQLite databases and their messages carried in process (the AS4
leg between real node processes is the exchange room's, tested there): what each office
records, what each tells the departure, and the guarantee back where it was."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from singlewindow.access.model import Principal, Role
from singlewindow.core.db import Database
from singlewindow.core.migrate import upgrade
from singlewindow.exchange.model import UserMessage
from singlewindow.reference.services import ensure_sample_reference
from singlewindow.risk import services as selectivity
from singlewindow.transit.errors import MovementConflict
from singlewindow.transit.messages import ANTICIPATED
from singlewindow.transit.model import TransitStatus
from singlewindow.transit.services import (
    NotYours,
    Transit,
    UnknownMovement,
    ensure_partner_schedules,
)
from tests.transit.builders import HOLDER, NOW, OFFICER, declaration

COUNTRIES = ("LA", "TH", "MY", "SG")


class Wire:
    """What the nodes sent, delivered as a gateway would: checked on receipt, then handled."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str, bytes]] = []
        self.nodes: dict[str, Transit] = {}

    def sender(self, country: str):  # type: ignore[no-untyped-def]
        def send(session: Session, to: str, service: str, action: str, payload: bytes,
                 conversation: str) -> str:
            self.sent.append((f"{country}-CUSTOMS", to, action, payload))
            return "id"
        return send

    def deliver(self) -> list[str]:
        actions = []
        while self.sent:
            sender, to, action, payload = self.sent.pop(0)
            node = self.nodes[to[:2]]
            message = UserMessage(f"{uuid.uuid4()}@{sender}", NOW, sender, to,
                                  "urn:asw:transit", action, "conv", payload=payload)
            admit = node.admit_anticipated if action in ANTICIPATED else node.admit_notice
            assert admit(message) is None, admit(message)
            handle = (node.receive_anticipated if action in ANTICIPATED
                      else node.receive_notice)
            with node.database.unit_of_work() as session:
                handle(session, message)
            actions.append(f"{action}>{to[:2]}")
        return actions


@pytest.fixture
def wire(tmp_path: Path) -> Iterator[Wire]:
    wire = Wire()
    databases = []
    for country in COUNTRIES:
        database = Database(f"sqlite:///{tmp_path}/{country}.db")
        upgrade(database)
        ensure_sample_reference(database, country)
        databases.append(database)
        wire.nodes[country] = Transit(
            database, country, selectivity=selectivity.configure(database, 0.0, 3),
            clock=lambda: NOW, send=wire.sender(country))
    ensure_partner_schedules(databases[0])
    wire.nodes["LA"].register_guarantee("LAGRN0001", "LATRADER01", Decimal(50000), "USD",
                                        date(2026, 1, 1), date(2026, 12, 31), "4711", OFFICER)
    yield wire
    for database in databases:
        database.dispose()


def officer(office: str) -> Principal:
    return Principal(f"officer-{office}", Role.OFFICER, office=office)


def test_released_crossed_twice_arrived_and_discharged_with_the_guarantee_back(
    wire: Wire,
) -> None:
    la, th, my, sg = (wire.nodes[c] for c in COUNTRIES)
    movement = la.lodge(declaration(), HOLDER)
    assert wire.deliver() == ["IE050>TH", "IE050>MY", "IE001>SG"]
    th.record_crossing(movement.mrn, "THNKI01", officer("THNKI01"))
    my.record_crossing(movement.mrn, "MYBKH01", officer("MYBKH01"))
    assert wire.deliver() == ["IE118>LA", "IE118>LA"]
    sg.record_arrival(movement.mrn, "SGWDL01", officer("SGWDL01"))
    sg.record_control(movement.mrn, True, [], "", officer("SGWDL01"))
    assert wire.deliver() == ["IE006>LA", "IE018>LA"]
    assert la.get(movement.mrn, OFFICER).status is TransitStatus.WRITTEN_OFF
    assert la.guarantee("LAGRN0001", HOLDER).balance == Decimal(50000)


def test_a_broken_seal_found_at_destination_is_a_discrepancy_at_departure(wire: Wire) -> None:
    la, sg = wire.nodes["LA"], wire.nodes["SG"]
    movement = la.lodge(declaration(), HOLDER)
    wire.deliver()
    sg.record_arrival(movement.mrn, "SGWDL01", officer("SGWDL01"))
    sg.record_control(movement.mrn, False, [], "seal LA-88213 cut", officer("SGWDL01"))
    wire.deliver()
    assert la.get(movement.mrn, OFFICER).status is TransitStatus.DISCREPANCY
    assert la.guarantee("LAGRN0001", HOLDER).reserved == movement.reserved


def test_offices_record_only_what_they_expect_at_their_own_office(wire: Wire) -> None:
    la, th, my, sg = (wire.nodes[c] for c in COUNTRIES)
    movement = la.lodge(declaration(), HOLDER)
    with pytest.raises(UnknownMovement):  # nothing received yet
        th.record_crossing(movement.mrn, "THNKI01", officer("THNKI01"))
    wire.deliver()
    with pytest.raises(NotYours):  # an officer of another office
        th.record_crossing(movement.mrn, "THNKI01", officer("THBKK01"))
    with pytest.raises(NotYours):
        th.record_crossing(movement.mrn, "THNKI01", HOLDER)
    with pytest.raises(UnknownMovement):  # Singapore is its destination, not a transit
        sg.record_crossing(movement.mrn, "SGWDL01", officer("SGWDL01"))
    with pytest.raises(MovementConflict, match="bound for SGWDL01"):
        sg.record_arrival(movement.mrn, "SGTUA01", officer("SGTUA01"))
    with pytest.raises(MovementConflict):  # control results before the arrival
        sg.record_control(movement.mrn, True, [], "", officer("SGWDL01"))
    th.record_crossing(movement.mrn, "THMKD01", officer("THMKD01"))  # not the declared one
    with pytest.raises(MovementConflict, match="already crossed"):
        th.record_crossing(movement.mrn, "THMKD01", officer("THMKD01"))
    assert wire.deliver() == ["IE115>LA"]
    assert my.get(movement.mrn, officer("MYBKH01")).status is TransitStatus.RELEASED


def test_what_is_expected_leaves_out_what_crossed_before_it_counts(wire: Wire) -> None:
    la, th, sg = wire.nodes["LA"], wire.nodes["TH"], wire.nodes["SG"]
    first = la.lodge(declaration(), HOLDER)
    second = la.lodge(declaration(lrn="LA-T-0002", time_limit=NOW + timedelta(days=4)), HOLDER)
    wire.deliver()
    nongkhai, woodlands = officer("THNKI01"), officer("SGWDL01")
    assert [m.mrn for m in th.expected(nongkhai)] == [first.mrn, second.mrn]
    th.record_crossing(first.mrn, "THNKI01", nongkhai)
    # The crossed one is left out in the query itself: a page of one still finds the next
    # (once 500 had crossed, nothing newly announced was listed).
    assert [m.mrn for m in th.expected(nongkhai, limit=1)] == [second.mrn]
    # A destination lists what is bound for its own office only.
    assert [m.mrn for m in sg.expected(woodlands)] == [first.mrn, second.mrn]
    assert sg.expected(officer("SGTUA01")) == []
    sg.record_arrival(first.mrn, "SGWDL01", woodlands)
    assert [m.mrn for m in sg.expected(woodlands)] == [second.mrn]
    assert [m.mrn for m in sg.awaiting_control(woodlands)] == [first.mrn]


def test_the_history_reads_in_the_order_it_was_written(wire: Wire) -> None:
    la, sg = wire.nodes["LA"], wire.nodes["SG"]
    movement = la.lodge(declaration(), HOLDER)
    wire.deliver()
    sg.record_arrival(movement.mrn, "SGWDL01", officer("SGWDL01"))
    sg.record_control(movement.mrn, True, [], "", officer("SGWDL01"))
    wire.deliver()  # IE006, IE018: one clock instant for all (NOW)
    assert [e.what for e in la.history(movement.mrn, HOLDER)] == [
        "lodged", "arrived", "written_off", "discharged"]


def test_an_overdue_movement_is_followed_up_at_departure_only(wire: Wire) -> None:
    la, sg = wire.nodes["LA"], wire.nodes["SG"]
    movement = la.lodge(declaration(time_limit=NOW + timedelta(hours=1)), HOLDER)
    wire.deliver()
    later = datetime(2026, 12, 2, 11, tzinfo=UTC)
    for node in (la, sg):
        node.clock = lambda: later
    assert sg.run_due() == 0 and la.run_due() == 1
    assert la.get(movement.mrn, OFFICER).status is TransitStatus.OVERDUE
    # the goods turn up late: the arrival ends the follow-up
    sg.record_arrival(movement.mrn, "SGWDL01", officer("SGWDL01"))
    wire.deliver()
    assert la.get(movement.mrn, OFFICER).status is TransitStatus.ARRIVED
