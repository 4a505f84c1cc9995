"""Assessment of a declaration: customs value, duties and taxes with their explanation,
the preference decision, and the facts selectivity scores. No storage."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from singlewindow.core.countries import ASEAN
from singlewindow.declarations.model import (
    Declaration,
    DeclarationType,
    GoodsItem,
    ValuationLine,
    customs_values,
)
from singlewindow.risk.model import RiskSubject
from singlewindow.tariff.book import TariffBook
from singlewindow.tariff.model import (
    DutyLine,
    TariffLine,
    TaxType,
    assess_item,
    duty_formula,
)

# Decides a preference claim: (declaration, item) -> (granted, why), where granted is None
# while the proof waits for an officer's documentary check.
PreferenceCheck = Callable[[Declaration, GoodsItem], tuple[bool | None, str]]


def documentary_preference_check(country: str) -> PreferenceCheck:
    """A node outside a network cannot verify a proof of origin electronically: a plausible
    ATIGA claim (a proof reference, goods of another ASEAN member state) waits for the
    officer's documentary check, and until then the MFN rate is assessed. On a network the
    e-Form D's verification replaces this."""

    def check(declaration: Declaration, item: GoodsItem) -> tuple[bool | None, str]:
        if declaration.preference != "ATIGA" or not declaration.proof_of_origin:
            return False, "no preference claimed"
        if item.origin_country not in ASEAN or item.origin_country == country:
            return False, f"origin {item.origin_country} is not another ASEAN member state"
        return None, (
            f"ATIGA claimed with proof of origin {declaration.proof_of_origin}, which this node"
            " cannot verify electronically: the MFN rate applies until an officer accepts the"
            " proof at the documentary check"
        )

    return check


def accepted_after_documentary_check(check: PreferenceCheck, officer: str) -> PreferenceCheck:
    """The check once an officer has accepted the proof: what was pending is granted."""

    def accepted(declaration: Declaration, item: GoodsItem) -> tuple[bool | None, str]:
        granted, why = check(declaration, item)
        if granted is None:
            return True, (
                f"ATIGA granted: proof of origin {declaration.proof_of_origin} accepted at the"
                f" documentary check by {officer}"
            )
        return granted, why

    return accepted


@dataclass(frozen=True)
class Assessment:
    """Valuation, duties and their explanation for one version of a declaration."""

    currency: str
    valuation: tuple[ValuationLine, ...]
    duties: tuple[tuple[DutyLine, ...], ...]
    preference_notes: tuple[str, ...]
    # Items whose preference waits for the officer's documentary check of the proof.
    pending: tuple[int, ...] = ()

    @property
    def preference_pending(self) -> bool:
        return bool(self.pending)

    @property
    def total(self) -> Decimal:
        return sum((d.amount for lines in self.duties for d in lines), Decimal(0))

    def as_document(self) -> dict[str, Any]:
        totals: dict[str, Decimal] = {}
        for lines in self.duties:
            for duty in lines:
                totals[duty.tax.value] = totals.get(duty.tax.value, Decimal(0)) + duty.amount
        return {
            "currency": self.currency,
            "total": str(self.total),
            "totals": {tax: str(amount) for tax, amount in totals.items()},
            "preference": list(self.preference_notes),
            "preference_pending": list(self.pending),
            "items": [
                {
                    "sequence": value.item,
                    "customs_value": str(value.customs_value),
                    "valuation": value.formula,
                    "duties": [
                        {
                            "tax": duty.tax.value,
                            "measure": duty.measure,
                            "base": str(duty.base),
                            "quantity": str(duty.quantity),
                            "rate": duty.rate,
                            "amount": str(duty.amount),
                            "preferential": duty.preferential,
                        }
                        for duty in lines
                    ],
                }
                for value, lines in zip(self.valuation, self.duties, strict=True)
            ],
        }


