"""Customs reference data: the register of customs offices and the published exchange rates.

Standard library only. As NCTS's central reference data (CS/RD) has it, a declaration or a
transit movement may name only an office that is in the register, open on the day, and
competent for the procedure; as the UK Trade Tariff publishes them, an exchange rate is
customs' figure for a currency over a dated period, never the trader's. The rules here:

- `office_refusal`: why an office may not handle a procedure on a date (None: it may);
- `RateTable.rate`: the published rate of a currency on a date;
- `plan_rate_load`: what a new table adds, and the overlaps that refuse it whole.
"""

from __future__ import annotations

import bisect
import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from singlewindow.core.errors import Problem
from singlewindow.core.money import is_currency

OFFICE_CODE = re.compile(r"^[A-Z]{2}[A-Z0-9]{1,6}$")
NAME_LENGTH = 120
# A rate is national currency per one unit of foreign currency: SGD per VND is 0.0000527559,
# VND per USD 25400; twelve decimals and sixteen integer digits cover every pair in use.
RATE_DECIMALS = 12
RATE_INTEGER_DIGITS = 16
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class OfficeKind(enum.StrEnum):
    SEAPORT = "seaport"
    AIRPORT = "airport"
    LAND_BORDER = "land_border"
    INLAND = "inland"  # inland clearance depot, dry port, post office of exchange


class Procedure(enum.StrEnum):
    IMPORT = "import"
    EXPORT = "export"
    TRANSIT = "transit"


@dataclass(frozen=True)
class Office:
    """A customs office of the register, with the procedures it is competent for."""

    code: str  # e.g. VNHCM01: the country's ISO code, then up to six letters or digits
    name: str
    kind: OfficeKind
    procedures: frozenset[Procedure]
    valid_from: date
    valid_to: date | None = None  # the last day it is open; None: open-ended
    sample: bool = False  # a packaged sample entry, not the administration's register

    @property
    def country(self) -> str:
        return self.code[:2]

    def in_force(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)

    def handles(self, procedure: Procedure, on: date) -> bool:
        return self.in_force(on) and procedure in self.procedures


def office_refusal(office: Office | None, code: str, procedure: Procedure, on: date) -> str | None:
    """Why the office `code` (looked up as `office`) may not handle `procedure` on `on`;
    None when it may. An office nobody has registered is where no officer would ever see
    the declaration, so it is refused like a closed one."""
    if office is None:
        return f"{code!r} is not a customs office in the register"
    if on < office.valid_from:
        return f"office {office.code} ({office.name}) opens on {office.valid_from}"
    if office.valid_to is not None and on > office.valid_to:
        return f"office {office.code} ({office.name}) closed on {office.valid_to}"
    if procedure not in office.procedures:
        handled = ", ".join(sorted(p.value for p in office.procedures))
        return (
            f"office {office.code} ({office.name}) does not handle {procedure.value} "
            f"(it handles {handled})"
        )
    return None


def office_problems(office: Office, country: str, path: str = "") -> list[Problem]:
    """Every problem of an office entry for the register of `country`'s node."""
    at = f"{path}." if path else ""
    problems: list[Problem] = []
    if not OFFICE_CODE.match(office.code):
        problems.append(
            Problem(
                f"{at}code",
                f"{office.code!r} is not an office code: the country's two letters, then one "
                "to six capital letters or digits (e.g. VNHCM01)",
            )
        )
    elif office.country != country:
        problems.append(
            Problem(
                f"{at}code",
                f"{office.code} is not an office of {country}: this node registers only "
                f"codes starting {country}",
            )
        )
    name = office.name.strip()
    if not name:
        problems.append(Problem(f"{at}name", "the office's name is required"))
    elif len(office.name) > NAME_LENGTH:
        problems.append(Problem(f"{at}name", f"at most {NAME_LENGTH} characters"))
    elif _CONTROL.search(office.name):
        problems.append(Problem(f"{at}name", "control characters are not allowed"))
    if not office.procedures:
        problems.append(Problem(f"{at}procedures", "name at least one procedure it handles"))
    if office.valid_to is not None and office.valid_to < office.valid_from:
        problems.append(
            Problem(f"{at}valid_to", f"{office.valid_to} is before valid_from {office.valid_from}")
        )
    return problems


