from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from singlewindow.declarations.errors import (
    DeclarationConflict,
    DuplicateLrn,
    InvalidDeclaration,
    NotYours,
    StaleVersion,
    UnknownDeclaration,
    UnknownGuarantee,
)
from singlewindow.declarations.model import Status
from singlewindow.declarations.repository import DeclarationEventRow, DeclarationRow
from singlewindow.declarations.settlement import Guarantees
from singlewindow.risk import services as selectivity
from singlewindow.risk.model import Channel, InspectionOutcome
from singlewindow.risk.services import RuleDraft
from tests.builders import (
    ADMIN,
    COFFEE,
    OFFICER,
    OTHER_OFFICER,
    OTHER_TRADER,
    SMARTPHONES,
    TRADER,
    import_declaration,
    pay,
)


def stored(database) -> int:
    with database.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(DeclarationRow))


def red_rule(database, prefix="0901"):
    selectivity.create_rule(
        database,
        RuleDraft("coffee check", [{"field": "commodity_code", "operator": "prefix",
                                    "value": prefix}], Channel.RED, date(2026, 1, 1)),
        "officer",
    )


def test_lodgement_numbers_assesses_and_channels(clearance):
    view = clearance.lodge(import_declaration(), TRADER)
    assert view.status is Status.CHANNELLED
    assert view.channel is Channel.GREEN
    assert view.number.startswith("VN")
    # 15 % MFN on coffee (no preference claimed), VAT 10 % on value + duty.
    value = Decimal("1097534000")
    duty = value * Decimal("0.15")
    vat = (value + duty) * Decimal("0.10")
    assert view.assessment["totals"]["import_duty"] == str(duty.quantize(Decimal(1)))
    assert view.settlement.assessed == (duty + vat).quantize(Decimal(1))
    assert view.selection["reasons"]


def test_an_invalid_declaration_stores_nothing(clearance, database):
    bad = import_declaration(items=(replace(COFFEE, quantity=Decimal(-5)),),
                             invoice_currency="XYZ")
    with pytest.raises(InvalidDeclaration) as raised:
        clearance.lodge(bad, TRADER)
    assert {p.path for p in raised.value.problems} >= {"items.0.quantity", "invoice_currency"}
    assert stored(database) == 0


def test_the_quantity_must_be_in_the_tariff_lines_unit(clearance):
    phones = replace(SMARTPHONES, quantity_unit="kg", sequence=1)
    with pytest.raises(InvalidDeclaration) as raised:
        clearance.lodge(import_declaration(items=(phones,)), TRADER)
    assert raised.value.problems[0].path == "items.0.quantity_unit"


def test_a_batch_with_one_bad_declaration_stores_none(clearance, database):
    good = import_declaration("LRN-A")
    bad = import_declaration("LRN-B", items=(replace(COFFEE, commodity_code="12345678"),))
    with pytest.raises(InvalidDeclaration) as raised:
        clearance.lodge_many([good, bad], TRADER)
    assert raised.value.problems[0].path == "1.items.0.commodity_code"
    assert stored(database) == 0


def test_an_lrn_is_lodged_once(clearance, database):
    clearance.lodge(import_declaration("LRN-1"), TRADER)
    with pytest.raises(DuplicateLrn):
        clearance.lodge(import_declaration("LRN-1"), TRADER)
    assert stored(database) == 1


def test_a_trader_lodges_only_as_itself(clearance):
    with pytest.raises(NotYours):
        clearance.lodge(import_declaration(), OTHER_TRADER)


def test_preference_only_with_proof_and_asean_origin(clearance):
    atiga = clearance.lodge(
        import_declaration("LRN-P", preference="ATIGA", proof_of_origin="KH-FD-1"), TRADER
    )
    # Off a network the proof cannot be verified: MFN until the documentary check accepts it.
    assert atiga.preference_pending and atiga.channel is Channel.YELLOW
    assert atiga.assessment["totals"]["import_duty"] != "0"
    assert "pending" in atiga.assessment["preference"][0]
    checked = clearance.record_inspection(atiga.number, InspectionOutcome.NO_DISCREPANCY, OFFICER)
    assert checked.assessment["totals"]["import_duty"] == "0"
    assert checked.assessment["items"][0]["duties"][0]["preferential"] is True
    assert not checked.preference_pending
    chinese = replace(COFFEE, origin_country="CN")
    refused = clearance.lodge(
        import_declaration("LRN-Q", preference="ATIGA", proof_of_origin="X-1",
                           items=(chinese,)), TRADER)
    assert refused.assessment["totals"]["import_duty"] != "0"
    assert "refused" in refused.assessment["preference"][0]


