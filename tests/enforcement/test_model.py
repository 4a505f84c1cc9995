"""The rules of alerts, joint operations and seizures, without a database."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from singlewindow.core.errors import Problem
from singlewindow.enforcement.errors import AlertConflict
from singlewindow.enforcement.model import (
    Alert,
    AlertStatus,
    Category,
    Recipients,
    alert_country,
    alert_id_problem,
    alert_problems,
    operation_problems,
    parse_alert_criteria,
    seizure_problems,
)
from singlewindow.risk.model import Channel, RiskRule, RiskSubject

TOBACCO = [{"field": "commodity_code", "operator": "prefix", "value": "2402"},
           {"field": "origin_country", "operator": "in", "value": ["KH", "LA"]},
           {"field": "export_country", "operator": "eq", "value": "KH"}]


def alert(criteria: list[dict[str, object]] = TOBACCO, **changes: object) -> Alert:
    problems: list[Problem] = []
    parsed = parse_alert_criteria(criteria, "criteria", problems)
    assert not problems, problems
    values: dict[str, object] = dict(
        id="VN-ALERT-1", category=Category.ILLICIT_TOBACCO, title="Cigarettes as paper",
        description="Cigarettes declared as cigarette paper", criteria=parsed,
        concealment=("behind a false wall",), valid_from=date(2026, 12, 1),
        valid_to=date(2026, 12, 31), channel=Channel.RED, recipients=Recipients(),
        raised_at=datetime(2026, 12, 1, tzinfo=UTC))
    values.update(changes)
    return Alert(**values)  # type: ignore[arg-type]


def subject(code: str = "24022090", origin: str = "KH", export: str = "KH") -> RiskSubject:
    return RiskSubject({"type": "IM", "export_country": export},
                       [{"commodity_code": code, "origin_country": origin}])


def test_an_unknown_criteria_field_is_refused_with_its_name() -> None:
    problems: list[Problem] = []
    parse_alert_criteria([{"field": "smell", "operator": "eq", "value": "x"}], "criteria",
                         problems)
    assert problems[0].path == "criteria.0.field"
    assert "'smell' is not a field" in problems[0].message


def test_a_national_field_is_refused_for_an_alert() -> None:
    problems: list[Problem] = []
    parse_alert_criteria([{"field": "office", "operator": "eq", "value": "VNHCM01"}],
                         "criteria", problems)
    assert [p.path for p in problems] == ["criteria.0.field"]
    assert "national" in problems[0].message


def test_an_alert_needs_a_criterion() -> None:
    problems: list[Problem] = []
    assert parse_alert_criteria([], "criteria", problems) == ()
    assert problems[0].path == "criteria"


def test_the_criteria_select_as_a_risk_rule_selects() -> None:
    raised = alert()
    rule = RiskRule(raised.id, raised.rule_name(), raised.criteria, raised.channel,
                    raised.valid_from, raised.valid_to)
    assert rule.hit(subject())
    assert rule.hit(subject(origin="LA"))
    assert not rule.hit(subject(code="09011100"))  # coffee, not tobacco
    assert not rule.hit(subject(origin="TH"))
    assert not rule.hit(subject(export="TH"))  # another route
    assert rule.applies_on(date(2026, 12, 31)) and not rule.applies_on(date(2027, 1, 1))


def test_parties_are_criteria_too() -> None:
    problems: list[Problem] = []
    parsed = parse_alert_criteria(
        [{"field": "exporter", "operator": "eq", "value": "KHEXP0042"}], "criteria", problems)
    rule = RiskRule("VN-ALERT-2", "x", parsed, Channel.YELLOW, date(2026, 1, 1))
    assert rule.hit(RiskSubject({"exporter": "KHEXP0042"}, [{}]))
    assert not rule.hit(RiskSubject({"exporter": "KHEXP0043"}, [{}]))


def test_an_alert_past_its_validity_has_expired_and_cannot_be_withdrawn() -> None:
    raised = alert()
    assert raised.status_on(date(2026, 12, 15)) is AlertStatus.ACTIVE
    assert raised.status_on(date(2027, 1, 1)) is AlertStatus.EXPIRED
    assert raised.withdraw(date(2026, 12, 15)).status is AlertStatus.WITHDRAWN
    with pytest.raises(AlertConflict, match="expired: it cannot become withdrawn"):
        raised.withdraw(date(2027, 1, 1))
    with pytest.raises(AlertConflict):
        raised.withdraw(date(2026, 12, 15)).withdraw(date(2026, 12, 16))


def test_an_alert_asks_for_yellow_or_red_within_its_dates() -> None:
    problems = alert_problems(title=" ", description="", concealment=["", "x" * 201],
                              valid_from=date(2026, 12, 10), valid_to=date(2026, 12, 1),
                              channel=Channel.GREEN, today=date(2026, 12, 1))
    assert {p.path for p in problems} == {"title", "description", "concealment.0",
                                          "concealment.1", "valid_to", "channel"}


def test_alert_ids_name_their_administration() -> None:
    assert alert_country("KH-ALERT-17") == "KH"
    assert alert_id_problem("KH-ALERT-17") is None
    assert alert_id_problem("KH-17") is not None


def test_a_joint_operation_names_partner_members_once() -> None:
    problems = operation_problems("OP-MEKONG", "Mekong", "VN", ["VN", "KH", "KH", "XX", "TH"],
                                  date(2026, 12, 1), date(2026, 11, 1), partners=["KH"])
    assert {p.path for p in problems} == {"members", "members.3", "members.4", "ends_on"}
    assert operation_problems("OP-MEKONG", "Mekong", "VN", ["VN", "KH"], date(2026, 12, 1),
                              date(2026, 12, 31), partners=["KH"]) == []


def test_a_seizure_has_goods_an_hs_code_and_a_quantity() -> None:
    problems = seizure_problems("", "24X", Decimal("0"), "", "x" * 201)
    assert {p.path for p in problems} == {"goods", "hs_code", "quantity", "unit",
                                          "concealment"}
    assert seizure_problems("Cigarettes", "240220", Decimal("5000"), "sticks", "") == []
