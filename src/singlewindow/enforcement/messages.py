"""The enforcement messages between customs nodes, the AS4 payloads of service
`urn:asw:enforcement` (JSON):

    coordinator ──ENF.Operation────────▶ members    a joint operation: its members and dates
    administration ──ENF.Alert─────────▶ recipients every partner, or the operation's members
    administration ──ENF.AlertWithdrawal▶ recipients the alert no longer applies
    recipient ──ENF.Hit────────────────▶ administration  a declaration the alert selected
    administration ──ENF.Seizure───────▶ recipients a seizure it shares

Each document names its administration, which the gateway checks against the signer; an
alert's id starts with its administration's country code, so nobody raises another's alert.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson

from singlewindow.core.countries import customs_party, is_country
from singlewindow.core.errors import Problem
from singlewindow.enforcement.errors import UnreadableEnforcementMessage as Unreadable
from singlewindow.enforcement.model import (
    SEIZURE_ID,
    Alert,
    AlertStatus,
    Category,
    JointOperation,
    Recipients,
    Seizure,
    alert_country,
    alert_id_problem,
    criterion_document,
    operation_problems,
    parse_alert_criteria,
    seizure_problems,
)
from singlewindow.risk.model import Channel

SERVICE = "urn:asw:enforcement"
OPERATION = "ENF.Operation"
ALERT = "ENF.Alert"
WITHDRAWAL = "ENF.AlertWithdrawal"
HIT = "ENF.Hit"
SEIZURE = "ENF.Seizure"
ACTIONS = (OPERATION, ALERT, WITHDRAWAL, HIT, SEIZURE)


def _dumps(administration: str, body: dict[str, Any]) -> bytes:
    return orjson.dumps({"Administration": administration, **body})


def operation_document(operation: JointOperation) -> bytes:
    return _dumps(operation.coordinator, {"Operation": {
        "Code": operation.code, "Name": operation.name, "Coordinator": operation.coordinator,
        "Members": sorted(operation.members), "StartsOn": operation.starts_on.isoformat(),
        "EndsOn": operation.ends_on.isoformat()}})


def alert_document(alert: Alert) -> bytes:
    return _dumps(alert.country, {"Alert": {
        "Id": alert.id, "Category": alert.category.value, "Title": alert.title,
        "Description": alert.description,
        "Criteria": [criterion_document(c) for c in alert.criteria],
        "Concealment": list(alert.concealment), "ValidFrom": alert.valid_from.isoformat(),
        "ValidTo": alert.valid_to.isoformat(), "Channel": alert.channel.value,
        "Operation": alert.recipients.operation, "RaisedAt": alert.raised_at.isoformat()}})


def withdrawal_document(alert: Alert, reason: str, at: datetime) -> bytes:
    return _dumps(alert.country, {"Alert": alert.id, "Operation": alert.recipients.operation,
                                  "Reason": reason, "At": at.isoformat()})


def hit_document(country: str, alert: str, declaration: str, at: datetime,
                 criteria: list[str], channel: Channel) -> bytes:
    return _dumps(country, {"Alert": alert, "Declaration": declaration, "At": at.isoformat(),
                            "Criteria": criteria, "Channel": channel.value})


def seizure_document(seizure: Seizure) -> bytes:
    return _dumps(seizure.country, {"Seizure": {
        "Id": seizure.id, "Goods": seizure.goods, "HsCode": seizure.hs_code,
        "Quantity": str(seizure.quantity), "Unit": seizure.unit,
        "Concealment": seizure.concealment, "Declaration": seizure.declaration,
        "Alert": seizure.alert, "Operation": seizure.operation,
        "SeizedAt": seizure.seized_at.isoformat()}})


def administration_issuer(payload: bytes) -> str | None:
    """The issuer a document names: the customs of its administration."""
    try:
        document = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None
    country = document.get("Administration") if isinstance(document, dict) else None
    return customs_party(country) if isinstance(country, str) and is_country(country) else None


# -- reading ----------------------------------------------------------------------------------

def _document(payload: bytes) -> tuple[dict[str, Any], str]:
    try:
        document = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise Unreadable(f"the payload is not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise Unreadable("the payload is not a JSON object")
    country = document.get("Administration")
    if not isinstance(country, str) or not is_country(country):
        raise Unreadable("Administration: an ISO country code is required")
    return document, country


def _text(raw: Any, path: str, limit: int, required: bool = True) -> str:
    if raw is None and not required:
        return ""
    if not isinstance(raw, str) or len(raw) > limit or (required and not raw.strip()):
        raise Unreadable(f"{path}: a text of {'1' if required else '0'} to {limit} characters")
    return raw


def _date(raw: Any, path: str) -> date:
    try:
        return date.fromisoformat(raw) if isinstance(raw, str) else _fail(path)
    except ValueError:
        return _fail(path)


def _fail(path: str) -> date:
    raise Unreadable(f"{path}: a date (YYYY-MM-DD)")


def _moment(raw: Any, path: str) -> datetime:
    try:
        at = datetime.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise Unreadable(f"{path}: a date and time with its offset")
    return at


def _first(problems: list[Problem], prefix: str) -> None:
    if problems:
        raise Unreadable("; ".join(f"{prefix}.{p.path}: {p.message}" for p in problems))


def read_operation(payload: bytes) -> JointOperation:
    document, country = _document(payload)
    raw = document.get("Operation")
    if not isinstance(raw, dict):
        raise Unreadable("Operation: an object is required")
    members = raw.get("Members")
    if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
        raise Unreadable("Operation.Members: a list of country codes")
    code = _text(raw.get("Code"), "Operation.Code", 40)
    name = _text(raw.get("Name"), "Operation.Name", 200)
    coordinator = raw.get("Coordinator")
    if coordinator != country:
        raise Unreadable("Operation.Coordinator: an operation is told by its coordinator")
    starts_on = _date(raw.get("StartsOn"), "Operation.StartsOn")
    ends_on = _date(raw.get("EndsOn"), "Operation.EndsOn")
    _first(operation_problems(code, name, country, members, starts_on, ends_on), "Operation")
    if country not in members:
        raise Unreadable("Operation.Members: the coordinator is a member")
    return JointOperation(code, name, country, frozenset(members), starts_on, ends_on)


def read_alert(payload: bytes) -> Alert:
    document, country = _document(payload)
    raw = document.get("Alert")
    if not isinstance(raw, dict):
        raise Unreadable("Alert: an object is required")
    alert_id = raw.get("Id")
    if not isinstance(alert_id, str) or (problem := alert_id_problem(alert_id)) is not None:
        raise Unreadable(f"Alert.Id: {problem if isinstance(alert_id, str) else 'missing'}")
    if alert_country(alert_id) != country:
        raise Unreadable(f"Alert.Id: {alert_id} is not an alert of {country}: an "
                         f"administration raises only its own alerts")
    try:
        category = Category(str(raw.get("Category")))
        channel = Channel(str(raw.get("Channel")))
    except ValueError:
        raise Unreadable("Alert.Category or Alert.Channel: not one this node knows") from None
    if channel is Channel.GREEN:
        raise Unreadable("Alert.Channel: yellow or red")
    criteria_raw = raw.get("Criteria")
    if not isinstance(criteria_raw, list) or not all(isinstance(c, dict) for c in criteria_raw):
        raise Unreadable("Alert.Criteria: a list of criteria")
    problems: list[Problem] = []
    criteria = parse_alert_criteria(criteria_raw, "Criteria", problems)
    _first(problems, "Alert")
    concealment = raw.get("Concealment")
    if (not isinstance(concealment, list) or len(concealment) > 10
            or not all(isinstance(c, str) and 0 < len(c) <= 200 for c in concealment)):
        raise Unreadable("Alert.Concealment: up to 10 methods in words")
    operation = raw.get("Operation")
    if operation is not None and (not isinstance(operation, str) or not 2 <= len(operation) <= 40):
        raise Unreadable("Alert.Operation: an operation's code, or null for every partner")
    valid_from = _date(raw.get("ValidFrom"), "Alert.ValidFrom")
    valid_to = _date(raw.get("ValidTo"), "Alert.ValidTo")
    if valid_to < valid_from:
        raise Unreadable("Alert.ValidTo: before Alert.ValidFrom")
    return Alert(
        id=alert_id, category=category, title=_text(raw.get("Title"), "Alert.Title", 200),
        description=_text(raw.get("Description"), "Alert.Description", 2000),
        criteria=criteria, concealment=tuple(concealment), valid_from=valid_from,
        valid_to=valid_to, channel=channel, recipients=Recipients(operation),
        raised_at=_moment(raw.get("RaisedAt"), "Alert.RaisedAt"), status=AlertStatus.ACTIVE)


@dataclass(frozen=True)
class Withdrawal:
    administration: str
    alert: str
    operation: str | None
    reason: str
    at: datetime


def read_withdrawal(payload: bytes) -> Withdrawal:
    document, country = _document(payload)
    alert_id = document.get("Alert")
    if not isinstance(alert_id, str) or alert_id_problem(alert_id) is not None:
        raise Unreadable("Alert: the alert's id")
    if alert_country(alert_id) != country:
        raise Unreadable(f"Alert: {alert_id} is not an alert of {country}")
    operation = document.get("Operation")
    return Withdrawal(country, alert_id, operation if isinstance(operation, str) else None,
                      _text(document.get("Reason"), "Reason", 2000),
                      _moment(document.get("At"), "At"))


@dataclass(frozen=True)
class HitReport:
    country: str
    alert: str
    declaration: str
    at: datetime
    criteria: tuple[str, ...]
    channel: Channel


def read_hit(payload: bytes) -> HitReport:
    document, country = _document(payload)
    alert_id = document.get("Alert")
    if not isinstance(alert_id, str) or alert_id_problem(alert_id) is not None:
        raise Unreadable("Alert: the alert's id")
    criteria = document.get("Criteria")
    if (not isinstance(criteria, list) or len(criteria) > 20
            or not all(isinstance(c, str) and len(c) <= 400 for c in criteria)):
        raise Unreadable("Criteria: up to 20 criteria in words")
    try:
        channel = Channel(str(document.get("Channel")))
    except ValueError:
        raise Unreadable("Channel: green, yellow or red") from None
    return HitReport(country, alert_id, _text(document.get("Declaration"), "Declaration", 40),
                     _moment(document.get("At"), "At"), tuple(criteria), channel)


def read_seizure(payload: bytes) -> Seizure:
    document, country = _document(payload)
    raw = document.get("Seizure")
    if not isinstance(raw, dict):
        raise Unreadable("Seizure: an object is required")
    seizure_id = raw.get("Id")
    if not isinstance(seizure_id, str) or not SEIZURE_ID.fullmatch(seizure_id) \
            or seizure_id[:2] != country:
        raise Unreadable(f"Seizure.Id: a seizure id of {country} (e.g. {country}-SEIZURE-1)")
    try:
        quantity = Decimal(str(raw.get("Quantity")))
    except InvalidOperation:
        raise Unreadable("Seizure.Quantity: a number") from None
    goods = _text(raw.get("Goods"), "Seizure.Goods", 200)
    hs_code = _text(raw.get("HsCode"), "Seizure.HsCode", 10)
    unit = _text(raw.get("Unit"), "Seizure.Unit", 20)
    concealment = _text(raw.get("Concealment"), "Seizure.Concealment", 200, required=False)
    _first(seizure_problems(goods, hs_code, quantity, unit, concealment), "Seizure")
    declaration = raw.get("Declaration")
    alert = raw.get("Alert")
    operation = raw.get("Operation")
    return Seizure(
        seizure_id, goods, hs_code, quantity, unit, concealment,
        declaration if isinstance(declaration, str) and len(declaration) <= 40 else None,
        alert if isinstance(alert, str) and alert_id_problem(alert) is None else None,
        True, _moment(raw.get("SeizedAt"), "Seizure.SeizedAt"),
        operation if isinstance(operation, str) and len(operation) <= 40 else None)
