"""ATIGA certificates of origin (e-Form D): their content, their rules and their verification.

Standard library only (and the shared country and currency tables). A certificate is issued
by the issuing authority of the exporting member state and sent to the importing member
state's node, which verifies it against the import declaration before it grants the ATIGA
rate, and answers with an acceptance or a rejection.

Lifecycle (`TRANSITIONS`, a `core.transitions.Transitions` refusing with
`CertificateConflict`; `Certificate` holds it), at the issuer and at the importer:

    issuer:    ISSUED ──sent──▶ SENT ─┬─answer──▶ ACCEPTED
                                      └─answer──▶ REJECTED
    importer:  RECEIVED ─┬─verified──▶ ACCEPTED
                         └─refused───▶ REJECTED
    any state but REJECTED → CANCELLED

Rules of origin (`OriginCriterion`): WO wholly obtained, PE produced exclusively from
originating materials, RVC regional value content of at least 40 % ("RVC 40%"), CTH / CTSH /
CC change of tariff heading / subheading / chapter, PSR a product-specific rule.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from singlewindow.core.countries import ASEAN, is_country
from singlewindow.core.errors import Problem
from singlewindow.core.money import is_currency
from singlewindow.core.transitions import Transitions
from singlewindow.core.units import quantity_problems
from singlewindow.origin.errors import CertificateConflict

if TYPE_CHECKING:  # the declarations room's types, only to name what verification reads
    from singlewindow.declarations.model import Declaration, GoodsItem

FORM_D = "ATIGA Form D"
MINIMUM_RVC = Decimal(40)
VALIDITY_MONTHS = 12  # ATIGA Annex 8, Rule 10: valid for 12 months from the date of issue


# --- origin criteria ------------------------------------------------------------------------


class CriterionKind(enum.StrEnum):
    WO = "WO"  # wholly obtained or produced
    PE = "PE"  # produced entirely from originating materials
    RVC = "RVC"  # regional value content, at least 40 %
    CC = "CC"  # change of tariff chapter
    CTH = "CTH"  # change of tariff heading
    CTSH = "CTSH"  # change of tariff subheading
    PSR = "PSR"  # a product-specific rule


_CRITERION = re.compile(r"^\s*(?P<kind>[A-Za-z]+)\s*(?:(?P<percent>\d+(?:\.\d+)?)\s*%)?\s*$")


@dataclass(frozen=True)
class OriginCriterion:
    """The origin criterion of box 8 of the Form D, e.g. `WO`, `CTH` or `RVC 40%`."""

    kind: CriterionKind
    percentage: Decimal | None = None  # only for RVC

    @classmethod
    def parse(cls, text: str) -> OriginCriterion:
        """Read "WO", "CTH", "RVC 40%", "RVC45.5%"; ValueError says what is wrong."""
        match = _CRITERION.match(text or "")
        if match is None:
            raise ValueError(f"{text!r} is not an origin criterion (WO, PE, RVC 40%, CTH, ...)")
        try:
            kind = CriterionKind(match["kind"].upper())
        except ValueError:
            known = ", ".join(k.value for k in CriterionKind)
            raise ValueError(
                f"{match['kind']!r} is not an ATIGA origin criterion ({known})"
            ) from None
        percent = Decimal(match["percent"]) if match["percent"] else None
        if kind is CriterionKind.RVC:
            if percent is None:
                raise ValueError("an RVC criterion states its percentage, e.g. 'RVC 40%'")
            if percent < MINIMUM_RVC:
                raise ValueError(
                    f"a regional value content of {percent}% is below the ATIGA minimum of 40%"
                )
            if percent > 100:
                raise ValueError(f"a regional value content of {percent}% is above 100%")
        elif percent is not None:
            raise ValueError(f"only RVC states a percentage, not {kind.value}")
        return cls(kind, percent)

    def __str__(self) -> str:
        if self.kind is CriterionKind.RVC and self.percentage is not None:
            return f"RVC {self.percentage.normalize():f}%"
        return self.kind.value


# --- the certificate ------------------------------------------------------------------------


class CertificateStatus(enum.StrEnum):
    ISSUED = "issued"
    SENT = "sent"
    RECEIVED = "received"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


TRANSITIONS: Transitions[CertificateStatus] = Transitions(
    {
        CertificateStatus.ISSUED: {CertificateStatus.SENT, CertificateStatus.CANCELLED},
        CertificateStatus.SENT: {
            CertificateStatus.ACCEPTED,
            CertificateStatus.REJECTED,
            CertificateStatus.CANCELLED,
        },
        CertificateStatus.RECEIVED: {
            CertificateStatus.ACCEPTED,
            CertificateStatus.REJECTED,
            CertificateStatus.CANCELLED,
        },
        CertificateStatus.ACCEPTED: {CertificateStatus.CANCELLED},
        CertificateStatus.REJECTED: set(),
        CertificateStatus.CANCELLED: set(),
    },
    refusal=CertificateConflict,
    noun="a certificate",
)

# Statuses in which a received certificate may still grant a preference.
USABLE = frozenset({CertificateStatus.RECEIVED, CertificateStatus.ACCEPTED})


@dataclass
class Certificate:
    """Where a certificate held at this node stands, and the rules of its lifecycle: the
    issuer sends it and records the importer's answer; the importer accepts or rejects it,
    once. Services load one, call a method and save what it became."""

    reference: str
    status: CertificateStatus
    reasons: tuple[str, ...] = ()
    answer_message_id: str | None = None
    decided_at: datetime | None = None

    @property
    def name(self) -> str:
        return f"e-Form D {self.reference}"

    def _move(self, wanted: CertificateStatus) -> None:
        self.status = TRANSITIONS.move(self.status, wanted, who=self.name)

    # -- at the issuer -------------------------------------------------------------

    def send(self) -> None:
        self._move(CertificateStatus.SENT)

    def record_answer(
        self, accepted: bool, reasons: tuple[str, ...], decided_at: datetime, message_id: str
    ) -> bool:
        """The importer's answer, once per message; False when this one was recorded."""
        if self.answer_message_id == message_id:
            return False
        target = CertificateStatus.ACCEPTED if accepted else CertificateStatus.REJECTED
        if self.status is not target:
            self._move(target)
        self.reasons = reasons
        self.answer_message_id = message_id
        self.decided_at = decided_at
        return True

    # -- at the importing node -----------------------------------------------------

    @property
    def answered(self) -> bool:
        return self.answer_message_id is not None

    def previous_answer(self, accepted: bool) -> str | None:
        """The message that already gave this decision; a different one is refused."""
        if self.answer_message_id is None:
            return None
        target = CertificateStatus.ACCEPTED if accepted else CertificateStatus.REJECTED
        if self.status is target:
            return self.answer_message_id
        raise CertificateConflict(f"{self.name} was already answered: it is {self.status}")

    def accept(self, reasons: tuple[str, ...], at: datetime) -> None:
        """Verified against the import declaration: the ATIGA rate is due (for the goods
        items it covers; `reasons` say why any other is not)."""
        self._decide(CertificateStatus.ACCEPTED, reasons, at)

    def reject(self, reasons: tuple[str, ...], at: datetime) -> None:
        """Refused, on receipt or after verification, with every reason."""
        self._decide(CertificateStatus.REJECTED, reasons, at)

    def _decide(self, target: CertificateStatus, reasons: tuple[str, ...], at: datetime) -> None:
        self._move(target)
        self.reasons = reasons
        self.decided_at = at

    def answered_by(self, message_id: str) -> None:
        self.answer_message_id = message_id


