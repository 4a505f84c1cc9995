"""The e-commerce room on a real database (SQLite, and PostgreSQL when given): manifests of
thousands of parcels, consolidation, following a parcel, what one platform may see of
another's, officers' decisions and the records they feed, a dishonest platform's tries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

import pytest

from singlewindow.access.model import Principal, Role
from singlewindow.core.db import Database
from singlewindow.core.errors import Forbidden, NotFound
from singlewindow.declarations.lifecycle import RepresentationKind
from singlewindow.declarations.representation import Representations
from singlewindow.ecommerce.errors import DecisionConflict, InvalidManifest
from singlewindow.ecommerce.model import Decision, DeMinimis, PartyKind, Verdict
from singlewindow.ecommerce.services import Ecommerce
from tests.ecommerce.builders import (
    ADMIN,
    JSONL,
    MARKET,
    NOW,
    OFFICER,
    PLATFORM,
    SHOP,
    as_csv,
    jsonl,
    known_sellers,
    parcel,
    room,
)

SELLERS = [f"Seller {n}" for n in range(7)]


@pytest.fixture
def service(database: Database) -> Ecommerce:
    service = room(database)
    known_sellers(service, SELLERS)
    return service


def test_a_manifest_of_ten_thousand_parcels_answers_each(service: Ecommerce) -> None:
    body = jsonl(parcel(n, value="50.00" if n % 10 == 0 else "20.00") for n in range(10_000))
    result = service.submit(body, JSONL, SHOP, now=NOW)
    assert len(result.results) == 10_000 and result.manifest.parcels == 10_000
    assert [r.line for r in result.results] == list(range(1, 10_001))
    assert {r.status for r in result.results} == {Verdict.RELEASED}
    # 1,000 parcels of 50 USD (1,270,000 VND) are above the sample thresholds: 10 % duty, then
    # 10 % VAT on value and duty.
    assert result.manifest.due.duty == Decimal(127_000) * 1000
    assert result.manifest.due.vat == Decimal(139_700) * 1000
    page, total = service.parcels(result.manifest.id, SHOP, limit=5, offset=9_995)
    assert total == 10_000 and [p.line for p in page] == [9_996, 9_997, 9_998, 9_999, 10_000]
    assert page[-1].reasons is None  # the platform never sees customs' reasons


def test_a_malformed_line_rejects_that_parcel_only(service: Ecommerce) -> None:
    body = jsonl([parcel(1), "{not json", parcel(3, currency="EURO"), parcel(4, origin="ZZ"),
                  parcel(5)])
    result = service.submit(body, JSONL, SHOP, now=NOW)
    assert [r.order_reference for r in result.results] == ["ORD-000001", "ORD-000005"]
    rejected = {r.line: r for r in result.manifest.rejected if not isinstance(r, dict)}
    assert set(rejected) == {2, 3, 4}
    assert rejected[3].problems[0].path == "lines.3.currency"
    assert rejected[4].problems[0].path == "lines.4.origin"
    assert result.manifest.counts == {"released": 2, "rejected": 3}


def test_a_manifest_without_a_valid_parcel_is_refused_and_nothing_kept(
        service: Ecommerce) -> None:
    with pytest.raises(InvalidManifest) as refused:
        service.submit(jsonl([parcel(1, quantity=-1), "[]"]), JSONL, SHOP, now=NOW)
    assert {p.path for p in refused.value.problems} == {"lines.1.quantity", "lines.2"}
    assert service.manifests(SHOP)[1] == 0
    with pytest.raises(InvalidManifest):
        service.submit(b"", JSONL, SHOP, now=NOW)
    with pytest.raises(InvalidManifest):
        service.submit(jsonl([parcel(1)]), "application/xml", SHOP, now=NOW)


def test_a_csv_manifest_is_read_by_its_header(service: Ecommerce) -> None:
    rows = [parcel(1, code="03011100", courier="Fast Post"), parcel(2)]
    result = service.submit(as_csv(rows), "text/csv; charset=utf-8", SHOP, now=NOW)
    first, second = result.results
    assert (first.code, first.courier, second.code) == ("03011100", "Fast Post", None)
    assert "national line 03011100" in first.basis
    with pytest.raises(InvalidManifest) as refused:
        service.submit(b"order_reference,seller\nA,B\n", "text/csv", SHOP, now=NOW)
    assert refused.value.problems[0].path == "lines.1"


def test_duties_are_consolidated_per_manifest_and_per_platform(service: Ecommerce) -> None:
    one = service.submit(jsonl([parcel(1, value="100"), parcel(2)]), JSONL, SHOP, now=NOW)
    two = service.submit(jsonl([parcel(3, value="100")]), JSONL, SHOP,
                         now=NOW + timedelta(days=1))
    service.submit(jsonl([parcel(9, value="100")]), JSONL, MARKET, now=NOW)
    assert service.manifest(one.manifest.id, SHOP).due.total == Decimal(254_000 + 279_400)
    assert two.manifest.due.parcels == 1
    week = service.consolidated(SHOP, None, NOW.date(), NOW.date() + timedelta(days=6))
    assert week.parcels == 3 and week.total == 2 * Decimal(254_000 + 279_400)
    day = service.consolidated(OFFICER, PLATFORM, NOW.date(), NOW.date())
    assert day.parcels == 2


def test_a_parcel_is_followed_by_its_order_reference_by_its_platform_only(
        service: Ecommerce) -> None:
    service.submit(jsonl([parcel(1)]), JSONL, SHOP, now=NOW)
    service.submit(jsonl([parcel(1, seller="Unknown Shop")]), JSONL, MARKET, now=NOW)
    (own,) = service.follow("ORD-000001", SHOP)
    assert own.platform == PLATFORM and own.reasons is None
    assert len(service.follow("ORD-000001", OFFICER)) == 2
    with pytest.raises(NotFound):
        service.follow("ORD-000001", MARKET, platform=PLATFORM)
    with pytest.raises(NotFound):
        service.parcel(own.id, MARKET)
    with pytest.raises(NotFound):
        service.manifest(own.manifest_id, MARKET)
    assert service.manifests(MARKET, platform=PLATFORM) == ([], 0)
    with pytest.raises(Forbidden):
        service.held(SHOP)


def test_an_officer_decides_a_held_parcel_and_the_records_learn(service: Ecommerce) -> None:
    result = service.submit(jsonl([parcel(1, seller="New Seller", courier="Fast Post"),
                                   parcel(2, seller="New Seller")]), JSONL, SHOP, now=NOW)
    first, second = result.results
    assert first.status is Verdict.HELD_DOCUMENTS and first.documents
    held, total = service.held(OFFICER)
    assert total == 2 and any("unknown to customs" in r for r in held[0].reasons or ())
    released = service.decide(first.id, Decision.DOCUMENTS_ACCEPTED, OFFICER, "invoice seen")
    assert released.status is Verdict.RELEASED and released.decided_by == "officer"
    with pytest.raises(DecisionConflict):
        service.decide(first.id, Decision.FOUND, OFFICER)
    refused = service.decide(second.id, Decision.FOUND, OFFICER, "counterfeit")
    assert refused.status is Verdict.REJECTED
    seller = service.history(PartyKind.SELLER, "New Seller")
    assert (seller.inspected, seller.irregular) == (2, 1)
    assert service.history(PartyKind.COURIER, "fast post").inspected == 1
    assert service.history(PartyKind.PLATFORM, PLATFORM).irregular == 1
    with pytest.raises(Forbidden):
        service.decide(second.id, Decision.NOTHING_FOUND, SHOP)


def test_re_sending_an_order_reference_neither_counts_it_twice_nor_splits_it(
        service: Ecommerce) -> None:
    first = service.submit(jsonl([parcel(1, value="30")]), JSONL, SHOP, now=NOW)
    assert first.manifest.due.total == 0  # 762,000 VND: under the thresholds
    with pytest.raises(InvalidManifest) as refused:
        service.submit(jsonl([parcel(1, value="10"), parcel(1, value="5")]), JSONL, SHOP,
                       now=NOW + timedelta(hours=1))
    assert [p.path for p in refused.value.problems] == ["lines.1.order_reference",
                                                        "lines.2.order_reference"]
    assert all("already declared" in p.message for p in refused.value.problems)
    mixed = service.submit(jsonl([parcel(1, value="1"), parcel(5)]), JSONL, SHOP,
                           now=NOW + timedelta(hours=1))
    assert [r.order_reference for r in mixed.results] == ["ORD-000005"]
    # The rest of the order under new references is one consignment with the first part.
    rest = service.submit(jsonl([parcel(2, buyer="Buyer 1", seller="Seller 1", value="30")]),
                          JSONL, SHOP, now=NOW + timedelta(hours=2))
    (part,) = rest.results
    assert part.split_with == ("ORD-000001",) and part.duty == Decimal(152_400)
    assert service.consolidated(SHOP, None, NOW.date(), NOW.date()).parcels == 3


def test_a_whole_manifest_sent_twice_is_refused_the_second_time(service: Ecommerce) -> None:
    body = jsonl(parcel(n) for n in range(50))
    service.submit(body, JSONL, SHOP, now=NOW)
    with pytest.raises(InvalidManifest):
        service.submit(body, JSONL, SHOP, now=NOW)
    assert service.consolidated(SHOP, None, NOW.date(), NOW.date()).parcels == 50


def test_a_representative_submits_for_its_platform_and_nobody_else_may(
        database: Database, service: Ecommerce) -> None:
    broker = Principal("broker", Role.TRADER, party_id="VNBROKER01")
    with pytest.raises(Forbidden):
        service.submit(jsonl([parcel(1)]), JSONL, broker, platform=PLATFORM, now=NOW)
    Representations(database).register("VNBROKER01", PLATFORM, RepresentationKind.DIRECT,
                                       date(2026, 1, 1), None, SHOP)
    result = service.submit(jsonl([parcel(1)]), JSONL, broker, platform=PLATFORM, now=NOW)
    assert result.manifest.platform == PLATFORM
    assert service.follow("ORD-000001", broker, platform=PLATFORM)[0].platform == PLATFORM
    with pytest.raises(Forbidden):
        service.submit(jsonl([parcel(2)]), JSONL, OFFICER, now=NOW)


def test_a_doubtful_code_holds_its_parcel_for_documents(database: Database) -> None:
    asked: list[Sequence[tuple[str, str]]] = []

    def doubts(pairs: Sequence[tuple[str, str]]) -> list[str | None]:
        asked.append(pairs)
        return ["the description reads as 6109.10 (T-shirts)" if code.startswith("0301")
                else None for _, code in pairs]

    service = room(database, code_doubts=doubts)
    known_sellers(service, SELLERS)
    result = service.submit(jsonl([parcel(1, code="03011100"), parcel(2), parcel(3,
                            code="030242")]), JSONL, SHOP, now=NOW)
    assert [r.status for r in result.results] == [Verdict.HELD_DOCUMENTS, Verdict.RELEASED,
                                                  Verdict.RELEASED]
    assert len(asked) == 1 and len(asked[0]) == 2  # asked once, for the coded parcels
    assert result.manifest.codes_checked
    (held,) = service.held(OFFICER)[0]
    assert any("6109.10" in r for r in held.reasons or ())


def test_the_admin_sets_the_de_minimis_rule(service: Ecommerce) -> None:
    rule = DeMinimis("VN", "VND", Decimal(100_000), Decimal(0), Decimal(5), Decimal(10),
                     NOW.date())
    with pytest.raises(Forbidden):
        service.set_rule(rule, OFFICER)
    service.set_rule(rule, ADMIN)
    result = service.submit(jsonl([parcel(1, value="5")]), JSONL, SHOP, now=NOW)
    assert result.results[0].duty == Decimal(6_350)  # 5 % of 127,000 VND
    later = DeMinimis("VN", "VND", Decimal(1), Decimal(1), Decimal(1), Decimal(1),
                      NOW.date() + timedelta(days=10))
    service.set_rule(later, ADMIN)
    rules = [r for r in service.rules() if not r.sample]
    assert rules[0].valid_to == NOW.date() + timedelta(days=9)
    with pytest.raises(InvalidManifest):
        service.set_rule(rule, ADMIN)  # would overlap the later one


def test_a_rule_s_hit_on_a_parcel_and_its_result_count_in_risk_s_history(
        database: Database, service: Ecommerce) -> None:
    from sqlalchemy import select

    from singlewindow.risk import services as risk
    from singlewindow.risk.model import Channel
    from singlewindow.risk.repository import SelectionRow

    risk.create_rule(database, risk.RuleDraft(
        "couriers we watch", [{"field": "courier", "operator": "eq", "value": "Risky Express"}],
        Channel.RED, date(2026, 1, 1)), "admin")
    service.selectivity.refresh()
    result = service.submit(jsonl([parcel(1, courier="Risky Express"), parcel(2)]), JSONL, SHOP,
                            now=NOW)
    watched, other = result.results
    assert (watched.status, other.status) == (Verdict.HELD_INSPECTION, Verdict.RELEASED)
    service.decide(watched.id, Decision.FOUND, OFFICER, "undervalued")
    with database.unit_of_work() as session:
        rows = session.scalars(select(SelectionRow)).all()
        assert [(r.subject_ref, r.subject_kind, r.outcome) for r in rows] == [
            (watched.id, "parcel", "discrepancy")]
