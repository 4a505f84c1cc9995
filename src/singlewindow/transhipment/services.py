"""The transhipment room's use cases at one node: arrivals and departures recorded at its hub
ports, a consignment's legs (by transport document, or by a declaration's number), the hubs
known for origin laundering (the administrator's list), the earlier legs that ride in the
next leg's ACDD, and the doubts clearance asks at an import (`concern`).

Arrivals and departures are recorded by customs officers (and administrators): the node has
no carrier or terminal role (`access.model.Role`), and what a hub's customs records of a
consignment's origin is a control record, not a trader's statement; the officer records it
from the carrier's manifest and the arrival's documents."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from singlewindow.access.model import Principal, Role
from singlewindow.core.clock import utcnow
from singlewindow.core.db import Database
from singlewindow.core.errors import Forbidden, Problem
from singlewindow.declarations import prearrival
from singlewindow.declarations.model import Declaration, DeclarationType
from singlewindow.declarations.prearrival import AcddLeg, AcddLegItem
from singlewindow.declarations.repository import find, from_document
from singlewindow.transhipment.errors import (
    InvalidLeg,
    LegConflict,
    UnknownConsignment,
    UnknownListing,
)
from singlewindow.transhipment.model import (
    HUB_PORTS,
    SAMPLE_LISTINGS,
    TRANSPORT_DOCUMENTS,
    Arrival,
    ArrivedGoods,
    DeclaredItem,
    Departure,
    LaunderingHub,
    Leg,
    LegGoods,
    Route,
    check_arrival,
    check_departure,
    check_listing,
    laundering_hubs_passed,
    legs_of,
    origin_mismatches,
    remaining,
)
from singlewindow.transhipment.repository import (
    ArrivalRow,
    DepartureRow,
    LaunderingHubRow,
    arrival_of,
    arrival_row,
    departure_of,
    departure_row,
    listing_of,
)

MAX_DEPARTURES = 100  # of one arrival, shown with it


@dataclass(frozen=True)
class Consignment:
    """A consignment as this node knows it: its arrival at a hub, the departures that took it
    on, and its legs in order (the earlier ones from the ACDD it came with)."""

    arrival: Arrival
    departures: tuple[Departure, ...]
    legs: tuple[Leg, ...]
    left: dict[tuple[str, str], Decimal]  # what has not left yet, by subheading and unit
    recorded_by: str
    recorded_at: datetime
    source: str = "hub records"


def _officer(actor: Principal, what: str) -> None:
    if actor.role not in (Role.OFFICER, Role.ADMIN):
        raise Forbidden(f"only customs officers {what}")


def leg_of_acdd(leg: AcddLeg) -> Leg:
    return Leg(leg.sequence, leg.document_type, leg.transport_document, leg.loading_port,
               leg.unloading_port, leg.carrier, leg.on,
               tuple(LegGoods(i.subheading, i.description, i.quantity, i.quantity_unit,
                              i.origin_country) for i in leg.items))


def acdd_leg(leg: Leg) -> AcddLeg:
    return AcddLeg(leg.sequence, leg.document_type, leg.transport_document, leg.loading_port,
                   leg.unloading_port, leg.carrier, leg.on,
                   tuple(AcddLegItem(g.subheading, g.origin_country, g.quantity,
                                     g.quantity_unit, g.description) for g in leg.goods))


def transport_documents(declaration: Declaration) -> list[str]:
    """The transport documents a declaration cites (bill of lading, air waybill), header and
    items, in order, each once."""
    found: list[str] = []
    for document in (*declaration.documents, *(d for i in declaration.items
                                               for d in i.documents)):
        if document.code in TRANSPORT_DOCUMENTS and document.reference not in found:
            found.append(document.reference)
    return found


def declared_items(declaration: Declaration) -> list[DeclaredItem]:
    return [DeclaredItem(i.sequence, i.commodity_code, i.origin_country)
            for i in declaration.items]


class Transhipment:
    def __init__(self, database: Database, country: str,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.database = database
        self.country = country
        self.clock = clock

    @property
    def hub_ports(self) -> tuple[str, ...]:
        return HUB_PORTS.get(self.country, ())

    # -- arrivals and departures -------------------------------------------------------------

    def record_arrival(self, arrival: Arrival, actor: Principal) -> Consignment:
        """An officer records a consignment unloaded at one of this node's hubs. When it
        cites the ACDD of its earlier leg, each item's origin is the ACDD's (an origin given
        that differs is refused), and the ACDD's own earlier legs are kept with it."""
        _officer(actor, "record arrivals at a hub")
        check_arrival(arrival, self.country, self.clock().date())
        with self.database.unit_of_work() as session:
            earlier: list[dict[str, object]] = []
            if arrival.acdd_country is not None and arrival.acdd_number is not None:
                arrival, legs = self._with_acdd(session, arrival)
                earlier = [prearrival.leg_document(leg) for leg in legs]
            if self._arrival_row(session, arrival.port, arrival.transport_document):
                raise LegConflict(f"{arrival.transport_document} already arrived at "
                                  f"{arrival.port}")
            row = arrival_row(arrival, earlier, actor.username, self.clock())
            session.add(row)
            session.flush()
            return self._consignment(session, row)

    def _with_acdd(self, session: Session,
                   arrival: Arrival) -> tuple[Arrival, tuple[AcddLeg, ...]]:
        assert arrival.acdd_country is not None and arrival.acdd_number is not None
        acdd = prearrival.received_acdd(session, arrival.acdd_country, arrival.acdd_number)
        if acdd is None:
            raise InvalidLeg([Problem("acdd", f"no ACDD received from {arrival.acdd_country} "
                                              f"for export {arrival.acdd_number}")])
        problems = []
        goods = []
        for index, item in enumerate(arrival.goods):
            exported = next((a for a in acdd.items if a.subheading == item.subheading), None)
            if exported is None:
                problems.append(Problem(f"goods.{index}.commodity_code",
                                        f"{item.subheading} is not in ACDD {acdd.number}"))
                continue
            if item.origin_country and item.origin_country != exported.origin_country:
                problems.append(Problem(f"goods.{index}.origin_country",
                                        f"ACDD {acdd.number} records origin "
                                        f"{exported.origin_country}, not "
                                        f"{item.origin_country}"))
                continue
            goods.append(ArrivedGoods(item.sequence, item.commodity_code, item.description,
                                      item.quantity, item.quantity_unit,
                                      exported.origin_country, item.packages))
        if problems:
            raise InvalidLeg(problems)
        return (Arrival(arrival.port, arrival.document_type, arrival.transport_document,
                        arrival.from_port, arrival.carrier, arrival.arrived_on, tuple(goods),
                        arrival.acdd_country, arrival.acdd_number), acdd.legs)

    def record_departure(self, departure: Departure, actor: Principal) -> Consignment:
        """An officer records the next leg of a consignment that arrived at the hub: its
        goods re-packed perhaps, never of another origin or beyond what arrived."""
        _officer(actor, "record departures from a hub")
        with self.database.unit_of_work() as session:
            # The arrival locked: two departures at once cannot both take what is left.
            row = self._arrival_row(session, departure.port, departure.arrival_document,
                                    lock=True)
            if row is None:
                raise InvalidLeg([Problem("arrival_document",
                                          f"no arrival on {departure.arrival_document} at "
                                          f"{departure.port}")])
            arrival = arrival_of(row)
            departed = self._departures(session, row)
            check_departure(departure, arrival, departed, self.country, self.clock().date())
            if session.scalar(select(DepartureRow.id).where(
                    DepartureRow.port == departure.port,
                    DepartureRow.transport_document == departure.transport_document)):
                raise LegConflict(f"{departure.transport_document} already left "
                                  f"{departure.port}")
            session.add(departure_row(departure, row.id, actor.username, self.clock()))
            session.flush()
            return self._consignment(session, row)

    def _arrival_row(self, session: Session, port: str, document: str,
                     lock: bool = False) -> ArrivalRow | None:
        query = select(ArrivalRow).where(ArrivalRow.port == port,
                                         ArrivalRow.transport_document == document)
        return session.scalar(query.with_for_update() if lock else query)

    def _departures(self, session: Session, row: ArrivalRow) -> list[Departure]:
        rows = session.scalars(select(DepartureRow).where(DepartureRow.arrival_id == row.id)
                               .order_by(DepartureRow.id).limit(MAX_DEPARTURES)).all()
        return [departure_of(d, row.transport_document) for d in rows]

    def _consignment(self, session: Session, row: ArrivalRow,
                     departure: str | None = None) -> Consignment:
        arrival = arrival_of(row)
        departures = self._departures(session, row)
        earlier = [leg_of_acdd(leg) for leg in prearrival.parse_legs(row.earlier_legs, [])]
        chosen = next((d for d in departures if d.transport_document == departure),
                      departures[0] if len(departures) == 1 else None)
        return Consignment(arrival, tuple(departures), legs_of(arrival, chosen, earlier),
                           remaining(arrival, departures), row.recorded_by, row.recorded_at)

    # -- reading ----------------------------------------------------------------------------

    def consignment(self, document: str, reader: Principal) -> Consignment:
        """The consignment that arrived or left on transport document `document`: its legs
        with the one that left on it, if it is a departure's."""
        _officer(reader, "read a consignment's legs")
        with self.database.unit_of_work() as session:
            found = self._find(session, document)
            if found is None:
                raise UnknownConsignment(f"no consignment on {document} at the hubs of "
                                         f"{self.country}")
            return found

    def _find(self, session: Session, document: str) -> Consignment | None:
        row = session.scalar(select(ArrivalRow).where(ArrivalRow.transport_document == document)
                             .order_by(ArrivalRow.id).limit(1))
        if row is not None:
            return self._consignment(session, row)
        leaving = session.scalar(select(DepartureRow)
                                 .where(DepartureRow.transport_document == document)
                                 .order_by(DepartureRow.id).limit(1))
        if leaving is None:
            return None
        arrived = session.get(ArrivalRow, leaving.arrival_id)
        assert arrived is not None
        return self._consignment(session, arrived, departure=document)

    def legs_of_declaration(self, number: str, reader: Principal) -> tuple[str, tuple[Leg, ...]]:
        """A declaration's legs: those the ACDD it cites carried, or this node's own hub
        records of the transport documents it cites; where they came from."""
        _officer(reader, "read a consignment's legs")
        with self.database.unit_of_work() as session:
            row = find(session, number)
            if row is None:
                raise UnknownConsignment(f"no declaration {number}")
            declaration = from_document(row.data)
            legs, source = self._legs(session, declaration)
            if not legs:
                raise UnknownConsignment(f"declaration {number} cites no consignment "
                                         "transhipped through a hub")
            return source, legs

    def _legs(self, session: Session, declaration: Declaration) -> tuple[tuple[Leg, ...], str]:
        if declaration.type is DeclarationType.IMPORT:
            received = prearrival.received_legs(session, declaration)
            if received:
                return (tuple(leg_of_acdd(leg) for leg in received),
                        f"ACDD {declaration.export_reference} from {declaration.export_country}")
        for document in transport_documents(declaration):
            found = self._find(session, document)
            if found is not None:
                return found.legs, f"{self.country} hub records"
        return (), ""

    def recent(self, reader: Principal, limit: int = 50,
               offset: int = 0) -> tuple[list[Consignment], int]:
        """The latest arrivals at this node's hubs, newest first."""
        _officer(reader, "read the hubs' records")
        with self.database.unit_of_work() as session:
            total = session.scalar(select(func.count()).select_from(ArrivalRow)) or 0
            rows = session.scalars(select(ArrivalRow).order_by(ArrivalRow.id.desc())
                                   .limit(limit).offset(offset)).all()
            return [self._consignment(session, r) for r in rows], total

    # -- the ports clearance and pre-arrival ask --------------------------------------------

    def acdd_legs(self, session: Session, declaration: Declaration) -> Sequence[AcddLeg]:
        """`PreArrival.earlier_legs`: the legs of a consignment an export sends on from this
        node's hub (by the transport documents it cites), for its ACDD."""
        if declaration.type is not DeclarationType.EXPORT:
            return ()
        for document in transport_documents(declaration):
            found = self._find(session, document)
            if found is not None:
                return [acdd_leg(leg) for leg in found.legs]
        return ()

    def concern(self, session: Session, declaration: Declaration) -> list[str]:
        """Clearance's `Concern`: each item whose declared origin differs from the origin an
        earlier leg recorded (an import: from the ACDD it cites or this node's hub records;
        an export sending on a consignment from this node's hub: from the arrival), and at an
        import each whose route passed a hub known for origin laundering of its code, as
        reasons naming the leg, port, document, origin."""
        legs, source = self._legs(session, declaration)
        items = declared_items(declaration)
        reasons = origin_mismatches(items, legs, source) if legs else []
        if declaration.type is DeclarationType.EXPORT:
            return reasons  # the route is the destination's to judge
        listings = self._listings(session, current_only=False)
        route = Route(self.clock().date(), legs,
                      None if legs else declaration.export_country)
        reasons += laundering_hubs_passed(items, route, listings)
        return reasons

    # -- the laundering hubs ----------------------------------------------------------------

    def _listings(self, session: Session, current_only: bool) -> list[LaunderingHub]:
        query = select(LaunderingHubRow).order_by(LaunderingHubRow.port,
                                                  LaunderingHubRow.hs_prefix,
                                                  LaunderingHubRow.id)
        if current_only:
            today = self.clock().date()
            query = query.where((LaunderingHubRow.listed_until.is_(None))
                                | (LaunderingHubRow.listed_until >= today))
        return [listing_of(r) for r in session.scalars(query.limit(1000)).all()]

    def listings(self, reader: Principal, current_only: bool = False) -> list[LaunderingHub]:
        """The hubs known for origin laundering, by port and prefix; officers and admins
        only (a risk criterion, never a trader's to see)."""
        _officer(reader, "see the hubs known for origin laundering")
        with self.database.unit_of_work() as session:
            return self._listings(session, current_only)

    def add_listing(self, listing: LaunderingHub, actor: Principal) -> LaunderingHub:
        if actor.role is not Role.ADMIN:
            raise Forbidden("the hubs known for origin laundering are set by an administrator")
        check_listing(listing)
        with self.database.unit_of_work() as session:
            row = LaunderingHubRow(port=listing.port, hs_prefix=listing.hs_prefix,
                                   listed_from=listing.listed_from,
                                   listed_until=listing.listed_until, note=listing.note,
                                   sample=False, recorded_by=actor.username,
                                   recorded_at=self.clock())
            session.add(row)
            session.flush()
            return listing_of(row)

    def end_listing(self, listing_id: int, until: date, actor: Principal) -> LaunderingHub:
        """An administrator ends a listing (from the day after `until`); listings are never
        deleted, so what a past decision relied on stays readable."""
        if actor.role is not Role.ADMIN:
            raise Forbidden("the hubs known for origin laundering are set by an administrator")
        with self.database.unit_of_work() as session:
            row = session.get(LaunderingHubRow, listing_id)
            if row is None:
                raise UnknownListing(f"no laundering-hub listing {listing_id}")
            if until < row.listed_from:
                raise InvalidLeg([Problem("listed_until", f"before {row.listed_from}")])
            row.listed_until = until
            session.flush()
            return listing_of(row)


def ensure_sample_listings(database: Database) -> None:
    """The packaged examples, marked as samples, at a node that has no listing yet (listings
    are ended, never deleted, so an administrator's choices are not undone)."""
    with database.unit_of_work() as session:
        if session.scalar(select(func.count()).select_from(LaunderingHubRow)):
            return
        now = utcnow()
        for listing in SAMPLE_LISTINGS:
            session.add(LaunderingHubRow(port=listing.port, hs_prefix=listing.hs_prefix,
                                         listed_from=listing.listed_from,
                                         listed_until=listing.listed_until, note=listing.note,
                                         sample=True, recorded_by="sample",
                                         recorded_at=now))
