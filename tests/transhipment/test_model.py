"""The rules of a consignment through a hub: what may change there and what may not, the
origin an import is held to, and the hubs known for origin laundering by prefix and date."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

import pytest

from singlewindow.declarations.errors import InvalidDeclaration
from singlewindow.declarations.model import DeclarationType
from singlewindow.declarations.prearrival import (
    AcddLeg,
    AcddLegItem,
    acdd_document,
    parse_acdd,
)
from singlewindow.transhipment.errors import InvalidLeg
from singlewindow.transhipment.model import (
    DeclaredItem,
    DepartingGoods,
    LaunderingHub,
    Route,
    check_arrival,
    check_departure,
    check_listing,
    laundering_hubs_passed,
    legs_of,
    origin_mismatches,
    remaining,
)
from tests.builders import import_declaration
from tests.transhipment.builders import arrival, departure


def paths(error: InvalidLeg) -> set[str]:
    return {p.path for p in error.problems}


def test_an_arrival_at_a_hub_of_the_node_is_accepted_and_elsewhere_refused() -> None:
    check_arrival(arrival(), "MY")
    with pytest.raises(InvalidLeg) as refused:
        check_arrival(arrival(port="SGSIN", from_port="SGSIN", carrier=" ",
                              transport_document="x"), "MY")
    assert paths(refused.value) == {"port", "from_port", "carrier", "transport_document"}
    assert "not a hub port of MY" in str(refused.value)
    with pytest.raises(InvalidLeg) as unknown:
        check_arrival(arrival(origin="XX"), "MY")
    assert paths(unknown.value) == {"goods.0.origin_country"}


def test_a_hub_re_packs_but_never_changes_the_origin_or_the_goods() -> None:
    arrived = arrival()
    # Re-packed (10 packages, not 20), another national line of the same subheading: fine.
    check_departure(departure(), arrived, [], "MY")
    with pytest.raises(InvalidLeg) as relabelled:
        check_departure(departure(goods=(DepartingGoods(1, "72082590", "Steel coils",
                                                        Decimal("250000"), "kg",
                                                        origin_country="MY"),)),
                        arrived, [], "MY")
    assert "does not change the origin" in str(relabelled.value)
    assert paths(relabelled.value) == {"goods.0.origin_country"}
    with pytest.raises(InvalidLeg) as other_goods:
        check_departure(departure(goods=(DepartingGoods(1, "72091500", "Cold-rolled steel",
                                                        Decimal("1000"), "kg"),)),
                        arrived, [], "MY")
    assert "re-packs, it does not change the goods" in str(other_goods.value)


def test_what_leaves_never_exceeds_what_arrived_over_several_departures() -> None:
    arrived = arrival()
    first = departure("MSKU0000000001", quantity="150000")
    check_departure(first, arrived, [], "MY")
    assert remaining(arrived, [first]) == {("720825", "kg"): Decimal("100000")}
    with pytest.raises(InvalidLeg) as too_much:
        check_departure(departure("MSKU0000000002", quantity="100001"), arrived, [first], "MY")
    assert "100000 kg of 720825 arrived and are not yet gone" in str(too_much.value)
    check_departure(departure("MSKU0000000002", quantity="100000"), arrived, [first], "MY")


def test_what_has_not_happened_yet_is_not_recorded() -> None:
    with pytest.raises(InvalidLeg) as early:
        check_arrival(arrival(), "MY", today=date(2026, 11, 18))
    assert paths(early.value) == {"arrived_on"}
    check_arrival(arrival(), "MY", today=date(2026, 11, 19))  # a day's grace
    with pytest.raises(InvalidLeg) as leaving:
        check_departure(departure(), arrival(), [], "MY", today=date(2026, 11, 21))
    assert paths(leaving.value) == {"departed_on"}


def test_a_departure_home_or_before_the_arrival_or_on_the_same_document_is_refused() -> None:
    with pytest.raises(InvalidLeg) as refused:
        check_departure(departure("COSU6300012345", to_port="MYTPP",
                                  departed_on=date(2026, 11, 1)), arrival(), [], "MY")
    assert paths(refused.value) == {"to_port", "transport_document", "departed_on"}
    assert "imported, not transhipped" in str(refused.value)


def test_the_departure_leg_carries_the_origin_the_goods_arrived_with() -> None:
    legs = legs_of(arrival(), departure())
    assert [(leg.loading_port, leg.unloading_port) for leg in legs] == [
        ("CNSHA", "MYPKG"), ("MYPKG", "VNSGN")]
    assert [g.origin_country for g in legs[1].goods] == ["CN"]


def test_an_origin_that_differs_from_an_earlier_leg_is_named_with_its_leg() -> None:
    legs = legs_of(arrival(), departure())
    laundered = [DeclaredItem(1, "72082590", "MY")]
    reasons = origin_mismatches(laundered, legs, "ACDD MY26X from MY")
    assert reasons == [
        "item 1: origin MY declared, CN recorded on leg 1 (CNSHA → MYPKG, bill of lading "
        "COSU6300012345, 2026-11-20) (ACDD MY26X from MY)"]
    assert origin_mismatches([DeclaredItem(1, "72082590", "CN")], legs, "x") == []
    # Goods the legs do not carry are not this check's business (the ACDD cross-check's).
    assert origin_mismatches([DeclaredItem(1, "09011100", "KH")], legs, "x") == []


def test_a_laundering_hub_counts_for_its_prefix_and_its_dates_only() -> None:
    listing = LaunderingHub("MYPKG", "7208", date(2026, 6, 1), date(2026, 12, 31))
    legs = legs_of(arrival(), departure())  # at Port Klang on 2026-11-20
    steel = [DeclaredItem(1, "72082590", "CN")]
    reasons = laundering_hubs_passed(steel, Route(date(2026, 12, 1), legs), [listing])
    assert len(reasons) == 1
    assert "passed MYPKG on leg 1" in reasons[0] and "origin laundering of 7208" in reasons[0]
    # Another code, a listing not yet in force, or ended before the consignment got there.
    assert laundering_hubs_passed([DeclaredItem(1, "72091500", "CN")],
                                  Route(date(2026, 12, 1), legs), [listing]) == []
    later = replace(listing, listed_from=date(2026, 11, 21))
    assert laundering_hubs_passed(steel, Route(date(2026, 12, 1), legs), [later]) == []
    ended = replace(listing, listed_until=date(2026, 11, 19))
    assert laundering_hubs_passed(steel, Route(date(2026, 12, 1), legs), [ended]) == []
    # The final port is the destination, not a hub passed.
    at_saigon = LaunderingHub("VNSGN", "72", date(2026, 1, 1))
    assert laundering_hubs_passed(steel, Route(date(2026, 12, 1), legs), [at_saigon]) == []


def test_without_legs_an_export_country_holding_a_listed_hub_counts() -> None:
    listing = LaunderingHub("MYPKG", "720825", date(2026, 6, 1), sample=True)
    steel = [DeclaredItem(1, "72082590", "MY")]
    reasons = laundering_hubs_passed(steel, Route(date(2026, 12, 1), export_country="MY"),
                                     [listing])
    assert reasons and "exported from MY, whose hub MYPKG" in reasons[0]
    assert "sample listing" in reasons[0] and "origin MY declared" in reasons[0]
    assert laundering_hubs_passed(steel, Route(date(2026, 12, 1), export_country="TH"),
                                  [listing]) == []
    assert laundering_hubs_passed(steel, Route(date(2026, 5, 31), export_country="MY"),
                                  [listing]) == []


def test_a_listing_is_refused_with_every_problem() -> None:
    with pytest.raises(InvalidLeg) as refused:
        check_listing(LaunderingHub("PORT", "7", date(2026, 6, 1), date(2026, 5, 1)))
    assert paths(refused.value) == {"port", "hs_prefix", "listed_until"}


def test_an_acdd_without_legs_still_parses_and_one_with_legs_carries_them() -> None:
    export = import_declaration(type=DeclarationType.EXPORT, export_country="MY",
                                destination_country="VN", exchange_rate=None)
    plain = acdd_document("MY26MYPKG0000000001", export,
                          datetime.fromisoformat("2026-11-23T08:00:00+00:00"))
    assert "TranshipmentLegs" not in plain
    assert parse_acdd(plain).legs == ()
    leg = AcddLeg(1, "N705", "COSU6300012345", "CNSHA", "MYPKG", "COSCO Shipping",
                  date(2026, 11, 20), (AcddLegItem("720825", "CN", Decimal("250000"), "kg"),))
    carried = acdd_document("MY26MYPKG0000000001", export,
                            datetime.fromisoformat("2026-11-23T08:00:00+00:00"), [leg])
    assert parse_acdd(carried).legs == (replace(leg, items=(AcddLegItem(
        "720825", "CN", Decimal("250000"), "kg", ""),)),)
    broken = {**carried, "TranshipmentLegs": [{"LoadingLocationID": "??", "Date": "soon"}]}
    with pytest.raises(InvalidDeclaration) as refused:
        parse_acdd(broken)
    text = str(refused.value)
    assert "TranshipmentLegs.0.LoadingLocationID" in text
    assert "TranshipmentLegs.0.Date" in text
