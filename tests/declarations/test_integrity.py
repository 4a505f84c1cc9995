"""Issue 9's holes, each tried as a dishonest trader would, through the clearance services on
both engines: every attempt is refused and changes nothing."""

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from singlewindow.access.model import Principal, Role
from singlewindow.core.clock import utcnow
from singlewindow.declarations.errors import (
    DeclarationConflict,
    InvalidDeclaration,
    NotYours,
    UnknownGuarantee,
)
from singlewindow.declarations.lifecycle import RepresentationKind
from singlewindow.declarations.model import Party, Status
from singlewindow.declarations.representation import Representations
from singlewindow.declarations.settlement import Guarantees, Payments, UnknownNotice
from singlewindow.risk import services as selectivity
from singlewindow.risk.model import Channel, InspectionOutcome
from singlewindow.risk.services import RuleDraft
from tests.builders import (
    ADMIN,
    BANK,
    COFFEE,
    OFFICER,
    OTHER_TRADER,
    TRADER,
    import_declaration,
    pay,
)

BROKER = Principal("broker", Role.TRADER, party_id="VNBROKER01")


def selected(database, channel=Channel.YELLOW, prefix="0901"):
    selectivity.create_rule(
        database,
        RuleDraft(
            "coffee check",
            [{"field": "commodity_code", "operator": "prefix", "value": prefix}],
            channel,
            date(2026, 1, 1),
        ),
        "officer",
    )


def events(clearance, number):
    return [e.kind for e in clearance.events(number, OFFICER)]


# 1. Amendment after inspection -------------------------------------------------------


def test_after_a_clean_inspection_the_trader_cannot_cut_the_invoice(clearance, database):
    selected(database)
    view = clearance.lodge(import_declaration(), TRADER)
    inspected = clearance.record_inspection(view.number, InspectionOutcome.NO_DISCREPANCY, OFFICER)
    cheap = import_declaration(items=(replace(COFFEE, invoice_amount=Decimal("10.00")),))
    with pytest.raises(DeclarationConflict, match="only an officer corrects"):
        clearance.amend(view.number, cheap, inspected.version, TRADER)
    after = clearance.get(view.number, TRADER)
    assert after.settlement.assessed == inspected.settlement.assessed
    assert after.version == inspected.version and after.status is Status.INSPECTED


def test_an_officer_corrects_with_a_reason_and_a_lower_duty_is_a_finding(clearance, database):
    selected(database)
    view = clearance.lodge(import_declaration(), TRADER)
    cheaper = import_declaration(items=(replace(COFFEE, invoice_amount=Decimal("40000.00")),))
    with pytest.raises(NotYours):
        clearance.correct(view.number, cheaper, "trader wants it", 1, TRADER)
    with pytest.raises(InvalidDeclaration, match="reason"):
        clearance.correct(view.number, cheaper, "  ", 1, OFFICER)
    corrected = clearance.correct(view.number, cheaper, "credit note INV-1-CN", 1, OFFICER)
    assert corrected.settlement.assessed < view.settlement.assessed
    assert corrected.version == 2
    assert events(clearance, view.number)[-2:] == ["corrected", "finding"]
    # A finding: no one cancels it now.
    with pytest.raises(DeclarationConflict, match="finding"):
        clearance.cancel(view.number, "close the file", OFFICER)


# 2. Cancellation after a finding -----------------------------------------------------


@pytest.mark.parametrize("outcome", [InspectionOutcome.DISCREPANCY, InspectionOutcome.SEIZURE])
def test_no_one_cancels_a_declaration_with_a_finding(clearance, database, outcome):
    selected(database, Channel.RED)
    view = clearance.lodge(import_declaration(), TRADER)
    corrected = (
        import_declaration(items=(replace(COFFEE, invoice_amount=Decimal("84480.00")),))
        if outcome is InspectionOutcome.DISCREPANCY
        else None
    )
    clearance.record_inspection(view.number, outcome, OFFICER, "undervalued", corrected)
    for actor in (TRADER, OFFICER, ADMIN):
        with pytest.raises(DeclarationConflict):
            clearance.cancel(view.number, "walk away", actor)
    assert clearance.get(view.number, TRADER).status is not Status.CANCELLED