class Provenance(enum.StrEnum):
    """Where this node's record of a certificate comes from."""

    ISSUED = "issued"  # issued by this node's issuing authority, sent to a partner
    RECEIVED = "received"  # received from a partner's issuing authority


@dataclass(frozen=True)
class Party:
    id: str
    name: str
    country: str
    address: str = ""


@dataclass(frozen=True)
class CertificateItem:
    """One goods item of the certificate (boxes 5 to 10 of the Form D)."""

    number: int
    description: str
    subheading: str  # the HS 6-digit subheading
    origin_criterion: OriginCriterion
    quantity: Decimal
    quantity_unit: str
    gross_mass: Decimal  # kg
    fob_value: Decimal
    currency: str
    invoice_number: str
    invoice_date: date
    marks: str = ""


@dataclass(frozen=True)
class CertificateOfOrigin:
    reference: str
    issuing_country: str  # the exporting member state, whose authority issues
    importing_country: str
    exporter: Party
    consignee: Party
    items: tuple[CertificateItem, ...]
    issued_at: datetime
    issuer: str  # the issuing authority (or its officer)
    remarks: str = ""
    transport: str = ""  # means of transport and route (box 3)
    status: CertificateStatus = CertificateStatus.ISSUED

    @property
    def issue_date(self) -> date:
        return self.issued_at.astimezone(UTC).date()

    @property
    def valid_until(self) -> date:
        return add_months(self.issue_date, VALIDITY_MONTHS)


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day (29 Feb + 12 months = 28 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, candidate)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def validate(certificate: CertificateOfOrigin) -> list[Problem]:
    """Every problem with a certificate, each with the path of the field it concerns."""
    c = certificate
    problems: list[Problem] = []

    def need(condition: bool, path: str, message: str) -> None:
        if not condition:
            problems.append(Problem(path, message))

    need(
        bool(c.reference.strip()) and len(c.reference) <= 35,
        "reference",
        "the certificate reference must be 1 to 35 characters",
    )
    for path in ("issuing_country", "importing_country"):
        code = getattr(c, path)
        if not is_country(code):
            problems.append(Problem(path, f"{code!r} is not an ISO 3166-1 alpha-2 country code"))
        elif code not in ASEAN:
            problems.append(Problem(path, f"{code} is not an ASEAN member state"))
    need(
        c.issuing_country != c.importing_country,
        "importing_country",
        "the importing country must differ from the issuing (exporting) country",
    )
    need(bool(c.issuer.strip()), "issuer", "the issuing authority is required")
    _check_party(c.exporter, "exporter", problems)
    _check_party(c.consignee, "consignee", problems)
    need(
        c.exporter.country == c.issuing_country,
        "exporter.country",
        f"the exporter must be in the issuing country {c.issuing_country}",
    )
    need(bool(c.items), "items", "a certificate covers at least one goods item")
    numbers = [item.number for item in c.items]
    need(len(set(numbers)) == len(numbers), "items", "item numbers must be unique")
    for index, item in enumerate(c.items):
        _check_item(item, f"items.{index}", problems)
    return problems