# ---------------------------------------------------------------------------------------------
# Exchange rates


@dataclass(frozen=True)
class ExchangeRate:
    """Customs' rate of `currency` over a period: `rate` units of national currency for one
    unit of `currency`, from `valid_from` to `valid_to`, both days included."""

    currency: str
    national_currency: str
    rate: Decimal
    valid_from: date
    valid_to: date
    sample: bool = False  # a packaged sample rate, not one customs published

    @classmethod
    def identity(cls, currency: str, on: date) -> ExchangeRate:
        """The national currency against itself: 1, on any day."""
        return cls(currency, currency, Decimal(1), on, on)

    def in_force(self, on: date) -> bool:
        return self.valid_from <= on <= self.valid_to

    def overlaps(self, other: ExchangeRate) -> bool:
        return (
            self.currency == other.currency
            and self.valid_from <= other.valid_to
            and other.valid_from <= self.valid_to
        )

    def republishes(self, other: ExchangeRate) -> bool:
        """The same rate for the same period (loading a table twice changes nothing)."""
        return (
            self.currency == other.currency
            and self.valid_from == other.valid_from
            and self.valid_to == other.valid_to
            and self.rate == other.rate
        )

    def value_of(self, amount: Decimal) -> Decimal:
        """`amount` of `currency` in national currency, unrounded (the law rounds duties)."""
        return amount * self.rate

    @property
    def period(self) -> str:
        return f"{self.valid_from}..{self.valid_to}"


def rate_problems(rate: ExchangeRate, path: str = "") -> list[Problem]:
    """Every problem of one published rate."""
    at = f"{path}." if path else ""
    problems: list[Problem] = []
    if not is_currency(rate.currency):
        problems.append(Problem(f"{at}currency", f"{rate.currency!r} is not an ISO 4217 code"))
    value = rate.rate
    if not value.is_finite() or value <= 0:
        problems.append(Problem(f"{at}rate", f"{value} is not a rate greater than zero"))
    else:
        if value >= Decimal(10) ** RATE_INTEGER_DIGITS:
            problems.append(Problem(f"{at}rate", f"at most {RATE_INTEGER_DIGITS} integer digits"))
        elif decimal_places(value) > RATE_DECIMALS:
            problems.append(Problem(f"{at}rate", f"at most {RATE_DECIMALS} decimal places"))
        elif rate.currency == rate.national_currency and value != 1:
            problems.append(
                Problem(f"{at}rate", f"{rate.currency} is the national currency: its rate is 1")
            )
    if rate.valid_to < rate.valid_from:
        problems.append(
            Problem(f"{at}valid_to", f"{rate.valid_to} is before valid_from {rate.valid_from}")
        )
    return problems


def decimal_places(value: Decimal) -> int:
    """Decimal places that carry a digit (`1.2500` has two), without rounding anything."""
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # a finite number
    places = -exponent
    for digit in reversed(digits):
        if places <= 0 or digit != 0:
            break
        places -= 1
    return max(places, 0)


def declared_rate_refusal(published: ExchangeRate, declared: Decimal) -> str | None:
    """Why a declared rate may not stand (None: it is the published one). The customs value
    is converted at customs' rate, so any other figure would move the duties."""
    if declared == published.rate:
        return None
    return (
        f"the exchange rate of {published.currency} on this day is {published.rate} "
        f"{published.national_currency} (published for {published.period}), not {declared}"
    )


class RateTable:
    """A node's published rates by currency, periods in date order: `rate()` is a dict look-up
    and a bisection."""

    def __init__(self, national_currency: str, rates: Iterable[ExchangeRate]) -> None:
        self.national_currency = national_currency
        by_currency: dict[str, list[ExchangeRate]] = {}
        for rate in rates:
            by_currency.setdefault(rate.currency, []).append(rate)
        self._periods = {
            currency: tuple(sorted(periods, key=lambda r: r.valid_from))
            for currency, periods in sorted(by_currency.items())
        }
        self._starts = {
            currency: [r.valid_from for r in periods] for currency, periods in self._periods.items()
        }

    def __len__(self) -> int:
        return sum(len(periods) for periods in self._periods.values())

    def rate(self, currency: str, on: date) -> ExchangeRate | None:
        """The rate of `currency` in force on `on`; the national currency is always 1."""
        starts = self._starts.get(currency)
        if starts is not None:
            index = bisect.bisect_right(starts, on) - 1
            if index >= 0:
                candidate = self._periods[currency][index]
                if candidate.in_force(on):
                    return candidate
        if currency == self.national_currency:
            return ExchangeRate.identity(currency, on)
        return None

    def periods(self, currency: str) -> tuple[ExchangeRate, ...]:
        return self._periods.get(currency, ())

    def rates(self, currency: str | None = None, on: date | None = None) -> list[ExchangeRate]:
        """Every stored rate, by currency then date; only `currency`'s, only those in force on
        `on`, when given."""
        chosen = [currency] if currency is not None else list(self._periods)
        return [
            rate
            for each in chosen
            for rate in self._periods.get(each, ())
            if on is None or rate.in_force(on)
        ]


