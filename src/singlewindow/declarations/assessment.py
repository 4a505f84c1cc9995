"""Assessment of a declaration: customs value, duties and taxes with their explanation,
the preference decision, and the facts selectivity scores. No storage."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from singlewindow.core.errors import Problem
from singlewindow.declarations.model import (
    Declaration,
    DeclarationType,
    GoodsItem,
    ValuationLine,
    customs_values,
)
from singlewindow.risk.model import RiskSubject
from singlewindow.tariff.book import TariffBook
from singlewindow.tariff.measure_set import Duties, PreferenceRefusal, RefusalKind
from singlewindow.tariff.measures import E_FORM_D, PresentedDocument
from singlewindow.tariff.model import DutyLine, TariffLine, TaxType, duty_formula
from singlewindow.tariff.taxes import lay_duties, tax_bases

# Decides a preference claim: (declaration, item) -> (granted, why), where granted is None
# while the proof waits for an officer's documentary check.
PreferenceCheck = Callable[[Declaration, GoodsItem], tuple[bool | None, str]]


def documentary_preference_check(country: str) -> PreferenceCheck:
    """A proof of origin this node cannot verify electronically (any proof outside a
    network; on one, every proof but the e-Form D) is recorded by its reference: a plausible
    claim waits for the officer's documentary check, and until then the third-country duty is
    assessed. Whether the origin may claim the agreement at all is the tariff's to say."""

    def check(declaration: Declaration, item: GoodsItem) -> tuple[bool | None, str]:
        claim = declaration.claim_of(item)
        if claim is None or not claim.proof_reference:
            return False, "no preference claimed"
        if item.origin_country == country:
            return False, f"origin {country} is the importing country itself"
        return None, (
            f"{claim.agreement} claimed with proof of origin {claim.proof_type}"
            f" {claim.proof_reference}, which this node cannot verify electronically: the MFN"
            " rate applies until an officer accepts the proof at the documentary check"
        )

    return check


def preference_checks(
    country: str,
    electronic: PreferenceCheck | None = None,
    verified: frozenset[str] = frozenset({E_FORM_D.code}),
) -> PreferenceCheck:
    """The node's check of claims: proofs of the `verified` types by the `electronic` check
    (the origin room's e-Form D on a network), every other by the documentary check."""
    documentary = documentary_preference_check(country)
    if electronic is None:
        return documentary

    def check(declaration: Declaration, item: GoodsItem) -> tuple[bool | None, str]:
        claim = declaration.claim_of(item)
        if claim is not None and claim.proof_type in verified:
            return electronic(declaration, item)
        return documentary(declaration, item)

    return check


