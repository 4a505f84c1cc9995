"""The rules of a lodged declaration, each with the abuse it prevents."""

from datetime import date
from decimal import Decimal

import pytest

from singlewindow.declarations.errors import DeclarationConflict, InvalidDeclaration, NotYours
from singlewindow.declarations.lifecycle import (
    Actor,
    LodgedDeclaration,
    Representation,
    RepresentationKind,
    check_amount,
    guarantee_holders,
    representation_problem,
)
from singlewindow.declarations.model import Status
from singlewindow.risk.model import Channel, InspectionOutcome


def lodged(channel=Channel.GREEN, duties="1000", **changes) -> LodgedDeclaration:
    state = LodgedDeclaration("VN26X", Status.CHANNELLED, channel, "VND", Decimal(duties))
    for name, value in changes.items():
        setattr(state, name, value)
    return state


def test_release_needs_the_check_on_yellow_and_red_and_the_duties_settled():
    assert "inspection" in lodged(Channel.RED, secured=Decimal(1000)).why_not_releasable()
    assert "1000 VND" in lodged().why_not_releasable()
    assert lodged(paid=Decimal(1000)).why_not_releasable() is None
    inspected = lodged(Channel.RED, secured=Decimal(1000))
    inspected.record_inspection(InspectionOutcome.NO_DISCREPANCY)
    assert inspected.why_not_releasable() is None
    assert inspected.release_rule().startswith("rule: inspection result")


def test_a_trader_cannot_amend_after_an_inspection_result():
    state = lodged(Channel.YELLOW)
    state.record_inspection(InspectionOutcome.NO_DISCREPANCY)
    with pytest.raises(DeclarationConflict, match="only an officer corrects"):
        state.check_trader_amendment()


def test_a_trader_cannot_amend_what_customs_selected_for_a_check():
    with pytest.raises(DeclarationConflict, match="selected for a red-channel check"):
        lodged(Channel.RED).check_trader_amendment()
    lodged(Channel.GREEN).check_trader_amendment()  # unselected: the declarant may


def test_an_officer_correction_needs_a_reason_and_lowering_duties_is_a_finding():
    state = lodged(Channel.YELLOW)
    with pytest.raises(InvalidDeclaration, match="reason"):
        state.check_officer_correction(" ")
    state.reassess(Decimal(900), Actor.OFFICER, "invoice re-read")
    assert state.finding
    assert state.events[0][0] == "finding"
    raised = lodged(Channel.YELLOW)
    raised.reassess(Decimal(2000), Actor.OFFICER, "undervalued")
    assert not raised.finding


def test_a_trader_cancels_only_an_unselected_declaration():
    lodged().cancel(Actor.TRADER, "wrong consignment")
    with pytest.raises(NotYours, match="only an officer cancels"):
        lodged(Channel.RED).cancel(Actor.TRADER, "changed my mind")
    officer = lodged(Channel.RED)
    officer.cancel(Actor.OFFICER, "goods never arrived")
    assert officer.status is Status.CANCELLED
    with pytest.raises(InvalidDeclaration, match="reason"):
        lodged(Channel.RED).cancel(Actor.OFFICER, "")


@pytest.mark.parametrize("outcome", [InspectionOutcome.DISCREPANCY, InspectionOutcome.SEIZURE])
def test_no_one_cancels_after_a_finding(outcome):
    state = lodged(Channel.RED)
    state.record_inspection(outcome)
    if state.status is Status.INSPECTED:
        with pytest.raises(DeclarationConflict, match="finding"):
            state.cancel(Actor.OFFICER, "close the file")
    with pytest.raises(DeclarationConflict):
        state.cancel(Actor.TRADER, "close the file")


def test_an_inspection_result_is_recorded_once():
    state = lodged(Channel.RED)
    state.record_inspection(InspectionOutcome.NO_DISCREPANCY)
    with pytest.raises(DeclarationConflict, match="already has an inspection result"):
        state.record_inspection(InspectionOutcome.NO_DISCREPANCY)


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0.5", "finer than the currency's minor unit"),
        ("0", "greater than zero"),
        ("-10", "greater than zero"),
        ("1e15", "at most"),
        ("NaN", "greater than zero"),
    ],
)
def test_payments_are_exact_in_the_minor_unit_never_rounded(amount, message):
    with pytest.raises(InvalidDeclaration, match=message):
        check_amount(Decimal(amount), "VND")
    check_amount(Decimal("10.25"), "USD")
    with pytest.raises(InvalidDeclaration):
        check_amount(Decimal("10.255"), "USD")


def test_an_overpayment_becomes_a_credit_to_refund():
    state = lodged()
    effect = state.confirm_payment(Decimal("99999999999"), "VND")
    assert effect.credited == Decimal(1000)
    assert state.refundable == Decimal("99999998999")
    assert state.outstanding == 0
    state.refund(Decimal("99999998999"))
    assert state.paid == Decimal(1000) and state.refundable == 0


def test_a_payment_in_another_currency_is_refused():
    with pytest.raises(InvalidDeclaration, match="notice is in VND"):
        lodged().confirm_payment(Decimal(1000), "USD")


def test_paying_a_secured_debt_after_release_discharges_the_guarantee():
    state = lodged(secured=Decimal(1000))
    state.release(state.release_rule())
    assert state.status is Status.RELEASED
    effect = state.confirm_payment(Decimal(400), "VND")
    assert effect.discharged == Decimal(400) and state.secured == Decimal(600)
    effect = state.confirm_payment(Decimal(600), "VND")
    assert state.secured == 0 and state.debt == 0
    with pytest.raises(DeclarationConflict, match="nothing is owed"):
        state.confirm_payment(Decimal(1), "VND")


def test_the_release_names_the_officer_or_the_rule():
    state = lodged(paid=Decimal(1000))
    state.release("officer1")
    assert state.released_by == "officer1"
    ruled = lodged(paid=Decimal(1000))
    ruled.release(ruled.release_rule())
    assert ruled.released_by.startswith("rule: green channel")


def test_a_declarant_acts_for_another_party_only_under_a_valid_representation():
    on = date(2026, 12, 1)
    direct = Representation("BROKER1", "IMP1", RepresentationKind.DIRECT, date(2026, 1, 1))
    expired = Representation(
        "BROKER1", "IMP1", RepresentationKind.DIRECT, date(2025, 1, 1), date(2025, 12, 31)
    )
    revoked = Representation(
        "BROKER1", "IMP1", RepresentationKind.DIRECT, date(2026, 1, 1), revoked_on=on
    )
    assert representation_problem("IMP1", "IMP1", [], on) is None
    assert "no registered representation" in representation_problem("BROKER1", "IMP1", [], on)
    assert representation_problem("BROKER1", "IMP1", [direct], on) is None
    assert representation_problem("BROKER1", "IMP1", [expired, revoked], on) is not None
    assert representation_problem("BROKER2", "IMP1", [direct], on) is not None


def test_only_the_debtor_s_guarantee_secures_a_declaration():
    direct = Representation("BROKER1", "IMP1", RepresentationKind.DIRECT, date(2026, 1, 1))
    indirect = Representation("BROKER1", "IMP1", RepresentationKind.INDIRECT, date(2026, 1, 1))
    assert guarantee_holders("BROKER1", "IMP1", direct) == {"IMP1"}
    assert guarantee_holders("BROKER1", "IMP1", indirect) == {"IMP1", "BROKER1"}
    assert guarantee_holders("IMP1", "IMP1", None) == {"IMP1"}
