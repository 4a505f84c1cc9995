"""A transit movement's rules, plain Python: its MRN, its itinerary, its states in NCTS order,
and the guarantee that secures it.

    accepted ─► released ─► (entered an office of transit)* ─► arrived ─► written off
       │                                                   │         └─► discrepancy ─► written off
       └─► guarantee refused         released or crossed ──┴─► overdue ─► enquiry ─► recovery
                                                                           └─► arrived (late)
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from singlewindow.core.errors import Problem
from singlewindow.core.ids import check_character
from singlewindow.core.transitions import Transitions
from singlewindow.transit.errors import GuaranteeRefused, MovementConflict

# -- the MRN -----------------------------------------------------------------------------------

TRANSIT_PROCEDURE = "J"  # NCTS's procedure character of a transit declaration alone
MRN = re.compile(r"[0-9]{2}[A-Z]{2}[0-9A-Z]{12}[A-Z][0-9]")


def mrn(year: int, country: str, unique: str, procedure: str = TRANSIT_PROCEDURE) -> str:
    """The movement reference number: year (2 digits), country, a unique part (12 digits or
    letters), the procedure character and the check character (18 in all)."""
    body = f"{year % 100:02d}{country}{unique.upper():0>12}{procedure}"
    if not MRN.fullmatch(body + "0"):
        raise ValueError(f"no MRN can be made of {year}, {country!r}, {unique!r}")
    return body + check_character(body)


def mrn_problem(text: str) -> str | None:
    """Why `text` is not an MRN (its shape or its check character), or None."""
    if not MRN.fullmatch(text):
        return ("an MRN is 18 characters: 2 digits of the year, the country, 12 digits or "
                "capital letters, the procedure letter and a check digit")
    if check_character(text[:17]) != text[17]:
        return f"the check character of {text} is {check_character(text[:17])}, not {text[17]}"
    return None


# -- the itinerary -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Office:
    code: str  # e.g. THBKK01: the country is its first two letters
    country: str


@dataclass(frozen=True)
class Itinerary:
    """The offices the goods pass, in order, and the countries of routing they stand for."""

    departure: Office
    transit: tuple[Office, ...]
    destination: Office
    routing: tuple[str, ...]  # the countries, departure's first, destination's last

    def problems(self) -> list[Problem]:
        """An office of transit for each country entered between departure and destination,
        in the order of the routing; departure and destination in their countries."""
        found = []
        if not self.routing or self.routing[0] != self.departure.country:
            found.append(Problem("routing.0", "the routing starts in the country of departure"
                                              f" ({self.departure.country})"))
        if not self.routing or self.routing[-1] != self.destination.country:
            found.append(Problem(f"routing.{max(len(self.routing) - 1, 0)}",
                                 "the routing ends in the country of destination "
                                 f"({self.destination.country})"))
        if self.departure.country == self.destination.country:
            found.append(Problem("destination", "a transit movement crosses a border: the "
                                                "destination is in another country"))
        between = list(self.routing[1:-1])
        offices = [office.country for office in self.transit]
        if offices != between:
            found.append(Problem("transit", f"the offices of transit are in {offices or 'no'}"
                                            f" countries, the routing enters {between or 'none'}"
                                            " between departure and destination: one office of"
                                            " transit for each, in order"))
        return found

    @property
    def offices(self) -> tuple[Office, ...]:
        return (self.departure, *self.transit, self.destination)


def guarantee_amount(duties_by_country: Mapping[str, Decimal]) -> Decimal:
    """What the movement reserves: the highest duties and taxes any country of its itinerary
    would charge for its goods (each by its own schedule), in the guarantee's currency."""
    return max(duties_by_country.values(), default=Decimal(0))


# -- the transit declaration (IE015) -----------------------------------------------------------

# No movement is given longer than this to reach its destination.
LONGEST_TIME_LIMIT = timedelta(days=60)
# What the office of departure gives when the holder proposes no time limit (NCTS leaves it
# to the office of departure; a week and a day covers the ASEAN corridors by road).
USUAL_TIME_LIMIT = timedelta(days=8)


@dataclass(frozen=True)
class Equipment:
    """A container or a sealed load compartment, with its seals' identifiers."""

    number: str
    seals: tuple[str, ...]
    sealed: bool = True


@dataclass(frozen=True)
class TransitGoodsItem:
    sequence: int
    commodity_code: str
    description: str
    packages: int
    gross_mass: Decimal
    net_mass: Decimal
    value: Decimal  # in the currency of the guarantee, for the amount it reserves


