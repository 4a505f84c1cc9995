"""Shared enforcement intelligence, in the spirit of the WCO CEN and CENcomm: alerts one
administration raises for its partners, the hits they report back, seizures, and joint
operations (named campaigns with members and dates). No I/O.

An alert says in words what to look for and, as criteria the risk engine applies
(`risk.model.Criterion`), where: codes (commodity_code prefix/in), origins (origin_country),
routes (export_country, destination_country, transport_mode), parties (exporter, importer,
seller, buyer). Concealment methods are words for the officer who opens the container, not
machine criteria. Each receiving node turns the criteria into a risk profile at once.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

from singlewindow.core.countries import is_country
from singlewindow.core.errors import Problem
from singlewindow.core.transitions import Transitions
from singlewindow.enforcement.errors import AlertConflict
from singlewindow.risk.model import FIELDS, Channel, Criterion, parse_criterion

ALERT_ID = re.compile(r"[A-Z]{2}-ALERT-[0-9]{1,10}")
SEIZURE_ID = re.compile(r"[A-Z]{2}-SEIZURE-[0-9]{1,10}")
OPERATION_CODE = re.compile(r"[A-Z0-9][A-Z0-9-]{1,39}")
HS_CODE = re.compile(r"[0-9]{4,10}")

TITLE_LIMIT = 200
TEXT_LIMIT = 2000
MAX_CRITERIA = 20
MAX_CONCEALMENT = 10
CONCEALMENT_LIMIT = 200
MAX_MEMBERS = 30

# What an alert may test: the risk engine's fields, without the ones only the raising node
# could mean (its own customs offices).
NATIONAL_FIELDS = frozenset({"office"})
ALERT_FIELDS = tuple(sorted(set(FIELDS) - NATIONAL_FIELDS))


class Category(enum.StrEnum):
    ILLICIT_TOBACCO = "illicit_tobacco"
    WILDLIFE = "wildlife"
    WASTE = "waste"
    DRUGS = "drugs"
    IPR = "ipr"  # counterfeits and other infringements of intellectual property rights
    OTHER = "other"


class AlertStatus(enum.StrEnum):
    ACTIVE = "active"
    WITHDRAWN = "withdrawn"  # by its administration, told to every recipient
    EXPIRED = "expired"  # its validity ended


ALERT = Transitions(
    {
        AlertStatus.ACTIVE: {AlertStatus.WITHDRAWN, AlertStatus.EXPIRED},
        AlertStatus.WITHDRAWN: set(),
        AlertStatus.EXPIRED: set(),
    },
    refusal=AlertConflict,
    noun="the alert",
)


def alert_country(alert_id: str) -> str:
    """The administration that raised an alert: its id starts with the country's code."""
    return alert_id[:2]


def alert_id_problem(text: str) -> str | None:
    if not ALERT_ID.fullmatch(text):
        return "an alert id is the raising country's code, -ALERT- and a number (VN-ALERT-12)"
    return None


def parse_alert_criteria(
    raw: Sequence[Mapping[str, object]], path: str, problems: list[Problem]
) -> tuple[Criterion, ...]:
    """The criteria of an alert, each checked as the risk engine reads it; a field an alert
    may not test is refused with its name."""
    if not raw:
        problems.append(Problem(path, "an alert needs at least one criterion the risk engine "
                                      "can apply (codes, origins, routes or parties)"))
        return ()
    if len(raw) > MAX_CRITERIA:
        problems.append(Problem(path, f"at most {MAX_CRITERIA} criteria"))
        return ()
    out = []
    for index, item in enumerate(raw):
        where = f"{path}.{index}"
        name = str(item.get("field", ""))
        if name in NATIONAL_FIELDS:
            problems.append(Problem(f"{where}.field",
                                    f"{name!r} is national: a partner's node cannot apply it"))
            continue
        criterion = parse_criterion(item, where, problems)
        if criterion is not None:
            out.append(criterion)
    return tuple(out)


def criterion_document(criterion: Criterion) -> dict[str, object]:
    """The stored and sent form of a criterion (what `parse_criterion` reads back)."""
    value = criterion.value
    return {"field": criterion.field, "operator": criterion.operator.value,
            "value": list(value) if isinstance(value, tuple) else str(value)}


@dataclass(frozen=True)
class Recipients:
    """Who receives an alert: every partner (operation None) or the members of a joint
    operation."""

    operation: str | None = None

    @property
    def everyone(self) -> bool:
        return self.operation is None

    def describe(self) -> str:
        return "every partner" if self.operation is None else \
            f"the members of joint operation {self.operation}"


@dataclass(frozen=True)
class Alert:
    id: str
    category: Category
    title: str
    description: str  # what to look for, in words
    criteria: tuple[Criterion, ...]
    concealment: tuple[str, ...]  # methods as words: an officer's instruction
    valid_from: date
    valid_to: date
    channel: Channel  # what it asks for: yellow (documents) or red (inspection)
    recipients: Recipients
    raised_at: datetime
    status: AlertStatus = AlertStatus.ACTIVE

    @property
    def country(self) -> str:
        return alert_country(self.id)

    def in_force(self, day: date) -> bool:
        return (self.status is AlertStatus.ACTIVE
                and self.valid_from <= day <= self.valid_to)

    def status_on(self, day: date) -> AlertStatus:
        """Its status as a reader sees it: an active alert past its validity has expired."""
        if self.status is AlertStatus.ACTIVE and day > self.valid_to:
            return AlertStatus.EXPIRED
        return self.status

    def withdraw(self, day: date) -> Alert:
        status = ALERT.move(self.status_on(day), AlertStatus.WITHDRAWN, who=f"alert {self.id}")
        return replace(self, status=status)

    def rule_name(self) -> str:
        return f"Alert {self.id}: {self.title}"[:200]

    def explain(self) -> str:
        return " and ".join(c.describe() for c in self.criteria)