def test_once_selected_only_an_officer_cancels_with_a_reason(clearance, database):
    selected(database, Channel.RED)
    view = clearance.lodge(import_declaration(), TRADER)
    with pytest.raises(NotYours, match="only an officer"):
        clearance.cancel(view.number, "changed my mind", TRADER)
    with pytest.raises(InvalidDeclaration, match="reason"):
        clearance.cancel(view.number, "", OFFICER)
    done = clearance.cancel(view.number, "consignment never shipped (carrier letter)", OFFICER)
    assert done.status is Status.CANCELLED


# 3. Payments on the trader's word ----------------------------------------------------


def test_only_a_bank_confirms_a_payment_against_a_real_notice(clearance):
    view = clearance.lodge(import_declaration(), TRADER)
    notice = view.payment_notice
    assert notice is not None and notice.amount == view.settlement.assessed
    assert notice.due_on > utcnow().date()
    payments = Payments(clearance)
    with pytest.raises(NotYours, match="only a bank"):
        payments.confirm(notice.reference, notice.amount, "VND", "ANY-REF", TRADER)
    with pytest.raises(UnknownNotice):
        payments.confirm("VNPN26000000000X", notice.amount, "VND", "B-1", BANK)
    assert clearance.get(view.number, TRADER).settlement.paid == 0


def test_half_a_dong_is_refused_not_rounded_up(clearance):
    view = clearance.lodge(import_declaration(), TRADER)
    with pytest.raises(InvalidDeclaration, match="minor unit"):
        pay(clearance, view.number, Decimal("0.5"))
    assert clearance.get(view.number, TRADER).settlement.paid == 0


def test_an_overpayment_releases_and_becomes_a_credit_an_officer_refunds(clearance):
    view = clearance.lodge(import_declaration(), TRADER)
    paid = pay(clearance, view.number, Decimal("99999999999"))
    assert paid.status is Status.RELEASED
    assert paid.released_by.startswith("rule: green channel")
    excess = Decimal("99999999999") - view.settlement.assessed
    assert paid.refundable == excess
    payments = Payments(clearance)
    (refund,), total = payments.refunds(OFFICER, "pending")
    assert total == 1 and refund.amount == excess and refund.declaration == view.number
    with pytest.raises(NotYours):
        payments.decide_refund(refund.id, True, "overpaid", TRADER)
    decided = payments.decide_refund(refund.id, True, "overpaid by the bank's error", OFFICER)
    assert decided.status == "refunded" and decided.decided_by == "officer"
    after = clearance.get(view.number, TRADER)
    assert after.settlement.paid == view.settlement.assessed and after.refundable == 0
    with pytest.raises(DeclarationConflict, match="already refunded"):
        payments.decide_refund(refund.id, True, "again", OFFICER)


def test_a_superseded_notice_takes_no_payment(clearance):
    view = clearance.lodge(import_declaration(), TRADER)
    old = view.payment_notice
    cheaper = import_declaration(items=(replace(COFFEE, invoice_amount=Decimal("40000.00")),))
    amended = clearance.amend(view.number, cheaper, 1, TRADER)
    assert amended.payment_notice.reference != old.reference
    assert amended.payment_notice.amount == amended.settlement.assessed
    with pytest.raises(DeclarationConflict, match="no longer open"):
        Payments(clearance).confirm(old.reference, old.amount, "VND", "B-OLD", BANK)


def test_a_payment_in_another_currency_is_refused(clearance):
    view = clearance.lodge(import_declaration(), TRADER)
    notice = view.payment_notice
    with pytest.raises(InvalidDeclaration, match="in VND, not USD"):
        Payments(clearance).confirm(notice.reference, Decimal(100), "USD", "B-USD", BANK)


# 4. Representation -------------------------------------------------------------------


