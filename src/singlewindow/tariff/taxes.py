"""The duties and taxes a goods item owes, laid in the order each country's law gives.

Standard library only. `Duties` (measure_set) says which measures apply to a goods item;
this module turns them into duty lines: the customs duty and the additional duties
(anti-dumping, safeguard) on the customs value, then each internal tax on the base its
country's law gives (`TaxBases`), so that VAT in Viet Nam is charged on the customs value,
the import duty, the additional duties, the special consumption tax and the environmental
protection tax, in that order. Every line names the measure that produced it and its base.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from singlewindow.core.money import round_to_minor_unit
from singlewindow.tariff.measure_set import Cited, Duties
from singlewindow.tariff.measures import MeasureType
from singlewindow.tariff.model import DutyLine, TaxType


class BaseComponent(enum.StrEnum):
    """What a tax's base may add up: the customs value and the amounts laid before it."""

    CUSTOMS_VALUE = "customs value"
    IMPORT_DUTY = "import duty"
    ADDITIONAL_DUTIES = "additional duties"
    EXCISE = "excise"
    ENVIRONMENTAL_TAX = "environmental tax"


_TAX_OF: dict[MeasureType, TaxType] = {
    MeasureType.EXCISE: TaxType.EXCISE,
    MeasureType.ENVIRONMENTAL_TAX: TaxType.ENVIRONMENTAL_TAX,
    MeasureType.VAT: TaxType.VAT,
}
_COMPONENT_OF: dict[TaxType, BaseComponent] = {
    TaxType.IMPORT_DUTY: BaseComponent.IMPORT_DUTY,
    TaxType.ADDITIONAL_DUTY: BaseComponent.ADDITIONAL_DUTIES,
    TaxType.EXCISE: BaseComponent.EXCISE,
    TaxType.ENVIRONMENTAL_TAX: BaseComponent.ENVIRONMENTAL_TAX,
}


@dataclass(frozen=True)
class TaxBases:
    """A country's rule of bases: the internal taxes in the order they are laid, each with
    what its base adds up, and the law that says so. A tax is laid only when a measure of
    it applies to the item; a component with nothing laid adds nothing."""

    law: str
    order: tuple[tuple[TaxType, tuple[BaseComponent, ...]], ...]

    def base_of(self, tax: TaxType) -> tuple[BaseComponent, ...]:
        for kind, components in self.order:
            if kind is tax:
                return components
        raise KeyError(f"{tax.value} has no base in the rule of {self.law}")


_V, _D, _A, _X, _E = (
    BaseComponent.CUSTOMS_VALUE,
    BaseComponent.IMPORT_DUTY,
    BaseComponent.ADDITIONAL_DUTIES,
    BaseComponent.EXCISE,
    BaseComponent.ENVIRONMENTAL_TAX,
)

# The rule the sample schedules assume: excise on the duty-paid value, VAT on that plus
# excise and any environmental tax. Specific taxes (per kg, per litre) ignore their base.
DEFAULT_BASES = TaxBases(
    "the common ASEAN practice (duty-paid value for excise; VAT on top of every other tax)",
    (
        (TaxType.EXCISE, (_V, _D, _A)),
        (TaxType.ENVIRONMENTAL_TAX, (_V, _D, _A)),
        (TaxType.VAT, (_V, _D, _A, _X, _E)),
    ),
)

TAX_BASES: Mapping[str, TaxBases] = {
    # Law on VAT 48/2024/QH15 art. 7: the import price plus import duty, additional import
    # duties (trade remedies), special consumption tax and environmental protection tax.
    "VN": TaxBases(
        "Viet Nam: Law on VAT 48/2024/QH15 art. 7; Law on special consumption tax art. 7",
        DEFAULT_BASES.order,
    ),
    # Revenue Code s. 79/2: CIF plus import duty, excise and other taxes and fees.
    "TH": TaxBases("Thailand: Revenue Code s. 79/2", DEFAULT_BASES.order),
}


def tax_bases(country: str) -> TaxBases:
    return TAX_BASES.get(country, DEFAULT_BASES)


def lay_duties(
    duties: Duties,
    customs_value: Decimal,
    quantity: Decimal,
    currency: str,
    bases: TaxBases = DEFAULT_BASES,
) -> list[DutyLine]:
    """The duty lines of one goods item: customs duty, additional duties, then each tax on
    its base, in the order of `bases`. `customs_value` is in national currency `currency`;
    `quantity` is in the unit the specific rates are written in."""
    lines = duties.customs_lines(customs_value, quantity, currency)
    laid: dict[BaseComponent, Decimal] = {_V: customs_value}
    for line in lines:
        component = _COMPONENT_OF[line.tax]
        laid[component] = laid.get(component, Decimal(0)) + line.amount
    if not duties.taxes:
        return lines
    taxes = {_TAX_OF[c.measure.type]: c for c in duties.taxes}
    for tax, components in bases.order:
        cited = taxes.get(tax)
        if cited is None:
            continue
        present = tuple(c for c in components if c in laid)
        base = sum((laid[c] for c in present), Decimal(0))
        line = _tax_line(tax, cited, present, base, quantity, currency)
        lines.append(line)
        if tax in _COMPONENT_OF:  # VAT is the base of nothing
            laid[_COMPONENT_OF[tax]] = line.amount
    return lines


def _tax_line(
    tax: TaxType,
    cited: Cited,
    components: tuple[BaseComponent, ...],
    base: Decimal,
    quantity: Decimal,
    currency: str,
) -> DutyLine:
    rate = cited.measure.duty
    if rate is None:  # validation refuses a tax measure without a duty expression
        raise ValueError(f"measure {cited.id} has no duty expression")
    amount = round_to_minor_unit(rate.amount(base, quantity), currency)
    what = _what(cited.measure.type.label, components, cited.description)
    return DutyLine(tax, what, base, quantity, rate.text, amount, currency, False, rate)


@lru_cache(maxsize=4096)
def _what(label: str, components: tuple[BaseComponent, ...], citation: str) -> str:
    """`VAT on customs value + import duty (measure …)`, written once per measure and base."""
    return f"{label} on {' + '.join(components)} ({citation})"
