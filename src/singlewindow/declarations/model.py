"""Goods declarations: the data a real one carries and the rules of its lifecycle. No I/O.

Names follow the WCO Data Model where it has one (LRN, declarant, importer, exporter, seller,
buyer, office of declaration, countries of export / origin / destination, mode of transport
at the border, delivery terms, invoice currency and exchange rate, goods items with their
commodity code, quantity, net and gross mass, invoice amount).

Lifecycle (`TRANSITIONS`):

    LODGED → ACCEPTED → ASSESSED → CHANNELLED ─┬─────────────→ RELEASED
                                               └→ INSPECTED ─┬→ RELEASED
                                                             └→ SEIZED
    any state before release → CANCELLED

A lodgement that fails validation is rejected with every problem and nothing is stored, so
REJECTED is an answer, not a stored state. LODGED, ACCEPTED and ASSESSED are passed inside the
lodgement's unit of work (each leaves its event in the log); what is stored is CHANNELLED, or
RELEASED when the green channel has nothing to collect. Release needs the duties paid or
secured. A refused move raises `DeclarationConflict`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from singlewindow.core.countries import is_country
from singlewindow.core.errors import Problem
from singlewindow.core.ids import with_check_character
from singlewindow.core.money import is_currency, minor_unit, round_to_minor_unit
from singlewindow.core.transitions import Transitions
from singlewindow.core.units import quantity_problems
from singlewindow.declarations.errors import DeclarationConflict
from singlewindow.tariff.measures import E_FORM_D


class DeclarationType(enum.StrEnum):
    IMPORT = "IM"
    EXPORT = "EX"


class Status(enum.StrEnum):
    LODGED = "lodged"
    ACCEPTED = "accepted"
    ASSESSED = "assessed"
    CHANNELLED = "channelled"
    INSPECTED = "inspected"
    RELEASED = "released"
    SEIZED = "seized"
    CANCELLED = "cancelled"


TRANSITIONS: Transitions[Status] = Transitions(
    {
        Status.LODGED: {Status.ACCEPTED, Status.CANCELLED},
        Status.ACCEPTED: {Status.ASSESSED, Status.CANCELLED},
        Status.ASSESSED: {Status.CHANNELLED, Status.CANCELLED},
        Status.CHANNELLED: {Status.INSPECTED, Status.RELEASED, Status.CANCELLED},
        Status.INSPECTED: {Status.RELEASED, Status.SEIZED, Status.CANCELLED},
        Status.RELEASED: set(),
        Status.SEIZED: set(),
        Status.CANCELLED: set(),
    },
    refusal=DeclarationConflict,
    noun="a declaration",
)
# Lodgement passes through these in its one unit of work (validated, numbered, assessed),
# so a stored declaration is at least CHANNELLED: the first status a reader can see.
LODGEMENT = (Status.LODGED, Status.ACCEPTED, Status.ASSESSED, Status.CHANNELLED)


# UN/ECE Recommendation 19: mode of transport at the border.
TRANSPORT_MODES = {
    "1": "sea",
    "2": "rail",
    "3": "road",
    "4": "air",
    "5": "post",
    "7": "fixed installation",
    "8": "inland waterway",
    "9": "own propulsion",
}
INCOTERMS_2020 = {"EXW", "FCA", "CPT", "CIP", "DAP", "DPU", "DDP", "FAS", "FOB", "CFR", "CIF"}
# Terms under which the invoice price already includes the freight to the place of import.
INCOTERMS_WITH_FREIGHT = {"CPT", "CIP", "DAP", "DPU", "DDP", "CFR", "CIF"}
# ... and the insurance (CIF, CIP) or the seller's risk to destination (the D terms).
INCOTERMS_WITH_INSURANCE = {"CIP", "CIF", "DAP", "DPU", "DDP"}
# Terms under which the buyer pays the main carriage: the customs value (CIF) needs the
# freight added, so it must be declared.
INCOTERMS_WITHOUT_FREIGHT = {"EXW", "FCA", "FAS", "FOB"}
# The proof a consignment-level claim of an agreement means when it names no proof type:
# an ATIGA claim has always been proven by an e-Form D.
DEFAULT_PROOF = {"ATIGA": E_FORM_D.code}


@dataclass(frozen=True)
class Party:
    id: str
    name: str
    country: str | None = None


@dataclass(frozen=True)
class SupportingDocument:
    code: str  # e.g. N380 commercial invoice, N740 air waybill, Y-codes for certificates
    reference: str


@dataclass(frozen=True)
class PreferenceClaim:
    """The preference a goods item claims: the agreement (`ATIGA`, `RCEP`, ...), the type of
    its proof of origin (a tariff document type: `E-FORM-D`, `FORM-E`, `RCEP-CO`, ...) and
    the proof's reference. Customs grants the claimed agreement only, never the best one."""

    agreement: str
    proof_type: str
    proof_reference: str