def _check_party(party: Party, path: str, problems: list[Problem]) -> None:
    if not party.id.strip() or len(party.id) > 35:
        problems.append(Problem(f"{path}.id", "the party identifier must be 1 to 35 characters"))
    if not party.name.strip():
        problems.append(Problem(f"{path}.name", "the party name is required"))
    if not is_country(party.country):
        problems.append(
            Problem(f"{path}.country", f"{party.country!r} is not an ISO 3166-1 alpha-2 code")
        )


def _check_item(item: CertificateItem, path: str, problems: list[Problem]) -> None:
    if item.number < 1:
        problems.append(Problem(f"{path}.number", "item numbers start at 1"))
    if not item.description.strip():
        problems.append(Problem(f"{path}.description", "the goods description is required"))
    if not (len(item.subheading) == 6 and item.subheading.isdigit()):
        problems.append(
            Problem(f"{path}.subheading", f"{item.subheading!r} is not an HS 6-digit subheading")
        )
    problems.extend(quantity_problems(item.quantity, item.quantity_unit, path))
    if item.gross_mass <= 0:
        problems.append(Problem(f"{path}.gross_mass", "the gross mass must be greater than zero"))
    if item.fob_value < 0:
        problems.append(Problem(f"{path}.fob_value", "the FOB value cannot be negative"))
    if not is_currency(item.currency):
        problems.append(
            Problem(f"{path}.currency", f"{item.currency!r} is not an ISO 4217 currency code")
        )
    if not item.invoice_number.strip():
        problems.append(Problem(f"{path}.invoice_number", "the invoice number is required"))


# --- verification against an import declaration --------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """Whether a certificate covers one goods item of a declaration, and why (or why not)."""

    granted: bool
    reasons: tuple[str, ...]
    detail: str  # one line for the assessment's explanation

    def as_dict(self) -> dict[str, Any]:
        return {"granted": self.granted, "reasons": list(self.reasons), "detail": self.detail}


def declaration_key(declaration: Declaration) -> str:
    """How a certificate remembers the declaration it was accepted for: declarant and LRN."""
    return f"{declaration.declarant.id}/{declaration.lrn}"


