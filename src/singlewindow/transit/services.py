"""Use cases of transit at the office of departure: guarantees, and the lodgement of a transit
declaration (IE015) through acceptance, the guarantee's reservation and the release (IE029).

What the guarantee reserves is the highest duties and taxes any country of the itinerary would
charge for the goods, each by its own schedule: the node keeps every member's schedule in its
tariff books (the partners' packaged samples until their official ones are imported).

At release the departure sends the anticipated records (IE050 to each office of transit's
node, IE001 to the destination's); the offices record the crossings, the arrival and the
control results and tell the departure (IE118, IE115, IE006, IE018: `admit_notice` on
receipt, `receive_notice` as the inbox's handler), which discharges the movement. Those
notices and records are the network's hot path: they run prepared Core statements
(`repository.movement_record`, …) rather than the ORM, as do the officers' records of it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from singlewindow.access.model import Principal, Role
from singlewindow.core.clock import as_utc, utcnow
from singlewindow.core.countries import ASEAN, customs_party
from singlewindow.core.db import Database
from singlewindow.core.errors import Forbidden, NotFound, Problem
from singlewindow.core.ids import new_id
from singlewindow.exchange.model import UserMessage
from singlewindow.reference.services import ReferenceData
from singlewindow.risk.model import AeoRole, AeoStanding, Channel, RiskSubject, Selection
from singlewindow.risk.services import Selectivity, selectivity_of
from singlewindow.tariff.book import TariffBook
from singlewindow.tariff.errors import UnknownSchedule
from singlewindow.tariff.services import TariffBooks, ensure_sample_schedule, tariff_books
from singlewindow.tariff.taxes import lay_duties, tax_bases
from singlewindow.transit.errors import GuaranteeRefused, InvalidMovement, MovementConflict
from singlewindow.transit.messages import (
    IE001,
    IE006,
    IE018,
    IE050,
    IE115,
    IE118,
    SERVICE,
    Notice,
    UnreadableMessage,
    encode,
    read_anticipated,
    read_notice,
)
from singlewindow.transit.model import (
    MOST_WRONG_CODES,
    Crossing,
    GuaranteeAccount,
    Itinerary,
    Office,
    TransitDeclaration,
    TransitGoodsItem,
    TransitMovement,
    TransitStatus,
    access_digest,
    guarantee_amount,
    left_reserved,
    mrn,
)
from singlewindow.transit.offices import CustomsOfficeList
from singlewindow.transit.repository import (
    GuaranteeRow,
    MovementEventRow,
    MovementRecord,
    MovementRow,
    add_event,
    add_movement,
    holds,
    movement_record,
    reserved_of,
    save_passage,
    set_reserved,
)

DEPARTURE = "departure"
TRANSIT = "transit"
DESTINATION = "destination"
# gateway.send(session, to_party, service, action, payload, conversation_id)
Send = Callable[[Session, str, str, str, bytes, str], str]
# After the time limit passes without arrival, the enquiry with the holder opens this much
# later (NCTS leaves days for a late arrival advice), and recovery follows the enquiry's
# period; a demonstration network shortens both.
ENQUIRY_AFTER = timedelta(days=1)
ENQUIRY_PERIOD = timedelta(days=28)


class NotYours(Forbidden):
    pass


class UnknownMovement(NotFound):
    pass


class UnknownGuarantee(NotFound):
    pass


@dataclass(frozen=True)
class GuaranteeView:
    reference: str
    holder: str
    currency: str
    amount: Decimal
    reserved: Decimal
    valid_from: date
    valid_to: date
    revoked_on: date | None
    blocked: bool

    @property
    def balance(self) -> Decimal:
        return self.amount - self.reserved


@dataclass(frozen=True)
class MovementView:
    """A movement as this node holds it; `control` (selectivity's reasons) for officers only."""

    mrn: str
    role: str
    lrn: str
    holder: str
    status: TransitStatus
    itinerary: Itinerary
    time_limit: datetime
    reserved: Decimal
    currency: str
    guarantee: str
    duties: dict[str, str]
    control: dict[str, Any] | None
    reasons: tuple[str, ...]
    lodged_at: datetime
    released_at: datetime | None
    # The journey as told to this node, and the declaration as lodged (the transit
    # accompanying document is printed from it; the access code is never in it).
    crossings: tuple[dict[str, Any], ...] = ()
    arrival: dict[str, Any] | None = None
    control_results: dict[str, Any] | None = None
    solution: dict[str, Any] | None = None
    declaration: dict[str, Any] | None = None


@dataclass(frozen=True)
class MovementEvent:
    at: datetime
    what: str
    by: str
    detail: dict[str, Any]


def ensure_partner_schedules(database: Database) -> None:
    """Every member's packaged sample schedule, for a country that has none stored yet."""
    for country in ASEAN:
        ensure_sample_schedule(database, country)


class Transit:
    """The transit use cases of one national node."""

    def __init__(
        self,
        database: Database,
        country: str,
        *,
        selectivity: Selectivity | None = None,
        books: TariffBooks | None = None,
        register: ReferenceData | None = None,
        clock: Callable[[], datetime] = utcnow,
        send: Send | None = None,
        enquiry_after: timedelta = ENQUIRY_AFTER,
        enquiry_period: timedelta = ENQUIRY_PERIOD,
    ) -> None:
        self.enquiry_after = enquiry_after
        # The gateway's send, in the caller's transaction (off a network: nobody to tell).
        self.send = send
        self.enquiry_period = enquiry_period
        self.database = database
        self.country = country
        self.selectivity = selectivity or selectivity_of(database)
        self.books = books or tariff_books(database)
        self.offices = CustomsOfficeList(country, register or ReferenceData(database, country))
        self.clock = clock

    # -- guarantees --------------------------------------------------------------------------

    def register_guarantee(
        self,
        reference: str,
        holder: str,
        amount: Decimal,
        currency: str,
        valid_from: date,
        valid_to: date,
        access_code: str,
        actor: Principal,
    ) -> GuaranteeView:
        """The guarantee office registers a holder's guarantee and its access code."""
        _officer(actor, "register guarantees")
        problems = []
        if not 1 <= len(reference.strip()) <= 24:
            problems.append(Problem("reference", "a guarantee reference is 1 to 24 characters"))
        if not 1 <= len(holder.strip()) <= 35:
            problems.append(Problem("holder", "the holder's identifier is 1 to 35 characters"))
        if not amount.is_finite() or not Decimal(0) < amount < Decimal(10) ** 15:
            problems.append(Problem("amount", "the reference amount is positive"))
        if valid_to < valid_from:
            problems.append(Problem("valid_to", f"{valid_to} is before {valid_from}"))
        if not access_code.isdigit() or len(access_code) != 4:
            problems.append(Problem("access_code", "the access code is 4 digits"))
        if problems:
            raise InvalidMovement(problems)
        now = self.clock()
        with self.database.unit_of_work() as session:
            if session.get(GuaranteeRow, reference) is not None:
                raise MovementConflict(f"guarantee {reference} is already registered")
            row = GuaranteeRow(
                reference=reference, holder=holder, currency=currency, amount=amount,
                reserved=Decimal(0), valid_from=valid_from, valid_to=valid_to,
                revoked_on=None, access_digest=access_digest(access_code), failed_codes=0,
                registered_by=actor.username, registered_at=now, updated_at=now,
            )
            session.add(row)
            return _guarantee_view(row)

    def revoke_guarantee(self, reference: str, on: date, actor: Principal) -> GuaranteeView:
        _officer(actor, "revoke guarantees")
        with self.database.unit_of_work() as session:
            row = session.get(GuaranteeRow, reference, with_for_update=True)
            if row is None:
                raise UnknownGuarantee(f"no guarantee {reference} at this node")
            row.revoked_on = on
            row.updated_at = self.clock()
            return _guarantee_view(row)

    def guarantee(self, reference: str, reader: Principal) -> GuaranteeView:
        """The balance of a guarantee, to its holder and to officers."""
        with self.database.unit_of_work() as session:
            row = session.get(GuaranteeRow, reference)
            if row is None or not _may_see(reader, row.holder):
                raise UnknownGuarantee(f"no guarantee {reference} that you may see")
            return _guarantee_view(row)

    def guarantees(self, reader: Principal, limit: int = 100) -> list[GuaranteeView]:
        """The guarantees a trader holds here; officers see every one."""
        with self.database.unit_of_work() as session:
            query = select(GuaranteeRow).order_by(GuaranteeRow.reference).limit(limit)
            if reader.role not in (Role.OFFICER, Role.ADMIN):
                query = query.where(GuaranteeRow.holder == (reader.party_id or ""))
            return [_guarantee_view(row) for row in session.scalars(query)]

    # -- the office of departure -------------------------------------------------------------

    def lodge(self, declaration: TransitDeclaration, actor: Principal) -> MovementView:
        """Accept a transit declaration, give it its MRN, reserve its guarantee and release it
        for transit unless selectivity wants it controlled first, in one transaction.

        Refused, and nothing written: bad data, an unknown office, a holder who is not the
        trader lodging, a guarantee that is not the holder's, a wrong access code (which is
        counted: guessing blocks the guarantee). Accepted with the guarantee refused: a
        guarantee expired, revoked or short of the amount; nothing is reserved then.
        """
        if actor.role is not Role.TRADER or actor.party_id != declaration.holder:
            raise NotYours("a transit declaration is lodged by its holder of the procedure")
        now = self.clock()
        today = now.date()
        problems = declaration.problems(now)
        problems += self._office_problems(declaration.itinerary, today)
        if declaration.itinerary.departure.country != self.country:
            problems.append(Problem("departure", f"this node is the office of departure of "
                                                 f"{self.country} only"))
        # Caches are asked before the transaction, which stays short (see `_books`).
        books = self._books(declaration, problems)
        selection = self.selectivity.decide(_subject(declaration), today)
        with self.database.unit_of_work() as session:
            row = session.get(GuaranteeRow, declaration.guarantee, with_for_update=True)
            if row is None or row.holder != declaration.holder:
                raise GuaranteeRefused(f"guarantee {declaration.guarantee} is not "
                                       f"{declaration.holder}'s")
            # The duties are reckoned in the guarantee's currency; refused, nothing written.
            currency = row.currency
            duties = {} if problems else _duties(declaration, books, today, currency, problems)
            if problems:
                raise InvalidMovement(problems)
            amount = guarantee_amount(duties)
            account = _account(row)
            try:
                account.check_access(declaration.access_code)
            except GuaranteeRefused:
                # The wrong code is counted even though the lodgement is refused.
                row.failed_codes = account.failed_codes
                session.commit()
                raise
            row.failed_codes = account.failed_codes
            movement = TransitMovement(self._mrn(now), declaration.itinerary,
                                       declaration.time_limit, amount)
            reasons: tuple[str, ...] = ()
            try:
                account.reserve(amount, declaration.holder, today)
            except GuaranteeRefused as refusal:
                movement.refuse_guarantee()
                movement.reserved = Decimal(0)
                reasons = (str(refusal),)
            else:
                row.reserved = account.reserved
                if selection.channel is Channel.GREEN:
                    movement.release()
                elif (consignor := authorised_consignor(selection)) is not None:
                    # The documentary check is waived (NCTS simplified procedure); a red
                    # channel is still held for control.
                    movement.release()
                    selection = replace(selection, reasons=(
                        *selection.reasons,
                        f"authorised consignor {consignor.operator}: released under the "
                        "simplified procedure, documentary check waived"))
            row.updated_at = now
            stored = _departure_row(declaration, movement, currency, duties, selection, now)
            session.add(stored)
            _history(session, movement.mrn, now, "lodged", actor.username,
                     {"status": movement.status.value, "reserved": str(movement.reserved),
                      "reasons": list(reasons)})
            try:
                session.flush()
            except IntegrityError:
                raise MovementConflict(f"{declaration.holder} already lodged LRN "
                                       f"{declaration.lrn}") from None
            if movement.status is TransitStatus.RELEASED:
                self._announce(session, stored)
            # The holder lodged it: selectivity's decision is not shown to traders.
            return _view(stored, reasons, officer=False)

    def release(self, number: str, actor: Principal) -> MovementView:
        """An officer of the office of departure releases for transit (IE029) a movement that
        selectivity held for control, once the control is done; its guarantee is reserved."""
        _officer(actor, "release movements held for control")
        now = self.clock()
        with self.database.unit_of_work() as session:
            row = _at_departure(session, number, actor, "released")
            movement = _movement(row)
            movement.release()  # only from accepted: refused for a guarantee refused
            row.status = movement.status.value
            row.released_at = row.updated_at = now
            row.due_at = row.time_limit
            _history(session, number, now, "released", actor.username, {})
            self._announce(session, row)
            return _view(row, ())

    def history(self, number: str, reader: Principal) -> list[MovementEvent]:
        """What happened to a movement at this node, oldest first."""
        with self.database.unit_of_work() as session:
            row = session.get(MovementRow, number)
            if row is None or not _may_see(reader, row.holder):
                raise UnknownMovement(f"no transit movement {number} that you may see")
            events = session.scalars(select(MovementEventRow)
                                     .where(MovementEventRow.mrn == number)
                                     .order_by(MovementEventRow.at, MovementEventRow.id)).all()
            return [MovementEvent(as_utc(e.at), e.what, e.by, dict(e.detail or {}))
                    for e in events]

    def expected(self, reader: Principal, office: str | None = None,
                 limit: int = 500) -> list[MovementView]:
        """Movements announced to the offices here (IE050, IE001) that have not yet crossed
        or arrived: an officer sees its own office's, an admin any office's (or all)."""
        _officer(reader, "see the movements expected")
        if reader.role is Role.OFFICER:
            office = reader.office
        # A transit row is closed here once its crossing is recorded; any office of this
        # country may record it (IE115 when not the declared one). A destination row waits
        # at its own office.
        waiting = or_(and_(MovementRow.role == TRANSIT, MovementRow.closed_at.is_(None)),
                      and_(MovementRow.role == DESTINATION,
                           MovementRow.destination_office == office if office is not None
                           else true()))
        with self.database.unit_of_work() as session:
            rows = session.scalars(
                select(MovementRow)
                .where(MovementRow.status == TransitStatus.RELEASED.value, waiting)
                .order_by(MovementRow.time_limit).limit(limit)).all()
            return [_view(row, ()) for row in rows]

    def awaiting_control(self, reader: Principal) -> list[MovementView]:
        """Movements arrived at the officer's office of destination whose control results are
        not yet recorded (an admin: at any office here)."""
        _officer(reader, "record control results")
        with self.database.unit_of_work() as session:
            query = (select(MovementRow)
                     .where(MovementRow.role == DESTINATION,
                            MovementRow.status == TransitStatus.ARRIVED.value)
                     .order_by(MovementRow.arrived_at).limit(500))
            if reader.role is Role.OFFICER:
                query = query.where(MovementRow.destination_office == (reader.office or ""))
            return [_view(row, ()) for row in session.scalars(query)]

    def get(self, number: str, reader: Principal) -> MovementView:
        with self.database.unit_of_work() as session:
            row = session.get(MovementRow, number)
            if row is None or not _may_see(reader, row.holder):
                raise UnknownMovement(f"no transit movement {number} that you may see")
            return _view(row, (), officer=reader.role in (Role.OFFICER, Role.ADMIN),
                         document=True)

    def movements(self, reader: Principal, limit: int = 50, offset: int = 0) -> list[MovementView]:
        with self.database.unit_of_work() as session:
            query = select(MovementRow).order_by(MovementRow.lodged_at.desc())
            if reader.role not in (Role.OFFICER, Role.ADMIN):
                query = query.where(MovementRow.holder == (reader.party_id or ""))
            rows = session.scalars(query.limit(limit).offset(offset)).all()
            officer = reader.role in (Role.OFFICER, Role.ADMIN)
            return [_view(row, (), officer=officer) for row in rows]

    def movement_count(self, reader: Principal) -> int:
        with self.database.unit_of_work() as session:
            query = select(func.count()).select_from(MovementRow)
            if reader.role not in (Role.OFFICER, Role.ADMIN):
                query = query.where(MovementRow.holder == (reader.party_id or ""))
            return int(session.scalar(query) or 0)

    def _announce(self, session: Session, row: MovementRow) -> None:
        """At release: the anticipated arrival record (IE001) to the destination's node and
        an anticipated transit record (IE050) to each office of transit's, in the release's
        transaction (the outbox delivers them exactly once, whenever the partner is up)."""
        if self.send is None:
            return
        document = _anticipated(row)
        for office in row.transit_offices:
            self.send(session, customs_party(office[:2]), SERVICE, IE050, encode(document),
                      row.mrn)
        self.send(session, customs_party(row.destination_office[:2]), SERVICE, IE001,
                  encode(document), row.mrn)

    # -- offices of transit and destination ---------------------------------------------------

    def admit_anticipated(self, message: UserMessage) -> str | None:
        """The check on receipt of IE001 / IE050: readable, and this country is on it."""
        try:
            record = read_anticipated(message.payload)
        except UnreadableMessage as exc:
            return str(exc)
        return _anticipated_refusal(record, message.action, self.country)

    def receive_anticipated(self, session: Session, message: UserMessage) -> None:
        """Handler of IE001 / IE050: the movement is expected at an office here."""
        record = read_anticipated(message.payload)
        refusal = _anticipated_refusal(record, message.action, self.country)
        if refusal is not None:
            raise InvalidMovement([Problem("MRN", refusal)])
        connection = session.connection()
        if holds(connection, record["MRN"]):
            return  # told again: the first is kept
        now = self.clock()
        role = DESTINATION if message.action == IE001 else TRANSIT
        add_movement(connection, _received_row(record, role, message.message_id, now))
        _history(connection, record["MRN"], now, "expected", message.from_party, {"role": role})

    def record_crossing(self, number: str, office: str, actor: Principal) -> MovementView:
        """An officer of an office of transit records that the goods entered the country
        there: IE118 to the departure, or IE115 when it is not the declared office."""
        now = self.clock()
        self._check_own_office(office, actor, now)
        with self.database.unit_of_work() as session:
            connection = session.connection()
            row = self._expected(connection, number, TRANSIT)
            if any(c["office"] == office for c in row.crossings):
                raise MovementConflict(f"{number} already crossed at {office}")
            declared = office in row.transit_offices
            row.crossings = [*row.crossings, {"office": office, "at": now.isoformat(),
                                              "declared": declared}]
            row.updated_at = row.closed_at = now  # done at this country's border
            save_passage(connection, row)
            _history(connection, number, now, "crossed", actor.username, {"office": office})
            self._tell_departure(session, row, IE118 if declared else IE115,
                                 Notice(number, office, now))
            return _view(row, ())

    def record_arrival(self, number: str, office: str, actor: Principal) -> MovementView:
        """An officer of the office of destination records the arrival (IE006)."""
        now = self.clock()
        self._check_own_office(office, actor, now)
        with self.database.unit_of_work() as session:
            connection = session.connection()
            row = self._expected(connection, number, DESTINATION)
            movement = _movement(row)
            movement.arrive(Office(office, office[:2]))
            row.status, row.arrival, row.arrived_at = movement.status.value, {
                "office": office, "at": now.isoformat()}, now
            row.updated_at = now
            save_passage(connection, row)
            _history(connection, number, now, "arrived", actor.username, {"office": office})
            self._tell_departure(session, row, IE006, Notice(number, office, now))
            return _view(row, ())

    def record_control(self, number: str, seals_intact: bool, discrepancies: list[str],
                       remarks: str, actor: Principal) -> MovementView:
        """The unloading remarks and control results at destination (IE018)."""
        problems = []
        if len(discrepancies) > 100 or any(not 1 <= len(d) <= 500 for d in discrepancies):
            problems.append(Problem("discrepancies", "at most 100, each 1 to 500 characters"))
        if len(remarks) > 500:
            problems.append(Problem("remarks", "at most 500 characters"))
        if problems:
            raise InvalidMovement(problems)
        now = self.clock()
        with self.database.unit_of_work() as session:
            connection = session.connection()
            row = movement_record(connection, number, for_update=True)
            if row is None or row.role != DESTINATION:
                raise UnknownMovement(f"no transit movement {number} expected here")
            self._check_officer(actor, row.destination_office)
            movement = _movement(row)
            findings = list(discrepancies) or ([] if seals_intact else ["seals found broken"])
            movement.record_control(findings)
            row.status = movement.status.value
            row.control_results = {"seals_intact": seals_intact, "discrepancies": findings,
                                   "remarks": remarks, "at": now.isoformat()}
            row.updated_at = now
            save_passage(connection, row)
            _history(connection, number, now, "controlled", actor.username,
                     {"discrepancies": findings})
            self._tell_departure(session, row, IE018, Notice(
                number, row.destination_office, now, seals_intact, tuple(findings),
                remarks))
            return _view(row, ())

    def _check_own_office(self, office: str, actor: Principal, now: datetime) -> None:
        """An office of this country open for transit, and the officer's own (asked before
        the transaction, as the caches are: see `_books`)."""
        _, problem = self.offices.office(office, now.date(), "office")
        if problem is not None or office[:2] != self.country:
            raise InvalidMovement([problem or Problem("office", f"{office} is not an office "
                                                                f"of {self.country}")])
        self._check_officer(actor, office)

    @staticmethod
    def _expected(connection: Connection, number: str, role: str) -> MovementRecord:
        row = movement_record(connection, number, for_update=True)
        if row is None or row.role != role:
            raise UnknownMovement(f"no transit movement {number} expected at an office "
                                  f"of {role} here")
        return row

    @staticmethod
    def _check_officer(actor: Principal, office: str) -> None:
        _officer(actor, "record a movement's passage")
        if actor.role is Role.OFFICER and actor.office != office:
            raise NotYours(f"an officer of {actor.office} records at {actor.office}, "
                           f"not at {office}")

    def _tell_departure(self, session: Session, row: MovementRecord, action: str,
                        notice: Notice) -> None:
        if self.send is not None:
            self.send(session, customs_party(row.mrn[2:4]), SERVICE, action,
                      encode(notice.document()), row.mrn)

    # -- notices from the offices on the way (IE118, IE115, IE006, IE018) --------------------

    def admit_notice(self, message: UserMessage) -> str | None:
        """The check on receipt: a notice for a movement this node released, from an office
        the movement's itinerary lets send it; else why not (answered as an ebMS error)."""
        try:
            notice = read_notice(message.payload)
        except UnreadableMessage as exc:
            return str(exc)
        with self.database.transaction() as connection:
            record = movement_record(connection, notice.mrn)
        if record is None or record.role != DEPARTURE:
            return f"no transit movement {notice.mrn} departed from {self.country}"
        return _notice_refusal(record, message.action, notice.office)

    def receive_notice(self, session: Session, message: UserMessage) -> None:
        """Handler of the notices at departure. Each is taken once: the same fact told again
        (a crossing already recorded, an arrival already advised) changes nothing."""
        notice = read_notice(message.payload)
        connection = session.connection()
        row = movement_record(connection, notice.mrn, for_update=True)
        if row is None or row.role != DEPARTURE:
            raise UnknownMovement(f"no transit movement {notice.mrn} departed from "
                                  f"{self.country}")
        refusal = _notice_refusal(row, message.action, notice.office)
        if refusal is not None:
            raise MovementConflict(refusal)
        now = self.clock()
        movement = _movement(row, crossings=True)
        by = message.from_party
        if message.action in (IE118, IE115):
            if any(c["office"] == notice.office for c in row.crossings):
                return
            crossing = movement.cross(Office(notice.office, notice.office[:2]), notice.at)
            row.crossings = [*row.crossings, {"office": notice.office,
                                              "at": notice.at.isoformat(),
                                              "declared": crossing.declared}]
            _history(connection, row.mrn, now, "crossed" if crossing.declared else "diverted",
                     by, {"office": notice.office, "message_id": message.message_id})
        else:
            _arrive(connection, row, movement, notice, by, now)
            if message.action == IE018 and row.control_results is None:
                findings = list(notice.discrepancies)
                if not notice.seals_intact and not findings:
                    findings = ["seals found broken at destination"]
                movement.record_control(findings)
                row.control_results = {"seals_intact": notice.seals_intact,
                                       "discrepancies": findings, "remarks": notice.remarks,
                                       "at": notice.at.isoformat()}
                _history(connection, row.mrn, now, movement.status.value, by,
                         {"discrepancies": findings})
                if movement.status is TransitStatus.WRITTEN_OFF:
                    _discharge(connection, row, now)
        row.status = movement.status.value
        row.updated_at = now
        save_passage(connection, row)

    def solve(self, number: str, recovered: bool, note: str, actor: Principal) -> MovementView:
        """An officer of the office of departure solves a discrepancy: written off (the
        guarantee released) or the duties recovered."""
        _officer(actor, "solve discrepancies")
        if not 1 <= len(note.strip()) <= 500:
            raise InvalidMovement([Problem("note", "say how it was solved (1 to 500 characters)")])
        now = self.clock()
        with self.database.unit_of_work() as session:
            row = _at_departure(session, number, actor, "solved")
            movement = _movement(row)
            movement.solve(recovered)
            row.status = movement.status.value
            row.solution = {"recovered": recovered, "note": note, "by": actor.username,
                            "at": now.isoformat()}
            row.updated_at = now
            if not recovered:
                _discharge(session.connection(), row, now)
            _history(session, number, now, "solved", actor.username,
                     {"recovered": recovered, "note": note})
            return _view(row, ())

    # -- time --------------------------------------------------------------------------------

    def run_due(self, limit: int = 100) -> int:
        """The scheduler's pass: each departure whose moment came moves on (overdue at its
        time limit, the enquiry `enquiry_after` later, recovery of the reserved duties after
        the enquiry's period). Rows are claimed with SKIP LOCKED (PostgreSQL) and changed only
        if still as read, so several workers never move one twice. Returns how many moved."""
        now = self.clock()
        moved = 0
        with self.database.unit_of_work() as session:
            rows = session.scalars(
                select(MovementRow)
                .where(MovementRow.role == DEPARTURE, MovementRow.due_at <= now)
                .order_by(MovementRow.due_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).all()
            for row in rows:
                movement = _movement(row)
                status = movement.status
                if movement.overdue(now):
                    due: datetime | None = now + self.enquiry_after
                elif status is TransitStatus.OVERDUE:
                    movement.open_enquiry()
                    due = now + self.enquiry_period
                elif status is TransitStatus.ENQUIRY:
                    movement.recover()
                    due = None
                else:  # arrived or closed meanwhile: nothing is due any more
                    due = None
                written = session.execute(
                    update(MovementRow)
                    .where(MovementRow.mrn == row.mrn, MovementRow.status == status.value)
                    .values(status=movement.status.value, due_at=due, updated_at=now)
                    .execution_options(synchronize_session=False)
                )
                changed = int(written.rowcount or 0)  # type: ignore[attr-defined]
                if changed and movement.status is not status:
                    moved += 1
                    _history(session, row.mrn, now, movement.status.value, "scheduler",
                             {"reserved": str(row.reserved)} if movement.status
                             is TransitStatus.RECOVERY else {})
        return moved

    def due(self, reader: Principal) -> list[MovementView]:
        """What officers follow up: departures overdue, in enquiry or in recovery."""
        _officer(reader, "follow overdue movements")
        late = (TransitStatus.OVERDUE.value, TransitStatus.ENQUIRY.value,
                TransitStatus.RECOVERY.value)
        with self.database.unit_of_work() as session:
            rows = session.scalars(
                select(MovementRow)
                .where(MovementRow.role == DEPARTURE, MovementRow.status.in_(late))
                .order_by(MovementRow.time_limit)
                .limit(500)
            ).all()
            return [_view(row, ()) for row in rows]

    # -- helpers -----------------------------------------------------------------------------

    def _office_problems(self, itinerary: Itinerary, on: date) -> list[Problem]:
        found = []
        for path, office in [("departure", itinerary.departure),
                             *[(f"transit.{n}", o) for n, o in enumerate(itinerary.transit)],
                             ("destination", itinerary.destination)]:
            _, problem = self.offices.office(office.code, on, path)
            if problem is not None:
                found.append(problem)
        return found

    def _books(self, declaration: TransitDeclaration,
               problems: list[Problem]) -> dict[str, TariffBook]:
        """Each country of the routing's tariff book, taken before the lodgement's
        transaction so that a book refreshing itself does not lengthen it (a refresh inside
        one once deadlocked on SQLite, when caches took their lock before the database's
        turn: core.db.Database.unit_of_work says the order now)."""
        books = {}
        for country in declaration.itinerary.routing:
            try:
                books[country] = self.books.book(country)
            except UnknownSchedule as exc:
                problems.append(Problem("routing", str(exc)))
        return books

    def _mrn(self, now: datetime) -> str:
        return mrn(now.year, self.country, new_id()[:12])


def _duties(declaration: TransitDeclaration, books: dict[str, TariffBook], on: date,
            currency: str, problems: list[Problem]) -> dict[str, Decimal]:
    """What each country of the routing would charge for the goods, by its schedule."""
    dispatch = declaration.itinerary.departure.country
    return {country: sum((_item_duties(book, item, dispatch, on, currency, problems,
                                       f"items.{n}")
                          for n, item in enumerate(declaration.items)), Decimal(0))
            for country, book in books.items()}


def _item_duties(book: TariffBook, item: TransitGoodsItem, dispatch: str, on: date,
                 currency: str, problems: list[Problem], at: str) -> Decimal:
    line = book.line(item.commodity_code, on)
    if line is None:
        problems.append(Problem(f"{at}.commodity_code",
                                f"{item.commodity_code} is not a line of {book.country}'s "
                                "schedule: its duties cannot be secured"))
        return Decimal(0)
    measures = book.measures.duties_for(item.commodity_code, dispatch, on)
    # A transit declaration counts packages, not the line's unit: per-unit rates take them.
    quantity = line.dutiable_quantity(item.net_mass, Decimal(item.packages))
    # The value is in the guarantee's currency, so the amounts are too (a specific rate is
    # taken as written, in the national currency: not yet converted).
    laid = lay_duties(measures, item.value, quantity, currency, tax_bases(book.country))
    return sum((duty.amount for duty in laid), Decimal(0))


def authorised_consignor(selection: Selection) -> AeoStanding | None:
    """The standing under which a movement is released at once by the authorised consignor's
    simplified procedure: a yellow channel for a holder whose standing as consignor grants it."""
    aeo = selection.aeo
    if (selection.channel is Channel.YELLOW and aeo is not None and aeo.simplified_transit
            and aeo.role is AeoRole.CONSIGNOR):
        return aeo
    return None


def _subject(declaration: TransitDeclaration) -> RiskSubject:
    itinerary = declaration.itinerary
    header = {"type": "transit", "export_country": itinerary.departure.country,
              "destination_country": itinerary.destination.country,
              "routing": list(itinerary.routing), "importer": declaration.holder,
              "exporter": declaration.holder, "holder": declaration.holder,
              "item_count": len(declaration.items)}
    items = [{"commodity_code": i.commodity_code, "origin_country": itinerary.departure.country,
              "description": i.description, "net_mass": i.net_mass} for i in declaration.items]
    return RiskSubject(header, items)


def _officer(actor: Principal, what: str) -> None:
    if actor.role not in (Role.OFFICER, Role.ADMIN):
        raise NotYours(f"only customs officers {what}")


def _at_departure(session: Session, number: str, actor: Principal, done: str) -> MovementRow:
    """The movement that departed from here, locked, for an officer of its office of
    departure (or an admin) to act on."""
    row = session.get(MovementRow, number, with_for_update=True)
    if row is None or row.role != DEPARTURE:
        raise UnknownMovement(f"no transit movement {number} departed from here")
    if actor.role is Role.OFFICER and actor.office != row.departure_office:
        raise NotYours(f"{number} is {done} at its office of departure, "
                       f"{row.departure_office}")
    return row


def _may_see(reader: Principal, holder: str) -> bool:
    return reader.role in (Role.OFFICER, Role.ADMIN) or (
        reader.role is Role.TRADER and reader.party_id == holder)


def _arrive(connection: Connection, row: MovementRecord, movement: TransitMovement,
            notice: Notice, by: str, now: datetime) -> None:
    """The arrival, told by IE006 or implied by IE018 (which may come first)."""
    if row.arrival is not None:
        return
    movement.arrive(Office(notice.office, notice.office[:2]))
    row.arrival = {"office": notice.office, "at": notice.at.isoformat()}
    row.arrived_at = notice.at
    row.due_at = None
    _history(connection, row.mrn, now, "arrived", by, {"office": notice.office})


def _discharge(connection: Connection, row: MovementRecord | MovementRow,
               now: datetime) -> None:
    """Written off: the reservation goes back to the guarantee, once (the caller has
    moved the movement out of every state that could be written off again)."""
    reserved = reserved_of(connection, row.guarantee)
    if reserved is not None:
        set_reserved(connection, row.guarantee, left_reserved(reserved, Decimal(row.reserved)),
                     now)
    row.closed_at = now
    row.due_at = None
    _history(connection, row.mrn, now, "discharged", "departure",
             {"released": str(row.reserved)})


def _account(row: GuaranteeRow) -> GuaranteeAccount:
    return GuaranteeAccount(row.reference, row.holder, Decimal(row.amount), row.valid_from,
                            row.valid_to, row.revoked_on, Decimal(row.reserved),
                            row.access_digest, row.failed_codes)


def _guarantee_view(row: GuaranteeRow) -> GuaranteeView:
    return GuaranteeView(row.reference, row.holder, row.currency, Decimal(row.amount),
                         Decimal(row.reserved), row.valid_from, row.valid_to, row.revoked_on,
                         row.failed_codes >= MOST_WRONG_CODES)


def _departure_row(declaration: TransitDeclaration, movement: TransitMovement, currency: str,
                   duties: dict[str, Decimal], selection: Any, now: datetime) -> MovementRow:
    itinerary = declaration.itinerary
    released = movement.status is TransitStatus.RELEASED
    return MovementRow(
        mrn=movement.mrn, role=DEPARTURE, lrn=declaration.lrn, holder=declaration.holder,
        guarantee=declaration.guarantee, departure_office=itinerary.departure.code,
        destination_office=itinerary.destination.code,
        transit_offices=[o.code for o in itinerary.transit], routing=list(itinerary.routing),
        status=movement.status.value, time_limit=declaration.time_limit,
        reserved=movement.reserved, currency=currency, declaration=_document(declaration),
        control=selection.as_dict(), duties={c: str(a) for c, a in duties.items()},
        crossings=[], arrival=None, control_results=None, solution=None,
        due_at=declaration.time_limit if released else None, message_id=None,
        lodged_at=now, released_at=now if released else None, arrived_at=None,
        closed_at=None, updated_at=now,
    )


def _document(declaration: TransitDeclaration) -> dict[str, Any]:
    """The declaration as stored and, later, sent (the access code is never kept)."""
    return {
        "LRN": declaration.lrn, "Holder": declaration.holder,
        "Guarantee": declaration.guarantee, "Transport": declaration.transport,
        "TimeLimit": declaration.time_limit.isoformat(),
        "Equipment": [{"Number": e.number, "Seals": list(e.seals), "Sealed": e.sealed}
                      for e in declaration.equipment],
        "Items": [{"Sequence": i.sequence, "CommodityCode": i.commodity_code,
                   "Description": i.description, "Packages": i.packages,
                   "GrossMass": str(i.gross_mass), "NetMass": str(i.net_mass),
                   "Value": str(i.value)} for i in declaration.items],
    }


def _itinerary(row: MovementRow | MovementRecord) -> Itinerary:
    def office(code: str) -> Office:
        return Office(code, code[:2])

    return Itinerary(office(row.departure_office), tuple(office(c) for c in row.transit_offices),
                     office(row.destination_office), tuple(row.routing))


def _movement(row: MovementRow | MovementRecord, crossings: bool = False) -> TransitMovement:
    movement = TransitMovement(row.mrn, _itinerary(row), as_utc(row.time_limit),
                               Decimal(row.reserved), TransitStatus(row.status))
    if crossings:
        movement.crossings = [
            Crossing(Office(c["office"], c["office"][:2]), datetime.fromisoformat(c["at"]),
                     bool(c["declared"])) for c in row.crossings]
    return movement


def _anticipated(row: MovementRow) -> dict[str, Any]:
    return {"MRN": row.mrn, "Holder": row.holder, "Guarantee": row.guarantee,
            "DepartureOffice": row.departure_office, "TransitOffices": list(row.transit_offices),
            "DestinationOffice": row.destination_office, "Routing": list(row.routing),
            "TimeLimit": as_utc(row.time_limit).isoformat(), "Currency": row.currency,
            "Declaration": row.declaration}


def _anticipated_refusal(record: dict[str, Any], action: str, country: str) -> str | None:
    destination = record.get("DestinationOffice")
    offices = record.get("TransitOffices")
    if not isinstance(destination, str) or not isinstance(offices, list):
        return "DestinationOffice and TransitOffices are required"
    if action == IE001 and destination[:2] != country:
        return f"{record['MRN']} is bound for {destination}, not an office of {country}"
    if action == IE050 and not any(isinstance(o, str) and o[:2] == country for o in offices):
        return f"{record['MRN']} names no office of transit of {country}"
    return None


def _received_row(record: dict[str, Any], role: str, message_id: str,
                  now: datetime) -> dict[str, Any]:
    """The columns of the movement an office of transit or destination keeps."""
    declaration = record.get("Declaration") or {}
    return dict(
        mrn=record["MRN"], role=role, lrn=str(declaration.get("LRN", ""))[:35],
        holder=str(record.get("Holder", ""))[:35], guarantee=str(record.get("Guarantee", ""))[:24],
        departure_office=str(record.get("DepartureOffice", ""))[:8],
        destination_office=str(record["DestinationOffice"])[:8],
        transit_offices=[str(o)[:8] for o in record["TransitOffices"]][:20],
        routing=[str(c)[:2] for c in record.get("Routing", [])][:20],
        status=TransitStatus.RELEASED.value,
        time_limit=datetime.fromisoformat(str(record.get("TimeLimit"))),
        reserved=Decimal(0), currency=str(record.get("Currency", ""))[:3],
        declaration=declaration, control=None, duties=None, crossings=[], arrival=None,
        control_results=None, solution=None, due_at=None, message_id=message_id,
        lodged_at=now, released_at=now, arrived_at=None, closed_at=None, updated_at=now)


def _notice_refusal(row: MovementRecord, action: str, office: str) -> str | None:
    """Why the office `office` may not send `action` about this departure, or None."""
    if row.status in (TransitStatus.ACCEPTED.value, TransitStatus.GUARANTEE_REFUSED.value):
        return f"transit movement {row.mrn} was not released for transit"
    if action == IE118 and office not in row.transit_offices:
        return (f"{office} is not an office of transit of {row.mrn} "
                f"({', '.join(row.transit_offices) or 'none'}): a crossing elsewhere is IE115")
    if action == IE115 and (office[:2] not in row.routing[1:-1] or office in row.transit_offices):
        return f"{office} may not report a diversion of {row.mrn}: its country was not told of it"
    if action in (IE006, IE018) and office != row.destination_office:
        return f"{row.mrn} is bound for {row.destination_office}, not {office}"
    if action in (IE006, IE018) and row.status == TransitStatus.RECOVERY.value:
        return (f"{row.mrn} is in recovery of its duties: an arrival now is for its office "
                f"of departure to weigh, not taken as it comes")
    return None


def _view(row: MovementRow | MovementRecord, reasons: tuple[str, ...], officer: bool = True,
          document: bool = False) -> MovementView:
    return MovementView(
        mrn=row.mrn, role=row.role, lrn=row.lrn, holder=row.holder,
        status=TransitStatus(row.status), itinerary=_itinerary(row),
        time_limit=as_utc(row.time_limit), reserved=Decimal(row.reserved),
        currency=row.currency, guarantee=row.guarantee, duties=dict(row.duties or {}),
        control=row.control if officer else None, reasons=reasons,
        lodged_at=as_utc(row.lodged_at),
        released_at=as_utc(row.released_at) if row.released_at else None,
        crossings=tuple(row.crossings or ()), arrival=row.arrival,
        control_results=row.control_results, solution=row.solution,
        declaration=row.declaration if document and isinstance(row, MovementRow) else None,
    )


def _history(bind: Session | Connection, number: str, at: datetime, what: str, by: str,
             detail: dict[str, Any]) -> None:
    # The id sorts in the order the events were written: several written in one transaction
    # share their instant `at` (arrived, written off, discharged), and history reads them in
    # (at, id) order.
    connection = bind.connection() if isinstance(bind, Session) else bind
    add_event(connection, {"id": f"{time.time_ns():019d}{new_id()[:13]}", "mrn": number,
                           "at": at, "what": what, "by": by, "detail": detail})