@dataclass(frozen=True)
class GoodsItem:
    sequence: int
    commodity_code: str  # the 8-digit national tariff line
    description: str
    origin_country: str
    quantity: Decimal
    quantity_unit: str
    net_mass: Decimal
    gross_mass: Decimal
    invoice_amount: Decimal
    # The item's own claim; None: the declaration's claim, if any, covers it.
    preference: PreferenceClaim | None = None
    # Licences, permits and consents the item holds, by tariff document type.
    documents: tuple[SupportingDocument, ...] = ()
    # A code narrowing the measures beyond the goods code: the producer, for anti-dumping.
    additional_code: str | None = None
    # Waste under the Basel Convention (the green room checks them): the Basel entry
    # (A3210, Y48, B3011, ...), the notification reference of the importing country's
    # consent, the exporter's attestation (its reference) and the contamination share (0-1).
    basel_code: str | None = None
    waste_consent: str | None = None
    recycling_attestation: str | None = None
    contamination_share: Decimal | None = None

    @property
    def unit_price(self) -> Decimal:
        return self.invoice_amount / self.quantity if self.quantity else Decimal(0)


@dataclass(frozen=True)
class Seizure:
    """What an inspection seized: the goods, how much, and how they were hidden."""

    goods: str
    quantity: Decimal
    unit: str
    concealment: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"goods": self.goods, "quantity": str(self.quantity), "unit": self.unit,
                "concealment": self.concealment}


@dataclass(frozen=True)
class Declaration:
    """The declaration as the declarant states it (one version of it)."""

    type: DeclarationType
    lrn: str
    declarant: Party
    office: str
    export_country: str
    destination_country: str
    transport_mode: str
    incoterm: str
    invoice_currency: str
    # National currency per unit of invoice currency: customs' published rate for the
    # period, filled in at lodgement when the declarant leaves it out (None).
    exchange_rate: Decimal | None
    items: tuple[GoodsItem, ...]
    importer: Party | None = None
    exporter: Party | None = None
    seller: Party | None = None
    buyer: Party | None = None
    freight: Decimal = Decimal(0)
    insurance: Decimal = Decimal(0)
    # The consignment's claim, for every item that names none of its own: the agreement,
    # its proof's type (default: DEFAULT_PROOF of the agreement) and reference.
    preference: str | None = None
    proof_of_origin: str | None = None  # e.g. the e-Form D reference
    proof_type: str | None = None
    export_reference: str | None = None  # an import citing the export declaration (ACDD)
    documents: tuple[SupportingDocument, ...] = ()

    @property
    def trader(self) -> Party | None:
        """The party the goods are declared for: importer on import, exporter on export."""
        return self.importer if self.type is DeclarationType.IMPORT else self.exporter

    @property
    def invoice_total(self) -> Decimal:
        return sum((item.invoice_amount for item in self.items), Decimal(0))

    @property
    def consignment_claim(self) -> PreferenceClaim | None:
        """The preference claimed for the whole consignment, its proof type defaulted."""
        if self.preference is None:
            return None
        proof_type = self.proof_type or DEFAULT_PROOF.get(self.preference, "")
        return PreferenceClaim(self.preference, proof_type, self.proof_of_origin or "")

    def claim_of(self, item: GoodsItem) -> PreferenceClaim | None:
        """The preference `item` claims: its own, else the consignment's."""
        return item.preference if item.preference is not None else self.consignment_claim

    def parties(self) -> Iterable[Party]:
        for party in (self.declarant, self.importer, self.exporter, self.seller, self.buyer):
            if party is not None:
                yield party