def test_payment_releases_a_green_declaration(clearance):
    view = clearance.lodge(import_declaration(), TRADER)
    half = (view.settlement.assessed / 2).quantize(Decimal(1))
    partly = pay(clearance, view.number, half, "BANK-1")
    assert partly.status is Status.CHANNELLED
    assert partly.settlement.outstanding == view.settlement.assessed - half
    assert partly.payment_notice.amount == partly.settlement.outstanding
    paid = pay(clearance, view.number, reference="BANK-2")
    assert paid.status is Status.RELEASED
    assert paid.released_at is not None
    assert paid.released_by.startswith("rule: green channel")
    assert paid.payment_notice is None


def test_a_bank_reference_is_recorded_once(clearance):
    view = clearance.lodge(import_declaration(), TRADER)
    pay(clearance, view.number, Decimal(1000), "BANK-1")
    with pytest.raises(DeclarationConflict, match="already confirmed"):
        pay(clearance, view.number, Decimal(1000), "BANK-1")


def test_a_guarantee_secures_the_duties(clearance):
    guarantees = Guarantees(clearance)
    guarantees.register("GUA-1", "VNTRADER0001", Decimal("300000000"), ADMIN)
    view = clearance.lodge(import_declaration(), TRADER)
    secured = guarantees.secure(view.number, "GUA-1", TRADER)
    assert secured.status is Status.RELEASED
    assert secured.settlement.secured == view.settlement.assessed
    second = clearance.lodge(import_declaration("LRN-2"), TRADER)
    with pytest.raises(DeclarationConflict, match="available"):
        guarantees.secure(second.number, "GUA-1", TRADER)
    with pytest.raises(UnknownGuarantee):
        guarantees.secure(second.number, "GUA-NONE", TRADER)


def test_red_channel_waits_for_the_officer(clearance, database):
    red_rule(database)
    view = clearance.lodge(import_declaration(), TRADER)
    assert view.channel is Channel.RED
    assert "coffee check" in view.selection["reasons"][0]
    pay(clearance, view.number)
    assert clearance.get(view.number, TRADER).status is Status.CHANNELLED
    with pytest.raises(DeclarationConflict, match="inspection"):
        clearance.release(view.number, OFFICER)
    with pytest.raises(NotYours):
        clearance.record_inspection(view.number, InspectionOutcome.NO_DISCREPANCY, TRADER)
    done = clearance.record_inspection(view.number, InspectionOutcome.NO_DISCREPANCY, OFFICER)
    assert done.status is Status.RELEASED


def test_a_discrepancy_corrects_data_and_duties_and_feeds_the_hit_rate(clearance, database):
    red_rule(database)
    view = clearance.lodge(import_declaration(), TRADER)
    corrected = import_declaration(items=(replace(COFFEE, invoice_amount=Decimal("84480.00")),))
    inspected = clearance.record_inspection(
        view.number, InspectionOutcome.DISCREPANCY, OFFICER, "invoice undervalued by half",
        corrected)
    assert inspected.status is Status.INSPECTED
    assert inspected.version == 2
    assert inspected.settlement.assessed > view.settlement.assessed
    rules, _ = selectivity.list_rules(database)
    stats = rules[0].statistics
    assert (stats.selections, stats.inspected, stats.findings) == (1, 1, 1)
    assert stats.hit_rate == 1.0
    released = pay(clearance, view.number, reference="B-9")
    assert released.status is Status.RELEASED


def test_a_discrepancy_needs_the_corrected_declaration(clearance, database):
    red_rule(database)
    view = clearance.lodge(import_declaration(), TRADER)
    with pytest.raises(InvalidDeclaration):
        clearance.record_inspection(view.number, InspectionOutcome.DISCREPANCY, OFFICER)


def test_a_seizure_ends_the_declaration(clearance, database):
    red_rule(database)
    view = clearance.lodge(import_declaration(), TRADER)
    seized = clearance.record_inspection(view.number, InspectionOutcome.SEIZURE, OFFICER,
                                         "undeclared cigarettes")
    assert seized.status is Status.SEIZED
    with pytest.raises(DeclarationConflict):
        clearance.release(view.number, OFFICER)


def test_amendments_keep_versions_and_refuse_stale_copies(clearance):
    view = clearance.lodge(import_declaration(), TRADER)
    more = import_declaration(items=(COFFEE, SMARTPHONES))
    amended = clearance.amend(view.number, more, 1, TRADER)
    assert amended.version == 2
    assert amended.settlement.assessed > view.settlement.assessed
    with pytest.raises(StaleVersion):
        clearance.amend(view.number, import_declaration(), 1, TRADER)
    versions = clearance.versions(view.number, TRADER)
    assert [v for v, _, _ in versions] == [1, 2]
    assert len(versions[0][1].items) == 1 and len(versions[1][1].items) == 2