@dataclass(frozen=True)
class RateLoadPlan:
    """What a load of new rates does to the stored table, once it is admitted."""

    insert: list[ExchangeRate] = field(default_factory=list)
    unchanged: list[ExchangeRate] = field(default_factory=list)  # already published as such
    superseded_samples: list[ExchangeRate] = field(default_factory=list)


def plan_rate_load(
    stored: RateTable, new: Sequence[ExchangeRate], paths: Sequence[str]
) -> tuple[RateLoadPlan, list[Problem], list[Problem]]:
    """Admit a table of new rates against the stored one; `paths[i]` is where `new[i]` came
    from (`line.7`, `3`). Returns the plan, the problems of the table itself (two of its own
    periods overlap) and its conflicts with the stored table (a period overlaps a published
    one with another rate or other dates). Either list refuses the whole load: two rates on
    one day would let the declarant pick the cheaper.

    Official rates of a currency supersede its sample rates, which never block them (the
    samples only stand in until the administration publishes)."""
    problems: list[Problem] = []
    conflicts: list[Problem] = []
    by_currency: dict[str, list[int]] = {}
    for index, rate in enumerate(new):
        by_currency.setdefault(rate.currency, []).append(index)
    for indices in by_currency.values():
        ordered = sorted(indices, key=lambda i: new[i].valid_from)
        for earlier, later in zip(ordered, ordered[1:], strict=False):
            if new[earlier].overlaps(new[later]):
                problems.append(
                    Problem(
                        f"{paths[later]}.valid_from",
                        f"{new[later].currency} {new[later].period} overlaps "
                        f"{new[earlier].period} of {paths[earlier]} in the same table",
                    )
                )
    official = {rate.currency for rate in new if not rate.sample}
    superseded = [
        rate for currency in sorted(official) for rate in stored.periods(currency) if rate.sample
    ]
    plan = RateLoadPlan(superseded_samples=superseded)
    for index, rate in enumerate(new):
        standing = [
            old
            for old in stored.periods(rate.currency)
            if not (old.sample and rate.currency in official)
        ]
        same = next((old for old in standing if rate.republishes(old)), None)
        if same is not None and same.sample == rate.sample:
            plan.unchanged.append(rate)
            continue
        clash = next((old for old in standing if rate.overlaps(old)), None)
        if clash is not None:
            conflicts.append(
                Problem(
                    f"{paths[index]}.valid_from",
                    f"{rate.currency} {rate.period} overlaps the published rate {clash.rate} "
                    f"for {clash.period}",
                )
            )
            continue
        plan.insert.append(rate)
    return plan, problems, conflicts


@dataclass(frozen=True)
class RevenueTarget:
    """What an office is to collect in a calendar year, in the national currency (set by the
    administration's management; the dashboard shows what was collected against it)."""

    office: str
    year: int
    amount: Decimal
    currency: str


MOST_TARGET = Decimal(10) ** 18  # far above any office's year; keeps the column's precision


def target_problems(target: RevenueTarget, today: date) -> list[Problem]:
    problems = []
    if not today.year - 10 <= target.year <= today.year + 5:
        problems.append(Problem("year", f"a target is for a year from {today.year - 10} to "
                                        f"{today.year + 5}"))
    if target.amount <= 0 or target.amount >= MOST_TARGET:
        problems.append(Problem("amount", "a target is a positive amount below 10^18"))
    elif decimal_places(target.amount) > 2:
        problems.append(Problem("amount", "a target has at most 2 decimal places"))
    return problems