def validate(
    declaration: Declaration,
    national_country: str,
    known_commodity_code: Callable[[str], bool],
) -> list[Problem]:
    """Every problem with a declaration, each with the path of the field it concerns."""
    d = declaration
    problems: list[Problem] = []

    def need(condition: bool, path: str, message: str) -> None:
        if not condition:
            problems.append(Problem(path, message))

    need(bool(d.lrn.strip()) and len(d.lrn) <= 35, "lrn", "the LRN must be 1 to 35 characters")
    need(bool(d.office.strip()), "office", "the office of declaration is required")
    _check_party(d.declarant, "declarant", problems)
    for name in ("importer", "exporter", "seller", "buyer"):
        party = getattr(d, name)
        if party is not None:
            _check_party(party, name, problems)
    if d.type is DeclarationType.IMPORT:
        need(d.importer is not None, "importer", "an import declaration names the importer")
        need(
            d.destination_country == national_country,
            "destination_country",
            f"an import into this node's country must have destination {national_country}",
        )
    else:
        need(d.exporter is not None, "exporter", "an export declaration names the exporter")
        need(
            d.export_country == national_country,
            "export_country",
            f"an export from this node's country must have country of export {national_country}",
        )
    for path in ("export_country", "destination_country"):
        code = getattr(d, path)
        need(is_country(code), path, f"{code!r} is not an ISO 3166-1 alpha-2 country code")
    need(
        d.transport_mode in TRANSPORT_MODES,
        "transport_mode",
        f"{d.transport_mode!r} is not a UN/ECE Rec. 19 mode of transport (1-5, 7-9)",
    )
    need(d.incoterm in INCOTERMS_2020, "incoterm", f"{d.incoterm!r} is not an Incoterms 2020 code")
    currency_ok = is_currency(d.invoice_currency)
    need(
        currency_ok,
        "invoice_currency",
        f"{d.invoice_currency!r} is not an ISO 4217 currency code",
    )
    need(
        d.exchange_rate is not None and d.exchange_rate > 0,
        "exchange_rate",
        "the exchange rate must be greater than zero",
    )
    need(d.freight >= 0, "freight", "freight cannot be negative")
    need(d.insurance >= 0, "insurance", "insurance cannot be negative")
    if d.incoterm in INCOTERMS_WITH_FREIGHT and d.freight:
        problems.append(
            Problem(
                "freight",
                f"under {d.incoterm} the invoice price already includes the freight;"
                " declare it as 0",
            )
        )
    if d.incoterm in INCOTERMS_WITH_INSURANCE and d.insurance:
        problems.append(
            Problem(
                "insurance",
                f"under {d.incoterm} the invoice price already includes the insurance;"
                " declare it as 0",
            )
        )
    if d.type is DeclarationType.IMPORT and d.incoterm in INCOTERMS_WITHOUT_FREIGHT:
        need(
            d.freight > 0,
            "freight",
            f"under {d.incoterm} the buyer pays the carriage: declare the freight to the"
            " place of import (it is part of the customs value)",
        )
    if d.preference is not None:
        # which agreements exist, and who may claim them, is the tariff's to say (steps)
        need(
            bool(d.proof_of_origin and d.proof_of_origin.strip()),
            "proof_of_origin",
            "a preference claim needs the reference of its proof of origin (e-Form D)",
        )
        need(
            bool(d.proof_type or d.preference in DEFAULT_PROOF),
            "proof_type",
            f"name the type of the proof of origin of the {d.preference} claim"
            " (e.g. FORM-E, RCEP-CO, ORIGIN-DECLARATION)",
        )
    elif d.proof_of_origin or d.proof_type:
        problems.append(
            Problem("preference", "a proof of origin is given but no preference is claimed")
        )
    need(bool(d.items), "items", "a declaration has at least one goods item")
    need(len(d.items) <= 999, "items", "a declaration has at most 999 goods items")
    for index, item in enumerate(d.items):
        _check_item(
            item,
            f"items.{index}",
            d.type,
            currency_ok and d.invoice_currency,
            known_commodity_code,
            problems,
        )
    for index, item in enumerate(d.items):
        claim = item.preference
        e_form_d = claim is not None and claim.agreement in DEFAULT_PROOF and (
            claim.proof_type == E_FORM_D.code
        )
        if claim is not None and e_form_d and (
            d.preference != claim.agreement or d.proof_of_origin != claim.proof_reference
        ):
            # the origin room verifies and answers the e-Form D of the consignment
            problems.append(
                Problem(
                    f"items.{index}.preference.proof_reference",
                    "an e-Form D covers the whole consignment: claim it for the declaration"
                    " (preference and proof_of_origin)",
                )
            )
    for index, document in enumerate(d.documents):
        need(bool(document.code), f"documents.{index}.code", "the document code is required")
        need(
            bool(document.reference),
            f"documents.{index}.reference",
            "the document reference is required",
        )
    return problems


def _check_party(party: Party, path: str, problems: list[Problem]) -> None:
    if not party.id.strip() or len(party.id) > 35:
        problems.append(Problem(f"{path}.id", "the party identifier must be 1 to 35 characters"))
    if not party.name.strip():
        problems.append(Problem(f"{path}.name", "the party name is required"))
    if party.country is not None and not is_country(party.country):
        problems.append(
            Problem(f"{path}.country", f"{party.country!r} is not an ISO 3166-1 alpha-2 code")
        )


