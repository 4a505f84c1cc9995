"""Selectivity: risk profiles (rules) officers write, and the channel they choose. No I/O.

A rule holds criteria on the consignment's header fields and on its goods items; it hits a
consignment when every header criterion holds and, if it has item criteria, one goods item
satisfies all of them together. A forcing rule decides the channel outright; otherwise the
channel is the most severe of the rule hits and the learned model's opinion (its score against
thresholds derived from the policy's inspection rates); a random share still goes to a check so
that officers keep an unbiased sample of the flow.
"""

from __future__ import annotations

import enum
import math
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cached_property
from typing import cast

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
    # A low-value consignment's platform (or courier) that sent its manifest, and its courier.
    "platform": (Scope.HEADER, False),
    "courier": (Scope.HEADER, False),
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
    # The agreement the item claims (its own claim, or the consignment's), and the additional
    # code it declares (a named producer: profiles watch for anti-dumping circumvention).
    "agreement": (Scope.ITEM, False),
    "additional_code": (Scope.ITEM, False),
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
            return text in cast("tuple[str, ...]", self.value)
        if op is Operator.NOT_IN:
            return text not in cast("tuple[str, ...]", self.value)
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

    @cached_property
    def _header_criteria(self) -> tuple[Criterion, ...]:
        return tuple(c for c in self.criteria if c.scope is Scope.HEADER)

    @cached_property
    def _item_criteria(self) -> tuple[Criterion, ...]:
        return tuple(c for c in self.criteria if c.scope is Scope.ITEM)

    def hit(self, subject: RiskSubject) -> bool:
        header, items = self._header_criteria, self._item_criteria
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


class AeoRole(enum.Enum):
    """The role in which an operator is named on a consignment."""

    IMPORTER = "importer"
    EXPORTER = "exporter"
    CONSIGNOR = "consignor"  # the holder of a transit procedure
    CARRIER = "carrier"


@dataclass(frozen=True)
class AeoStanding:
    """An authorised economic operator named on a consignment in a role, as the AEO register
    recognises it on the day: which benefits the consignment gets from it."""

    operator: str  # the operator id as its administration wrote it, e.g. THTRADER0001
    role: AeoRole
    programme: str  # in words: "the AEO programme of TH", "ASEAN AEO MRA (recognised ...)"
    lower_score: bool = True  # the model's score scaled by policy.aeo_factor
    fewer_checks: bool = True  # random checks at policy.aeo_random_share, not random_share
    priority: bool = True  # first in the officers' worklist when selected
    simplified_transit: bool = False  # authorised consignor: a yellow movement is released

    def benefits(self, policy: SelectivityPolicy | None = None, scored: bool = True) -> list[str]:
        """The benefits in words, with the policy's figures when it is given; `scored` is
        False when no model score was scaled (no model in service, or a factor of 1)."""
        out = []
        if self.lower_score and scored:
            out.append(
                f"model score scaled by {policy.aeo_factor:g}" if policy else "lower score"
            )
        if self.fewer_checks:
            out.append(
                f"random checks at {policy.aeo_share:.1%} instead of {policy.random_share:.1%}"
                if policy
                else "fewer random checks"
            )
        if self.priority:
            out.append("priority in the worklist")
        if self.simplified_transit:
            out.append("simplified transit procedure (authorised consignor)")
        return out

    def describe(self, policy: SelectivityPolicy | None = None, scored: bool = True) -> str:
        """One reason line: the operator, its role, the programme and the benefits."""
        benefits = "; ".join(self.benefits(policy, scored)) or "no benefit"
        return (
            f"AEO benefit: {self.role.value} {self.operator}, recognised under "
            f"{self.programme}: {benefits}"
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "operator": self.operator,
            "role": self.role.value,
            "programme": self.programme,
            "lower_score": self.lower_score,
            "fewer_checks": self.fewer_checks,
            "priority": self.priority,
            "simplified_transit": self.simplified_transit,
        }


# The AEO register's question: given a consignment's (party id, role) pairs in order and the
# day, the standing of the first party it recognises in its role, or None (the AEO room).
AeoRegister = Callable[[Sequence[tuple[str, AeoRole]], date], AeoStanding | None]


def no_aeo_register(parties: Sequence[tuple[str, AeoRole]], on: date) -> AeoStanding | None:
    """The default register: empty, nobody is recognised."""
    return None


