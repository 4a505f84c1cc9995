"""The green room on a real database, as clearance asks it: a waste import stopped with the
rule that stopped it and nothing stored, one that passes taking its consent's kilograms in
the lodgement's transaction, given back on cancellation, taken again on amendment; the
consent's use never over its quantity, even with lodgements racing (PostgreSQL, threads)."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from singlewindow.core.clock import utcnow
from singlewindow.core.errors import Forbidden
from singlewindow.declarations.errors import InvalidDeclaration
from singlewindow.declarations.repository import DeclarationRow
from singlewindow.declarations.services import Clearance
from singlewindow.green.errors import ConsentConflict, InvalidConsent, InvalidRule
from singlewindow.green.model import CountryRule, RuleKind
from singlewindow.green.repository import ConsentRow, take
from singlewindow.green.services import Green
from tests.builders import ADMIN, OFFICER, TRADER, import_declaration
from tests.green.builders import consent, waste_import


@pytest.fixture
def green(database) -> Green:
    return Green(database, "VN")


@pytest.fixture
def lodging(clearance, green, database) -> Clearance:
    """Viet Nam's clearance with the green room as its restriction."""
    return Clearance(database, "VN", restrictions=[green], selectivity=clearance.selectivity,
                     tariff=clearance.tariff)


def current(**changes):
    today = utcnow().date()
    return consent(valid_from=today - timedelta(days=30), valid_to=today + timedelta(days=180),
                   **changes)


def stored(database) -> int:
    with database.unit_of_work() as session:
        return int(session.scalar(select(func.count()).select_from(DeclarationRow)) or 0)


def used(database, reference="VN-2026-0042") -> Decimal:
    with database.unit_of_work() as session:
        return Decimal(session.get(ConsentRow, reference).used)


def refusal(lodging, declaration) -> list[str]:
    with pytest.raises(InvalidDeclaration) as refused:
        lodging.lodge(declaration, TRADER)
    return [p.message for p in refused.value.problems]


def test_plastic_waste_without_consent_is_stopped_and_nothing_is_stored(lodging, green, database):
    assert refusal(lodging, waste_import(basel_code=None, waste_consent=None)) == [
        "item 1: HS 391590 is waste: a Basel code is needed"]
    assert refusal(lodging, waste_import()) == [
        "item 1: no consent VN-2026-0042 was recorded by VN's competent authority"]
    assert stored(database) == 0
    assert green.figures().stopped == 2 and green.figures().passed == 0
    # the console's check says the same, and counts nothing
    assert [p.message for p in lodging.check(waste_import(), TRADER)] == [
        "item 1: no consent VN-2026-0042 was recorded by VN's competent authority"]
    assert green.figures().stopped == 2


def test_with_consent_it_passes_until_the_quantity_is_used_up(lodging, green, database):
    green.record_consent(current(), OFFICER)
    first = lodging.lodge(waste_import("LRN-W1", kg="6000"), TRADER)
    assert used(database) == 6000
    assert refusal(lodging, waste_import("LRN-W2", kg="4001")) == [
        "item 1: consent VN-2026-0042 is used up: 4,000 kg left, 4,001 kg declared"]
    last = lodging.lodge(waste_import("LRN-W3", kg="4000"), TRADER)
    assert used(database) == 10000
    view = green.consent("VN-2026-0042", OFFICER)
    assert [(u.declaration, u.kg) for u in view.uses] == [
        (first.number, Decimal(6000)), (last.number, Decimal(4000))]
    assert green.figures().passed == 2 and green.figures().stopped == 1
    assert stored(database) == 2
    # the declaration keeps the Basel data it was lodged with
    item = lodging.get(first.number, OFFICER).declaration.items[0]
    assert (item.basel_code, item.waste_consent) == ("Y48", "VN-2026-0042")


def test_a_cancelled_shipment_gives_its_kilograms_back(lodging, green, database):
    green.record_consent(current(), OFFICER)
    view = lodging.lodge(waste_import("LRN-W1", kg="10000"), TRADER)
    lodging.cancel(view.number, "the vessel was not loaded", TRADER)
    assert used(database) == 0
    assert green.consent("VN-2026-0042", OFFICER).uses[0].returned_at is not None
    lodging.lodge(waste_import("LRN-W2", kg="10000"), TRADER)
    assert used(database) == 10000


def test_an_amendment_takes_again_what_its_new_version_declares(lodging, green, database):
    green.record_consent(current(), OFFICER)
    view = lodging.lodge(waste_import("LRN-W1", kg="6000"), TRADER)
    lodging.amend(view.number, waste_import("LRN-W1", kg="9000"), view.version, TRADER)
    assert used(database) == 9000
    with pytest.raises(InvalidDeclaration, match="10,000 kg left, 10,001 kg declared"):
        lodging.amend(view.number, waste_import("LRN-W1", kg="10001"), view.version + 1, TRADER)
    assert used(database) == 9000  # the refused amendment changed nothing


