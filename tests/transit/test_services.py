"""The office of departure on a real database: guarantees, lodgement, reservation, release, and
what a dishonest holder tries (another's guarantee, guessing the access code, lodging for
someone else, a reservation beyond the balance)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

import pytest

from singlewindow.access.model import Principal, Role
from singlewindow.core.db import Database
from singlewindow.exchange.model import UserMessage
from singlewindow.reference.services import ensure_sample_reference
from singlewindow.risk import services as selectivity
from singlewindow.risk.model import AeoRole, AeoStanding, Channel
from singlewindow.risk.services import RuleDraft
from singlewindow.transit.errors import GuaranteeRefused, InvalidMovement, MovementConflict
from singlewindow.transit.messages import (
    IE001,
    IE006,
    IE018,
    IE050,
    IE115,
    IE118,
    SERVICE,
    Notice,
    encode,
)
from singlewindow.transit.model import (
    Itinerary,
    Office,
    TransitGoodsItem,
    TransitStatus,
    mrn,
    mrn_problem,
)
from singlewindow.transit.repository import GuaranteeRow, MovementRow
from singlewindow.transit.services import NotYours, Transit, ensure_partner_schedules
from tests.transit.builders import HOLDER, NOW, OFFICER, declaration


@pytest.fixture
def transit(database: Database) -> Transit:
    ensure_sample_reference(database, "LA")
    ensure_partner_schedules(database)
    chooser = selectivity.configure(database, 0.0, 3)
    service = Transit(database, "LA", selectivity=chooser, clock=lambda: NOW)
    service.register_guarantee("LAGRN0001", "LATRADER01", Decimal(50000), "USD",
                               date(2026, 1, 1), date(2026, 12, 31), "4711", OFFICER)
    return service


def reserved(database: Database) -> tuple[Decimal, int]:
    with database.unit_of_work() as session:
        row = session.get(GuaranteeRow, "LAGRN0001")
        assert row is not None
        return Decimal(row.reserved), row.failed_codes


def movements(database: Database) -> int:
    with database.unit_of_work() as session:
        return session.query(MovementRow).count()


def test_a_movement_is_accepted_reserved_and_released_with_the_highest_duties(
    transit: Transit, database: Database
) -> None:
    movement = transit.lodge(declaration(), HOLDER)
    assert mrn_problem(movement.mrn) is None and movement.mrn[2:4] == "LA"
    assert movement.status is TransitStatus.RELEASED
    # each country's own schedule, and the highest of them reserved
    assert set(movement.duties) == {"LA", "TH", "MY", "SG"}
    highest = max(Decimal(v) for v in movement.duties.values())
    assert movement.reserved == highest > 0
    assert len({Decimal(v) for v in movement.duties.values()}) > 1
    assert reserved(database) == (highest, 0)
    balance = transit.guarantee("LAGRN0001", HOLDER)
    assert balance.balance == Decimal(50000) - highest
    assert transit.get(movement.mrn, HOLDER).control is None  # traders never see criteria
    assert transit.get(movement.mrn, OFFICER).control is not None


def test_a_reservation_beyond_the_balance_reserves_nothing(
    transit: Transit, database: Database
) -> None:
    big = TransitGoodsItem(1, "09011100", "Green coffee beans", 200, Decimal("10500"),
                           Decimal("10000"), Decimal("9000000"))
    movement = transit.lodge(declaration(items=(big,)), HOLDER)
    assert movement.status is TransitStatus.GUARANTEE_REFUSED
    assert "left, the movement needs" in movement.reasons[0]
    assert movement.reserved == 0 and reserved(database) == (Decimal(0), 0)


def test_a_movement_held_for_control_is_released_by_an_officer_of_departure_only(
    database: Database, transit: Transit
) -> None:
    sent: list[tuple[str, str]] = []
    ticks = iter(NOW + timedelta(minutes=n) for n in range(100))
    held = Transit(database, "LA", selectivity=selectivity.configure(database, 1.0, 3),
                   clock=lambda: next(ticks),
                   send=lambda _s, to, _service, action, _p, _c: sent.append((to, action)) or "")
    movement = held.lodge(declaration(), HOLDER)
    assert movement.status is TransitStatus.ACCEPTED and movement.reserved > 0
    assert movement.control is None and sent == []  # nothing announced before release
    with pytest.raises(NotYours):
        held.release(movement.mrn, HOLDER)
    with pytest.raises(NotYours):
        held.release(movement.mrn, Principal("o", Role.OFFICER, office="LAPKS01"))
    released = held.release(movement.mrn, OFFICER)
    assert released.status is TransitStatus.RELEASED and released.released_at > NOW
    assert sorted(sent) == [("MY-CUSTOMS", IE050), ("SG-CUSTOMS", IE001), ("TH-CUSTOMS", IE050)]
    with pytest.raises(MovementConflict):  # released once
        held.release(movement.mrn, OFFICER)
    assert [e.what for e in held.history(movement.mrn, HOLDER)] == ["lodged", "released"]


def test_a_revoked_guarantee_blocks_release(transit: Transit, database: Database) -> None:
    transit.revoke_guarantee("LAGRN0001", date(2026, 12, 1), OFFICER)
    movement = transit.lodge(declaration(), HOLDER)
    assert movement.status is TransitStatus.GUARANTEE_REFUSED
    assert "revoked" in movement.reasons[0] and reserved(database)[0] == 0


def test_the_holder_lodges_for_itself_with_its_own_guarantee(
    transit: Transit, database: Database
) -> None:
    with pytest.raises(NotYours):
        transit.lodge(declaration(), Principal("other", Role.TRADER, party_id="LATRADER02"))
    with pytest.raises(NotYours):
        transit.lodge(declaration(), OFFICER)
    transit.register_guarantee("LAGRN0002", "LATRADER02", Decimal(50000), "USD",
                               date(2026, 1, 1), date(2026, 12, 31), "1234", OFFICER)
    with pytest.raises(GuaranteeRefused, match="not LATRADER01's"):
        transit.lodge(declaration(guarantee="LAGRN0002", access_code="1234"), HOLDER)
    assert movements(database) == 0


def test_guessing_the_access_code_blocks_the_guarantee_and_reserves_nothing(
    transit: Transit, database: Database
) -> None:
    for n in range(5):
        with pytest.raises(GuaranteeRefused, match="access code"):
            transit.lodge(declaration(access_code=f"000{n}"), HOLDER)
        assert reserved(database) == (Decimal(0), n + 1)  # counted though refused
    with pytest.raises(GuaranteeRefused, match="blocked"):
        transit.lodge(declaration(), HOLDER)
    assert movements(database) == 0 and transit.guarantee("LAGRN0001", OFFICER).blocked


def test_unknown_offices_and_codes_are_refused_at_their_place(
    transit: Transit, database: Database
) -> None:
    wrong = Itinerary(Office("LAVTE01", "LA"), (Office("THXXX09", "TH"),),
                      Office("SGWDL01", "SG"), ("LA", "TH", "SG"))
    with pytest.raises(InvalidMovement) as refused:
        transit.lodge(declaration(itinerary=wrong), HOLDER)
    assert [p.path for p in refused.value.problems] == ["transit.0"]
    elsewhere = Itinerary(Office("THNKI01", "TH"), (Office("MYBKH01", "MY"),),
                          Office("SGWDL01", "SG"), ("TH", "MY", "SG"))
    with pytest.raises(InvalidMovement) as refused:
        transit.lodge(declaration(itinerary=elsewhere), HOLDER)
    assert "departure" in {p.path for p in refused.value.problems}
    odd = TransitGoodsItem(1, "99999999", "Nothing", 1, Decimal(2), Decimal(1), Decimal(5))
    with pytest.raises(InvalidMovement) as refused:
        transit.lodge(declaration(items=(odd,)), HOLDER)
    assert {p.path for p in refused.value.problems} == {"items.0.commodity_code"}
    assert movements(database) == 0 and reserved(database) == (Decimal(0), 0)


def test_the_same_lrn_is_lodged_once(transit: Transit, database: Database) -> None:
    transit.lodge(declaration(), HOLDER)
    with pytest.raises(Exception, match="already lodged LRN LA-T-0001"):
        transit.lodge(declaration(), HOLDER)
    assert movements(database) == 1
    assert len(transit.movements(HOLDER)) == 1


def test_a_movement_that_does_not_arrive_goes_overdue_then_enquiry_then_recovery(
    database: Database,
) -> None:
    clock = [NOW]
    ensure_sample_reference(database, "LA")
    ensure_partner_schedules(database)
    service = Transit(database, "LA", selectivity=selectivity.configure(database, 0.0, 3),
                      clock=lambda: clock[0], enquiry_after=timedelta(hours=1),
                      enquiry_period=timedelta(days=2))
    service.register_guarantee("LAGRN0001", "LATRADER01", Decimal(50000), "USD",
                               date(2026, 1, 1), date(2026, 12, 31), "4711", OFFICER)
    movement = service.lodge(declaration(time_limit=NOW + timedelta(hours=5)), HOLDER)
    assert service.run_due() == 0  # not yet due
    steps = []
    for later in (timedelta(hours=5, seconds=1), timedelta(hours=6, seconds=2),
                  timedelta(days=3)):
        clock[0] = NOW + later
        assert service.run_due() == 1
        steps.append(service.get(movement.mrn, OFFICER).status)
        assert service.run_due() == 0  # once only
    assert steps == [TransitStatus.OVERDUE, TransitStatus.ENQUIRY, TransitStatus.RECOVERY]
    assert [m.mrn for m in service.due(OFFICER)] == [movement.mrn]
    assert reserved(database)[0] == movement.reserved  # claimed, not released
    with pytest.raises(NotYours):
        service.due(HOLDER)
    # An arrival advised once recovery has begun is refused on receipt (an ebMS error to
    # its sender), not taken and then failed: the recovery is for the departure to end.
    for action in (IE006, IE018):
        late = notice(action, movement.mrn, "SGWDL01", seals_intact=True)
        assert "recovery" in (service.admit_notice(late) or "")
    # a crossing is still a fact of the journey, kept
    assert service.admit_notice(notice(IE118, movement.mrn, "THNKI01")) is None


def notice(action: str, number: str, office: str, **extra: object) -> UserMessage:
    at = NOW + timedelta(hours=2)
    document = Notice(number, office, at, **extra).document()  # type: ignore[arg-type]
    return UserMessage(f"{uuid.uuid4()}@{office[:2]}-CUSTOMS", NOW, f"{office[:2]}-CUSTOMS",
                       "LA-CUSTOMS", SERVICE, action, number, payload=encode(document))


def deliver(transit: Transit, message: UserMessage) -> None:
    """As the gateway does: the check on receipt, then the handler in its transaction."""
    assert transit.admit_notice(message) is None, transit.admit_notice(message)
    with transit.database.unit_of_work() as session:
        transit.receive_notice(session, message)


def test_crossings_arrival_and_control_results_discharge_it_and_free_the_guarantee(
    transit: Transit, database: Database
) -> None:
    movement = transit.lodge(declaration(), HOLDER)
    assert reserved(database)[0] == movement.reserved
    for message in (notice(IE118, movement.mrn, "THNKI01"),
                    notice(IE118, movement.mrn, "MYBKH01"),
                    notice(IE118, movement.mrn, "MYBKH01"),  # told twice: taken once
                    notice(IE006, movement.mrn, "SGWDL01"),
                    notice(IE018, movement.mrn, "SGWDL01"),
                    notice(IE018, movement.mrn, "SGWDL01")):
        deliver(transit, message)
    assert transit.get(movement.mrn, OFFICER).status is TransitStatus.WRITTEN_OFF
    with database.unit_of_work() as session:
        row = session.get(MovementRow, movement.mrn)
        assert row is not None and [c["office"] for c in row.crossings] == ["THNKI01", "MYBKH01"]
        assert row.due_at is None
    assert reserved(database)[0] == 0  # back to what it was, released once


def test_a_broken_seal_is_a_discrepancy_an_officer_of_departure_solves(
    transit: Transit, database: Database
) -> None:
    movement = transit.lodge(declaration(), HOLDER)
    # the control results may come before the arrival advice: they imply the arrival
    deliver(transit, notice(IE018, movement.mrn, "SGWDL01", seals_intact=False))
    assert transit.get(movement.mrn, OFFICER).status is TransitStatus.DISCREPANCY
    assert reserved(database)[0] == movement.reserved  # still secured
    with pytest.raises(NotYours):
        transit.solve(movement.mrn, False, "resealed", Principal("o", Role.OFFICER,
                                                                  office="LASVK01"))
    with pytest.raises(NotYours):
        transit.solve(movement.mrn, False, "resealed", HOLDER)
    solved = transit.solve(movement.mrn, False, "seal replaced at Sadao, goods complete",
                           OFFICER)
    assert solved.status is TransitStatus.WRITTEN_OFF and reserved(database)[0] == 0


def test_notices_out_of_order_or_from_the_wrong_office_are_not_admitted(
    transit: Transit, database: Database
) -> None:
    movement = transit.lodge(declaration(), HOLDER)
    big = TransitGoodsItem(1, "09011100", "Coffee", 2, Decimal(2), Decimal(1),
                           Decimal("9000000"))
    refused = transit.lodge(declaration(lrn="LA-T-0002", items=(big,)), HOLDER)
    unknown = mrn(2026, "LA", "FFFFFFFFFFFF")
    cases = [
        (notice(IE006, refused.mrn, "SGWDL01"), "was not released"),
        (notice(IE006, unknown, "SGWDL01"), "no transit movement"),
        (notice(IE006, movement.mrn, "SGSIN01"), "bound for SGWDL01"),
        (notice(IE118, movement.mrn, "THMKD01"), "not an office of transit"),
        (notice(IE115, movement.mrn, "SGTUA01"), "may not report a diversion"),
    ]
    for message, says in cases:
        why_not = transit.admit_notice(message)
        assert why_not is not None and says in why_not, (says, why_not)
    deliver(transit, notice(IE115, movement.mrn, "THMKD01"))  # taken, and reported
    with database.unit_of_work() as session:
        row = session.get(MovementRow, movement.mrn)
        assert row is not None and row.crossings[0]["declared"] is False
    assert transit.get(movement.mrn, OFFICER).status is TransitStatus.RELEASED


def consignor_register(
    parties: Sequence[tuple[str, AeoRole]], on: date
) -> AeoStanding | None:
    """LATRADER01 recognised as an authorised consignor (simplified transit procedure)."""
    for party, role in parties:
        if party == "LATRADER01" and role is AeoRole.CONSIGNOR:
            return AeoStanding(party, role, "the AEO programme of LA", simplified_transit=True)
    return None


def transit_goes(database: Database, channel: str) -> Transit:
    """A profile sending every transit movement to `channel`, and the consignor register."""
    selectivity.create_rule(database, RuleDraft(
        "transit check", [{"field": "type", "operator": "eq", "value": "transit"}],
        Channel(channel), date(2026, 1, 1)), "officer")
    chooser = selectivity.selectivity_of(database)
    chooser.refresh()
    chooser.aeo = consignor_register
    return Transit(database, "LA", selectivity=chooser, clock=lambda: NOW)


def test_an_authorised_consignors_yellow_movement_is_released_at_once(
    transit: Transit, database: Database
) -> None:
    service = transit_goes(database, "yellow")
    movement = service.lodge(declaration(), HOLDER)
    assert movement.status is TransitStatus.RELEASED and movement.released_at == NOW
    control = service.get(movement.mrn, OFFICER).control
    assert control is not None and control["channel"] == "yellow"
    assert control["aeo"]["role"] == "consignor"
    assert ("authorised consignor LATRADER01: released under the simplified procedure, "
            "documentary check waived") in control["reasons"]
    assert service.get(movement.mrn, HOLDER).control is None  # the holder sees no criteria
    assert not any("consignor" in r for r in movement.reasons)


def test_an_authorised_consignors_red_movement_is_still_held(
    transit: Transit, database: Database
) -> None:
    service = transit_goes(database, "red")
    movement = service.lodge(declaration(), HOLDER)
    assert movement.status is TransitStatus.ACCEPTED
    control = service.get(movement.mrn, OFFICER).control
    assert control is not None and control["aeo"]["operator"] == "LATRADER01"
    assert not any("simplified procedure" in r for r in control["reasons"])


def test_a_yellow_movement_of_a_holder_not_recognised_is_held(
    transit: Transit, database: Database
) -> None:
    service = transit_goes(database, "yellow")
    service.selectivity.aeo = lambda parties, on: None
    movement = service.lodge(declaration(), HOLDER)
    assert movement.status is TransitStatus.ACCEPTED
    control = service.get(movement.mrn, OFFICER).control
    assert control is not None and control["aeo"] is None


def test_the_holder_is_asked_of_the_register_as_consignor(
    transit: Transit, database: Database
) -> None:
    asked: list[list[tuple[str, AeoRole]]] = []
    service = transit_goes(database, "green")

    def register(parties: Sequence[tuple[str, AeoRole]], on: date) -> AeoStanding | None:
        asked.append(list(parties))
        return None

    service.selectivity.aeo = register
    service.lodge(declaration(), HOLDER)
    assert asked == [[("LATRADER01", AeoRole.CONSIGNOR)]]
