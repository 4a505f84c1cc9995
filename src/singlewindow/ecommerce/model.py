"""Low-value consignments (e-commerce parcels): their checks, the de minimis rules, what is due,
split orders, the verdict per parcel and the duties consolidated for one payment. No I/O.

A platform or courier sends a manifest of parcels; each parcel is checked on its own (a bad
line rejects that parcel, with its line number, never the others), valued in national
currency at customs' rate of the day, and assessed against the country's de minimis rule in
force: duty is due when the consignment's value is above the duty threshold, VAT when it is
above the VAT threshold. A consignment is the parcel together with the parcels of the same
order split to stay under a threshold (same buyer, seller and goods within `SPLIT_WINDOW`): the
thresholds apply to their sum, and what the earlier parcels escaped is charged on the parcel
that tips the sum over (`assess`).
"""

from __future__ import annotations

import enum
import random
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from singlewindow.core.countries import ASEAN, is_country
from singlewindow.core.errors import Problem
from singlewindow.core.money import is_currency, minor_unit
from singlewindow.reference.model import ExchangeRate
from singlewindow.risk.model import (
    Channel,
    RiskRule,
    RiskSubject,
    Selection,
    SelectivityPolicy,
    choose_channel,
)
from singlewindow.tariff.model import TariffLine

# -- bounds of a parcel's fields ----------------------------------------------------------------

MAX_REFERENCE = 35  # order reference, transport document (a house air waybill fits)
MAX_PARTY = 70  # seller, buyer, courier: a name or an identifier
MAX_DESCRIPTION = 512  # a product title with its category path
MAX_QUANTITY = 100_000
MAX_VALUE = Decimal("1000000000")  # a low-value consignment is far under; a typo is refused
VALUE_PLACES = 4
MAX_PARCELS = 50_000  # parcels in one manifest (the size limit of the body comes first)

FIELDS = (
    "order_reference",
    "seller",
    "buyer",
    "description",
    "quantity",
    "value",
    "currency",
    "origin",
    "transport_document",
    "code",
    "courier",
)
REQUIRED = FIELDS[:9]
_KNOWN = frozenset(FIELDS)

SPLIT_WINDOW = timedelta(hours=72)

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CODE = re.compile(r"^\d{6}(\d{2})?$")
_WORDS = re.compile(r"[^\w]+")
_HUNDRED = Decimal(100)
_ZERO = Decimal(0)


class Verdict(enum.StrEnum):
    RELEASED = "released"
    HELD_DOCUMENTS = "held_documents"  # released once documents are shown
    HELD_INSPECTION = "held_inspection"  # opened at the courier's facility
    REJECTED = "rejected"  # bad data, or found irregular at inspection

    @property
    def held(self) -> bool:
        return self in (Verdict.HELD_DOCUMENTS, Verdict.HELD_INSPECTION)


# What the platform is told a held parcel needs: the same for every parcel held so, so that it
# says nothing of why (the reasons are for officers only).
DOCUMENTS: dict[Verdict, tuple[str, ...]] = {
    Verdict.HELD_DOCUMENTS: (
        "the commercial invoice or proof of payment showing the price paid",
        "a description of the goods (specification or photo) supporting their tariff code",
    ),
    Verdict.HELD_INSPECTION: (
        "the parcel is held at the courier's facility for a customs inspection; "
        "no document is needed before it",
    ),
}


def normalised(text: str) -> str:
    """Text compared for sameness: case, punctuation and spacing ignored."""
    return " ".join(_WORDS.split(text.casefold())).strip()


@dataclass(slots=True)
class Parcel:
    """A parcel as its line declared it, checked."""

    line: int
    platform: str  # the platform or courier that sent the manifest
    order_reference: str
    seller: str
    buyer: str
    description: str
    quantity: int
    value: Decimal
    currency: str
    origin: str
    transport_document: str
    code: str | None = None  # 6-digit HS subheading or 8-digit national line
    courier: str | None = None

    # What split orders are matched on, worked out once.
    buyer_key: str = field(init=False)
    seller_key: str = field(init=False)
    goods_key: str = field(init=False)

    def __post_init__(self) -> None:
        # Within the stored columns' lengths (casefolding can lengthen a text: ß → ss).
        self.buyer_key = normalised(self.buyer)[:MAX_PARTY]
        self.seller_key = normalised(self.seller)[:MAX_PARTY]
        self.goods_key = normalised(self.description)[:MAX_DESCRIPTION]