def dotted(subheading: str) -> str:
    return f"{subheading[:4]}.{subheading[4:6]}" if len(subheading) >= 6 else subheading


def verify(
    certificate: CertificateOfOrigin,
    declaration: Declaration,
    item: GoodsItem,
    on: date,
    accepted_for: str | None = None,
) -> Verdict:
    """Does `certificate` prove the ATIGA origin of `item` of an import `declaration` on `on`?

    `accepted_for` is the declaration a certificate was already accepted for: a certificate
    covers one consignment, so it grants no preference to another declaration.
    """
    c, ref = certificate, certificate.reference
    reasons: list[str] = []
    if c.status not in USABLE:
        reasons.append(
            f"e-Form D {ref} is {c.status.value}; only a received or accepted certificate "
            "grants the ATIGA rate"
        )
    if accepted_for is not None and accepted_for != declaration_key(declaration):
        reasons.append(f"e-Form D {ref} was already accepted for declaration {accepted_for}")
    if c.importing_country != declaration.destination_country:
        reasons.append(
            f"e-Form D {ref} is issued for import into {c.importing_country}, "
            f"not {declaration.destination_country}"
        )
    if c.issuing_country != declaration.export_country:
        reasons.append(
            f"e-Form D {ref} is issued in {c.issuing_country}, but the goods are exported "
            f"from {declaration.export_country}"
        )
    importer = declaration.importer
    if importer is None:
        reasons.append("the declaration names no importer to match the consignee of the e-Form D")
    elif importer.id != c.consignee.id:
        reasons.append(
            f"the consignee on e-Form D {ref} is {c.consignee.id} ({c.consignee.name}), "
            f"not the importer {importer.id}"
        )
    exporter = declaration.exporter
    if exporter is not None and exporter.id != c.exporter.id:
        reasons.append(
            f"the exporter on e-Form D {ref} is {c.exporter.id}, not the declared exporter "
            f"{exporter.id}"
        )
    subheading = item.commodity_code[:6]
    covered = [line for line in c.items if line.subheading == subheading]
    if not covered:
        reasons.append(
            f"e-Form D {ref} covers no goods of subheading {dotted(subheading)} "
            f"(item {item.sequence}, tariff line {item.commodity_code})"
        )
    if item.origin_country != c.issuing_country:
        reasons.append(
            f"item {item.sequence} is declared as originating in {item.origin_country}; "
            f"e-Form D {ref} certifies origin {c.issuing_country}"
        )
    if covered:
        same_unit = [line for line in covered if line.quantity_unit == item.quantity_unit]
        if not same_unit:
            stated = ", ".join(sorted({line.quantity_unit for line in covered}))
            reasons.append(
                f"item {item.sequence} is declared in {item.quantity_unit}; e-Form D {ref} "
                f"states its quantity in {stated}"
            )
        else:
            total = sum((line.quantity for line in same_unit), Decimal(0))
            if item.quantity > total:
                reasons.append(
                    f"item {item.sequence} declares {item.quantity} {item.quantity_unit}, more "
                    f"than the {total} {item.quantity_unit} e-Form D {ref} covers"
                )
    if on < c.issue_date:
        reasons.append(f"e-Form D {ref} is issued on {c.issue_date}, after {on}")
    elif on > c.valid_until:
        reasons.append(
            f"e-Form D {ref} expired on {c.valid_until} (valid {VALIDITY_MONTHS} months from "
            f"its issue on {c.issue_date})"
        )
    if reasons:
        return Verdict(False, tuple(reasons), "; ".join(reasons))
    criteria = ", ".join(sorted({str(line.origin_criterion) for line in covered}))
    detail = (
        f"e-Form D {ref} from {c.issuing_country} verified: subheading {dotted(subheading)}, "
        f"origin criterion {criteria}"
    )
    return Verdict(True, (), detail)


def overall(verdicts: Mapping[int, Verdict]) -> tuple[bool, list[str]]:
    """The answer to the issuer for a whole declaration: accepted when it grants at least one
    item; the reasons of each refused item go along (partial acceptance names them)."""
    accepted = any(v.granted for v in verdicts.values())
    reasons: list[str] = []
    for verdict in verdicts.values():
        for reason in verdict.reasons:
            if reason not in reasons:
                reasons.append(reason)
    return accepted, reasons


# --- the payload exchanged between nodes (WCO Data Model names) -----------------------------


