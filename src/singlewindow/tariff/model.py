"""The national tariff: 8-digit lines, their rates, and the duties they lay on a goods item.

Standard library only. A rate is written in a small grammar (see `Rate.parse` and
docs/tariff-csv.md); a tariff line carries the rates of its schedule's columns (MFN and ATIGA
import duty, excise, VAT) with its validity dates, which the measure model reads as measures
(`measure_set.measures_of_lines`); a `DutyLine` is one duty or tax laid on a goods item, with
its base, rate and formula, so that every figure can be explained (`taxes.lay_duties`).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cached_property

from singlewindow.tariff.errors import InvalidRate

_WORD = re.compile(r"[a-z0-9]+")
_CODE_QUERY = re.compile(r"^[\d.\s]+$")
_HUNDRED = Decimal(100)
_ZERO = Decimal(0)


class RateKind(enum.StrEnum):
    AD_VALOREM = "ad_valorem"  # a percentage of the base
    SPECIFIC = "specific"  # an amount of national currency per unit of quantity
    COMPOUND = "compound"  # both, added, or a percentage bounded by a minimum or maximum


def _number(value: Decimal) -> str:
    """A decimal as written in a rate: no exponent, no trailing zeros (`3000`, `12.5`)."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _display(value: Decimal) -> str:
    """A decimal for people: thousands separators, no trailing zeros (`1,234,000`)."""
    text = format(value, ",f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _money(value: Decimal, currency: str) -> str:
    return f"{_display(value)} {currency}" if currency else _display(value)


_NUMBER = r"\d+(?:\.\d+)?"
_UNIT = r"[a-z][a-z0-9]*|\d+[a-z][a-z0-9]*"
_RATE_RE = re.compile(
    rf"""
    ^(?:
        (?P<percent>{_NUMBER})\s*%
        (?:\s*\+\s*(?P<plus>{_NUMBER})\s*/\s*(?P<plus_unit>{_UNIT}))?
        (?:\s+min\s+(?P<min>{_NUMBER})\s*/\s*(?P<min_unit>{_UNIT}))?
        (?:\s+max\s+(?P<max>{_NUMBER})\s*/\s*(?P<max_unit>{_UNIT}))?
      |
        (?P<specific>{_NUMBER})\s*/\s*(?P<specific_unit>{_UNIT})
    )$
    """,
    re.VERBOSE,
)

GRAMMAR = (
    "write a rate as `5%`, `3000/kg`, `10% + 500/l`, `20% min 3000/kg`, `15% max 50000/u` "
    "or `20% min 3000/kg max 9000/kg` (amounts in national currency per unit)"
)


@dataclass(frozen=True)
class Charge:
    """What a rate lays on a base: the exact (unrounded) amount and how it was reached."""

    amount: Decimal
    formula: str


@dataclass(frozen=True)
class Rate:
    """A duty expression: an ad valorem percentage and/or a specific amount per unit.

    `specific` is added to the ad valorem part (`10% + 500/l`); `minimum` and `maximum`
    bound it (`20% min 3000/kg`). All specific amounts are in national currency per `unit`,
    and one rate has one unit.
    """

    percent: Decimal | None = None
    specific: Decimal | None = None
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    unit: str | None = None

    @property
    def kind(self) -> RateKind:
        if self.specific is None and self.minimum is None and self.maximum is None:
            return RateKind.AD_VALOREM
        if self.percent is None:
            return RateKind.SPECIFIC
        return RateKind.COMPOUND

    @classmethod
    def ad_valorem(cls, percent: Decimal | int | str) -> Rate:
        return cls(percent=Decimal(percent))

    @classmethod
    def parse(cls, text: str) -> Rate:
        """Read a rate in the grammar of docs/tariff-csv.md; `InvalidRate` if it is not one."""
        cleaned = " ".join(text.strip().lower().split())
        if not cleaned:
            raise InvalidRate(f"empty rate: {GRAMMAR}")
        match = _RATE_RE.match(cleaned)
        if match is None:
            raise InvalidRate(f"{text.strip()!r} is not a rate: {GRAMMAR}")
        groups = match.groupdict()
        units = {groups[k] for k in ("plus_unit", "min_unit", "max_unit", "specific_unit")}
        units.discard(None)
        if len(units) > 1:
            raise InvalidRate(f"{text.strip()!r} mixes units ({', '.join(sorted(units))})")
        try:
            rate = cls(
                percent=_decimal(groups["percent"]),
                specific=_decimal(groups["plus"] or groups["specific"]),
                minimum=_decimal(groups["min"]),
                maximum=_decimal(groups["max"]),
                unit=units.pop() if units else None,
            )
        except InvalidOperation:
            raise InvalidRate(f"{text.strip()!r} has a number that cannot be read") from None
        if rate.minimum is not None and rate.maximum is not None and rate.minimum > rate.maximum:
            raise InvalidRate(f"{text.strip()!r}: the minimum is above the maximum")
        return rate

    @classmethod
    def parse_optional(cls, text: str | None) -> Rate | None:
        """An empty cell means the measure does not apply to the line."""
        if text is None or not text.strip():
            return None
        return cls.parse(text)

    def __str__(self) -> str:
        parts: list[str] = []
        if self.percent is not None:
            parts.append(f"{_number(self.percent)}%")
        if self.specific is not None:
            specific = f"{_number(self.specific)}/{self.unit}"
            parts.append(f"+ {specific}" if parts else specific)
        if self.minimum is not None:
            parts.append(f"min {_number(self.minimum)}/{self.unit}")
        if self.maximum is not None:
            parts.append(f"max {_number(self.maximum)}/{self.unit}")
        return " ".join(parts)

    @cached_property
    def text(self) -> str:
        """`str(rate)`, computed once: duty lines quote it at every assessment."""
        return str(self)

    def amount(self, base: Decimal, quantity: Decimal) -> Decimal:
        """The exact (unrounded) charge on `base` (national currency) and `quantity` (`unit`)."""
        amount = _ZERO if self.percent is None else base * self.percent / _HUNDRED
        if self.specific is not None:
            amount += self.specific * quantity
        if self.minimum is not None:
            amount = max(amount, self.minimum * quantity)
        if self.maximum is not None:
            amount = min(amount, self.maximum * quantity)
        return amount

    def explain(self, base: Decimal, quantity: Decimal, currency: str = "") -> str:
        """The arithmetic of `amount()`, step by step, for people."""
        steps: list[str] = []
        amount = _ZERO
        if self.percent is not None:
            amount = base * self.percent / _HUNDRED
            steps.append(
                f"{_number(self.percent)}% × {_money(base, currency)} = {_money(amount, currency)}"
            )
        if self.specific is not None:
            specific = self.specific * quantity
            steps.append(self._per_unit(self.specific, quantity, specific, currency))
            amount += specific
            if self.percent is not None:
                steps.append(f"total {_money(amount, currency)}")
        if self.minimum is not None:
            floor = self.minimum * quantity
            verdict = "applies" if floor > amount else "does not apply"
            steps.append(
                f"minimum {self._per_unit(self.minimum, quantity, floor, currency)} {verdict}"
            )
            amount = max(amount, floor)
        if self.maximum is not None:
            ceiling = self.maximum * quantity
            verdict = "applies" if ceiling < amount else "does not apply"
            steps.append(
                f"maximum {self._per_unit(self.maximum, quantity, ceiling, currency)} {verdict}"
            )
        return "; ".join(steps)

    def apply(self, base: Decimal, quantity: Decimal, currency: str = "") -> Charge:
        """The charge on `base` and `quantity`, with its formula."""
        return Charge(self.amount(base, quantity), self.explain(base, quantity, currency))

    def _per_unit(self, per_unit: Decimal, quantity: Decimal, total: Decimal, currency: str) -> str:
        price = f"{_display(per_unit)} {currency}/{self.unit}" if currency else (
            f"{_display(per_unit)}/{self.unit}"
        )
        return f"{price} × {_display(quantity)} {self.unit} = {_money(total, currency)}"


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


@dataclass(frozen=True)
class TariffLine:
    """One 8-digit national tariff line under an HS 2022 subheading, valid over a period.

    `valid_to` is the last day the line is in force (inclusive); None means open-ended.
    `reference_unit_value` is the usual customs value of one unit in national currency,
    which risk selectivity compares declared values with to flag undervaluation.
    """

    country: str
    code: str
    description: str
    quantity_unit: str  # the unit its quantities are declared in (the CSV's `unit`)
    valid_from: date
    valid_to: date | None
    mfn: Rate
    vat: Rate
    atiga: Rate | None = None
    excise: Rate | None = None
    reference_unit_value: Decimal | None = None

    def dutiable_quantity(self, net_mass: Decimal, quantity: Decimal) -> Decimal:
        """What a specific rate applies to: the net mass on a line kept in kg, otherwise the
        quantity in the line's unit."""
        return net_mass if self.quantity_unit == "kg" else quantity

    @property
    def subheading(self) -> str:
        return self.code[:6]

    @property
    def heading(self) -> str:
        return self.code[:4]

    @property
    def chapter(self) -> str:
        return self.code[:2]

    @property
    def dotted_code(self) -> str:
        """The code as printed in a tariff book: `0901.11.00`."""
        return f"{self.code[:4]}.{self.code[4:6]}.{self.code[6:]}"

    def in_force(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)

    def rates(self) -> dict[str, Rate | None]:
        return {"mfn": self.mfn, "atiga": self.atiga, "vat": self.vat, "excise": self.excise}


class TaxType(enum.StrEnum):
    IMPORT_DUTY = "import_duty"  # the third-country duty, or the preference granted
    ADDITIONAL_DUTY = "additional_duty"  # anti-dumping and safeguard duties on top of it
    EXCISE = "excise"
    ENVIRONMENTAL_TAX = "environmental_tax"
    VAT = "vat"


@dataclass
class DutyLine:
    """One tax on one goods item, with what it was computed from and how.

    `amount` is rounded to the currency's minor unit (once, here). `formula` shows the
    arithmetic on the exact figures; it is written out only when read, because most
    assessments are stored as figures and only some are ever explained. Not frozen: a
    frozen dataclass costs ~3 µs more to build, and lodgement assesses thousands a second.
    """

    tax: TaxType
    measure: str  # which rate was applied and why, e.g. "ATIGA preferential rate"
    base: Decimal
    quantity: Decimal
    rate: str
    amount: Decimal
    currency: str
    preferential: bool = False
    applied_rate: Rate | None = field(default=None, repr=False, compare=False)

    @cached_property
    def formula(self) -> str:
        return duty_formula(
            self.applied_rate or self.rate, self.base, self.quantity, self.amount, self.currency
        )

    def explanation(self) -> str:
        return (
            f"{self.tax.value} ({self.measure}): base {_money(self.base, self.currency)}, "
            f"rate {self.rate}: {self.formula} → {_money(self.amount, self.currency)}"
        )


def duty_formula(
    rate: Rate | str, base: Decimal, quantity: Decimal, amount: Decimal, currency: str
) -> str:
    """The arithmetic of a duty amount as people read it, from its stored figures."""
    rate = Rate.parse(rate) if isinstance(rate, str) else rate
    formula = rate.explain(base, quantity, currency)
    if amount != rate.amount(base, quantity):
        formula += f"; rounded to {_money(amount, currency)}"
    return formula


# ---------------------------------------------------------------------------------------------
# Codes and words as people write them


def words_of(text: str) -> list[str]:
    """The words of a text for searching: lower case, letters and digits only."""
    return _WORD.findall(text.lower())


def normalize_code(code: str) -> str:
    """`0901.11` → `090111`: people write codes with dots and spaces."""
    return "".join(ch for ch in code if ch.isdigit())


def is_code_query(query: str) -> bool:
    return bool(_CODE_QUERY.match(query)) and any(ch.isdigit() for ch in query)


def search_terms(query: str, prefix: str = "") -> tuple[str, list[str]] | None:
    """What a search asks for: the code prefix to keep and the words to match. A query of
    digits alone (`0901.1`) is a code prefix too; None when it contradicts `prefix`."""
    code_prefix = normalize_code(prefix)
    if is_code_query(query):
        code = normalize_code(query)
        if not (code.startswith(code_prefix) or code_prefix.startswith(code)):
            return None
        return max(code, code_prefix, key=len), []
    return code_prefix, query_words(query)


def query_words(query: str) -> list[str]:
    """Query words, with a plural `s` dropped so that `computers` finds `computer`."""
    return [w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w
            for w in words_of(query)]


def matches_all(query: Sequence[str], words: Sequence[str]) -> tuple[int, int] | None:
    """None unless every query word starts some word of the text; else a rank key (lower is
    better): more query words found whole, then an earlier first match, rank higher."""
    exact = 0
    first = len(words)
    for q in query:
        found = whole = False
        for position, word in enumerate(words):
            if word.startswith(q):
                found = True
                whole = whole or word == q or word == q + "s"
                first = min(first, position)
        if not found:
            return None
        exact += whole
    return (-exact, first)