@dataclass(frozen=True)
class RejectedLine:
    """A line that is no parcel: its number, its order reference if it had one, and why."""

    line: int
    order_reference: str | None
    problems: tuple[Problem, ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "line": self.line,
            "order_reference": self.order_reference,
            "errors": [p.as_dict() for p in self.problems],
        }


def _text(raw: Mapping[str, object], name: str, limit: int, at: str,
          problems: list[Problem], required: bool = True) -> str | None:
    value = raw.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.append(Problem(f"{at}.{name}", f"{name} is required"))
        return None
    if not isinstance(value, str):
        problems.append(Problem(f"{at}.{name}", f"{name} is text, not {type(value).__name__}"))
        return None
    value = value.strip()
    if len(value) > limit:
        problems.append(Problem(f"{at}.{name}", f"{name} is at most {limit} characters"))
        return None
    if not value.isprintable() and _CONTROL.search(value):  # the fast test first
        problems.append(Problem(f"{at}.{name}",
                                f"{name} must be one line without control characters"))
        return None
    return value


def check_parcel(raw: object, line: int, platform: str) -> Parcel | RejectedLine:
    """The parcel of manifest line `line` (numbered from 1, a CSV's header being line 1), or
    the line rejected with every problem found, each at `lines.<line>.<field>`."""
    at = f"lines.{line}"
    if not isinstance(raw, Mapping):
        return RejectedLine(line, None, (Problem(at, "a parcel is a JSON object"),))
    problems: list[Problem] = []
    unknown = [str(k) for k in raw if k not in _KNOWN]
    if unknown:
        problems.append(Problem(at, f"unknown field(s): {', '.join(sorted(unknown))[:200]}"))
    reference = _text(raw, "order_reference", MAX_REFERENCE, at, problems)
    seller = _text(raw, "seller", MAX_PARTY, at, problems)
    buyer = _text(raw, "buyer", MAX_PARTY, at, problems)
    description = _text(raw, "description", MAX_DESCRIPTION, at, problems)
    document = _text(raw, "transport_document", MAX_REFERENCE, at, problems)
    courier = _text(raw, "courier", MAX_PARTY, at, problems, required=False)
    quantity = _quantity(raw.get("quantity"), f"{at}.quantity", problems)
    currency = _text(raw, "currency", 3, at, problems)
    if currency is not None and not is_currency(currency):
        problems.append(Problem(f"{at}.currency",
                                f"{currency!r} is not an ISO 4217 currency code"))
        currency = None
    value = _value(raw.get("value"), currency, f"{at}.value", problems)
    origin = _text(raw, "origin", 2, at, problems)
    if origin is not None and not is_country(origin):
        problems.append(Problem(f"{at}.origin", f"{origin!r} is not an ISO 3166-1 alpha-2 "
                                                "country code"))
        origin = None
    code = _text(raw, "code", 10, at, problems, required=False)
    if code is not None:
        code = code.replace(".", "")
        if not _CODE.match(code):
            problems.append(Problem(f"{at}.code", "a code is an HS subheading of 6 digits or a "
                                                  "national line of 8"))
            code = None
    if problems:
        return RejectedLine(line, reference, tuple(problems))
    assert reference and seller and buyer and description and document and currency and origin
    assert quantity is not None and value is not None
    return Parcel(line, platform, reference, seller, buyer, description, quantity, value,
                  currency, origin, document, code, courier)


def _quantity(raw: object, at: str, problems: list[Problem]) -> int | None:
    if raw is None or raw == "":
        problems.append(Problem(at, "quantity is required"))
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        problems.append(Problem(at, "quantity is a whole number"))
        return None
    text = str(raw).strip()
    if not text.isdigit() or len(text) > 6:
        problems.append(Problem(at, f"quantity is a whole number from 1 to {MAX_QUANTITY}"))
        return None
    number = int(text)
    if not 1 <= number <= MAX_QUANTITY:
        problems.append(Problem(at, f"quantity is a whole number from 1 to {MAX_QUANTITY}"))
        return None
    return number