def to_payload(certificate: CertificateOfOrigin) -> dict[str, Any]:
    """The e-Form D as it travels in a `FormD` message (see docs/origin.md)."""
    c = certificate
    return {
        "DocumentType": FORM_D,
        "Reference": c.reference,
        "IssueDateTime": c.issued_at.astimezone(UTC).isoformat(),
        "IssuingCountry": c.issuing_country,
        "ImportationCountry": c.importing_country,
        "IssuingAuthority": c.issuer,
        "Exporter": _party_payload(c.exporter),
        "Consignee": _party_payload(c.consignee),
        "TransportMeans": c.transport,
        "Remarks": c.remarks,
        "GoodsItem": [
            {
                "SequenceNumeric": i.number,
                "Description": i.description,
                "ClassificationCode": i.subheading,
                "OriginCriterion": str(i.origin_criterion),
                "Quantity": str(i.quantity),
                "QuantityUnitCode": i.quantity_unit,
                "GrossMass": str(i.gross_mass),
                "FOBValue": str(i.fob_value),
                "CurrencyCode": i.currency,
                "Invoice": {"ID": i.invoice_number, "IssueDate": i.invoice_date.isoformat()},
                "Marks": i.marks,
            }
            for i in c.items
        ],
    }


def _party_payload(party: Party) -> dict[str, str]:
    return {"ID": party.id, "Name": party.name, "CountryCode": party.country,
            "Address": party.address}


