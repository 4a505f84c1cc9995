"""The transit room's rules: the MRN and its check character, the itinerary, the movement's
states in NCTS order, and the guarantee that secures it."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from singlewindow.transit.errors import GuaranteeRefused, MovementConflict
from singlewindow.transit.model import (
    MOVEMENT,
    Equipment,
    GuaranteeAccount,
    Itinerary,
    Office,
    TransitGoodsItem,
    TransitMovement,
    TransitStatus,
    access_digest,
    check_character,
    guarantee_amount,
    mrn,
    mrn_problem,
)
from tests.transit.builders import declaration

VIENTIANE, NONG_KHAI = Office("LAVTE01", "LA"), Office("THNKI01", "TH")
SADAO, SINGAPORE = Office("MYBKH01", "MY"), Office("SGWDL01", "SG")
ROUTE = Itinerary(VIENTIANE, (NONG_KHAI, SADAO), SINGAPORE, ("LA", "TH", "MY", "SG"))
NOON = datetime(2026, 12, 2, 12, tzinfo=UTC)
NOW = NOON
LIMIT = datetime(2026, 12, 5, 18, tzinfo=UTC)


def test_the_check_character_is_iso_6346s() -> None:
    assert check_character("CSQU305438") == "3"  # ISO 6346's own example, CSQU 305438 3
    assert check_character("MSKU907032") == "3"


def test_an_mrn_has_eighteen_characters_and_its_check_character() -> None:
    number = mrn(2026, "LA", "7", "J")
    assert len(number) == 18 and number.startswith("26LA000000000007J")
    assert mrn_problem(number) is None
    wrong = number[:17] + str((int(number[17]) + 1) % 10)
    assert "check character" in (mrn_problem(wrong) or "")
    assert "18 characters" in (mrn_problem("26LA7J") or "")
    with pytest.raises(ValueError):
        mrn(2026, "la", "x" * 13)


def test_unique_parts_give_distinct_valid_mrns() -> None:
    numbers = {mrn(2026, "TH", f"{n:X}") for n in range(2000)}
    assert len(numbers) == 2000 and all(mrn_problem(n) is None for n in numbers)


def test_the_itinerary_needs_an_office_of_transit_for_each_country_entered() -> None:
    assert ROUTE.problems() == []
    skipped = Itinerary(VIENTIANE, (SADAO,), SINGAPORE, ("LA", "TH", "MY", "SG"))
    assert [p.path for p in skipped.problems()] == ["transit"]
    swapped = Itinerary(VIENTIANE, (SADAO, NONG_KHAI), SINGAPORE, ("LA", "TH", "MY", "SG"))
    assert [p.path for p in swapped.problems()] == ["transit"]
    wrong_ends = Itinerary(VIENTIANE, (NONG_KHAI, SADAO), SINGAPORE, ("TH", "MY"))
    assert {p.path for p in wrong_ends.problems()} >= {"routing.0", "routing.1"}
    home = Itinerary(VIENTIANE, (), Office("LAPKS01", "LA"), ("LA",))
    assert "destination" in {p.path for p in home.problems()}


def test_the_guarantee_covers_the_highest_duties_of_the_itinerary() -> None:
    duties = {"LA": Decimal("1200"), "TH": Decimal("3400.50"), "MY": Decimal("2100"),
              "SG": Decimal("0")}
    assert guarantee_amount(duties) == Decimal("3400.50")
    assert guarantee_amount({}) == Decimal(0)


def _movement(status: TransitStatus = TransitStatus.ACCEPTED) -> TransitMovement:
    return TransitMovement(mrn(2026, "LA", "1"), ROUTE, LIMIT, Decimal(3400),
                           status=status)


def test_a_movement_runs_in_ncts_order_to_its_write_off() -> None:
    movement = _movement()
    movement.release()
    assert movement.cross(NONG_KHAI, NOON).declared
    assert movement.cross(SADAO, NOON).declared
    movement.arrive(SINGAPORE)
    movement.record_control([])
    assert movement.status is TransitStatus.WRITTEN_OFF and not movement.holds_guarantee


def test_a_crossing_not_declared_is_taken_and_one_sent_twice_is_refused() -> None:
    movement = _movement(TransitStatus.RELEASED)
    elsewhere = Office("THMDH01", "TH")
    assert not movement.cross(elsewhere, NOON).declared  # reported, as IE115
    with pytest.raises(MovementConflict, match="already crossed"):
        movement.cross(elsewhere, NOON)
    with pytest.raises(MovementConflict, match="bound for SGWDL01"):
        movement.arrive(SADAO)


def test_a_discrepancy_is_solved_by_an_officer() -> None:
    movement = _movement(TransitStatus.ARRIVED)
    movement.record_control(["seal TH-88213 broken"])
    assert movement.status is TransitStatus.DISCREPANCY and movement.holds_guarantee
    movement.solve(recovered=False)
    assert movement.status is TransitStatus.WRITTEN_OFF
    with pytest.raises(MovementConflict, match="nothing to solve"):
        movement.solve(recovered=True)


def test_a_movement_that_does_not_arrive_goes_to_enquiry_and_recovery() -> None:
    movement = _movement(TransitStatus.RELEASED)
    assert not movement.overdue(LIMIT)  # the time limit itself is in time
    assert movement.overdue(LIMIT + timedelta(seconds=1))
    movement.open_enquiry()
    movement.recover()
    assert movement.status is TransitStatus.RECOVERY and movement.holds_guarantee


def test_an_enquiry_ends_if_the_goods_arrive_late() -> None:
    movement = _movement(TransitStatus.ENQUIRY)
    movement.arrive(SINGAPORE)
    assert movement.status is TransitStatus.ARRIVED


@pytest.mark.parametrize(("current", "wanted"), [
    (current, wanted) for current, wanted in itertools.product(TransitStatus, TransitStatus)
    if not MOVEMENT.allows(current, wanted)])
def test_every_move_outside_the_ncts_order_is_refused(current: TransitStatus,
                                                      wanted: TransitStatus) -> None:
    with pytest.raises(MovementConflict, match=f"cannot become {wanted.value.replace('_', ' ')}"):
        MOVEMENT.move(current, wanted, who="26LA0000000000001J")


def test_no_crossing_before_release_and_a_late_notice_is_kept() -> None:
    for status in (TransitStatus.ACCEPTED, TransitStatus.GUARANTEE_REFUSED):
        with pytest.raises(MovementConflict, match="no crossing now"):
            _movement(status).cross(NONG_KHAI, NOON)
    late = _movement(TransitStatus.WRITTEN_OFF)
    assert late.cross(NONG_KHAI, NOON).declared and late.status is TransitStatus.WRITTEN_OFF


def _guarantee() -> GuaranteeAccount:
    return GuaranteeAccount("LAGUA0001", "LATRADER01", Decimal(10000), date(2026, 1, 1),
                            date(2026, 12, 31))


def test_a_reservation_beyond_the_balance_reserves_nothing() -> None:
    guarantee = _guarantee()
    guarantee.reserve(Decimal(6000), "LATRADER01", date(2026, 12, 2))
    with pytest.raises(GuaranteeRefused, match="4000 left"):
        guarantee.reserve(Decimal(4001), "LATRADER01", date(2026, 12, 2))
    assert guarantee.balance == Decimal(4000)
    guarantee.release(Decimal(6000))
    assert guarantee.balance == Decimal(10000)


def test_a_guarantee_is_its_holders_and_only_while_valid_and_not_revoked() -> None:
    guarantee = _guarantee()
    with pytest.raises(GuaranteeRefused, match="not THTRADER01's"):
        guarantee.reserve(Decimal(1), "THTRADER01", date(2026, 12, 2))
    with pytest.raises(GuaranteeRefused, match="valid from"):
        guarantee.reserve(Decimal(1), "LATRADER01", date(2027, 1, 1))
    guarantee.revoked_on = date(2026, 12, 1)
    with pytest.raises(GuaranteeRefused, match="revoked"):
        guarantee.reserve(Decimal(1), "LATRADER01", date(2026, 12, 2))
    assert guarantee.reserved == Decimal(0)


def test_a_transit_declaration_as_lodged_has_no_problem() -> None:
    assert declaration().problems(NOW) == []


def test_a_transit_declaration_says_every_problem_at_its_place() -> None:
    bad_item = TransitGoodsItem(1, "0901", "", 0, Decimal(5), Decimal(10), Decimal(0))
    lodged = declaration(
        items=(bad_item,), time_limit=NOW, access_code="12a4",
        equipment=(Equipment("MSKU9070323", ()), Equipment("TRUCK-1", ("S1", "S1"))))
    paths = {p.path for p in lodged.problems(NOW)}
    assert paths == {"items.0.commodity_code", "items.0.packages", "items.0.gross_mass",
                     "items.0.value", "equipment.0.seals", "equipment.1.seals", "time_limit",
                     "access_code"}
    assert "items" in {p.path for p in declaration(items=()).problems(NOW)}


def test_a_time_limit_is_in_the_future_and_not_months_away() -> None:
    assert declaration(time_limit=NOW + timedelta(minutes=1)).problems(NOW) == []
    far = declaration(time_limit=NOW + timedelta(days=61)).problems(NOW)
    assert [p.path for p in far] == ["time_limit"] and "60 days" in far[0].message


def test_the_access_code_is_checked_and_guessing_it_blocks_the_guarantee() -> None:
    guarantee = _guarantee()
    guarantee.access_digest = access_digest("4711")
    assert "4711" not in guarantee.access_digest
    guarantee.check_access("4711")
    for _ in range(4):
        with pytest.raises(GuaranteeRefused, match="not guarantee LAGUA0001's"):
            guarantee.check_access("0000")
    guarantee.check_access("4711")  # a right code resets the count
    for _ in range(5):
        with pytest.raises(GuaranteeRefused, match="access code"):
            guarantee.check_access("1111")
    with pytest.raises(GuaranteeRefused, match="blocked after 5 wrong access codes"):
        guarantee.check_access("4711")