def _value(raw: object, currency: str | None, at: str, problems: list[Problem]) -> Decimal | None:
    if raw is None or raw == "":
        problems.append(Problem(at, "value is required"))
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float | str | Decimal):
        problems.append(Problem(at, "value is a decimal number"))
        return None
    text = str(raw).strip()
    if len(text) > 24:
        problems.append(Problem(at, "value is a decimal number"))
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        problems.append(Problem(at, f"{text[:30]!r} is not a decimal number"))
        return None
    if not value.is_finite() or value < 0 or value >= MAX_VALUE:
        problems.append(Problem(at, f"value is from 0 to under {MAX_VALUE}"))
        return None
    places = -value.as_tuple().exponent  # type: ignore[operator]
    allowed = minor_unit(currency) if currency is not None else VALUE_PLACES
    if places > allowed:
        problems.append(Problem(at, f"value has at most {allowed} decimal places"
                                    + (f" in {currency}" if currency else "")))
        return None
    return value


# -- de minimis ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeMinimis:
    """A country's de minimis rule over a period: below or at `duty_threshold` (national
    currency) a consignment owes no duty, at or below `vat_threshold` no VAT/GST. Without a
    tariff code duty is `flat_duty_percent` of the value and VAT `standard_vat_percent`."""

    country: str
    currency: str
    duty_threshold: Decimal
    vat_threshold: Decimal
    flat_duty_percent: Decimal
    standard_vat_percent: Decimal
    valid_from: date
    valid_to: date | None = None
    sample: bool = False  # a packaged sample, not a rule the admin set
    set_by: str = ""

    def in_force(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)

    def overlaps(self, other: DeMinimis) -> bool:
        end = self.valid_to or date.max
        other_end = other.valid_to or date.max
        return (self.country == other.country and self.valid_from <= other_end
                and other.valid_from <= end)

    def duty_due(self, value: Decimal) -> bool:
        return value > self.duty_threshold

    def vat_due(self, value: Decimal) -> bool:
        return value > self.vat_threshold

    def describe(self) -> str:
        sample = " (sample)" if self.sample else ""
        return (f"de minimis of {self.country}{sample} from {self.valid_from}: duty above "
                f"{self.duty_threshold} {self.currency}, VAT above {self.vat_threshold} "
                f"{self.currency}")


def de_minimis_problems(rule: DeMinimis) -> list[Problem]:
    found = []
    member = ASEAN.get(rule.country)
    if member is None:
        found.append(Problem("country", f"{rule.country!r} is not an ASEAN member state"))
    elif rule.currency != member.currency:
        found.append(Problem("currency", f"thresholds of {rule.country} are in "
                                         f"{member.currency}"))
    for name in ("duty_threshold", "vat_threshold"):
        value: Decimal = getattr(rule, name)
        if not value.is_finite() or not 0 <= value < MAX_VALUE:
            found.append(Problem(name, f"{name} is from 0 to under {MAX_VALUE}"))
    for name in ("flat_duty_percent", "standard_vat_percent"):
        value = getattr(rule, name)
        if not value.is_finite() or not 0 <= value <= 100:
            found.append(Problem(name, f"{name} is a percentage from 0 to 100"))
    if rule.valid_to is not None and rule.valid_to < rule.valid_from:
        found.append(Problem("valid_to", "the rule ends before it starts"))
    return found


def rule_on(rules: Iterable[DeMinimis], on: date) -> DeMinimis | None:
    """The rule in force on `on`: the admin's before a packaged sample."""
    candidates = [r for r in rules if r.in_force(on)]
    candidates.sort(key=lambda r: (not r.sample, r.valid_from))
    return candidates[-1] if candidates else None


