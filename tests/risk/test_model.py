import random
from datetime import date
from decimal import Decimal

from singlewindow.core.errors import Problem
from singlewindow.risk.model import (
    Channel,
    Criterion,
    Operator,
    RiskRule,
    RiskSubject,
    RuleStatus,
    SelectivityPolicy,
    choose_channel,
    parse_criterion,
)

SUBJECT = RiskSubject(
    header={"importer": "VN001", "office": "VNHCM01", "total_customs_value": Decimal("5000")},
    items=[
        {"commodity_code": "85171300", "origin_country": "CN", "quantity": Decimal(10),
         "unit_value_ratio": Decimal("0.9")},
        {"commodity_code": "09011100", "origin_country": "KH", "quantity": Decimal(500),
         "unit_value_ratio": Decimal("0.3")},
    ],
)
DAY = date(2026, 6, 1)
NO_RANDOM = SelectivityPolicy(random_share=0.0)


def rule(*criteria, channel=Channel.RED, **changes):
    values = dict(id="r1", name="test", criteria=tuple(criteria), channel=channel,
                  valid_from=date(2026, 1, 1))
    return RiskRule(**(values | changes))


def test_each_operator():
    facts = {"office": "VNHCM01", "quantity": Decimal(10)}
    assert Criterion("office", Operator.EQ, "VNHCM01").holds(facts)
    assert Criterion("office", Operator.NE, "X").holds(facts)
    assert Criterion("office", Operator.IN, ("A", "VNHCM01")).holds(facts)
    assert Criterion("office", Operator.NOT_IN, ("A",)).holds(facts)
    assert Criterion("office", Operator.PREFIX, "VNH").holds(facts)
    assert Criterion("quantity", Operator.GT, Decimal(9)).holds(facts)
    assert not Criterion("quantity", Operator.GT, Decimal(10)).holds(facts)
    assert Criterion("quantity", Operator.GTE, Decimal(10)).holds(facts)
    assert Criterion("quantity", Operator.LT, Decimal(11)).holds(facts)
    assert Criterion("quantity", Operator.LTE, Decimal(10)).holds(facts)


def test_item_criteria_must_hold_on_the_same_item():
    same_item = rule(Criterion("origin_country", Operator.EQ, "KH"),
                     Criterion("unit_value_ratio", Operator.LT, Decimal("0.4")))
    split = rule(Criterion("origin_country", Operator.EQ, "CN"),
                 Criterion("unit_value_ratio", Operator.LT, Decimal("0.4")))
    assert same_item.hit(SUBJECT)
    assert not split.hit(SUBJECT)


def test_header_and_item_criteria_combine():
    hit = rule(Criterion("importer", Operator.EQ, "VN001"),
               Criterion("commodity_code", Operator.PREFIX, "8517"))
    miss = rule(Criterion("importer", Operator.EQ, "VN999"),
                Criterion("commodity_code", Operator.PREFIX, "8517"))
    assert hit.hit(SUBJECT) and not miss.hit(SUBJECT)


def test_the_most_severe_hit_decides_and_every_hit_is_a_reason():
    yellow = rule(Criterion("office", Operator.EQ, "VNHCM01"), channel=Channel.YELLOW, id="y")
    red = rule(Criterion("commodity_code", Operator.PREFIX, "0901"), id="r", name="coffee")
    selection = choose_channel(SUBJECT, [yellow, red], NO_RANDOM, DAY, random.Random(1))
    assert selection.channel is Channel.RED
    assert set(selection.rule_ids) == {"y", "r"}
    assert len(selection.reasons) == 2 and "coffee" in selection.reasons[1]


def test_rules_outside_validity_or_not_active_do_not_apply():
    criterion = Criterion("office", Operator.EQ, "VNHCM01")
    expired = rule(criterion, valid_to=date(2026, 5, 31))
    future = rule(criterion, valid_from=date(2026, 7, 1))
    retired = rule(criterion, status=RuleStatus.RETIRED)
    disabled = rule(criterion, status=RuleStatus.DISABLED)
    selection = choose_channel(SUBJECT, [expired, future, retired, disabled], NO_RANDOM, DAY,
                               random.Random(1))
    assert selection.channel is Channel.GREEN and selection.reasons


def test_the_random_share_holds_over_many_declarations():
    policy = SelectivityPolicy(random_share=0.05)
    rng = random.Random(42)
    picks = [choose_channel(SUBJECT, [], policy, DAY, rng) for _ in range(20000)]
    share = sum(p.random for p in picks) / len(picks)
    assert 0.045 < share < 0.055
    assert all(p.channel is Channel.YELLOW for p in picks if p.random)
    assert all("random" in p.reasons[0] for p in picks if p.random)


def test_a_random_pick_never_lowers_a_rule_channel():
    policy = SelectivityPolicy(random_share=1.0)
    red = rule(Criterion("office", Operator.EQ, "VNHCM01"))
    assert choose_channel(SUBJECT, [red], policy, DAY, random.Random(1)).channel is Channel.RED


def test_criteria_are_parsed_with_every_problem():
    problems: list[Problem] = []
    assert parse_criterion({"field": "x", "operator": "eq", "value": 1}, "c.0", problems) is None
    assert parse_criterion({"field": "office", "operator": "lt", "value": 1}, "c.1",
                           problems) is None
    assert parse_criterion({"field": "quantity", "operator": "gt", "value": "many"}, "c.2",
                           problems) is None
    assert parse_criterion({"field": "office", "operator": "in", "value": []}, "c.3",
                           problems) is None
    assert [p.path for p in problems] == ["c.0.field", "c.1.operator", "c.2.value", "c.3.value"]
    parsed = parse_criterion({"field": "quantity", "operator": "gte", "value": "5"}, "c", [])
    assert parsed == Criterion("quantity", Operator.GTE, Decimal(5))