@dataclass(frozen=True)
class TransitDeclaration:
    """What the holder of the procedure lodges at the office of departure."""

    lrn: str
    holder: str
    guarantee: str
    access_code: str
    itinerary: Itinerary
    transport: str  # the means of transport (its registration)
    equipment: tuple[Equipment, ...]
    items: tuple[TransitGoodsItem, ...]
    # The instant by which the goods must be presented at destination (UTC). NCTS gives a
    # day; an instant lets a short movement (a bridge, a demonstration) be followed by the hour.
    time_limit: datetime

    def problems(self, now: datetime) -> list[Problem]:
        """Every reason it cannot be accepted as it stands, each at its place."""
        found = [*self.itinerary.problems()]
        if not self.items:
            found.append(Problem("items", "a transit declaration has at least one goods item"))
        for n, item in enumerate(self.items):
            found.extend(_item_problems(item, f"items.{n}"))
        for n, unit in enumerate(self.equipment):
            if unit.sealed and not unit.seals:
                found.append(Problem(f"equipment.{n}.seals",
                                     f"sealed equipment {unit.number} lists its seals"))
            if len(set(unit.seals)) != len(unit.seals):
                found.append(Problem(f"equipment.{n}.seals", "a seal is listed twice"))
        if self.time_limit <= now:
            found.append(Problem("time_limit", "the time limit for arrival "
                                               f"({self.time_limit:%Y-%m-%d %H:%M} UTC) is not "
                                               f"in the future ({now:%Y-%m-%d %H:%M} UTC)"))
        elif self.time_limit > now + LONGEST_TIME_LIMIT:
            found.append(Problem("time_limit", "the time limit for arrival is at most "
                                               f"{LONGEST_TIME_LIMIT.days} days ahead"))
        if not self.access_code.isdigit() or len(self.access_code) != 4:
            found.append(Problem("access_code", "the guarantee's access code is 4 digits"))
        return found


def _item_problems(item: TransitGoodsItem, at: str) -> list[Problem]:
    found = []
    if not re.fullmatch(r"[0-9]{6,8}", item.commodity_code):
        found.append(Problem(f"{at}.commodity_code", "a commodity code is 6 to 8 digits"))
    if item.packages < 1:
        found.append(Problem(f"{at}.packages", "at least one package"))
    if item.net_mass <= 0 or item.gross_mass < item.net_mass:
        found.append(Problem(f"{at}.gross_mass", "the gross mass is at least the net mass, "
                                                  "which is positive"))
    if item.value <= 0:
        found.append(Problem(f"{at}.value", "the goods' value is positive"))
    return found


# -- the movement --------------------------------------------------------------------------


class TransitStatus(enum.StrEnum):
    ACCEPTED = "accepted"
    GUARANTEE_REFUSED = "guarantee_refused"
    RELEASED = "released"  # for transit (IE029): the transit accompanying document is made
    ARRIVED = "arrived"  # arrival advice at the office of destination (IE006)
    DISCREPANCY = "discrepancy"  # control results found something to solve (IE018)
    WRITTEN_OFF = "written_off"  # discharged: the guarantee is released
    OVERDUE = "overdue"  # the time limit passed without arrival
    ENQUIRY = "enquiry"
    RECOVERY = "recovery"  # the reserved duties are claimed


MOVEMENT = Transitions(
    {
        TransitStatus.ACCEPTED: {TransitStatus.RELEASED, TransitStatus.GUARANTEE_REFUSED},
        TransitStatus.GUARANTEE_REFUSED: set(),
        TransitStatus.RELEASED: {TransitStatus.ARRIVED, TransitStatus.OVERDUE},
        TransitStatus.ARRIVED: {TransitStatus.WRITTEN_OFF, TransitStatus.DISCREPANCY},
        TransitStatus.DISCREPANCY: {TransitStatus.WRITTEN_OFF, TransitStatus.RECOVERY},
        TransitStatus.OVERDUE: {TransitStatus.ENQUIRY, TransitStatus.ARRIVED},
        TransitStatus.ENQUIRY: {TransitStatus.RECOVERY, TransitStatus.ARRIVED},
        TransitStatus.WRITTEN_OFF: set(),
        TransitStatus.RECOVERY: set(),
    },
    refusal=MovementConflict,
    noun="a transit movement",
)


@dataclass
class Crossing:
    office: Office
    at: datetime
    declared: bool  # False: an office not on the itinerary (reported as IE115)