def _for_another_importer(declarant: Party, lrn="LRN-R1"):
    other = Party("VNTRADER0002", "Hanoi Coffee Roasters JSC", "VN")
    return import_declaration(lrn, declarant=declarant, importer=other, buyer=other)


def test_a_declarant_cannot_lodge_for_an_importer_it_does_not_represent(clearance, database):
    broker = Party("VNBROKER01", "Saigon Customs Brokers", "VN")
    with pytest.raises(InvalidDeclaration, match="no registered representation"):
        clearance.lodge(_for_another_importer(broker), BROKER)
    # The broker cannot register its own authority; the represented party can.
    representations = Representations(database)
    with pytest.raises(NotYours):
        representations.register(
            "VNBROKER01", "VNTRADER0002", RepresentationKind.DIRECT, date(2026, 1, 1), None,
            BROKER,
        )
    granted = representations.register(
        "VNBROKER01", "VNTRADER0002", RepresentationKind.DIRECT, date(2026, 1, 1), None,
        OTHER_TRADER,
    )
    view = clearance.lodge(_for_another_importer(broker), BROKER)
    assert clearance.get(view.number, OTHER_TRADER).number == view.number
    representations.revoke(granted.id, OTHER_TRADER)
    with pytest.raises(InvalidDeclaration, match="no registered representation"):
        clearance.lodge(_for_another_importer(broker, "LRN-R2"), BROKER)


def test_an_expired_representation_does_not_count(clearance, database):
    broker = Party("VNBROKER01", "Saigon Customs Brokers", "VN")
    yesterday = utcnow().date() - timedelta(days=1)
    Representations(database).register(
        "VNBROKER01", "VNTRADER0002", RepresentationKind.DIRECT, date(2025, 1, 1), yesterday,
        OFFICER,
    )
    with pytest.raises(InvalidDeclaration, match="no registered representation"):
        clearance.lodge(_for_another_importer(broker), BROKER)


def test_a_guarantee_is_used_only_by_its_holder_or_its_representative(clearance, database):
    guarantees = Guarantees(clearance)
    guarantees.register("GUA-OTHER", "VNTRADER0002", Decimal("900000000"), OFFICER)
    mine = clearance.lodge(import_declaration(), TRADER)
    with pytest.raises(UnknownGuarantee):
        guarantees.secure(mine.number, "GUA-OTHER", TRADER)
    assert guarantees.get("GUA-OTHER", OFFICER).in_use == 0
    Representations(database).register(
        "VNBROKER01", "VNTRADER0002", RepresentationKind.DIRECT, date(2026, 1, 1), None,
        OTHER_TRADER,
    )
    broker = Party("VNBROKER01", "Saigon Customs Brokers", "VN")
    theirs = clearance.lodge(_for_another_importer(broker), BROKER)
    secured = guarantees.secure(theirs.number, "GUA-OTHER", BROKER)
    assert secured.status is Status.RELEASED


# 5. The exchange rate ----------------------------------------------------------------


def test_the_declared_rate_must_be_customs_rate(clearance):
    with pytest.raises(InvalidDeclaration, match="customs' rate for USD") as refused:
        clearance.lodge(import_declaration(exchange_rate=Decimal("0.0001")), TRADER)
    assert refused.value.problems[0].path == "exchange_rate"
    filled = clearance.lodge(import_declaration(exchange_rate=None), TRADER)
    assert filled.declaration.exchange_rate == Decimal("25400")


def test_a_currency_customs_publishes_no_rate_for_is_refused(clearance):
    with pytest.raises(InvalidDeclaration, match="no exchange rate for XAU"):
        clearance.lodge(import_declaration(invoice_currency="XAU", exchange_rate=None), TRADER)


# 6. A proof reference alone ----------------------------------------------------------