def alert_problems(
    *, title: str, description: str, concealment: Sequence[str], valid_from: date,
    valid_to: date, channel: Channel, today: date,
) -> list[Problem]:
    """What is wrong with an alert besides its criteria, each with where."""
    problems = []
    if not title.strip():
        problems.append(Problem("title", "an alert needs a title"))
    elif len(title) > TITLE_LIMIT:
        problems.append(Problem("title", f"at most {TITLE_LIMIT} characters"))
    if not description.strip():
        problems.append(Problem("description", "say in words what to look for"))
    elif len(description) > TEXT_LIMIT:
        problems.append(Problem("description", f"at most {TEXT_LIMIT} characters"))
    if len(concealment) > MAX_CONCEALMENT:
        problems.append(Problem("concealment", f"at most {MAX_CONCEALMENT} methods"))
    for index, method in enumerate(concealment):
        if not method.strip() or len(method) > CONCEALMENT_LIMIT:
            problems.append(Problem(f"concealment.{index}",
                                    f"a method in 1 to {CONCEALMENT_LIMIT} characters"))
    if valid_to < valid_from:
        problems.append(Problem("valid_to", "the end of validity is before its start"))
    elif valid_to < today:
        problems.append(Problem("valid_to", "the alert would already have expired"))
    if channel is Channel.GREEN:
        problems.append(Problem("channel", "an alert asks for a documentary check (yellow) "
                                           "or a physical inspection (red)"))
    return problems


@dataclass(frozen=True)
class JointOperation:
    """A named campaign: its members (countries, the coordinator among them) and dates."""

    code: str
    name: str
    coordinator: str
    members: frozenset[str]
    starts_on: date
    ends_on: date

    def includes(self, country: str) -> bool:
        return country in self.members

    def in_force(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on

    def others(self, country: str) -> list[str]:
        return sorted(self.members - {country})


def operation_problems(
    code: str, name: str, coordinator: str, members: Sequence[str], starts_on: date,
    ends_on: date, partners: Sequence[str] | None = None,
) -> list[Problem]:
    """What is wrong with a joint operation; `partners` (when given) are the countries the
    coordinator can reach: every other member must be one."""
    problems = []
    if not OPERATION_CODE.fullmatch(code):
        problems.append(Problem("code", "2 to 40 capital letters, digits or hyphens"))
    if not name.strip() or len(name) > TITLE_LIMIT:
        problems.append(Problem("name", f"a name in 1 to {TITLE_LIMIT} characters"))
    if not members or len(members) > MAX_MEMBERS:
        problems.append(Problem("members", f"1 to {MAX_MEMBERS} member countries"))
    for index, member in enumerate(members):
        if not is_country(member):
            problems.append(Problem(f"members.{index}", f"{member!r} is not a country code"))
        elif partners is not None and member != coordinator and member not in partners:
            problems.append(Problem(f"members.{index}",
                                    f"{member} is not a partner on this node's trust list"))
    if len(set(members)) != len(members):
        problems.append(Problem("members", "a country is named twice"))
    if ends_on < starts_on:
        problems.append(Problem("ends_on", "the operation ends before it starts"))
    return problems


@dataclass(frozen=True)
class Seizure:
    id: str
    goods: str
    hs_code: str
    quantity: Decimal
    unit: str
    concealment: str
    declaration: str | None  # the declaration number it was found on
    alert: str | None  # the alert that led to it
    shareable: bool
    seized_at: datetime
    operation: str | None = None

    @property
    def country(self) -> str:
        return self.id[:2]


def seizure_problems(goods: str, hs_code: str, quantity: Decimal, unit: str,
                     concealment: str) -> list[Problem]:
    problems = []
    if not goods.strip() or len(goods) > TITLE_LIMIT:
        problems.append(Problem("goods", f"the goods in 1 to {TITLE_LIMIT} characters"))
    if not HS_CODE.fullmatch(hs_code):
        problems.append(Problem("hs_code", "an HS code of 4 to 10 digits"))
    if not quantity.is_finite() or quantity <= 0:
        problems.append(Problem("quantity", "a quantity above 0"))
    if not unit.strip() or len(unit) > 20:
        problems.append(Problem("unit", "a unit in 1 to 20 characters (kg, pieces, sticks)"))
    if len(concealment) > CONCEALMENT_LIMIT:
        problems.append(Problem("concealment", f"at most {CONCEALMENT_LIMIT} characters"))
    return problems


@dataclass(frozen=True)
class AlertHit:
    """A declaration an alert's risk profile selected at one node."""

    alert: str
    country: str  # where the declaration was lodged
    declaration: str
    hit_at: datetime
    criteria: tuple[str, ...]  # the alert's criteria, in words, that held
    channel: Channel
    reported: bool  # told to the alert's administration (or the alert is ours)