def accepted_after_documentary_check(check: PreferenceCheck, officer: str) -> PreferenceCheck:
    """The check once an officer has accepted the proof: what was pending is granted."""

    def accepted(declaration: Declaration, item: GoodsItem) -> tuple[bool | None, str]:
        granted, why = check(declaration, item)
        claim = declaration.claim_of(item)
        if granted is None and claim is not None:
            return True, (
                f"{claim.agreement} granted: proof of origin {claim.proof_type}"
                f" {claim.proof_reference} accepted at the documentary check by {officer}"
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
    """Customs value, duties and taxes of every goods item, each duty naming its measure,
    with the preference decided: the tariff says whether the claimed agreement has a rate
    for the item and its proof is of the right type; `preference_check` whether customs
    accepts the proof itself."""
    valuation = customs_values(draft, currency)
    bases = tax_bases(book.country)
    duties: list[tuple[DutyLine, ...]] = []
    notes: list[str] = []
    pending: list[int] = []
    for item, value in zip(draft.items, valuation, strict=True):
        if draft.type is DeclarationType.EXPORT:
            duties.append(())
            continue
        line = book.line(item.commodity_code, on)
        assert line is not None  # validated
        item_duties = measures_of(draft, item, book, on)
        claim = draft.claim_of(item)
        if claim is not None:
            item_duties, note, waits = _decide_preference(
                draft, item, line, item_duties, preference_check
            )
            notes.append(f"item {item.sequence}: {note}")
            if waits:
                pending.append(item.sequence)
        duties.append(
            tuple(
                lay_duties(
                    item_duties,
                    value.customs_value,
                    dutiable_quantity(item, line),
                    currency,
                    bases,
                )
            )
        )
    return Assessment(currency, tuple(valuation), tuple(duties), tuple(notes), tuple(pending))


def measures_of(draft: Declaration, item: GoodsItem, book: TariffBook, on: date) -> Duties:
    """What the tariff's measures lay on `item`: its claim and the documents it presents (its
    own, the declaration's, and the proof of origin it claims with)."""
    claim = draft.claim_of(item)
    asked = book.measures.document_codes
    held = (*item.documents, *draft.documents)
    documents = [PresentedDocument(d.code, d.reference) for d in held if d.code in asked]
    if claim is not None:
        documents.append(PresentedDocument(claim.proof_type, claim.proof_reference))
    return book.measures.duties_for(
        item.commodity_code,
        item.origin_country,
        on,
        item.additional_code,
        claimed=claim.agreement if claim is not None else None,
        documents=documents,
    )


def tariff_problems(draft: Declaration, book: TariffBook, on: date) -> list[Problem]:
    """What the tariff's measures refuse on an import, each at its item: a prohibition, a
    licence or permit missing, a claim the origin cannot make or without its proof, and an
    additional code left out or not the tariff's."""
    problems: list[Problem] = []
    for index, item in enumerate(draft.items):
        path = f"items.{index}"
        if book.line(item.commodity_code, on) is None:
            # refused as an unknown line already; a prohibition still says why it never will be
            code = item.commodity_code
            if len(code) == 8 and code.isdigit():
                found = book.measures.duties_for(code, item.origin_country, on)
                problems += found.prohibition_problems(path)
            continue
        wanted = book.measures.additional_codes_for(item.commodity_code, item.origin_country, on)
        if wanted and item.additional_code not in wanted:
            declared = (
                "" if item.additional_code is None else f"{item.additional_code} is not one: "
            )
            problems.append(
                Problem(
                    f"{path}.additional_code",
                    f"{declared}{item.commodity_code} from {item.origin_country} needs the"
                    f" additional code of its producer: one of {', '.join(sorted(wanted))}",
                )
            )
        elif item.additional_code is not None and not wanted:
            problems.append(
                Problem(
                    f"{path}.additional_code",
                    f"no measure on {item.commodity_code} from {item.origin_country} has"
                    f" additional code {item.additional_code}",
                )
            )
        duties = measures_of(draft, item, book, on)
        refusal = duties.refusal
        if item.preference is None and refusal and refusal.kind is RefusalKind.NOT_PARTY:
            # the consignment's claim covers the items that can claim it, as a certificate
            # lists the originating goods only; an item's own claim must be one it can make
            duties = replace(duties, refusal=None)
        problems += duties.problems(path)
    return problems


def _decide_preference(
    draft: Declaration,
    item: GoodsItem,
    line: TariffLine,
    duties: Duties,
    preference_check: PreferenceCheck,
) -> tuple[Duties, str, bool]:
    """The item's duties with its claim decided, the note that says how, and whether the
    decision waits for the officer's documentary check."""
    refusal = duties.refusal
    if refusal is not None:
        if refusal.kind is RefusalKind.NO_RATE:
            return duties, (
                f"not applied: tariff line {line.dotted_code} has no {refusal.agreement} rate,"
                " so the MFN rate applies"
            ), False
        return duties, f"refused: {refusal.reason}", False
    granted, why = preference_check(draft, item)
    if granted:
        return duties, f"granted: {why}", False
    claimed = draft.claim_of(item)
    agreement = claimed.agreement if claimed is not None else ""
    refused = duties.without_preference(PreferenceRefusal(agreement, why))
    if granted is None:
        return refused, f"pending: {why}", True
    return refused, f"refused: {why}", False


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
        # The export an import cites (its ACDD): what shows who the exporter really is.
        "export_reference": draft.export_reference,
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
                "agreement": claim.agreement if (claim := draft.claim_of(item)) else None,
                "additional_code": item.additional_code,
            }
        )
    return RiskSubject(header, items)


def dutiable_quantity(item: GoodsItem, line: TariffLine) -> Decimal:
    return line.dutiable_quantity(item.net_mass, item.quantity)


def _applied_rate(duties: tuple[DutyLine, ...]) -> Decimal:
    for duty in duties:
        if duty.tax is TaxType.IMPORT_DUTY and duty.base:
            return (duty.amount * 100 / duty.base).quantize(Decimal("0.01"))
    return Decimal(0)