def test_an_unverifiable_proof_waits_for_the_documentary_check(clearance):
    view = clearance.lodge(
        import_declaration(preference="ATIGA", proof_of_origin="KH-FORMD-ANY-123"), TRADER
    )
    assert view.channel is Channel.YELLOW and view.preference_pending
    assert "cannot verify electronically" in " ".join(view.selection["reasons"])
    assert view.assessment["totals"]["import_duty"] != "0"
    # It cannot be released at the MFN figure without the officer either.
    pay(clearance, view.number)
    assert clearance.get(view.number, TRADER).status is Status.CHANNELLED


# 9. Offices --------------------------------------------------------------------------


@pytest.mark.parametrize("office", ["VNXXX99", "THBKK01"])
def test_an_office_outside_the_register_is_refused(clearance, office):
    with pytest.raises(InvalidDeclaration) as refused:
        clearance.lodge(import_declaration(office=office), TRADER)
    assert [p.path for p in refused.value.problems] == ["office"]


# 10. Guarantees come back ------------------------------------------------------------


def test_paying_after_a_secured_release_discharges_the_guarantee(clearance):
    guarantees = Guarantees(clearance)
    guarantees.register("GUA-1", "VNTRADER0001", Decimal("300000000"), OFFICER)
    view = clearance.lodge(import_declaration(), TRADER)
    released = guarantees.secure(view.number, "GUA-1", TRADER)
    assert released.status is Status.RELEASED
    assert guarantees.get("GUA-1", TRADER).in_use == view.settlement.assessed
    paid = pay(clearance, view.number)
    assert paid.settlement.secured == 0 and paid.settlement.paid == view.settlement.assessed
    guarantee = guarantees.get("GUA-1", TRADER)
    assert guarantee.in_use == 0 and guarantee.available == Decimal("300000000")
    (use,) = guarantee.uses
    assert use.declaration == view.number and use.discharged == use.amount
    listed, total = guarantees.list(TRADER)
    assert total == 1 and listed[0].reference == "GUA-1"
    assert guarantees.list(OTHER_TRADER) == ([], 0)
    with pytest.raises(UnknownGuarantee):
        guarantees.get("GUA-1", OTHER_TRADER)


# 11. Smaller ones --------------------------------------------------------------------


@pytest.mark.parametrize("incoterm", ["EXW", "FCA", "FAS", "FOB"])
def test_terms_without_carriage_need_the_freight(clearance, incoterm):
    with pytest.raises(InvalidDeclaration) as refused:
        clearance.lodge(
            import_declaration(incoterm=incoterm, freight=Decimal(0), insurance=Decimal(0)),
            TRADER,
        )
    assert "freight" in [p.path for p in refused.value.problems]


def test_insurance_is_declared_under_cfr(clearance):
    view = clearance.lodge(
        import_declaration(incoterm="CFR", freight=Decimal(0), insurance=Decimal("120.00")),
        TRADER,
    )
    assert view.number


def test_litres_on_a_kilogram_line_are_refused(clearance):
    litres = replace(COFFEE, quantity_unit="l")
    with pytest.raises(InvalidDeclaration) as refused:
        clearance.lodge(import_declaration(items=(litres,)), TRADER)
    assert "items.0.quantity_unit" in [p.path for p in refused.value.problems]


def test_no_preference_is_said_granted_on_a_line_without_an_atiga_rate(clearance, database):
    from singlewindow.tariff.services import tariff_book

    book = tariff_book(database, "VN")
    on = utcnow().date()
    line = next(line for line in book.lines(on) if line.atiga is None)  # e.g. spirits
    item = replace(
        COFFEE, commodity_code=line.code, origin_country="KH", quantity_unit=line.quantity_unit,
        quantity=Decimal(1000), net_mass=Decimal(1000), gross_mass=Decimal(1200),
    )
    view = clearance.lodge(
        import_declaration(preference="ATIGA", proof_of_origin="KH-FD-9", items=(item,)), TRADER
    )
    checked = clearance.record_inspection(view.number, InspectionOutcome.NO_DISCREPANCY, OFFICER)
    notes = " ".join(checked.assessment["preference"])
    assert "no ATIGA rate" in notes and "granted" not in notes