# Packaged sample rules, one per ASEAN member, in its currency. SAMPLE values for trying the
# node out: round figures of the order of magnitude of each member's practice, NOT its law;
# the admin sets the real ones (`PUT /ecommerce/de-minimis`).
SAMPLE_DE_MINIMIS: dict[str, tuple[str, str, str, str, str]] = {
    # country: (currency, duty threshold, VAT threshold, flat duty %, standard VAT %)
    "BN": ("BND", "400", "400", "10", "0"),
    "KH": ("KHR", "200000", "200000", "15", "10"),
    "ID": ("IDR", "45000", "0", "10", "11"),
    "LA": ("LAK", "1000000", "1000000", "10", "10"),
    "MY": ("MYR", "500", "0", "10", "10"),
    "MM": ("MMK", "100000", "100000", "10", "5"),
    "PH": ("PHP", "10000", "10000", "10", "12"),
    "SG": ("SGD", "400", "0", "0", "9"),
    "TH": ("THB", "1500", "0", "10", "7"),
    "VN": ("VND", "1000000", "1000000", "10", "10"),
}
SAMPLE_FROM = date(2020, 1, 1)


def sample_de_minimis(country: str) -> DeMinimis:
    currency, duty, vat, flat, standard = SAMPLE_DE_MINIMIS[country]
    return DeMinimis(country, currency, Decimal(duty), Decimal(vat), Decimal(flat),
                     Decimal(standard), SAMPLE_FROM, None, sample=True, set_by="sample")


# -- what is due --------------------------------------------------------------------------------


@dataclass(slots=True)
class Earlier:
    """A parcel already assessed that a later one may be split from: what it would owe as part
    of a consignment over the thresholds, and what it was charged."""

    order_reference: str
    buyer_key: str
    seller_key: str
    goods_key: str
    code6: str | None
    declared_at: datetime
    value_national: Decimal
    duty_if_due: Decimal
    vat_if_due: Decimal
    duty: Decimal
    vat: Decimal

    def same_goods(self, goods_key: str, code6: str | None) -> bool:
        return self.goods_key == goods_key or (code6 is not None and self.code6 == code6)


@dataclass(slots=True)
class Assessment:
    """What one parcel owes, in national currency, and how it was worked out."""

    value_national: Decimal
    duty_if_due: Decimal  # the parcel's own duty were the thresholds passed
    vat_if_due: Decimal
    duty: Decimal  # charged on this parcel (with what split parcels escaped, if any)
    vat: Decimal
    basis: str  # which rate: the national line's, or the flat rate without a code
    consignment_value: Decimal  # the value the thresholds were compared with
    split_with: tuple[str, ...] = ()  # order references assessed together with this one
    notes: tuple[str, ...] = ()


def _round(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-minor_unit(currency)), rounding=ROUND_HALF_UP)