@dataclass
class TransitMovement:
    """One movement under one guarantee, from acceptance to its write-off (or recovery)."""

    mrn: str
    itinerary: Itinerary
    time_limit: datetime
    reserved: Decimal
    status: TransitStatus = TransitStatus.ACCEPTED
    crossings: list[Crossing] = field(default_factory=list)

    def _move(self, wanted: TransitStatus) -> None:
        self.status = MOVEMENT.move(self.status, wanted, who=self.mrn)

    def refuse_guarantee(self) -> None:
        self._move(TransitStatus.GUARANTEE_REFUSED)

    def release(self) -> None:
        self._move(TransitStatus.RELEASED)

    def cross(self, office: Office, at: datetime) -> Crossing:
        """The goods entered a country at `office` (IE118); an office not declared is taken
        and reported, one already crossed is refused (the same notice sent twice). A notice
        that comes after the arrival advice (its office's node was down) is still a fact of
        the journey and is kept; none comes before the release."""
        if self.status in (TransitStatus.ACCEPTED, TransitStatus.GUARANTEE_REFUSED):
            raise MovementConflict(f"{self.mrn} is {self.status.value}: no crossing now")
        if any(c.office.code == office.code for c in self.crossings):
            raise MovementConflict(f"{self.mrn} already crossed at {office.code}")
        crossing = Crossing(office, at, office in self.itinerary.transit)
        self.crossings.append(crossing)
        return crossing

    def arrive(self, office: Office) -> None:
        if office.code != self.itinerary.destination.code:
            raise MovementConflict(f"{self.mrn} is bound for "
                                   f"{self.itinerary.destination.code}, not {office.code}")
        self._move(TransitStatus.ARRIVED)

    def record_control(self, discrepancies: Sequence[str]) -> None:
        """The destination's control results (IE018): written off, or a discrepancy."""
        self._move(TransitStatus.DISCREPANCY if discrepancies else TransitStatus.WRITTEN_OFF)

    def solve(self, recovered: bool) -> None:
        """An officer solves the discrepancy: written off, or the duties recovered."""
        if self.status is not TransitStatus.DISCREPANCY:
            raise MovementConflict(f"{self.mrn} is {self.status.value}: nothing to solve")
        self._move(TransitStatus.RECOVERY if recovered else TransitStatus.WRITTEN_OFF)

    def overdue(self, now: datetime) -> bool:
        """Marks it overdue when its time limit passed without arrival (True if it moved)."""
        if self.status is TransitStatus.RELEASED and now > self.time_limit:
            self._move(TransitStatus.OVERDUE)
            return True
        return False

    def open_enquiry(self) -> None:
        self._move(TransitStatus.ENQUIRY)

    def recover(self) -> None:
        self._move(TransitStatus.RECOVERY)

    @property
    def holds_guarantee(self) -> bool:
        """Whether the reservation still stands (released at write-off only)."""
        return self.status not in (TransitStatus.WRITTEN_OFF, TransitStatus.GUARANTEE_REFUSED)


# -- the guarantee -----------------------------------------------------------------------------

@dataclass
class GuaranteeAccount:
    """A holder's comprehensive guarantee: a reference amount, a validity, what movements
    reserve of it now."""

    reference: str
    holder: str
    amount: Decimal
    valid_from: date
    valid_to: date
    revoked_on: date | None = None
    reserved: Decimal = Decimal(0)
    access_digest: str = ""  # `access_digest(code)`: the access code itself is never kept
    failed_codes: int = 0  # wrong access codes in a row; at `MOST_WRONG_CODES` it is blocked

    @property
    def balance(self) -> Decimal:
        return self.amount - self.reserved

    def check_access(self, code: str) -> None:
        """The holder's access code, as NCTS asks it with the guarantee reference: a wrong one
        is counted, and after `MOST_WRONG_CODES` in a row the guarantee is blocked (4 digits
        are guessed in 10,000 tries) until an officer sets a new code."""
        if self.failed_codes >= MOST_WRONG_CODES:
            raise GuaranteeRefused(f"guarantee {self.reference} is blocked after "
                                   f"{MOST_WRONG_CODES} wrong access codes: the guarantee "
                                   "office sets a new one")
        if not self.access_digest or not hmac.compare_digest(
                access_digest(code, self.access_digest), self.access_digest):
            self.failed_codes += 1
            raise GuaranteeRefused(f"the access code is not guarantee {self.reference}'s")
        self.failed_codes = 0

    def why_not_usable(self, on: date) -> str | None:
        if self.revoked_on is not None and on >= self.revoked_on:
            return f"guarantee {self.reference} was revoked on {self.revoked_on}"
        if not self.valid_from <= on <= self.valid_to:
            return (f"guarantee {self.reference} is valid from {self.valid_from} to "
                    f"{self.valid_to}, not on {on}")
        return None

    def reserve(self, amount: Decimal, holder: str, on: date) -> None:
        """Reserve a movement's amount; refused for another holder, an unusable guarantee
        or a short balance, reserving nothing."""
        if holder != self.holder:
            raise GuaranteeRefused(f"guarantee {self.reference} is not {holder}'s")
        why_not = self.why_not_usable(on)
        if why_not:
            raise GuaranteeRefused(why_not)
        if amount > self.balance:
            raise GuaranteeRefused(f"guarantee {self.reference} has {self.balance} left, the "
                                   f"movement needs {amount}")
        self.reserved += amount

    def release(self, amount: Decimal) -> None:
        self.reserved = left_reserved(self.reserved, amount)


def left_reserved(reserved: Decimal, released: Decimal) -> Decimal:
    """What a guarantee keeps reserved once a movement's reservation goes back: never below
    nothing (a reservation is given back once, but a guarantee re-registered with less
    reserved must not go negative)."""
    return max(reserved - released, Decimal(0))


MOST_WRONG_CODES = 5


def access_digest(code: str, salted_like: str | None = None) -> str:
    """`salt$sha256(salt + code)`, a new salt unless `salted_like` gives one (to compare).
    A salted hash, not Argon2: the code is 4 digits, so no hash makes it hard to guess; what
    protects it is the block after `MOST_WRONG_CODES`, and a lodgement must stay cheap."""
    salt = salted_like.split("$", 1)[0] if salted_like else secrets.token_hex(8)
    return f"{salt}${hashlib.sha256((salt + code).encode()).hexdigest()}"