def test_an_amendment_cannot_change_the_lrn_or_escape_a_selection(clearance, database):
    view = clearance.lodge(import_declaration(), TRADER)
    with pytest.raises(InvalidDeclaration):
        clearance.amend(view.number, import_declaration("OTHER"), 1, TRADER)
    red_rule(database, prefix="8517")
    phones = replace(SMARTPHONES, sequence=1)
    amended = clearance.amend(view.number, import_declaration(items=(phones,)), 1, TRADER)
    assert amended.channel is Channel.RED
    # Once selected, the declarant amends no more, whatever it would change.
    with pytest.raises(DeclarationConflict, match="only an officer corrects"):
        clearance.amend(view.number, import_declaration(), 2, TRADER)


def test_released_declarations_are_not_amended_or_cancelled(clearance):
    view = clearance.lodge(import_declaration(), TRADER)
    pay(clearance, view.number)
    with pytest.raises(DeclarationConflict):
        clearance.amend(view.number, import_declaration(), 1, TRADER)
    with pytest.raises(DeclarationConflict):
        clearance.cancel(view.number, "changed my mind", TRADER)


def test_cancellation_gives_back_the_guarantee(clearance, database):
    red_rule(database)
    guarantees = Guarantees(clearance)
    guarantees.register("GUA-1", "VNTRADER0001", Decimal("300000000"), ADMIN)
    view = clearance.lodge(import_declaration(), TRADER)
    guarantees.secure(view.number, "GUA-1", TRADER)
    cancelled = clearance.cancel(view.number, "wrong consignment", OFFICER)
    assert cancelled.status is Status.CANCELLED
    assert guarantees.get("GUA-1", TRADER).in_use == 0
    again = clearance.lodge(import_declaration("LRN-2"), TRADER)
    assert guarantees.secure(again.number, "GUA-1", TRADER).settlement.outstanding == 0


def test_the_event_log_says_who_did_what(clearance, database):
    red_rule(database)
    view = clearance.lodge(import_declaration(), TRADER)
    pay(clearance, view.number)
    clearance.record_inspection(view.number, InspectionOutcome.NO_DISCREPANCY, OFFICER)
    events = clearance.events(view.number, OFFICER)
    assert [e.kind for e in events] == [
        "lodged", "accepted", "assessed", "channelled", "paid", "inspected", "released"
    ]
    assert events[0].actor == "trader" and events[4].actor == "bank"
    assert events[5].actor == "officer"
    # No person released it: the rule did, once the officer's result and the payment were in.
    assert events[-1].actor == "customs-system"
    assert events[-1].detail["by"].startswith("rule: inspection result recorded")
    assert events[4].detail["bank_reference"] == "B-1"
    with database.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(DeclarationEventRow)) == 7


def test_each_reader_sees_only_what_is_theirs(clearance):
    view = clearance.lodge(import_declaration(), TRADER)
    assert clearance.get(view.number, OFFICER).number == view.number
    assert clearance.get(view.number, ADMIN).number == view.number
    for outsider in (OTHER_TRADER, OTHER_OFFICER):
        with pytest.raises(UnknownDeclaration):
            clearance.get(view.number, outsider)
        assert clearance.list(outsider) == ([], 0)
    views, total = clearance.list(TRADER)
    assert total == 1 and views[0].number == view.number


def test_lists_are_paginated_and_filtered(clearance, database):
    red_rule(database, prefix="8517")
    for n in range(5):
        clearance.lodge(import_declaration(f"LRN-{n}"), TRADER)
    clearance.lodge(import_declaration("LRN-PH", items=(replace(SMARTPHONES, sequence=1),)),
                    TRADER)
    page, total = clearance.list(OFFICER, limit=2, offset=0)
    assert total == 6 and len(page) == 2
    red, total_red = clearance.list(OFFICER, channel=Channel.RED)
    assert total_red == 1 and red[0].declaration.lrn == "LRN-PH"


def test_numbers_are_unique_and_consecutive(clearance):
    views = clearance.lodge_many([import_declaration(f"LRN-{n}") for n in range(3)], TRADER)
    serials = [int(v.number[-9:-1]) for v in views]
    assert serials == [serials[0], serials[0] + 1, serials[0] + 2]
    assert len({v.number for v in views}) == 3