def assess(
    parcel: Parcel,
    rate: ExchangeRate,
    rule: DeMinimis,
    line: TariffLine | None,
    earlier: Sequence[Earlier],
    at: datetime,
    window: timedelta = SPLIT_WINDOW,
) -> Assessment:
    """What `parcel` owes. `earlier` are the assessed parcels of the same buyer and seller;
    those of the same goods within `window` of `at` make one consignment with it."""
    currency = rule.currency
    value = rate.value_of(parcel.value)
    quantity = Decimal(parcel.quantity)
    if line is not None:
        own_duty = line.mfn.amount(value, quantity)
        basis = f"national line {line.code}: duty {line.mfn.text}, VAT {line.vat.text}"
    else:
        flat, standard = rule.flat_duty_percent, rule.standard_vat_percent
        own_duty = value * flat / _HUNDRED
        why = "no tariff code declared" if parcel.code is None else (
            f"code {parcel.code} is a subheading, not a national line")
        basis = f"flat rate for low-value consignments ({why}): duty {flat}%, VAT {standard}%"
    code6 = parcel.code[:6] if parcel.code else None
    goods, buyer, seller = parcel.goods_key, parcel.buyer_key, parcel.seller_key
    split = [e for e in earlier
             if e.buyer_key == buyer and e.seller_key == seller and e.same_goods(goods, code6)
             and abs(at - e.declared_at) <= window]
    consignment = value + sum((e.value_national for e in split), _ZERO)
    duty_due = rule.duty_due(consignment)
    own_duty = _round(own_duty, currency)
    vat_base = value + own_duty if duty_due else value
    own_vat = _round(line.vat.amount(vat_base, quantity) if line is not None
                     else vat_base * rule.standard_vat_percent / _HUNDRED, currency)
    duty = vat = _ZERO
    notes: list[str] = []
    if duty_due:
        # What the earlier parts escaped is charged now, once: they owe their own duty less
        # what they (and the parts before this one) were charged.
        duty = own_duty + sum((e.duty_if_due - e.duty for e in split), _ZERO)
    if rule.vat_due(consignment):
        vat = own_vat + sum((e.vat_if_due - e.vat for e in split), _ZERO)
    if split:
        refs = tuple(e.order_reference for e in split)
        notes.append(
            f"assessed with {len(split)} earlier parcel(s) of the same buyer, seller and goods "
            f"within {int(window.total_seconds() // 3600)} h ({', '.join(refs[:10])}"
            f"{', ...' if len(refs) > 10 else ''}): consignment value {consignment} {currency}")
    notes.append(
        f"duty {'due' if duty_due else 'not due'}: {consignment} {currency} "
        f"{'above' if duty_due else 'at or below'} the threshold {rule.duty_threshold}")
    vat_due = rule.vat_due(consignment)
    notes.append(
        f"VAT {'due' if vat_due else 'not due'}: {consignment} {currency} "
        f"{'above' if vat_due else 'at or below'} the threshold {rule.vat_threshold}")
    return Assessment(value, own_duty, own_vat, duty, vat, basis, consignment,
                      tuple(e.order_reference for e in split), tuple(notes))


# -- risk ---------------------------------------------------------------------------------------


class PartyKind(enum.StrEnum):
    SELLER = "seller"
    PLATFORM = "platform"
    COURIER = "courier"


@dataclass(frozen=True)
class PartyHistory:
    """How a seller's, platform's or courier's parcels fared at inspection."""

    kind: PartyKind
    party: str
    inspected: int = 0
    irregular: int = 0

    @property
    def share(self) -> float | None:
        return self.irregular / self.inspected if self.inspected else None


# A party is judged on its own record once this many of its parcels were inspected.
MIN_INSPECTED = 5
DOCUMENTS_SHARE = 0.2  # irregular share from which its parcels are held for documents
INSPECTION_SHARE = 0.5  # from which they are inspected
UNKNOWN_SELLER_SHARE = 0.5  # a seller with a short record: counted as one irregular parcel


def history_channel(history: PartyHistory | None, kind: PartyKind,
                    party: str) -> tuple[Channel, str | None]:
    """What a party's record says of its parcel, with the reason when it holds it."""
    inspected = history.inspected if history else 0
    irregular = history.irregular if history else 0
    if inspected >= MIN_INSPECTED:
        share = irregular / inspected
        if share >= INSPECTION_SHARE:
            return Channel.RED, (f"{kind.value} {party}: {share:.0%} of {inspected} inspected "
                                 f"parcels irregular (inspection from {INSPECTION_SHARE:.0%})")
        if share >= DOCUMENTS_SHARE:
            return Channel.YELLOW, (f"{kind.value} {party}: {share:.0%} of {inspected} "
                                    f"inspected parcels irregular (documents from "
                                    f"{DOCUMENTS_SHARE:.0%})")
        return Channel.GREEN, None
    if kind is PartyKind.SELLER:
        # An unknown seller counts as irregular: one irregular parcel more on a short record.
        share = (irregular + 1) / (inspected + 1)
        if share >= UNKNOWN_SELLER_SHARE:
            return Channel.YELLOW, (
                f"seller {party}: unknown to customs ({inspected} inspected, {irregular} "
                f"irregular; an unknown seller counts as irregular)")
    return Channel.GREEN, None