class _Reader:
    """Reads a payload, collecting a problem (with its path) for each unreadable field."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def text(self, data: Any, key: str, path: str, required: bool = True) -> str:
        value = data.get(key) if isinstance(data, Mapping) else None
        if value is None and not required:
            return ""
        if not isinstance(value, str):
            self.problems.append(Problem(path, f"{key} must be a text"))
            return ""
        return value

    def decimal(self, data: Any, key: str, path: str) -> Decimal:
        value = data.get(key) if isinstance(data, Mapping) else None
        try:
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                raise InvalidOperation
            number = Decimal(str(value))
            if not number.is_finite():
                raise InvalidOperation
            return number
        except InvalidOperation:
            self.problems.append(Problem(path, f"{key} must be a decimal number"))
            return Decimal(0)

    def day(self, data: Any, key: str, path: str) -> date:
        try:
            return date.fromisoformat(self.text(data, key, path))
        except ValueError:
            self.problems.append(Problem(path, f"{key} must be a date (YYYY-MM-DD)"))
            return date.min

    def moment(self, data: Any, key: str, path: str) -> datetime:
        try:
            value = datetime.fromisoformat(self.text(data, key, path))
        except ValueError:
            self.problems.append(Problem(path, f"{key} must be a date and time (ISO 8601)"))
            return datetime.min.replace(tzinfo=UTC)
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    def party(self, data: Any, key: str) -> Party:
        raw = data.get(key) if isinstance(data, Mapping) else None
        if not isinstance(raw, Mapping):
            self.problems.append(Problem(key, f"{key} must be an object"))
            return Party("", "", "")
        return Party(
            id=self.text(raw, "ID", f"{key}.ID"),
            name=self.text(raw, "Name", f"{key}.Name"),
            country=self.text(raw, "CountryCode", f"{key}.CountryCode"),
            address=self.text(raw, "Address", f"{key}.Address", required=False),
        )


def from_payload(data: Any) -> tuple[CertificateOfOrigin | None, list[Problem]]:
    """Read a received `FormD` payload: the certificate, or None with every problem.

    Problems of reading use the payload's names; problems of the rules use the model's.
    """
    read = _Reader()
    if not isinstance(data, Mapping):
        return None, [Problem("", "the e-Form D payload must be a JSON object")]
    if data.get("DocumentType", FORM_D) != FORM_D:
        read.problems.append(Problem("DocumentType", f"this is not an {FORM_D}"))
    raw_items = data.get("GoodsItem")
    if not isinstance(raw_items, list):
        read.problems.append(Problem("GoodsItem", "GoodsItem must be a list"))
        raw_items = []
    items = []
    for index, raw in enumerate(raw_items):
        path = f"GoodsItem.{index}"
        if not isinstance(raw, Mapping):
            read.problems.append(Problem(path, "a goods item must be an object"))
            continue
        number = raw.get("SequenceNumeric")
        if not isinstance(number, int) or isinstance(number, bool):
            read.problems.append(Problem(f"{path}.SequenceNumeric", "must be a whole number"))
            number = 0
        criterion_text = read.text(raw, "OriginCriterion", f"{path}.OriginCriterion")
        try:
            criterion = OriginCriterion.parse(criterion_text)
        except ValueError as exc:
            read.problems.append(Problem(f"{path}.OriginCriterion", str(exc)))
            criterion = OriginCriterion(CriterionKind.WO)
        invoice = raw.get("Invoice")
        if not isinstance(invoice, Mapping):
            read.problems.append(Problem(f"{path}.Invoice", "Invoice must be an object"))
            invoice = {}
        items.append(
            CertificateItem(
                number=number,
                description=read.text(raw, "Description", f"{path}.Description"),
                subheading=read.text(raw, "ClassificationCode", f"{path}.ClassificationCode"),
                origin_criterion=criterion,
                quantity=read.decimal(raw, "Quantity", f"{path}.Quantity"),
                quantity_unit=read.text(raw, "QuantityUnitCode", f"{path}.QuantityUnitCode"),
                gross_mass=read.decimal(raw, "GrossMass", f"{path}.GrossMass"),
                fob_value=read.decimal(raw, "FOBValue", f"{path}.FOBValue"),
                currency=read.text(raw, "CurrencyCode", f"{path}.CurrencyCode"),
                invoice_number=read.text(invoice, "ID", f"{path}.Invoice.ID"),
                invoice_date=read.day(invoice, "IssueDate", f"{path}.Invoice.IssueDate"),
                marks=read.text(raw, "Marks", f"{path}.Marks", required=False),
            )
        )
    certificate = CertificateOfOrigin(
        reference=read.text(data, "Reference", "Reference"),
        issuing_country=read.text(data, "IssuingCountry", "IssuingCountry"),
        importing_country=read.text(data, "ImportationCountry", "ImportationCountry"),
        exporter=read.party(data, "Exporter"),
        consignee=read.party(data, "Consignee"),
        items=tuple(items),
        issued_at=read.moment(data, "IssueDateTime", "IssueDateTime"),
        issuer=read.text(data, "IssuingAuthority", "IssuingAuthority"),
        remarks=read.text(data, "Remarks", "Remarks", required=False),
        transport=read.text(data, "TransportMeans", "TransportMeans", required=False),
        status=CertificateStatus.RECEIVED,
    )
    problems = read.problems or validate(certificate)
    return (None, problems) if problems else (certificate, [])


@dataclass(frozen=True)
class Answer:
    """The importing node's answer to an e-Form D: `FormD.Acceptance` or `FormD.Rejection`."""

    reference: str
    issuing_country: str
    accepted: bool
    reasons: tuple[str, ...] = ()
    decided_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def to_payload(self) -> dict[str, Any]:
        return {
            "Reference": self.reference,
            "IssuingCountry": self.issuing_country,
            "Decision": "ACCEPTED" if self.accepted else "REJECTED",
            "DecisionDateTime": self.decided_at.astimezone(UTC).isoformat(),
            "Reasons": list(self.reasons),
        }

    @classmethod
    def from_payload(cls, data: Any) -> Answer:
        """Read an answer; ValueError when it is not one."""
        if not isinstance(data, Mapping):
            raise ValueError("an e-Form D answer must be a JSON object")
        reference, country = data.get("Reference"), data.get("IssuingCountry")
        decision, reasons = data.get("Decision"), data.get("Reasons", [])
        if not isinstance(reference, str) or not isinstance(country, str):
            raise ValueError("an e-Form D answer names the Reference and IssuingCountry")
        if decision not in ("ACCEPTED", "REJECTED"):
            raise ValueError("an e-Form D answer's Decision is ACCEPTED or REJECTED")
        if not isinstance(reasons, list) or not all(isinstance(r, str) for r in reasons):
            raise ValueError("an e-Form D answer's Reasons are a list of texts")
        try:
            decided = datetime.fromisoformat(str(data.get("DecisionDateTime")))
        except ValueError:
            decided = datetime.now(UTC)
        decided = decided if decided.tzinfo else decided.replace(tzinfo=UTC)
        return cls(reference, country, decision == "ACCEPTED", tuple(reasons), decided)