@dataclass(frozen=True)
class Selection:
    channel: Channel
    reasons: tuple[str, ...]
    rule_ids: tuple[str, ...] = ()
    random: bool = False  # drawn for the random share (whether or not it raised the channel)
    score: float | None = None  # the learned model's score, after any AEO scaling
    model_version: int | None = None
    aeo: AeoStanding | None = None  # the authorised operator whose benefits applied

    def as_dict(self) -> dict[str, object]:
        return {
            "channel": self.channel.value,
            "reasons": list(self.reasons),
            "rule_ids": list(self.rule_ids),
            "random": self.random,
            "score": self.score,
            "model_version": self.model_version,
            "aeo": self.aeo.as_dict() if self.aeo is not None else None,
        }


@dataclass
class SelectivityPolicy:
    """What officers set.

    `random_share` of all consignments is drawn for a check at random (to `random_channel`),
    whatever else says, so that inspection results stay an unbiased sample of the flow.
    `red_rate` and `yellow_rate` are the shares of the flow the learned model sends to red and
    to yellow: the highest-scoring `red_rate` go red, the next `yellow_rate` yellow.
    `aeo_factor` scales the score of an authorised economic operator (0.5 halves it);
    `aeo_random_share` is its random-check share: lower than `random_share`, never zero
    while others are drawn.
    """

    random_share: float = 0.02
    random_channel: Channel = Channel.YELLOW
    red_rate: float = 0.02
    yellow_rate: float = 0.05
    aeo_factor: float = 0.5
    aeo_random_share: float = 0.005
    extra: dict[str, object] = field(default_factory=dict)

    @classmethod
    def until_set(cls, random_share: float) -> SelectivityPolicy:
        """The policy in force until officers set one: the node's random share, and the AEO
        share no higher than it."""
        return cls(random_share, aeo_random_share=min(cls.aeo_random_share, random_share))

    @property
    def aeo_share(self) -> float:
        """The random share an AEO is drawn at: never above everyone's."""
        return min(self.aeo_random_share, self.random_share)

    def problems(self) -> list[Problem]:
        found = []
        for name in ("random_share", "red_rate", "yellow_rate", "aeo_factor", "aeo_random_share"):
            if not 0 <= getattr(self, name) <= 1:
                found.append(Problem(name, f"{name} is between 0 and 1"))
        aeo_share = self.aeo_random_share
        if 0 <= aeo_share <= 1 and aeo_share > self.random_share:
            found.append(
                Problem("aeo_random_share", "an AEO's random share is not above random_share")
            )
        elif 0 <= aeo_share <= 1 and self.random_share > 0 and aeo_share == 0:
            found.append(
                Problem(
                    "aeo_random_share",
                    "the random share still applies to AEOs: above 0 while random_share is",
                )
            )
        if self.red_rate + self.yellow_rate > 1:
            found.append(Problem("yellow_rate", "red and yellow rates add up to more than 1"))
        if self.random_channel is Channel.GREEN:
            found.append(Problem("random_channel", "a random pick goes to yellow or red"))
        return found


@dataclass(frozen=True)
class ScoreCalibration:
    """How the model in service scores the node's recent flow: its score quantiles at levels
    0, 1/n, ..., 1. A rate becomes a threshold: the score above which that share of the flow
    lies."""

    quantiles: tuple[float, ...]
    population: int

    def threshold(self, rate: float) -> float:
        """The score at the (1 - rate) quantile; a rate of 0 selects nobody."""
        if rate <= 0 or not self.quantiles:
            return math.inf
        level = min(max(1.0 - rate, 0.0), 1.0) * (len(self.quantiles) - 1)
        low = math.floor(level)
        high = min(low + 1, len(self.quantiles) - 1)
        fraction = level - low
        return self.quantiles[low] * (1 - fraction) + self.quantiles[high] * fraction

    def thresholds(self, policy: SelectivityPolicy) -> Thresholds:
        return Thresholds(
            red=self.threshold(policy.red_rate),
            yellow=self.threshold(policy.red_rate + policy.yellow_rate),
        )


@dataclass(frozen=True)
class Thresholds:
    red: float
    yellow: float

    def channel(self, score: float) -> Channel:
        if score >= self.red:
            return Channel.RED
        if score >= self.yellow:
            return Channel.YELLOW
        return Channel.GREEN