def explained(assessment: dict[str, Any]) -> dict[str, Any]:
    """The stored assessment with the formula of every duty written out. Assessments are
    stored as figures (base, quantity, rate, amount) and explained when read, because the
    text costs more to build than the arithmetic and most are never read."""
    currency = assessment["currency"]
    items = []
    for item in assessment["items"]:
        duties = [
            duty
            | {
                "formula": duty_formula(
                    duty["rate"],
                    Decimal(duty["base"]),
                    Decimal(duty["quantity"]),
                    Decimal(duty["amount"]),
                    currency,
                )
            }
            for duty in item["duties"]
        ]
        items.append(item | {"duties": duties})
    return assessment | {"items": items}


def assess(
    draft: Declaration,
    book: TariffBook,
    on: date,
    currency: str,
    preference_check: PreferenceCheck,
) -> Assessment:
    """Customs value, duties and taxes of every goods item, with the preference decided."""
    valuation = customs_values(draft, currency)
    duties: list[tuple[DutyLine, ...]] = []
    notes: list[str] = []
    pending: list[int] = []
    for item, value in zip(draft.items, valuation, strict=True):
        if draft.type is DeclarationType.EXPORT:
            duties.append(())
            continue
        line = book.line(item.commodity_code, on)
        assert line is not None  # validated
        granted: bool | None = False
        if draft.preference:
            granted, why = preference_check(draft, item)
            if granted is None:
                pending.append(item.sequence)
                notes.append(f"item {item.sequence}: pending: {why}")
            elif granted and line.atiga is None:
                notes.append(
                    f"item {item.sequence}: not applied: tariff line {line.dotted_code} has no"
                    " ATIGA rate, so the MFN rate applies"
                )
            else:
                notes.append(f"item {item.sequence}: {'granted' if granted else 'refused'}: {why}")
        duties.append(
            tuple(
                assess_item(
                    line,
                    value.customs_value,
                    dutiable_quantity(item, line),
                    currency,
                    bool(granted),
                )
            )
        )
    return Assessment(currency, tuple(valuation), tuple(duties), tuple(notes), tuple(pending))


def risk_subject(
    draft: Declaration, assessment: Assessment, book: TariffBook, on: date
) -> RiskSubject:
    """What selectivity looks at, in the fields its rules and model know."""
    header = {
        "type": draft.type.value,
        "office": draft.office,
        "export_country": draft.export_country,
        "destination_country": draft.destination_country,
        "transport_mode": draft.transport_mode,
        "incoterm": draft.incoterm,
        "declarant": draft.declarant.id,
        "importer": draft.importer.id if draft.importer else None,
        "exporter": draft.exporter.id if draft.exporter else None,
        "seller": draft.seller.id if draft.seller else None,
        "buyer": draft.buyer.id if draft.buyer else None,
        "preference": draft.preference,
        "invoice_currency": draft.invoice_currency,
        "total_customs_value": sum((v.customs_value for v in assessment.valuation), Decimal(0)),
        "item_count": len(draft.items),
    }
    items = []
    for item, value, duties in zip(
        draft.items, assessment.valuation, assessment.duties, strict=True
    ):
        line = book.line(item.commodity_code, on)
        quantity = dutiable_quantity(item, line) if line else item.quantity
        unit_value = value.customs_value / quantity if quantity else Decimal(0)
        ratio = (
            (unit_value / line.reference_unit_value).quantize(Decimal("0.0001"))
            if line is not None and line.reference_unit_value
            else None
        )
        items.append(
            {
                "commodity_code": item.commodity_code,
                "origin_country": item.origin_country,
                "description": item.description,
                "quantity": item.quantity,
                "net_mass": item.net_mass,
                "customs_value": value.customs_value,
                "unit_value": unit_value.quantize(Decimal("0.01")),
                "unit_value_ratio": ratio,
                # The import duty actually applied, as a percentage of the customs value.
                "duty_rate": _applied_rate(duties),
            }
        )
    return RiskSubject(header, items)


def dutiable_quantity(item: GoodsItem, line: TariffLine) -> Decimal:
    """Specific rates per kg apply to the net mass; others to the quantity in the line's unit."""
    return item.net_mass if line.quantity_unit == "kg" else item.quantity


def _applied_rate(duties: tuple[DutyLine, ...]) -> Decimal:
    for duty in duties:
        if duty.tax is TaxType.IMPORT_DUTY and duty.base:
            return (duty.amount * 100 / duty.base).quantize(Decimal("0.01"))
    return Decimal(0)
