"""The transhipment room's services on a real database (Malaysia's node, hub Port Klang):
arrivals and departures recorded by officers, a consignment's legs, the administrator's list
of laundering hubs, the legs an export's ACDD carries; bad input refused with its reason and
nothing changed."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from singlewindow.access.model import Principal, Role
from singlewindow.core.clock import utcnow
from singlewindow.core.db import Database
from singlewindow.core.errors import Forbidden
from singlewindow.declarations.model import DeclarationType, GoodsItem, SupportingDocument
from singlewindow.declarations.prearrival import AcddLeg, AcddLegItem, acdd_document
from singlewindow.declarations.repository import PreArrivalRow
from singlewindow.transhipment.errors import InvalidLeg, LegConflict, UnknownConsignment
from singlewindow.transhipment.model import (
    DeclaredItem,
    LaunderingHub,
    Route,
    laundering_hubs_passed,
    origin_mismatches,
)
from singlewindow.transhipment.repository import ArrivalRow, DepartureRow, LaunderingHubRow
from singlewindow.transhipment.services import Transhipment, ensure_sample_listings
from tests.builders import COFFEE, import_declaration
from tests.transhipment.builders import arrival, departure

OFFICER = Principal("officer", Role.OFFICER, office="MYPKG01")
ADMIN = Principal("admin", Role.ADMIN)
TRADER = Principal("trader", Role.TRADER, party_id="MYTRADER0001")


@pytest.fixture
def hub(database: Database) -> Transhipment:
    return Transhipment(database, "MY")


def replace_origin(origin: str) -> GoodsItem:
    return replace(COFFEE, commodity_code="72082590", description="Steel coils",
                   origin_country=origin)


def count(database: Database, table: type) -> int:
    with database.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


def test_an_arrival_and_its_departure_make_the_consignment_s_legs(hub: Transhipment) -> None:
    arrived = hub.record_arrival(arrival(), OFFICER)
    assert [leg.transport_document for leg in arrived.legs] == ["COSU6300012345"]
    assert arrived.left == {("720825", "kg"): Decimal("250000")}
    left = hub.record_departure(departure(), OFFICER)
    assert [(leg.loading_port, leg.unloading_port, leg.transport_document)
            for leg in left.legs] == [("CNSHA", "MYPKG", "COSU6300012345"),
                                      ("MYPKG", "VNSGN", "MSKU7788990011")]
    assert left.legs[1].goods[0].origin_country == "CN"
    # Found by either document; by the departure's, its own leg.
    by_departure = hub.consignment("MSKU7788990011", OFFICER)
    assert by_departure.legs == left.legs
    assert hub.consignment("COSU6300012345", OFFICER).departures == left.departures


def test_only_officers_record_and_read_and_traders_never_see_the_hub_list(
        hub: Transhipment, database: Database) -> None:
    with pytest.raises(Forbidden):
        hub.record_arrival(arrival(), TRADER)
    with pytest.raises(Forbidden):
        hub.listings(TRADER)
    with pytest.raises(Forbidden):
        hub.add_listing(LaunderingHub("MYPKG", "7208", date(2026, 1, 1)), OFFICER)
    assert count(database, ArrivalRow) == 0


def test_bad_input_is_refused_with_its_reason_and_changes_nothing(
        hub: Transhipment, database: Database) -> None:
    with pytest.raises(InvalidLeg) as elsewhere:
        hub.record_arrival(arrival(port="SGSIN"), OFFICER)
    assert "SGSIN is not a hub port of MY" in str(elsewhere.value)
    hub.record_arrival(arrival(), OFFICER)
    with pytest.raises(LegConflict):
        hub.record_arrival(arrival(), OFFICER)
    with pytest.raises(InvalidLeg) as unknown:
        hub.record_departure(departure(arrival_document="NOSUCH0001"), OFFICER)
    assert "no arrival on NOSUCH0001 at MYPKG" in str(unknown.value)
    with pytest.raises(InvalidLeg) as too_much:
        hub.record_departure(departure(quantity="250001"), OFFICER)
    assert "250001 kg leave" in str(too_much.value)
    with pytest.raises(InvalidLeg) as no_acdd:
        hub.record_arrival(arrival("COSU0000000009", origin="", acdd_country="CN",
                                   acdd_number="CN26X1"), OFFICER)
    assert "no ACDD received from CN for export CN26X1" in str(no_acdd.value)
    with pytest.raises(InvalidLeg) as no_origin:
        hub.record_arrival(arrival("COSU0000000009", origin=""), OFFICER)
    assert no_origin.value.problems[0].path == "goods.0.origin_country"
    assert (count(database, ArrivalRow), count(database, DepartureRow)) == (1, 0)
    with pytest.raises(UnknownConsignment):
        hub.consignment("MSKU7788990011", OFFICER)


def test_an_export_sends_the_consignment_s_legs_in_its_acdd(
        hub: Transhipment, database: Database) -> None:
    hub.record_arrival(arrival(), OFFICER)
    hub.record_departure(departure(), OFFICER)
    export = import_declaration(type=DeclarationType.EXPORT, export_country="MY",
                                destination_country="VN", exchange_rate=None,
                                documents=(SupportingDocument("N705", "MSKU7788990011"),))
    with database.unit_of_work() as session:
        legs = hub.acdd_legs(session, export)
        assert [(leg.loading_port, leg.unloading_port) for leg in legs] == [
            ("CNSHA", "MYPKG"), ("MYPKG", "VNSGN")]
        assert [i.origin_country for leg in legs for i in leg.items] == ["CN", "CN"]
        # The hub's own customs holds the export to the origin the goods arrived with.
        relabelled = replace(export, items=(replace_origin("MY"),))
        doubts = hub.concern(session, relabelled)
        assert len(doubts) == 1 and "origin MY declared, CN recorded on leg 1" in doubts[0]
        assert hub.concern(session, replace(export, items=(replace_origin("CN"),))) == []
        # An export on another document, or an import, carries none.
        other = import_declaration(type=DeclarationType.EXPORT, export_country="MY",
                                   destination_country="VN", exchange_rate=None)
        assert hub.acdd_legs(session, other) == ()


def test_an_import_off_the_hub_records_whose_origin_differs_is_a_reason(
        database: Database) -> None:
    saigon = Transhipment(database, "VN")
    saigon.record_arrival(arrival(port="VNSGN"), OFFICER)
    laundered = import_declaration(
        items=(replace_origin("MY"),),
        documents=(SupportingDocument("N705", "COSU6300012345"),), export_country="MY")
    truthful = import_declaration(
        items=(replace_origin("CN"),),
        documents=(SupportingDocument("N705", "COSU6300012345"),), export_country="MY")
    with database.unit_of_work() as session:
        reasons = [r for r in saigon.concern(session, laundered) if "origin MY declared" in r]
        assert reasons and "COSU6300012345" in reasons[0] and "CN recorded on leg 1" in reasons[0]
        assert not [r for r in saigon.concern(session, truthful) if "declared" in r
                    and "recorded on" in r]


def test_the_administrator_keeps_the_dated_list_and_samples_are_marked(
        hub: Transhipment, database: Database) -> None:
    ensure_sample_listings(database)
    samples = hub.listings(OFFICER)
    assert samples and all(s.sample for s in samples)
    ensure_sample_listings(database)  # not twice
    assert len(hub.listings(OFFICER)) == len(samples)
    added = hub.add_listing(LaunderingHub("SGSIN", "8507", date(2026, 6, 1),
                                          note="lithium cells"), ADMIN)
    assert not added.sample and added.recorded_by == "admin"
    assert added.id is not None
    ended = hub.end_listing(added.id, date(2026, 12, 31), ADMIN)
    assert ended.listed_until == date(2026, 12, 31)
    with pytest.raises(InvalidLeg):
        hub.end_listing(added.id, date(2026, 1, 1), ADMIN)
    with pytest.raises(InvalidLeg) as refused:
        hub.add_listing(LaunderingHub("SG", "8", date(2026, 6, 1)), ADMIN)
    assert {p.path for p in refused.value.problems} == {"port", "hs_prefix"}
    assert count(database, LaunderingHubRow) == len(samples) + 1


def received(database: Database, legs: tuple[AcddLeg, ...]) -> str:
    """An ACDD from Viet Nam to Malaysia for the steel, as if received, with `legs`."""
    export = import_declaration(type=DeclarationType.EXPORT, export_country="VN",
                                destination_country="MY", exchange_rate=None,
                                items=(replace_origin("CN"),))
    number = "VN26VNHCM0000000042"
    with database.unit_of_work() as session:
        session.add(PreArrivalRow(
            export_reference=number, export_country="VN", message_id="m-1",
            consignee_id="VNTRADER0001",
            data=acdd_document(number, export, utcnow(), legs), channel="green",
            risk_score=None, reasons=[], received_at=utcnow()))
    return number


def test_an_arrival_citing_its_acdd_takes_its_origin_and_its_earlier_legs(
        hub: Transhipment, database: Database) -> None:
    first = AcddLeg(1, "N705", "COSU1111111111", "CNSHA", "VNSGN", "COSCO Shipping",
                    date(2026, 11, 10), (AcddLegItem("720825", "CN", Decimal("250000"), "kg"),))
    number = received(database, (first,))
    # The origin given differs from the ACDD's: refused, nothing recorded.
    with pytest.raises(InvalidLeg) as refused:
        hub.record_arrival(arrival(origin="VN", acdd_country="VN", acdd_number=number),
                           OFFICER)
    assert f"ACDD {number} records origin CN, not VN" in str(refused.value)
    assert count(database, ArrivalRow) == 0
    # Without an origin, the ACDD's is taken; the leg before Saigon stays with the goods.
    arrived = hub.record_arrival(arrival(origin="", acdd_country="VN", acdd_number=number,
                                         from_port="VNSGN"), OFFICER)
    assert arrived.arrival.goods[0].origin_country == "CN"
    left = hub.record_departure(departure(to_port="THLCH"), OFFICER)
    assert [(leg.sequence, leg.loading_port, leg.unloading_port) for leg in left.legs] == [
        (1, "CNSHA", "VNSGN"), (2, "VNSGN", "MYPKG"), (3, "MYPKG", "THLCH")]
    # Both hubs the route passed count for a listing, and the earliest leg names the origin.
    items = [DeclaredItem(1, "72082500", "MY")]
    assert "leg 1 (CNSHA → VNSGN" in origin_mismatches(items, left.legs, "x")[0]
    passed = laundering_hubs_passed(items, Route(date(2026, 12, 1), left.legs),
                                    [LaunderingHub("VNSGN", "7208", date(2026, 1, 1))])
    assert passed and "passed VNSGN on leg 1" in passed[0]