def test_a_batch_with_one_refused_waste_declaration_stores_none(lodging, green, database):
    green.record_consent(current(), OFFICER)
    with pytest.raises(InvalidDeclaration) as refused:
        lodging.lodge_many([waste_import("LRN-B1", kg="6000"),
                            waste_import("LRN-B2", kg="6000", basel_code="B3011")], TRADER)
    assert {p.path for p in refused.value.problems} >= {"1.items.0.recycling_attestation"}
    assert stored(database) == 0 and used(database) == 0


def test_a_batch_whose_items_together_exceed_the_consent_is_refused_when_stored(
        lodging, green, database):
    green.record_consent(current(), OFFICER)
    with pytest.raises(InvalidDeclaration, match="used up: 4,000 kg left, 6,000 kg declared"):
        lodging.lodge_many([waste_import("LRN-B1", kg="6000"),
                            waste_import("LRN-B2", kg="6000")], TRADER)
    assert stored(database) == 0 and used(database) == 0


def test_a_revoked_consent_takes_no_more_shipments(lodging, green, database):
    green.record_consent(current(), OFFICER)
    green.revoke("VN-2026-0042", "the facility lost its licence", OFFICER)
    assert refusal(lodging, waste_import()) == ["item 1: consent VN-2026-0042 was revoked"]
    with pytest.raises(ConsentConflict):
        green.revoke("VN-2026-0042", "again", OFFICER)


def test_a_country_rule_stops_what_a_consent_allows(lodging, green):
    green.record_consent(current(), OFFICER)
    today = utcnow().date()
    green.add_rule(CountryRule("y48-ban", RuleKind.BAN, today, basel_code="Y48"), ADMIN)
    assert refusal(lodging, waste_import()) == [
        f"item 1: banned in VN from {today}: Y48 imports (rule y48-ban)"]
    green.end_rule("y48-ban", today - timedelta(days=0), ADMIN)
    assert refusal(lodging, waste_import()) != []  # in force through its last day


def test_the_sample_rules_are_marked_and_set_once(green):
    assert green.ensure_sample_rules() == 2
    assert green.ensure_sample_rules() == 0
    assert all(v.rule.sample and v.rule.id.startswith("sample-") for v in green.rules())


def test_who_records_what(green):
    with pytest.raises(Forbidden):
        green.record_consent(current(), TRADER)
    with pytest.raises(Forbidden):
        green.consents(TRADER)
    with pytest.raises(Forbidden):
        green.add_rule(CountryRule("r", RuleKind.BAN, utcnow().date()), OFFICER)
    green.record_consent(current(), OFFICER)
    with pytest.raises(InvalidConsent, match="already recorded"):
        green.record_consent(current(), OFFICER)
    with pytest.raises(InvalidRule):
        green.add_rule(CountryRule("r", RuleKind.MAX_CONTAMINATION, utcnow().date()), ADMIN)


def test_the_conditional_update_lets_one_of_two_transactions_take_the_last_kilograms(
        green, database):
    """Two transactions at once: the second waits for the first's row lock and, once it
    commits, finds the sum over the quantity (PostgreSQL's READ COMMITTED re-reads the row)."""
    green.record_consent(current(), OFFICER)
    if database.engine.dialect.name != "postgresql":
        pytest.skip("the row lock between two connections is PostgreSQL's")
    first_took = threading.Event()
    results: dict[str, bool] = {}

    def first() -> None:
        with database.unit_of_work() as session:
            results["first"] = take(session, "VN-2026-0042", Decimal(6000))
            first_took.set()
            threading.Event().wait(0.5)  # hold the lock while the second tries

    def second() -> None:
        first_took.wait(5)
        with database.unit_of_work() as session:
            results["second"] = take(session, "VN-2026-0042", Decimal(6000))

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert results == {"first": True, "second": False}
    assert used(database) == 6000


def test_racing_lodgements_never_take_more_than_the_consent(lodging, green, database):
    green.record_consent(current(), OFFICER)
    outcomes: list[str] = []
    start = threading.Barrier(6)

    def lodge(n: int) -> None:
        start.wait(5)
        try:
            lodging.lodge(waste_import(f"LRN-RACE-{n}", kg="3000"), TRADER)
            outcomes.append("passed")
        except InvalidDeclaration:
            outcomes.append("stopped")

    threads = [threading.Thread(target=lodge, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes) == ["passed"] * 3 + ["stopped"] * 3
    assert used(database) == 9000 and stored(database) == 3


def test_an_amendment_without_the_waste_gives_its_kilograms_back(lodging, green, database):
    green.record_consent(current(), OFFICER)
    view = lodging.lodge(waste_import("LRN-W1", kg="6000"), TRADER)
    coffee = import_declaration("LRN-W1")
    lodging.amend(view.number, replace(coffee, exporter=waste_import().exporter),
                  view.version, TRADER)
    assert used(database) == 0
    assert green.figures().passed == 1  # the shipment was lodged as waste once
