"""Consignments through transhipment hubs, plain Python: the arrival of a consignment at one of
this node's hub ports and its departure on the next leg, with the link between them; what may
change at a hub and what must not; the hubs known for origin laundering of a code.

    earlier leg ──► arrival at the hub (transport document A, from port, carrier, goods with
                    │                    their origin as the earlier leg recorded it)
                    └─► departure (transport document B, to port, goods: re-packed, never
                                   of another origin or another subheading)

A hub may re-pack a consignment (other packages, another description, another national line
of the same HS subheading, split over several departures), but it may not give it another
origin: the goods leave with the origin they arrived with. A departure that names another
origin, another subheading, or more than arrived is refused.

A port is its UN/LOCODE: the country's ISO code and three letters or digits 2-9 (SGSIN).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from singlewindow.core.countries import is_country
from singlewindow.core.errors import Problem
from singlewindow.core.units import quantity_problems
from singlewindow.transhipment.errors import InvalidLeg

LOCODE = re.compile(r"[A-Z]{2}[A-Z2-9]{3}")
HS_CODE = re.compile(r"[0-9]{6}([0-9]{2})?")  # the subheading, or a national line of 8
HS_PREFIX = re.compile(r"[0-9]{2}([0-9]{2}){0,3}")  # a chapter, heading, subheading or line
DOCUMENT = re.compile(r"[A-Z0-9][A-Z0-9-]{3,34}")  # a bill of lading or air waybill number

NAME_LIMIT = 200
ONE_DAY = timedelta(days=1)
TEXT_LIMIT = 1000
MAX_ITEMS = 99

# The ports each node may record as its hubs (the main container and air cargo hubs of the
# ASEAN members; a port not listed here is not a hub this node tracks).
HUB_PORTS: dict[str, tuple[str, ...]] = {
    "BN": ("BNMUA",),
    "ID": ("IDTPP", "IDBLW", "IDSUB"),
    "KH": ("KHKOS", "KHPNH"),
    "LA": ("LAVTE",),
    "MM": ("MMRGN",),
    "MY": ("MYPKG", "MYTPP", "MYPEN"),
    "PH": ("PHMNL", "PHMNS"),
    "SG": ("SGSIN",),
    "TH": ("THLCH", "THBKK"),
    "VN": ("VNSGN", "VNCMT", "VNHPH"),
}


class TransportDocument(enum.StrEnum):
    """The transport documents a leg travels on (WCO / UN/EDIFACT 1001 codes, as the
    declaration's supporting documents name them)."""

    BILL_OF_LADING = "N705"
    MASTER_BILL_OF_LADING = "N704"
    AIR_WAYBILL = "N740"
    MASTER_AIR_WAYBILL = "N741"


TRANSPORT_DOCUMENTS = frozenset(t.value for t in TransportDocument)


def port_problem(code: str) -> str | None:
    """Why `code` is not a UN/LOCODE, or None."""
    if not LOCODE.fullmatch(code):
        return "a port is a UN/LOCODE: a country code and three letters or digits 2-9 (SGSIN)"
    if not is_country(code[:2]):
        return f"{code[:2]!r} is not an ISO 3166 country code"
    return None


def hub_port_problem(country: str, code: str) -> str | None:
    """Why `code` is not one of `country`'s hub ports, or None."""
    if (problem := port_problem(code)) is not None:
        return problem
    if code not in HUB_PORTS.get(country, ()):
        ports = ", ".join(HUB_PORTS.get(country, ())) or "none"
        return f"{code} is not a hub port of {country} (its hubs: {ports})"
    return None


# -- the legs ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class ArrivedGoods:
    """A goods item as it arrived: its origin is what the earlier leg recorded (its ACDD or
    the arrival's documents), and the one that leaves with it."""

    sequence: int
    commodity_code: str  # HS 6, or a national line of 8
    description: str
    quantity: Decimal
    quantity_unit: str
    origin_country: str
    packages: int | None = None

    @property
    def subheading(self) -> str:
        return self.commodity_code[:6]


@dataclass(frozen=True)
class DepartingGoods:
    """A goods item as it leaves: re-packed perhaps, never of another origin. `origin_country`
    is what the departure's documents say, if they say it; it must be the arrival's."""

    sequence: int
    commodity_code: str
    description: str
    quantity: Decimal
    quantity_unit: str
    packages: int | None = None
    origin_country: str | None = None

    @property
    def subheading(self) -> str:
        return self.commodity_code[:6]


@dataclass(frozen=True)
class Arrival:
    """A consignment unloaded at one of this node's hub ports."""

    port: str
    document_type: TransportDocument
    transport_document: str
    from_port: str
    carrier: str
    arrived_on: date
    goods: tuple[ArrivedGoods, ...]
    # The ACDD of the earlier leg, if one came with the consignment (its export country and
    # number): the origin of each item is taken from it.
    acdd_country: str | None = None
    acdd_number: str | None = None


@dataclass(frozen=True)
class Departure:
    """The next leg of a consignment that arrived at the hub (`arrival_document`)."""

    port: str
    arrival_document: str
    document_type: TransportDocument
    transport_document: str
    to_port: str
    carrier: str
    departed_on: date
    goods: tuple[DepartingGoods, ...]


@dataclass(frozen=True)
class LegGoods:
    commodity_code: str
    description: str
    quantity: Decimal
    quantity_unit: str
    origin_country: str

    @property
    def subheading(self) -> str:
        return self.commodity_code[:6]


@dataclass(frozen=True)
class Leg:
    """One leg of a consignment's journey, as its transport document says: from where to
    where, when, on what document, with which goods and their origin."""

    sequence: int
    document_type: str
    transport_document: str
    loading_port: str
    unloading_port: str
    carrier: str
    on: date  # the day it arrived (an arrival's leg) or left (a departure's leg)
    goods: tuple[LegGoods, ...]


def _text_problems(value: str, path: str, limit: int, problems: list[Problem]) -> None:
    if not value.strip():
        problems.append(Problem(path, "is required"))
    elif len(value) > limit:
        problems.append(Problem(path, f"is longer than {limit} characters"))


def _goods_problems(code: str, description: str, quantity: Decimal, unit: str,
                    packages: int | None, path: str, problems: list[Problem]) -> None:
    if not HS_CODE.fullmatch(code):
        problems.append(Problem(f"{path}.commodity_code",
                                "an HS subheading of 6 digits or a national line of 8"))
    _text_problems(description, f"{path}.description", NAME_LIMIT, problems)
    problems.extend(quantity_problems(quantity, unit, path))
    if packages is not None and packages < 1:
        problems.append(Problem(f"{path}.packages", "must be at least 1"))


def _document_problems(number: str, path: str, problems: list[Problem]) -> None:
    if not DOCUMENT.fullmatch(number):
        problems.append(Problem(path, "a transport document number: 4 to 35 capital letters, "
                                      "digits or dashes"))


def check_arrival(arrival: Arrival, country: str, today: date | None = None) -> None:
    """Refuse an arrival this node cannot record: not at one of its hubs, from nowhere, not
    yet arrived (after `today`, a day's grace for the time zones), with goods without a known
    origin. Every problem at once."""
    problems: list[Problem] = []
    if today is not None and arrival.arrived_on > today + ONE_DAY:
        problems.append(Problem("arrived_on", f"after today ({today}): record it once arrived"))
    if (problem := hub_port_problem(country, arrival.port)) is not None:
        problems.append(Problem("port", problem))
    if (problem := port_problem(arrival.from_port)) is not None:
        problems.append(Problem("from_port", problem))
    elif arrival.from_port == arrival.port:
        problems.append(Problem("from_port", "a consignment arrives from another port"))
    _document_problems(arrival.transport_document, "transport_document", problems)
    _text_problems(arrival.carrier, "carrier", NAME_LIMIT, problems)
    if (arrival.acdd_country is None) != (arrival.acdd_number is None):
        problems.append(Problem("acdd", "an ACDD is cited by its export country and number"))
    if not arrival.goods:
        problems.append(Problem("goods", "at least one goods item is required"))
    if len(arrival.goods) > MAX_ITEMS:
        problems.append(Problem("goods", f"at most {MAX_ITEMS} goods items"))
    for index, item in enumerate(arrival.goods):
        path = f"goods.{index}"
        _goods_problems(item.commodity_code, item.description, item.quantity,
                        item.quantity_unit, item.packages, path, problems)
        if not item.origin_country:
            if arrival.acdd_number is None:
                problems.append(Problem(f"{path}.origin_country",
                                        "is required: the origin the arrival's documents "
                                        "state, unless the ACDD of the earlier leg is cited"))
        elif not is_country(item.origin_country):
            problems.append(Problem(f"{path}.origin_country",
                                    f"{item.origin_country!r} is not an ISO 3166 country code"))
    _sequence_problems([g.sequence for g in arrival.goods], problems)
    if problems:
        raise InvalidLeg(problems)


def _sequence_problems(sequences: Sequence[int], problems: list[Problem]) -> None:
    if len(set(sequences)) != len(sequences):
        problems.append(Problem("goods", "each goods item has its own sequence number"))


def check_departure(departure: Departure, arrival: Arrival, departed: Iterable[Departure],
                    country: str, today: date | None = None) -> None:
    """Refuse a departure the arrival it continues does not allow: goods of another origin
    or subheading than arrived, more than arrived (less what earlier departures took), before
    the arrival, or to the hub's own country (an import, not a transhipment)."""
    problems: list[Problem] = []
    if departure.port != arrival.port:
        problems.append(Problem("port", f"{departure.arrival_document} arrived at "
                                        f"{arrival.port}, not {departure.port}"))
    if (problem := port_problem(departure.to_port)) is not None:
        problems.append(Problem("to_port", problem))
    elif departure.to_port[:2] == country:
        problems.append(Problem("to_port", f"goods that stay in {country} are imported, "
                                           "not transhipped"))
    _document_problems(departure.transport_document, "transport_document", problems)
    if departure.transport_document == arrival.transport_document:
        problems.append(Problem("transport_document",
                                "the next leg travels on a transport document of its own"))
    _text_problems(departure.carrier, "carrier", NAME_LIMIT, problems)
    if departure.departed_on < arrival.arrived_on:
        problems.append(Problem("departed_on", f"before the arrival on {arrival.arrived_on}"))
    elif today is not None and departure.departed_on > today + ONE_DAY:
        problems.append(Problem("departed_on", f"after today ({today}): record it once left"))
    if not departure.goods:
        problems.append(Problem("goods", "at least one goods item is required"))
    if len(departure.goods) > MAX_ITEMS:
        problems.append(Problem("goods", f"at most {MAX_ITEMS} goods items"))
    left = remaining(arrival, departed)
    for index, item in enumerate(departure.goods):
        path = f"goods.{index}"
        _goods_problems(item.commodity_code, item.description, item.quantity,
                        item.quantity_unit, item.packages, path, problems)
        arrived = [g for g in arrival.goods if g.subheading == item.subheading]
        if not arrived:
            problems.append(Problem(f"{path}.commodity_code",
                                    f"no goods of subheading {item.subheading} arrived on "
                                    f"{arrival.transport_document}: a hub re-packs, it does "
                                    "not change the goods"))
            continue
        origins = {g.origin_country for g in arrived}
        if item.origin_country is not None and item.origin_country not in origins:
            problems.append(Problem(f"{path}.origin_country",
                                    f"the goods arrived of origin {'/'.join(sorted(origins))}"
                                    f" on {arrival.transport_document}: a hub does not change"
                                    " the origin"))
        key = (item.subheading, item.quantity_unit)
        available = left.get(key, Decimal(0))
        if item.quantity > available:
            problems.append(Problem(f"{path}.quantity",
                                    f"{item.quantity} {item.quantity_unit} leave, "
                                    f"{available} {item.quantity_unit} of {item.subheading} "
                                    "arrived and are not yet gone"))
        else:
            left[key] = available - item.quantity
    _sequence_problems([g.sequence for g in departure.goods], problems)
    if problems:
        raise InvalidLeg(problems)


def remaining(arrival: Arrival, departed: Iterable[Departure]) -> dict[tuple[str, str], Decimal]:
    """What of an arrival has not left yet, by subheading and unit."""
    left: dict[tuple[str, str], Decimal] = {}
    for item in arrival.goods:
        key = (item.subheading, item.quantity_unit)
        left[key] = left.get(key, Decimal(0)) + item.quantity
    for earlier in departed:
        for gone in earlier.goods:
            key = (gone.subheading, gone.quantity_unit)
            left[key] = left.get(key, Decimal(0)) - gone.quantity
    return left


def origin_of(arrival: Arrival, subheading: str) -> str | None:
    """The origin the goods of `subheading` arrived with (the first item's, if several)."""
    return next((g.origin_country for g in arrival.goods if g.subheading == subheading), None)


def legs_of(arrival: Arrival, departure: Departure | None,
            earlier: Sequence[Leg] = ()) -> tuple[Leg, ...]:
    """The consignment's legs, in order: those before it reached this hub (from the ACDD it
    came with), its arrival, its departure; the departure's goods carry the arrival's origin."""
    legs = list(earlier)
    legs.append(Leg(len(legs) + 1, arrival.document_type.value, arrival.transport_document,
                    arrival.from_port, arrival.port, arrival.carrier, arrival.arrived_on,
                    tuple(LegGoods(g.commodity_code, g.description, g.quantity,
                                   g.quantity_unit, g.origin_country)
                          for g in arrival.goods)))
    if departure is not None:
        legs.append(Leg(len(legs) + 1, departure.document_type.value,
                        departure.transport_document, departure.port, departure.to_port,
                        departure.carrier, departure.departed_on,
                        tuple(LegGoods(g.commodity_code, g.description, g.quantity,
                                       g.quantity_unit,
                                       origin_of(arrival, g.subheading) or "")
                              for g in departure.goods)))
    return tuple(legs)


def hub_ports_of(legs: Sequence[Leg]) -> list[tuple[str, date, Leg]]:
    """The hubs a route passed through: every port where a leg ended and another began, with
    the day the consignment got there and the leg that brought it."""
    return [(leg.unloading_port, leg.on, leg) for leg in legs[:-1]]


# -- what the destination doubts -------------------------------------------------------------

@dataclass(frozen=True)
class DeclaredItem:
    """What a declaration says of a goods item, as the checks need it."""

    sequence: int
    commodity_code: str
    origin_country: str


def leg_label(leg: Leg) -> str:
    name = TRANSPORT_LABELS.get(leg.document_type, "transport document")
    return (f"leg {leg.sequence} ({leg.loading_port} → {leg.unloading_port}, {name} "
            f"{leg.transport_document}, {leg.on.isoformat()})")


TRANSPORT_LABELS = {
    TransportDocument.BILL_OF_LADING.value: "bill of lading",
    TransportDocument.MASTER_BILL_OF_LADING.value: "master bill of lading",
    TransportDocument.AIR_WAYBILL.value: "air waybill",
    TransportDocument.MASTER_AIR_WAYBILL.value: "master air waybill",
}


def origin_mismatches(items: Iterable[DeclaredItem], legs: Sequence[Leg],
                      source: str) -> list[str]:
    """Every item whose declared origin differs from the origin an earlier leg recorded for
    its subheading: which item, which leg, which port, which document, which origin."""
    reasons = []
    for item in items:
        for leg in legs:
            recorded = next((g for g in leg.goods if g.subheading == item.commodity_code[:6]
                             and g.origin_country), None)
            if recorded is not None and recorded.origin_country != item.origin_country:
                reasons.append(
                    f"item {item.sequence}: origin {item.origin_country} declared, "
                    f"{recorded.origin_country} recorded on {leg_label(leg)} ({source})")
                break  # the earliest leg that says otherwise is the one to show
    return reasons


@dataclass(frozen=True)
class LaunderingHub:
    """A hub known for origin laundering of the goods of an HS prefix, from a day (until a
    day, if the listing ended). `sample` marks a packaged example, not an intelligence."""

    port: str
    hs_prefix: str
    listed_from: date
    listed_until: date | None = None
    note: str = ""
    sample: bool = False
    id: int | None = None
    recorded_by: str = ""
    recorded_at: datetime | None = None

    def covers(self, port: str, commodity_code: str, on: date) -> bool:
        return (self.port == port and commodity_code.startswith(self.hs_prefix)
                and self.listed_from <= on
                and (self.listed_until is None or on <= self.listed_until))

    @property
    def country(self) -> str:
        return self.port[:2]


def check_listing(listing: LaunderingHub) -> None:
    problems: list[Problem] = []
    if (problem := port_problem(listing.port)) is not None:
        problems.append(Problem("port", problem))
    if not HS_PREFIX.fullmatch(listing.hs_prefix):
        problems.append(Problem("hs_prefix", "an HS chapter, heading, subheading or line: "
                                             "2, 4, 6 or 8 digits"))
    if listing.listed_until is not None and listing.listed_until < listing.listed_from:
        problems.append(Problem("listed_until", f"before {listing.listed_from}"))
    if len(listing.note) > TEXT_LIMIT:
        problems.append(Problem("note", f"is longer than {TEXT_LIMIT} characters"))
    if problems:
        raise InvalidLeg(problems)


@dataclass(frozen=True)
class Route:
    """How a consignment came: its legs if known; else only the country it was exported
    from, and the day it was declared."""

    declared_on: date
    legs: tuple[Leg, ...] = ()
    export_country: str | None = None


def laundering_hubs_passed(items: Iterable[DeclaredItem], route: Route,
                           listings: Sequence[LaunderingHub]) -> list[str]:
    """Every item whose route passed a hub listed for origin laundering of its code on the
    day it was there; without legs, an export country that holds such a hub."""
    reasons = []
    for item in items:
        code = item.commodity_code
        if route.legs:
            for port, on, leg in hub_ports_of(route.legs):
                found = next((h for h in listings if h.covers(port, code, on)), None)
                if found is not None:
                    reasons.append(
                        f"item {item.sequence}: code {code} passed {port} on "
                        f"{leg_label(leg)}, a hub known for origin laundering of "
                        f"{found.hs_prefix} (listed from {found.listed_from.isoformat()}"
                        f"{', sample listing' if found.sample else ''})")
                    break
        elif route.export_country is not None:
            found = next((h for h in listings if h.country == route.export_country
                          and h.covers(h.port, code, route.declared_on)), None)
            if found is not None:
                reasons.append(
                    f"item {item.sequence}: code {code} exported from {route.export_country},"
                    f" whose hub {found.port} is known for origin laundering of "
                    f"{found.hs_prefix} (listed from {found.listed_from.isoformat()}"
                    f"{', sample listing' if found.sample else ''}); origin "
                    f"{item.origin_country} declared")
    return reasons


# The packaged examples an administrator starts from: marked as samples, to be replaced by
# the administration's own intelligence.
SAMPLE_LISTINGS = (
    LaunderingHub("MYPKG", "7208", date(2026, 1, 1),
                  note="Hot-rolled steel re-labelled to avoid anti-dumping duties (sample)",
                  sample=True),
    LaunderingHub("VNSGN", "8541", date(2026, 1, 1),
                  note="Solar cells and modules re-exported under another origin (sample)",
                  sample=True),
    LaunderingHub("SGSIN", "4011", date(2026, 1, 1),
                  note="Tyres re-declared at transhipment (sample)", sample=True),
)