def _check_item(
    item: GoodsItem,
    path: str,
    kind: DeclarationType,
    currency: str | bool,
    known_commodity_code: Callable[[str], bool],
    problems: list[Problem],
) -> None:
    code = item.commodity_code
    if not (len(code) == 8 and code.isdigit()):
        problems.append(Problem(f"{path}.commodity_code", f"{code!r} is not an 8-digit code"))
    elif not known_commodity_code(code):
        problems.append(
            Problem(
                f"{path}.commodity_code",
                f"{code} is not a line of the national tariff in force",
            )
        )
    if not item.description.strip():
        problems.append(Problem(f"{path}.description", "the goods description is required"))
    if not is_country(item.origin_country):
        problems.append(
            Problem(
                f"{path}.origin_country",
                f"{item.origin_country!r} is not an ISO 3166-1 alpha-2 country code",
            )
        )
    problems.extend(quantity_problems(item.quantity, item.quantity_unit, path))
    if item.net_mass <= 0:
        problems.append(Problem(f"{path}.net_mass", "the net mass must be greater than zero"))
    if item.gross_mass < item.net_mass:
        problems.append(
            Problem(f"{path}.gross_mass", "the gross mass cannot be less than the net mass")
        )
    if item.invoice_amount < 0:
        problems.append(Problem(f"{path}.invoice_amount", "the invoice amount cannot be negative"))
    elif currency and item.invoice_amount != item.invoice_amount.quantize(
        Decimal(1).scaleb(-minor_unit(str(currency)))
    ):
        problems.append(
            Problem(
                f"{path}.invoice_amount",
                f"{item.invoice_amount} has more decimals than {currency} allows",
            )
        )
    if item.sequence < 1:
        problems.append(Problem(f"{path}.sequence", "item numbers start at 1"))
    claim = item.preference
    if claim is not None:
        for name in ("agreement", "proof_type", "proof_reference"):
            if not getattr(claim, name).strip():
                problems.append(Problem(f"{path}.preference.{name}", "required"))
    if claim is not None and kind is DeclarationType.EXPORT:
        problems.append(Problem(f"{path}.preference", "a preference is claimed on import"))
    for index, document in enumerate(item.documents):
        for name in ("code", "reference"):
            if not getattr(document, name).strip():
                problems.append(Problem(f"{path}.documents.{index}.{name}", "required"))


@dataclass(frozen=True)
class ValuationLine:
    """How an item's customs value (CIF in national currency) was reached."""

    item: int
    invoice_amount: Decimal
    freight_share: Decimal
    insurance_share: Decimal
    exchange_rate: Decimal
    customs_value: Decimal
    formula: str


def customs_values(declaration: Declaration, national_currency: str) -> list[ValuationLine]:
    """CIF value of each item in national currency: invoice amount plus its share of freight
    and insurance (apportioned by invoice amount), converted at the declared rate."""
    d = declaration
    total = d.invoice_total
    lines = []
    for item in d.items:
        share = item.invoice_amount / total if total else Decimal(1) / len(d.items)
        freight = d.freight * share
        insurance = d.insurance * share
        cif = item.invoice_amount + freight + insurance
        assert d.exchange_rate is not None  # filled in from customs' rates and validated
        value = round_to_minor_unit(cif * d.exchange_rate, national_currency)
        formula = (
            f"({item.invoice_amount} + freight {freight:.2f} + insurance {insurance:.2f}) "
            f"{d.invoice_currency} × {d.exchange_rate} = {value} {national_currency}"
        )
        lines.append(
            ValuationLine(
                item.sequence,
                item.invoice_amount,
                freight,
                insurance,
                d.exchange_rate,
                value,
                formula,
            )
        )
    return lines


@dataclass(frozen=True)
class Settlement:
    """What a declarant owes and what covers it."""

    currency: str
    assessed: Decimal
    paid: Decimal
    secured: Decimal

    @property
    def outstanding(self) -> Decimal:
        return max(self.assessed - self.paid - self.secured, Decimal(0))

    @property
    def settled(self) -> bool:
        return self.outstanding == 0


def declaration_number(country: str, year: date, office: str, serial: int) -> str:
    """Customs' number for an accepted declaration: country, year, office, serial and a
    check character (ISO 6346 rule, as NCTS uses for the MRN)."""
    office_code = "".join(ch for ch in office.upper() if ch.isalnum())[:6].ljust(6, "0")
    return with_check_character(f"{country}{year:%y}{office_code}{serial:08d}")
