"""The rules of low-value consignments, without a database: a parcel's checks with their line
numbers, de minimis at its boundaries, split orders, screening and decisions."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from singlewindow.ecommerce.model import (
    Decision,
    DeMinimis,
    Earlier,
    Parcel,
    PartyHistory,
    PartyKind,
    RejectedLine,
    Verdict,
    assess,
    check_parcel,
    de_minimis_problems,
    decision_refusal,
    history_channel,
    rule_on,
    sample_de_minimis,
    screen,
    subject_of,
)
from singlewindow.reference.model import ExchangeRate
from singlewindow.risk.model import Channel, Criterion, Operator, RiskRule, SelectivityPolicy
from tests.ecommerce.builders import parcel

AT = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
TODAY = AT.date()
VND = ExchangeRate("VND", "VND", Decimal(1), date(2020, 1, 1), date(2030, 12, 31))
USD = ExchangeRate("USD", "VND", Decimal(25400), date(2020, 1, 1), date(2030, 12, 31))
# Duty above 1,000 VND, VAT above 500 VND: both thresholds tested on both sides.
RULE = DeMinimis("VN", "VND", Decimal(1000), Decimal(500), Decimal(10), Decimal(8),
                 date(2026, 1, 1))


def checked(n: int = 1, line: int = 2, **changes: object) -> Parcel:
    result = check_parcel(parcel(n, **changes), line, "VNSHOP0001")
    assert isinstance(result, Parcel), result
    return result


def in_vnd(value: str, **changes: object) -> Parcel:
    """A parcel in dong of one buyer from one seller (unless told)."""
    return checked(**({"buyer": "Nguyen Van A", "seller": "Shop One", "value": value,
                       "currency": "VND"} | changes))


def earlier_of(p: Parcel, assessed_at: datetime, rate: ExchangeRate = VND) -> Earlier:
    a = assess(p, rate, RULE, None, [], assessed_at)
    return Earlier(p.order_reference, p.buyer_key, p.seller_key, p.goods_key, None,
                   assessed_at, a.value_national, a.duty_if_due, a.vat_if_due, a.duty, a.vat)


# -- checks ---------------------------------------------------------------------------------


def test_a_well_formed_line_is_a_parcel_with_its_line_number() -> None:
    p = checked(7, line=9, code="0301.11.00", courier="Fast Post")
    assert (p.line, p.order_reference, p.code, p.courier) == (9, "ORD-000007", "03011100",
                                                              "Fast Post")
    assert p.value == Decimal("20.00") and p.quantity == 1


def test_a_malformed_line_is_rejected_with_its_number_and_every_reason() -> None:
    result = check_parcel(parcel(3, quantity="two", seller=" ", value="1e999x",
                                 colour="red"), 14, "P")
    assert isinstance(result, RejectedLine)
    assert result.line == 14 and result.order_reference == "ORD-000003"
    paths = {p.path for p in result.problems}
    assert {"lines.14.quantity", "lines.14.seller", "lines.14.value", "lines.14"} <= paths
    assert any("colour" in p.message for p in result.problems)


def test_a_currency_or_country_that_is_not_iso_is_an_error_on_that_parcel() -> None:
    result = check_parcel(parcel(1, currency="USX", origin="XX"), 5, "P")
    assert isinstance(result, RejectedLine)
    messages = {p.path: p.message for p in result.problems}
    assert "ISO 4217" in messages["lines.5.currency"]
    assert "ISO 3166" in messages["lines.5.origin"]
    lower = check_parcel(parcel(1, currency="usd"), 6, "P")
    assert isinstance(lower, RejectedLine)


def test_values_are_bounded_and_have_the_currency_s_decimals() -> None:
    for bad in ("-1", "1000000000", "1.001", "NaN", "12,5"):
        result = check_parcel(parcel(1, value=bad), 2, "P")
        assert isinstance(result, RejectedLine), bad
        assert result.problems[0].path == "lines.2.value"
    vnd = check_parcel(parcel(1, value="10.5", currency="VND"), 2, "P")
    assert isinstance(vnd, RejectedLine)  # the dong has no minor unit
    assert isinstance(check_parcel(parcel(1, quantity=0), 2, "P"), RejectedLine)
    assert isinstance(check_parcel(parcel(1, description="x" * 513), 2, "P"), RejectedLine)
    assert isinstance(check_parcel(parcel(1, seller="a\x00b"), 2, "P"), RejectedLine)
    assert isinstance(check_parcel(parcel(1, code="12345"), 2, "P"), RejectedLine)
    assert isinstance(check_parcel(["not", "an", "object"], 2, "P"), RejectedLine)


# -- de minimis -----------------------------------------------------------------------------


def test_duty_is_due_only_above_its_threshold() -> None:
    at = assess(in_vnd("1000"), VND, RULE, None, [], AT)
    above = assess(in_vnd("1001"), VND, RULE, None, [], AT)
    assert at.duty == 0
    assert above.duty == Decimal(100)  # 10 % flat, no code: round half up to the dong
    assert "not due" in at.notes[0] and "due" in above.notes[0]


def test_vat_is_due_only_above_its_threshold() -> None:
    at = assess(in_vnd("500"), VND, RULE, None, [], AT)
    above = assess(in_vnd("501"), VND, RULE, None, [], AT)
    assert (at.duty, at.vat) == (0, 0)
    assert (above.duty, above.vat) == (0, Decimal(40))  # 8 % of 501, no duty under 1,000


def test_vat_is_laid_on_the_value_and_the_duty_when_both_are_due() -> None:
    a = assess(in_vnd("2000"), VND, RULE, None, [], AT)
    assert a.duty == Decimal(200) and a.vat == Decimal(176)  # 8 % of 2,200
    assert "flat rate" in a.basis and "no tariff code" in a.basis


def test_a_foreign_value_is_compared_in_national_currency() -> None:
    rule = sample_de_minimis("VN")  # 1,000,000 VND
    under = assess(checked(value="39.37"), USD, rule, None, [], AT)  # 999,998 VND
    over = assess(checked(value="39.38"), USD, rule, None, [], AT)  # 1,000,252 VND
    assert under.duty == 0 and over.duty > 0
    assert rule.sample and "(sample)" in rule.describe()


def test_rules_are_dated_and_the_admin_s_rule_wins_over_the_sample() -> None:
    sample = sample_de_minimis("VN")
    admin = DeMinimis("VN", "VND", Decimal(5), Decimal(5), Decimal(1), Decimal(1),
                      date(2026, 6, 1), date(2026, 12, 31))
    assert rule_on([sample, admin], date(2026, 5, 31)) is sample
    assert rule_on([sample, admin], date(2026, 6, 1)) is admin
    assert rule_on([sample, admin], date(2027, 1, 1)) is sample
    assert rule_on([admin], date(2027, 1, 1)) is None
    wrong = DeMinimis("VN", "USD", Decimal(-1), Decimal(5), Decimal(101), Decimal(1),
                      date(2026, 6, 1), date(2026, 5, 1))
    assert {p.path for p in de_minimis_problems(wrong)} == {
        "currency", "duty_threshold", "flat_duty_percent", "valid_to"}


# -- split orders ---------------------------------------------------------------------------


def test_an_order_split_into_parcels_is_assessed_as_one_consignment() -> None:
    first = in_vnd("800")
    part = earlier_of(first, AT - timedelta(hours=30))
    assert part.duty == 0 and part.vat > 0
    second = in_vnd("800", n=2, buyer="  nguyen van a ", description="PHONE case - silicone, "
                    "black")
    a = assess(second, VND, RULE, None, [part], AT)
    assert a.split_with == ("ORD-000001",)
    assert a.consignment_value == Decimal(1600)
    # Its own duty and the one the first part escaped (80 + 80); VAT was paid on the first
    # part already, on its value only: the duty's share of VAT is owed now.
    assert a.duty == Decimal(160)
    assert any("assessed with 1 earlier parcel" in n for n in a.notes)


def test_parcels_outside_the_window_or_of_other_goods_are_not_a_split() -> None:
    first = in_vnd("800")
    old = earlier_of(first, AT - timedelta(hours=72, seconds=1))
    other = earlier_of(in_vnd("800", description="Garden hose 20 m"), AT)
    other_seller = earlier_of(in_vnd("800", seller="Another shop"), AT)
    a = assess(in_vnd("800", n=2), VND, RULE, None, [old, other, other_seller], AT)
    assert a.split_with == () and a.duty == 0
    edge = earlier_of(first, AT - timedelta(hours=72))
    assert assess(in_vnd("800", n=2), VND, RULE, None, [edge], AT).split_with == ("ORD-000001",)


def test_a_third_part_does_not_charge_again_what_the_second_charged() -> None:
    one = earlier_of(in_vnd("800"), AT - timedelta(hours=2))
    two_parcel = in_vnd("800", n=2)
    two = assess(two_parcel, VND, RULE, None, [one], AT - timedelta(hours=1))
    second = Earlier("ORD-000002", two_parcel.buyer_key, two_parcel.seller_key,
                     two_parcel.goods_key, None, AT - timedelta(hours=1), two.value_national,
                     two.duty_if_due, two.vat_if_due, two.duty, two.vat)
    three = assess(in_vnd("800", n=3), VND, RULE, None, [one, second], AT)
    assert two.duty == Decimal(160) and three.duty == Decimal(80)


# -- screening ------------------------------------------------------------------------------


def _screen(p: Parcel, histories: dict[tuple[PartyKind, str], PartyHistory],
            rules: list[RiskRule] | None = None, doubt: str | None = None,
            share: float = 0.0) -> tuple[Verdict, tuple[str, ...]]:
    a = assess(p, USD, sample_de_minimis("VN"), None, [], AT)
    parties = [(PartyKind.SELLER, p.seller_key), (PartyKind.PLATFORM, p.platform)]
    s = screen(subject_of(p, a, None), rules or [], SelectivityPolicy(random_share=share),
               histories, parties, TODAY, random.Random(1), doubt)
    return s.verdict, s.reasons


def clean(p: Parcel) -> dict[tuple[PartyKind, str], PartyHistory]:
    return {(PartyKind.SELLER, p.seller_key): PartyHistory(PartyKind.SELLER, p.seller_key, 5)}


def test_an_unknown_seller_counts_as_irregular() -> None:
    p = checked()
    verdict, reasons = _screen(p, {})
    assert verdict is Verdict.HELD_DOCUMENTS
    assert any("unknown to customs" in r for r in reasons)
    assert _screen(p, clean(p))[0] is Verdict.RELEASED


def test_a_party_with_an_irregular_record_is_held() -> None:
    p = checked()
    platform = (PartyKind.PLATFORM, p.platform)
    for irregular, verdict in ((0, Verdict.RELEASED), (2, Verdict.HELD_DOCUMENTS),
                               (5, Verdict.HELD_INSPECTION)):
        histories = clean(p) | {platform: PartyHistory(PartyKind.PLATFORM, p.platform, 10,
                                                       irregular)}
        assert _screen(p, histories)[0] is verdict, irregular
    channel, _ = history_channel(PartyHistory(PartyKind.COURIER, "x", 4, 4),
                                 PartyKind.COURIER, "x")
    assert channel is Channel.GREEN  # four inspections are not yet a record


def test_the_officers_rules_apply_to_platform_and_courier() -> None:
    p = checked(courier="Risky Express")
    rule = RiskRule("r1", "couriers we watch", (Criterion("courier", Operator.EQ,
                                                          "Risky Express"),),
                    Channel.RED, date(2026, 1, 1))
    verdict, reasons = _screen(p, clean(p), [rule])
    assert verdict is Verdict.HELD_INSPECTION
    assert any("couriers we watch" in r for r in reasons)


def test_the_random_share_and_a_doubtful_code_hold_a_parcel() -> None:
    p = checked()
    assert _screen(p, clean(p), share=1.0)[0] is Verdict.HELD_DOCUMENTS
    verdict, reasons = _screen(p, clean(p), doubt="looks like 6109.10, not 8517.13")
    assert verdict is Verdict.HELD_DOCUMENTS
    assert any("declared code doubtful" in r for r in reasons)


def test_decisions_answer_only_what_held_the_parcel() -> None:
    assert decision_refusal(Verdict.RELEASED, Decision.NOTHING_FOUND) is not None
    assert decision_refusal(Verdict.HELD_INSPECTION, Decision.DOCUMENTS_ACCEPTED) is not None
    assert decision_refusal(Verdict.HELD_INSPECTION, Decision.FOUND) is None
    assert decision_refusal(Verdict.HELD_DOCUMENTS, Decision.DOCUMENTS_ACCEPTED) is None