def subject_of(parcel: Parcel, assessment: Assessment, office: str | None) -> RiskSubject:
    """The facts the officers' risk rules test, as a consignment of one goods item."""
    value = assessment.value_national
    header: dict[str, object] = {
        "type": "low_value",
        "office": office,
        "export_country": parcel.origin,
        "seller": parcel.seller,
        "buyer": parcel.buyer,
        "platform": parcel.platform,
        "courier": parcel.courier,
        "invoice_currency": parcel.currency,
        "total_customs_value": value,
        "item_count": 1,
    }
    item: dict[str, object] = {
        "commodity_code": parcel.code,
        "origin_country": parcel.origin,
        "description": parcel.description,
        "quantity": Decimal(parcel.quantity),
        "customs_value": value,
        "unit_value": value / parcel.quantity,
    }
    return RiskSubject(header, [item])


@dataclass(frozen=True)
class Screening:
    verdict: Verdict
    reasons: tuple[str, ...]  # for officers only
    rule_ids: tuple[str, ...] = ()
    random: bool = False
    selection: Selection | None = None  # the rules' and random draw's, for their hit rates


def screen(
    subject: RiskSubject,
    rules: Sequence[RiskRule],
    policy: SelectivityPolicy,
    histories: Mapping[tuple[PartyKind, str], PartyHistory],
    parties: Sequence[tuple[PartyKind, str]],
    on: date,
    rng: random.Random,
    doubt: str | None = None,
) -> Screening:
    """The verdict on an assessed parcel: the officers' rules and the random share (through
    `risk.model.choose_channel`), its parties' records, and the assistant's doubt about its
    code; the most severe wins, with every reason."""
    selection = choose_channel(subject, rules, policy, on, rng)
    channel = selection.channel
    reasons = [r for r in selection.reasons if not r.startswith("green:")]
    for kind, party in parties:
        said, why = history_channel(histories.get((kind, party)), kind, party)
        if why is not None:
            reasons.append(f"{why} → {said.value}")
        if said.severity > channel.severity:
            channel = said
    if doubt is not None:
        reasons.append(f"declared code doubtful: {doubt} → yellow")
        if channel is Channel.GREEN:
            channel = Channel.YELLOW
    verdict = {Channel.GREEN: Verdict.RELEASED, Channel.YELLOW: Verdict.HELD_DOCUMENTS,
               Channel.RED: Verdict.HELD_INSPECTION}[channel]
    if not reasons:
        reasons.append("no risk rule hit, no party with an irregular record, not drawn for a "
                       "random check")
    return Screening(verdict, tuple(reasons), selection.rule_ids, selection.random, selection)


# -- officers' decisions ------------------------------------------------------------------------


class Decision(enum.StrEnum):
    DOCUMENTS_ACCEPTED = "documents_accepted"  # released: the documents bear the data out
    NOTHING_FOUND = "nothing_found"  # inspected, as declared: released
    FOUND = "found"  # inspected, irregular: refused entry, the parties' records remember

    @property
    def releases(self) -> bool:
        return self is not Decision.FOUND

    @property
    def inspected(self) -> bool:
        return self is not Decision.DOCUMENTS_ACCEPTED


def decision_refusal(status: Verdict, decision: Decision) -> str | None:
    """Why `decision` cannot be taken on a parcel in `status`, or None."""
    if not status.held:
        return f"the parcel is {status.value}, not held"
    if status is Verdict.HELD_INSPECTION and decision is Decision.DOCUMENTS_ACCEPTED:
        return "a parcel held for inspection is released on the inspection's result only"
    return None


# -- consolidation ------------------------------------------------------------------------------


@dataclass
class Consolidation:
    """Duties and taxes of a set of parcels, for one payment, in national currency."""

    currency: str
    parcels: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    duty: Decimal = _ZERO
    vat: Decimal = _ZERO
    held_duty: Decimal = _ZERO  # of parcels still held: due only once they are released
    held_vat: Decimal = _ZERO

    @property
    def total(self) -> Decimal:
        return self.duty + self.vat

    def add(self, status: Verdict, duty: Decimal, vat: Decimal, count: int = 1) -> None:
        self.parcels += count
        self.by_status[status.value] = self.by_status.get(status.value, 0) + count
        if status is Verdict.RELEASED:
            self.duty += duty
            self.vat += vat
        elif status.held:
            self.held_duty += duty
            self.held_vat += vat
