"""Selectivity: risk profiles (rules) officers write, and the channel they choose. No I/O.

A rule holds criteria on the consignment's header fields and on its goods items; it hits a
consignment when every header criterion holds and, if it has item criteria, one goods item
satisfies all of them together. The channel is the most severe among the hits; with no hit,
a random share still goes to a check so that officers keep an unbiased sample of the flow.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from singlewindow.core.errors import Problem


class Channel(enum.StrEnum):
    GREEN = "green"  # release without check
    YELLOW = "yellow"  # documentary check
    RED = "red"  # physical inspection

    @property
    def severity(self) -> int:
        return {Channel.GREEN: 0, Channel.YELLOW: 1, Channel.RED: 2}[self]

    def needs_inspection(self) -> bool:
        return self is not Channel.GREEN


class InspectionOutcome(enum.StrEnum):
    NO_DISCREPANCY = "no_discrepancy"
    DISCREPANCY = "discrepancy"  # corrected data and duties follow
    SEIZURE = "seizure"

    @property
    def found_something(self) -> bool:
        return self is not InspectionOutcome.NO_DISCREPANCY


class Operator(enum.StrEnum):
    EQ = "eq"
    NE = "ne"
    IN = "in"
    NOT_IN = "not_in"
    PREFIX = "prefix"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"


class Scope(enum.StrEnum):
    HEADER = "header"
    ITEM = "item"


# The fields a criterion may test, with where they live and whether they are numbers.
FIELDS: dict[str, tuple[Scope, bool]] = {
    "type": (Scope.HEADER, False),
    "office": (Scope.HEADER, False),
    "export_country": (Scope.HEADER, False),
    "destination_country": (Scope.HEADER, False),
    "transport_mode": (Scope.HEADER, False),
    "incoterm": (Scope.HEADER, False),
    "declarant": (Scope.HEADER, False),
    "importer": (Scope.HEADER, False),
    "exporter": (Scope.HEADER, False),
    "seller": (Scope.HEADER, False),
    "buyer": (Scope.HEADER, False),
    "preference": (Scope.HEADER, False),
    "invoice_currency": (Scope.HEADER, False),
    "total_customs_value": (Scope.HEADER, True),
    "item_count": (Scope.HEADER, True),
    "commodity_code": (Scope.ITEM, False),
    "origin_country": (Scope.ITEM, False),
    "description": (Scope.ITEM, False),
    "quantity": (Scope.ITEM, True),
    "net_mass": (Scope.ITEM, True),
    "customs_value": (Scope.ITEM, True),
    "unit_value": (Scope.ITEM, True),
    # Declared unit value divided by the tariff line's reference unit value: 0.4 means the
    # goods are declared at 40 % of what is usual (a classic undervaluation signal).
    "unit_value_ratio": (Scope.ITEM, True),
}

NUMERIC_OPERATORS = {Operator.GT, Operator.GTE, Operator.LT, Operator.LTE}


@dataclass(frozen=True)
class Criterion:
    field: str
    operator: Operator
    value: str | Decimal | tuple[str, ...]

    @property
    def scope(self) -> Scope:
        return FIELDS[self.field][0]

    def holds(self, facts: Mapping[str, object]) -> bool:
        actual = facts.get(self.field)
        if actual is None:
            return self.operator in (Operator.NE, Operator.NOT_IN)
        op = self.operator
        if op in NUMERIC_OPERATORS:
            number = actual if isinstance(actual, Decimal) else Decimal(str(actual))
            limit = self.value if isinstance(self.value, Decimal) else Decimal(str(self.value))
            if op is Operator.GT:
                return number > limit
            if op is Operator.GTE:
                return number >= limit
            if op is Operator.LT:
                return number < limit
            return number <= limit
        text = str(actual)
        if op is Operator.EQ:
            return text == str(self.value)
        if op is Operator.NE:
            return text != str(self.value)
        if op is Operator.IN:
            return text in self.value
        if op is Operator.NOT_IN:
            return text not in self.value
        if op is Operator.PREFIX:
            return text.startswith(str(self.value))
        raise AssertionError(op)

    def describe(self) -> str:
        value = ", ".join(self.value) if isinstance(self.value, tuple) else self.value
        return f"{self.field} {self.operator.value} {value}"


def parse_criterion(
    raw: Mapping[str, object], path: str, problems: list[Problem]
) -> Criterion | None:
    """A criterion from its stored or posted form, or None with the problems recorded."""
    field_name = str(raw.get("field", ""))
    if field_name not in FIELDS:
        problems.append(
            Problem(
                f"{path}.field",
                f"{field_name!r} is not a field rules can test ({', '.join(sorted(FIELDS))})",
            )
        )
        return None
    try:
        operator = Operator(str(raw.get("operator", "")))
    except ValueError:
        problems.append(
            Problem(
                f"{path}.operator",
                f"{raw.get('operator')!r} is not one of {', '.join(o.value for o in Operator)}",
            )
        )
        return None
    value = raw.get("value")
    numeric = FIELDS[field_name][1]
    if operator in NUMERIC_OPERATORS:
        if not numeric:
            problems.append(Problem(f"{path}.operator", f"{field_name} is not a number"))
            return None
        try:
            return Criterion(field_name, operator, Decimal(str(value)))
        except InvalidOperation:
            problems.append(Problem(f"{path}.value", f"{value!r} is not a number"))
            return None
    if operator in (Operator.IN, Operator.NOT_IN):
        if not isinstance(value, list | tuple) or not value:
            problems.append(Problem(f"{path}.value", "a list of values is needed"))
            return None
        return Criterion(field_name, operator, tuple(str(v) for v in value))
    if value is None or str(value) == "":
        problems.append(Problem(f"{path}.value", "a value is needed"))
        return None
    return Criterion(field_name, operator, str(value))


class RuleStatus(enum.StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"
    RETIRED = "retired"  # kept for the record and its hit rate; never applies again


@dataclass(frozen=True)
class RiskRule:
    id: str
    name: str
    criteria: tuple[Criterion, ...]
    channel: Channel
    valid_from: date
    valid_to: date | None = None
    status: RuleStatus = RuleStatus.ACTIVE
    # A forcing rule decides the channel whatever the model or AEO status say.
    forced: bool = False

    def applies_on(self, day: date) -> bool:
        return (
            self.status is RuleStatus.ACTIVE
            and self.valid_from <= day
            and (self.valid_to is None or day <= self.valid_to)
        )

    def hit(self, subject: RiskSubject) -> bool:
        header = [c for c in self.criteria if c.scope is Scope.HEADER]
        items = [c for c in self.criteria if c.scope is Scope.ITEM]
        if not all(c.holds(subject.header) for c in header):
            return False
        if not items:
            return True
        return any(all(c.holds(item) for c in items) for item in subject.items)

    def explain(self) -> str:
        return f"rule {self.name!r}: " + " and ".join(c.describe() for c in self.criteria)


@dataclass(frozen=True)
class RiskSubject:
    """What selectivity looks at: header facts and one dict of facts per goods item."""

    header: Mapping[str, object]
    items: Sequence[Mapping[str, object]]


@dataclass(frozen=True)
class Selection:
    channel: Channel
    reasons: tuple[str, ...]
    rule_ids: tuple[str, ...] = ()
    random: bool = False
    score: float | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "channel": self.channel.value,
            "reasons": list(self.reasons),
            "rule_ids": list(self.rule_ids),
            "random": self.random,
            "score": self.score,
        }


@dataclass
class SelectivityPolicy:
    """What officers set: the random share and which channel a random pick goes to."""

    random_share: float = 0.02
    random_channel: Channel = Channel.YELLOW
    extra: dict[str, object] = field(default_factory=dict)


def choose_channel(
    subject: RiskSubject,
    rules: Sequence[RiskRule],
    policy: SelectivityPolicy,
    on: date,
    rng: random.Random,
) -> Selection:
    """The channel for a consignment and every reason that chose it."""
    hits = [rule for rule in rules if rule.applies_on(on) and rule.hit(subject)]
    # The random draw happens for every consignment, hit or not, so that the share of random
    # checks is the same across the flow and cannot be inferred from the rules.
    drawn = rng.random() < policy.random_share
    if hits:
        channel = max((rule.channel for rule in hits), key=lambda c: c.severity)
        reasons = [rule.explain() + f" → {rule.channel.value}" for rule in hits]
        if drawn and policy.random_channel.severity > channel.severity:
            channel = policy.random_channel
            reasons.append(f"random selection ({policy.random_share:.1%} of declarations)")
        return Selection(channel, tuple(reasons), tuple(r.id for r in hits), random=drawn)
    if drawn:
        return Selection(
            policy.random_channel,
            (f"random selection ({policy.random_share:.1%} of declarations)",),
            random=True,
        )
    return Selection(Channel.GREEN, ("no risk rule hit; not drawn for a random check",))


@dataclass(frozen=True)
class RuleStatistics:
    """How a rule has done: selections, inspected selections and findings."""

    selections: int
    inspected: int
    findings: int

    @property
    def hit_rate(self) -> float | None:
        return self.findings / self.inspected if self.inspected else None