@dataclass(frozen=True)
class ModelOpinion:
    """What the learned model says of a consignment, read by `choose_channel`.

    `reasons` are the model's top contributing features in words; they are worked out only when
    the score reaches a threshold (explaining costs more than scoring)."""

    version: int
    score: float  # after AEO scaling; what the thresholds are compared with
    raw_score: float
    thresholds: Thresholds | None  # None: the model is not calibrated yet, it only informs
    reasons: tuple[str, ...] = ()
    aeo_party: str | None = None  # the authorised operator whose score was scaled
    aeo_factor: float = 1.0

    @property
    def channel(self) -> Channel:
        return Channel.GREEN if self.thresholds is None else self.thresholds.channel(self.score)

    def describe(self) -> list[str]:
        out = []
        if self.aeo_party is not None:
            out.append(
                f"AEO operator {self.aeo_party}: model score scaled by {self.aeo_factor:g} "
                f"({self.raw_score:.3f} → {self.score:.3f})"
            )
        channel = self.channel
        if self.thresholds is None:
            out.append(f"risk model v{self.version}: score {self.score:.3f} (not yet calibrated)")
        elif channel is Channel.GREEN:
            out.append(
                f"risk model v{self.version}: score {self.score:.3f} below the yellow "
                f"threshold {self.thresholds.yellow:.3f}"
            )
        else:
            limit = self.thresholds.red if channel is Channel.RED else self.thresholds.yellow
            out.append(
                f"risk model v{self.version}: score {self.score:.3f} at or above the "
                f"{channel.value} threshold {limit:.3f} → {channel.value}"
            )
            out.extend(f"  model factor: {text}" for text in self.reasons)
        return out


def choose_channel(
    subject: RiskSubject,
    rules: Sequence[RiskRule],
    policy: SelectivityPolicy,
    on: date,
    rng: random.Random,
    opinion: ModelOpinion | None = None,
    aeo: AeoStanding | None = None,
) -> Selection:
    """The channel for a consignment and every reason that chose it.

    In order: a forcing rule decides outright (even a lower channel than the model's); else the
    most severe of the other rule hits and the model's channel; then the random draw, which can
    raise the channel but never lower it. A recognised AEO (`aeo`) with fewer checks is drawn
    at the policy's AEO share; its benefits are named in the reasons.
    """
    hits = [rule for rule in rules if rule.applies_on(on) and rule.hit(subject)]
    # The random draw happens for every consignment, AEOs too, whatever else says, so that
    # the share of random checks cannot be inferred from the rules.
    share = policy.aeo_share if aeo is not None and aeo.fewer_checks else policy.random_share
    drawn = rng.random() < share
    whose = "of AEO declarations" if share != policy.random_share else "of declarations"
    random_reason = f"random selection ({share:.1%} {whose})"
    score = opinion.score if opinion else None
    version = opinion.version if opinion else None
    scored = opinion is not None and opinion.aeo_party is not None
    benefit = [aeo.describe(policy, scored)] if aeo is not None else []
    forced = [rule for rule in hits if rule.forced]
    if forced:
        channel = _most_severe(rule.channel for rule in forced)
        reasons = [f"{rule.explain()} → {rule.channel.value} (forced)" for rule in forced]
        reasons.append(
            f"a forcing rule decides: {channel.value}, whatever the model or a random draw say"
        )
        if opinion is not None:
            reasons.extend(opinion.describe())
        reasons.extend(benefit)
        return Selection(
            channel, tuple(reasons), tuple(r.id for r in hits), drawn, score, version, aeo
        )
    reasons = [f"{rule.explain()} → {rule.channel.value}" for rule in hits]
    channel = _most_severe([Channel.GREEN, *(rule.channel for rule in hits)])
    if opinion is not None:
        reasons.extend(opinion.describe())
        channel = _most_severe([channel, opinion.channel])
    if drawn:
        if policy.random_channel.severity > channel.severity:
            channel = policy.random_channel
            reasons.append(random_reason)
        else:
            reasons.append(random_reason + f"; already {channel.value}")
    if channel is Channel.GREEN:
        why = ["no risk rule hit"]
        if opinion is None:
            why.append("no risk model in service")
        why.append("not drawn for a random check")
        reasons.insert(0, "green: " + "; ".join(why))
    reasons.extend(benefit)
    return Selection(channel, tuple(reasons), tuple(r.id for r in hits), drawn, score, version, aeo)


def _most_severe(channels: Iterable[Channel]) -> Channel:
    return max(channels, key=lambda c: c.severity)


@dataclass(frozen=True)
class RuleStatistics:
    """How a rule has done: selections, inspected selections and findings."""

    selections: int
    inspected: int
    findings: int

    @property
    def hit_rate(self) -> float | None:
        return self.findings / self.inspected if self.inspected else None
