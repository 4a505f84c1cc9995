"""The AEO room's use cases at one node: the programme (applications, validation, decisions,
the register and its history, consent), the mutual recognition arrangements (lists when one
starts, every change as it happens, what each partner told), and the register of benefits
that selectivity asks at every consignment (`AeoRegister`)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import event, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from singlewindow.access.model import Principal, Role
from singlewindow.aeo import messages
from singlewindow.aeo.errors import (
    InvalidApplication,
    StatusConflict,
    UnknownOperator,
    UnreadableNotice,
)
from singlewindow.aeo.model import (
    AeoStatus,
    Application,
    ApplicationStatus,
    Arrangement,
    Authorisation,
    Benefit,
    Change,
    Criterion,
    Finding,
    OperatorType,
    PartnerOperator,
    Site,
    SiteVisit,
    Validation,
    operator_problem,
    partner_status,
    reason_problems,
    standing_of,
)
from singlewindow.aeo.repository import (
    AeoRevisionRow,
    ApplicationRow,
    ArrangementRow,
    OperatorRow,
    PartnerNoticeRow,
    PartnerOperatorRow,
    StatusChangeRow,
)
from singlewindow.core import revisions
from singlewindow.core.clock import as_utc, utcnow
from singlewindow.core.countries import customs_party
from singlewindow.core.db import Database
from singlewindow.core.errors import Forbidden, NotFound, Problem
from singlewindow.core.revisions import RevisionWatch
from singlewindow.exchange.model import UserMessage
from singlewindow.risk.model import AeoRole, AeoStanding

# The gateway's send, as the node wires it: (session, to party, service, action, payload,
# conversation id) -> message id; None off a network.
Send = Callable[..., str]

TOPIC = "aeo"


# -- what callers see -------------------------------------------------------------------------

@dataclass(frozen=True)
class ApplicationView:
    number: str
    operator: str
    name: str
    address: str
    types: tuple[str, ...]
    sites: tuple[dict[str, str], ...]
    self_assessment: dict[str, str]
    consent_to_share: bool
    status: ApplicationStatus
    findings: dict[str, dict[str, Any]]
    visits: tuple[dict[str, str], ...]
    decision: dict[str, str] | None
    submitted_at: datetime
    missing_for_grant: tuple[str, ...]


@dataclass(frozen=True)
class StatusChangeView:
    change: str
    status: str
    version: int
    reason: str
    by: str
    at: datetime


@dataclass(frozen=True)
class OperatorView:
    operator: str
    name: str
    address: str
    types: tuple[str, ...]
    status: AeoStatus
    consent: bool
    version: int
    granted_on: date
    application: str
    history: tuple[StatusChangeView, ...] = ()


@dataclass(frozen=True)
class PartnerSummary:
    """What one partner administration told us: how many operators in each status, when."""

    administration: str
    recognised: int
    suspended: int
    dropped: int
    last_learnt: datetime | None
    notices: int


@dataclass(frozen=True)
class PartnerOperatorView:
    operator: str
    administration: str
    name: str
    types: tuple[str, ...]
    status: str
    version: int
    told_at: datetime
    learnt_at: datetime


@dataclass(frozen=True)
class NoticeView:
    administration: str
    kind: str
    operator: str | None
    change: str | None
    operators: int
    applied: int
    told_at: datetime
    learnt_at: datetime
    message_id: str


def _officer(actor: Principal, what: str) -> None:
    if actor.role not in (Role.OFFICER, Role.ADMIN):
        raise Forbidden(f"only customs officers {what}")


def _own(actor: Principal, operator: str, what: str) -> None:
    """A trader acts for its own operator id only; officers and admins for any."""
    if actor.role is Role.TRADER and actor.party_id != operator:
        raise Forbidden(f"a trader {what} for itself ({actor.party_id}), not for {operator}")
    if actor.role not in (Role.TRADER, Role.OFFICER, Role.ADMIN):
        raise Forbidden(f"a {actor.role.value} does not {what}")


# -- the register of benefits ----------------------------------------------------------------

@dataclass(frozen=True)
class _Benefits:
    home: dict[str, bool]
    partners: dict[str, PartnerOperator]
    arrangements: tuple[Arrangement, ...]


class AeoRegister:
    """Selectivity's question "which AEO does this consignment name, and what does it get?",
    answered from memory: this country's operators, what partners told, the arrangements;
    reloaded when the AEO revision moves (a change in any process is seen within
    `core.revisions.CHECK_SECONDS`)."""

    def __init__(self, database: Database, country: str) -> None:
        self.database = database
        self.country = country
        self._lock = threading.Lock()
        self._state: _Benefits | None = None
        self._watch = RevisionWatch(database, TOPIC, self._read_revision)

    def _read_revision(self) -> int:
        with self.database.unit_of_work() as session:
            return revisions.stored_revision(session, AeoRevisionRow)

    def _benefits(self) -> _Benefits:
        state = self._state
        if state is not None and not self._watch.moved():
            return state
        # The database's turn first, then the lock (core.db.Database.unit_of_work).
        with self.database.unit_of_work() as session, self._lock:
            home = {operator: status == AeoStatus.GRANTED.value for operator, status in
                    session.execute(select(OperatorRow.operator, OperatorRow.status))}
            partners = {
                row.operator: PartnerOperator(row.operator, "", (), row.status, row.version,
                                              as_utc(row.told_at))
                for row in session.execute(
                    select(PartnerOperatorRow.operator, PartnerOperatorRow.status,
                           PartnerOperatorRow.version, PartnerOperatorRow.told_at)
                    .where(PartnerOperatorRow.status == AeoStatus.GRANTED.value))
            }
            arrangements = tuple(_arrangement(row) for row in session.scalars(
                select(ArrangementRow)))
            state = _Benefits(home, partners, arrangements)
            self._state = state
            return state

    def __call__(self, parties: Sequence[tuple[str, AeoRole]], on: date) -> AeoStanding | None:
        state = self._benefits()
        return standing_of(parties, on, self.country, state.home, state.partners,
                           state.arrangements)


def _changed(session: Session, database: Database) -> None:
    """One more change of the register of benefits, in the caller's transaction; once it
    commits, this process's registers look at once (others within CHECK_SECONDS)."""
    revisions.bump_revision(session, AeoRevisionRow)
    event.listen(session, "after_commit",
                 lambda _: RevisionWatch.changed(database, TOPIC), once=True)


# -- the programme and the arrangements -----------------------------------------------------

class Aeo:
    """The AEO programme of one country's customs and its mutual recognition arrangements."""

    def __init__(self, database: Database, country: str, send: Send | None = None,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.database = database
        self.country = country
        self.send = send
        self.clock = clock
        self.register_of_benefits = AeoRegister(database, country)

    # -- applications ---------------------------------------------------------------------

    def apply(self, application: Application, actor: Principal) -> ApplicationView:
        """An operator applies to its own customs; refused while it has an application open
        or an authorisation that is not revoked."""
        if actor.role is not Role.TRADER or actor.party_id != application.operator:
            raise Forbidden("an operator applies for itself: the trader's own id, "
                            f"{actor.party_id}, is not {application.operator}")
        problems = application.problems(self.country)
        if problems:
            raise InvalidApplication(problems)
        now = self.clock()
        with self.database.unit_of_work() as session:
            held = session.get(OperatorRow, application.operator)
            if held is not None and held.status != AeoStatus.REVOKED.value:
                raise StatusConflict(f"{application.operator} is already an AEO "
                                     f"({held.status})")
            open_one = session.scalar(select(ApplicationRow.number).where(
                ApplicationRow.operator == application.operator,
                ApplicationRow.status.in_([ApplicationStatus.SUBMITTED.value,
                                           ApplicationStatus.VALIDATING.value])))
            if open_one is not None:
                raise StatusConflict(f"{application.operator} has application {open_one} "
                                     f"open")
            count = session.scalar(select(func.count()).select_from(ApplicationRow)) or 0
            row = ApplicationRow(
                number=f"{self.country}AEO{now.year}{count + 1:06d}",
                operator=application.operator, name=application.name.strip(),
                address=application.address.strip(),
                types=[t.value for t in application.types],
                sites=[{"name": s.name.strip(), "address": s.address.strip()}
                       for s in application.sites],
                self_assessment={c.value: application.self_assessment[c].strip()
                                 for c in Criterion},
                consent_to_share=application.consent_to_share,
                status=ApplicationStatus.SUBMITTED.value, findings={}, visits=[],
                decision=None, submitted_by=actor.username, submitted_at=now, updated_at=now)
            session.add(row)
            try:
                session.flush()
            except IntegrityError:
                raise StatusConflict("another application was numbered at the same "
                                     "moment: send it again") from None
            return _application_view(row)

    def applications(self, reader: Principal,
                     status: ApplicationStatus | None = None) -> list[ApplicationView]:
        """Officers: every application (the open ones first); a trader: its own."""
        query = select(ApplicationRow)
        if reader.role is Role.TRADER:
            query = query.where(ApplicationRow.operator == (reader.party_id or ""))
        elif reader.role not in (Role.OFFICER, Role.ADMIN):
            raise Forbidden("applications are seen by customs officers and their applicant")
        if status is not None:
            query = query.where(ApplicationRow.status == status.value)
        with self.database.unit_of_work() as session:
            rows = session.scalars(query.order_by(ApplicationRow.submitted_at.desc())
                                   .limit(500)).all()
            return [_application_view(r) for r in rows]

    def application(self, number: str, reader: Principal) -> ApplicationView:
        with self.database.unit_of_work() as session:
            return _application_view(self._visible_application(session, number, reader))

    def start_validation(self, number: str, actor: Principal) -> ApplicationView:
        _officer(actor, "validate applications")
        return self._validate(number, actor, lambda v: v.start())

    def record_finding(self, number: str, criterion: Criterion, met: bool, note: str,
                       actor: Principal) -> ApplicationView:
        _officer(actor, "audit applications")
        at = self.clock()
        return self._validate(number, actor, lambda v: v.find(
            Finding(criterion, met, note.strip(), actor.username, at)))

    def record_visit(self, number: str, site: str, on: date, note: str,
                     actor: Principal) -> ApplicationView:
        _officer(actor, "record on-site visits")
        today = self.clock().date()
        return self._validate(number, actor, lambda v: v.visit(
            SiteVisit(site, on, note.strip(), actor.username), today))

    def withdraw(self, number: str, actor: Principal) -> ApplicationView:
        """The applicant withdraws its application while it is open."""
        with self.database.unit_of_work() as session:
            row = self._visible_application(session, number, actor)
            if actor.role is not Role.TRADER:
                raise Forbidden("an application is withdrawn by its applicant")
            validation = _validation(row)
            validation.withdraw()
            row.status = validation.status.value
            row.updated_at = self.clock()
            return _application_view(row)

    def decide(self, number: str, grant: bool, reason: str,
               actor: Principal) -> ApplicationView:
        """Grant (every criterion found met and a site visited) or refuse, with the reason.
        A grant enters the operator in the register and tells the partners it consented to."""
        _officer(actor, "decide on applications")
        problems = reason_problems(reason)
        if problems:
            raise InvalidApplication(problems)
        now = self.clock()
        with self.database.unit_of_work() as session:
            row = self._locked_application(session, number)
            validation = _validation(row)
            if grant:
                validation.grant()
            else:
                validation.refuse()
            row.status = validation.status.value
            row.decision = {"decision": "granted" if grant else "refused",
                            "reason": reason.strip(), "by": actor.username,
                            "at": now.isoformat()}
            row.updated_at = now
            if grant:
                operator = session.get(OperatorRow, row.operator, with_for_update=True)
                if operator is None:
                    operator = OperatorRow(operator=row.operator, version=0)
                    session.add(operator)
                operator.name, operator.address, operator.types = row.name, row.address, row.types
                operator.application = row.number
                operator.status = AeoStatus.GRANTED.value
                operator.consent = row.consent_to_share
                operator.version = (operator.version or 0) + 1
                operator.granted_on = now.date()
                operator.updated_at = now
                self._record(session, operator, Change.GRANTED, reason, actor, now)
            return _application_view(row)

    def _validate(self, number: str, actor: Principal,
                  step: Callable[[Validation], None]) -> ApplicationView:
        with self.database.unit_of_work() as session:
            row = self._locked_application(session, number)
            validation = _validation(row)
            step(validation)
            row.status = validation.status.value
            row.findings = {c.value: {"met": f.met, "note": f.note, "by": f.by,
                                      "at": f.at.isoformat()}
                            for c, f in validation.findings.items()}
            row.visits = [{"site": v.site, "on": v.on.isoformat(), "note": v.note, "by": v.by}
                          for v in validation.visits]
            row.updated_at = self.clock()
            return _application_view(row)

    @staticmethod
    def _locked_application(session: Session, number: str) -> ApplicationRow:
        row = session.get(ApplicationRow, number, with_for_update=True)
        if row is None:
            raise NotFound(f"no AEO application {number}")
        return row

    @staticmethod
    def _visible_application(session: Session, number: str,
                             reader: Principal) -> ApplicationRow:
        row = session.get(ApplicationRow, number)
        if row is None or (reader.role is Role.TRADER and reader.party_id != row.operator) or (
                reader.role not in (Role.TRADER, Role.OFFICER, Role.ADMIN)):
            raise NotFound(f"no AEO application {number}")  # another's is not shown
        return row

    # -- the register ---------------------------------------------------------------------

    def register(self, reader: Principal, status: AeoStatus | None = None,
                 limit: int = 200, offset: int = 0) -> tuple[list[OperatorView], int]:
        """The register of this country's AEOs, for officers."""
        _officer(reader, "see the AEO register")
        query = select(OperatorRow)
        counted = select(func.count()).select_from(OperatorRow)
        if status is not None:
            query = query.where(OperatorRow.status == status.value)
            counted = counted.where(OperatorRow.status == status.value)
        with self.database.unit_of_work() as session:
            rows = session.scalars(query.order_by(OperatorRow.operator).limit(limit)
                                   .offset(offset)).all()
            return [_operator_view(r) for r in rows], session.scalar(counted) or 0

    def operator(self, operator: str, reader: Principal) -> OperatorView:
        """One authorisation with its history: officers, and the operator itself."""
        with self.database.unit_of_work() as session:
            row = session.get(OperatorRow, operator)
            if row is None or (reader.role is Role.TRADER and reader.party_id != operator) or (
                    reader.role not in (Role.TRADER, Role.OFFICER, Role.ADMIN)):
                raise UnknownOperator(f"{operator} is not an AEO of {self.country}")
            history = session.scalars(select(StatusChangeRow)
                                      .where(StatusChangeRow.operator == operator)
                                      .order_by(StatusChangeRow.id)).all()
            return _operator_view(row, history)

    def change_status(self, operator: str, change: Change, reason: str,
                      actor: Principal) -> OperatorView:
        """Suspend, reinstate or revoke, with the reason; partners are told in the same
        transaction (if the operator consented)."""
        _officer(actor, "suspend, reinstate or revoke an authorisation")
        if change not in (Change.SUSPENDED, Change.REINSTATED, Change.REVOKED):
            raise StatusConflict(f"officers suspend, reinstate or revoke; {change.value} is "
                                 f"not theirs")
        problems = reason_problems(reason)
        if problems:
            raise InvalidApplication(problems)
        return self._change(operator, change, reason.strip(), actor)

    def set_consent(self, operator: str, given: bool, actor: Principal) -> OperatorView:
        """The operator gives or withdraws its consent to share its data with MRA partners;
        withdrawn, partners are told to drop it."""
        if actor.role is not Role.TRADER or actor.party_id != operator:
            raise Forbidden("consent is given or withdrawn by the operator itself")
        change = Change.CONSENT_GIVEN if given else Change.CONSENT_WITHDRAWN
        return self._change(operator, change, "by the operator", actor)

    def _change(self, operator: str, change: Change, reason: str,
                actor: Principal) -> OperatorView:
        now = self.clock()
        with self.database.unit_of_work() as session:
            row = session.get(OperatorRow, operator, with_for_update=True)
            if row is None:
                raise UnknownOperator(f"{operator} is not an AEO of {self.country}")
            authorisation = Authorisation(row.operator, AeoStatus(row.status), row.consent,
                                          row.version)
            authorisation.change(change)
            row.status = authorisation.status.value
            row.consent = authorisation.consent
            row.version = authorisation.version
            row.updated_at = now
            self._record(session, row, change, reason, actor, now)
            return _operator_view(row)

    def _record(self, session: Session, row: OperatorRow, change: Change, reason: str,
                actor: Principal, now: datetime) -> None:
        """The register's history, the revision of benefits, and the partners told."""
        session.add(StatusChangeRow(operator=row.operator, change=change.value,
                                    status=row.status, version=row.version,
                                    reason=reason.strip(), by=actor.username, at=now))
        _changed(session, self.database)
        # Consent withdrawn is told (so partners drop it); without consent nothing else is.
        if self.send is None or not (row.consent or change is Change.CONSENT_WITHDRAWN):
            return
        told = PartnerOperator(row.operator, row.name, tuple(row.types),
                               partner_status(change, AeoStatus(row.status)), row.version, now)
        if told.dropped:
            told = told.forgotten()
        for arrangement, partner in self._partners(session, now.date()):
            self.send(session, customs_party(partner), messages.SERVICE, messages.CHANGE,
                      messages.change_document(self.country, arrangement.id, change, told),
                      row.operator)

    def _partners(self, session: Session, on: date) -> list[tuple[Arrangement, str]]:
        """Each partner once, under the first arrangement in force that joins us."""
        seen: dict[str, Arrangement] = {}
        for row in session.scalars(select(ArrangementRow).order_by(ArrangementRow.id)):
            arrangement = _arrangement(row)
            if arrangement.in_force(on):
                for partner in arrangement.others(self.country):
                    seen.setdefault(partner, arrangement)
        return [(arrangement, partner) for partner, arrangement in sorted(seen.items())]

    # -- arrangements ---------------------------------------------------------------------

    def record_arrangement(self, arrangement: Arrangement, actor: Principal) -> Arrangement:
        """An administrator records an arrangement this country signed; once it is in force
        the consented list goes to each partner (now, or when its start date comes)."""
        if actor.role is not Role.ADMIN:
            raise Forbidden("arrangements are recorded by an administrator")
        problems = arrangement.problems(self.country)
        if problems:
            raise InvalidApplication(problems)
        now = self.clock()
        with self.database.unit_of_work() as session:
            if session.get(ArrangementRow, arrangement.id) is not None:
                raise StatusConflict(f"arrangement {arrangement.id} is already recorded")
            session.add(ArrangementRow(
                id=arrangement.id, name=arrangement.name.strip(),
                partners=sorted(arrangement.partners), starts_on=arrangement.starts_on,
                ends_on=arrangement.ends_on, benefits=sorted(b.value for b in
                                                             arrangement.benefits),
                roles=sorted(r.value for r in arrangement.roles), lists_sent=[],
                recorded_by=actor.username, recorded_at=now))
            _changed(session, self.database)
            if arrangement.in_force(now.date()):
                self._request_lists(session, arrangement)
        self.send_due_lists()
        return arrangement

    def arrangements(self) -> list[Arrangement]:
        with self.database.unit_of_work() as session:
            return [_arrangement(r) for r in session.scalars(
                select(ArrangementRow).order_by(ArrangementRow.starts_on))]

    def send_due_lists(self) -> int:
        """Send the consented list to each partner of an arrangement in force that has not
        had it yet (the scheduler's pass; at once when an arrangement is recorded in force).
        Returns the partners sent to."""
        if self.send is None:
            return 0
        today = self.clock().date()
        sent = 0
        with self.database.unit_of_work() as session:
            for row in session.scalars(select(ArrangementRow).with_for_update()):
                arrangement = _arrangement(row)
                due = [p for p in arrangement.others(self.country) if p not in row.lists_sent]
                if not arrangement.in_force(today) or not due:
                    continue
                for partner in due:
                    self._send_list(session, partner, arrangement.id)
                    sent += 1
                row.lists_sent = sorted({*row.lists_sent, *due})
        return sent

    def _send_list(self, session: Session, partner: str, arrangement: str) -> None:
        """Our consented, not revoked operators to `partner`, in parts."""
        assert self.send is not None
        shared = [PartnerOperator(o.operator, o.name, tuple(o.types), o.status, o.version,
                                  as_utc(o.updated_at))
                  for o in session.scalars(
                      select(OperatorRow).where(OperatorRow.consent.is_(True),
                                                OperatorRow.status != AeoStatus.REVOKED.value)
                      .order_by(OperatorRow.operator))]
        parts = [shared[i:i + messages.LIST_PART]
                 for i in range(0, len(shared), messages.LIST_PART)]
        for number, part in enumerate(parts, 1):
            self.send(session, customs_party(partner), messages.SERVICE, messages.LIST,
                      messages.list_document(self.country, arrangement, number, len(parts),
                                             part), arrangement)

    def _request_lists(self, session: Session, arrangement: Arrangement) -> None:
        """Ask each partner for its list: one sent before we recorded the arrangement was
        refused here, and a partner sends its list only once by itself."""
        if self.send is None:
            return
        for partner in arrangement.others(self.country):
            self.send(session, customs_party(partner), messages.SERVICE, messages.LIST_REQUEST,
                      messages.request_document(self.country, arrangement.id), arrangement.id)

    def admit_request(self, message: UserMessage) -> str | None:
        """The check on receipt of a partner's request for our list. One under an arrangement
        we have not recorded yet is taken and left unanswered: our list goes to every
        partner when we record it."""
        try:
            country, number = messages.read_request(message.payload)
        except UnreadableNotice as exc:
            return str(exc)
        with self.database.unit_of_work() as session:
            row = session.get(ArrangementRow, number)
            if row is None:
                return None
            arrangement = _arrangement(row)
        return _partner_refusal(arrangement, number, country, self.country,
                                self.clock().date())

    def receive_request(self, session: Session, message: UserMessage) -> None:
        """Handler of AEO.ListRequest: our list to the partner asking, in its transaction."""
        country, number = messages.read_request(message.payload)
        row = session.get(ArrangementRow, number)
        if row is None:
            return  # not recorded here yet: recording it sends our list
        refusal = _partner_refusal(_arrangement(row), number, country, self.country,
                                   self.clock().date())
        if refusal is not None:
            raise UnreadableNotice(refusal)
        if self.send is not None:
            self._send_list(session, country, number)

    # -- what partners tell ---------------------------------------------------------------

    def admit_notice(self, message: UserMessage) -> str | None:
        """The check on receipt: a readable notice, under an arrangement in force that joins
        its administration and us; else why not (answered as an ebMS error, and logged)."""
        try:
            notice = messages.read(message.payload, message.action)
        except UnreadableNotice as exc:
            return str(exc)
        with self.database.unit_of_work() as session:
            row = session.get(ArrangementRow, notice.arrangement)
            arrangement = _arrangement(row) if row is not None else None
        return _partner_refusal(arrangement, notice.arrangement, notice.administration,
                                self.country, self.clock().date())

    def receive_notice(self, session: Session, message: UserMessage) -> None:
        """Handler of AEO.List and AEO.Change: each operator taken if newer than what we
        hold (messages may come in any order), the message logged with when we learnt it."""
        notice = messages.read(message.payload, message.action)
        row = session.get(ArrangementRow, notice.arrangement)
        refusal = _partner_refusal(_arrangement(row) if row is not None else None,
                                   notice.arrangement, notice.administration, self.country,
                                   self.clock().date())
        if refusal is not None:
            raise UnreadableNotice(refusal)
        now = self.clock()
        told = {o.operator: o for o in notice.operators}
        held = dict(session.execute(
            select(PartnerOperatorRow.operator, PartnerOperatorRow.version)
            .where(PartnerOperatorRow.operator.in_(list(told)))).all())
        fresh: list[dict[str, Any]] = []
        newer: list[dict[str, Any]] = []
        for operator in told.values():
            if not operator.newer_than(held.get(operator.operator)):
                continue
            kept = operator.forgotten() if operator.dropped else operator
            values = {"operator": kept.operator, "administration": notice.administration,
                      "name": kept.name, "types": list(kept.types), "status": kept.status,
                      "version": kept.version, "told_at": kept.told_at, "learnt_at": now,
                      "message_id": message.message_id}
            (newer if kept.operator in held else fresh).append(values)
        if fresh:
            session.execute(insert(PartnerOperatorRow), fresh)
        for values in newer:
            session.execute(update(PartnerOperatorRow)
                            .where(PartnerOperatorRow.operator == values["operator"])
                            .values(**values))
        only = notice.operators[0] if notice.kind == "change" else None
        session.add(PartnerNoticeRow(
            administration=notice.administration, kind=notice.kind,
            operator=only.operator if only else None,
            change=notice.change.value if notice.change else None,
            operators=len(notice.operators), applied=len(fresh) + len(newer),
            told_at=min(o.told_at for o in notice.operators), learnt_at=now,
            message_id=message.message_id))
        if fresh or newer:
            _changed(session, self.database)

    def partners(self, reader: Principal) -> list[PartnerSummary]:
        """Each partner administration and what it told us."""
        _officer(reader, "see what partners told")
        with self.database.unit_of_work() as session:
            counts: dict[str, dict[str, int]] = {}
            for administration, status, n in session.execute(
                    select(PartnerOperatorRow.administration, PartnerOperatorRow.status,
                           func.count()).group_by(PartnerOperatorRow.administration,
                                                  PartnerOperatorRow.status)):
                counts.setdefault(administration, {})[status] = n
            notices = {a: (n, last) for a, n, last in session.execute(
                select(PartnerNoticeRow.administration, func.count(),
                       func.max(PartnerNoticeRow.learnt_at))
                .group_by(PartnerNoticeRow.administration))}
            partners = {p for a in self._arrangements(session) for p in a.others(self.country)}
        out = []
        for administration in sorted(partners | set(counts) | set(notices)):
            by = counts.get(administration, {})
            n, last = notices.get(administration, (0, None))
            out.append(PartnerSummary(
                administration, by.get(AeoStatus.GRANTED.value, 0),
                by.get(AeoStatus.SUSPENDED.value, 0),
                sum(v for k, v in by.items()
                    if k not in (AeoStatus.GRANTED.value, AeoStatus.SUSPENDED.value)),
                as_utc(last) if last else None, n))
        return out

    def partner_operators(self, administration: str, reader: Principal, limit: int = 200,
                          offset: int = 0) -> tuple[list[PartnerOperatorView], int]:
        _officer(reader, "see what partners told")
        condition = PartnerOperatorRow.administration == administration
        with self.database.unit_of_work() as session:
            rows = session.scalars(select(PartnerOperatorRow).where(condition)
                                   .order_by(PartnerOperatorRow.operator).limit(limit)
                                   .offset(offset)).all()
            total = session.scalar(select(func.count()).select_from(PartnerOperatorRow)
                                   .where(condition)) or 0
            return [_partner_view(r) for r in rows], total

    def partner_operator(self, operator: str, reader: Principal) -> PartnerOperatorView:
        _officer(reader, "see what partners told")
        with self.database.unit_of_work() as session:
            row = session.get(PartnerOperatorRow, operator)
            if row is None:
                raise UnknownOperator(f"no partner told of {operator}")
            return _partner_view(row)

    def notices(self, administration: str, reader: Principal,
                limit: int = 100) -> list[NoticeView]:
        _officer(reader, "see what partners told")
        with self.database.unit_of_work() as session:
            rows = session.scalars(select(PartnerNoticeRow)
                                   .where(PartnerNoticeRow.administration == administration)
                                   .order_by(PartnerNoticeRow.id.desc()).limit(limit)).all()
            return [NoticeView(r.administration, r.kind, r.operator, r.change, r.operators,
                               r.applied, as_utc(r.told_at), as_utc(r.learnt_at),
                               r.message_id) for r in rows]

    def recognition(self, operator: str, role: AeoRole, reader: Principal,
                    on: date | None = None) -> AeoStanding | None:
        """Whether a consignment naming `operator` in `role` gets an AEO benefit here now:
        the answer selectivity gets."""
        _officer(reader, "ask the register of benefits")
        if (problem := operator_problem(operator)) is not None:
            raise InvalidApplication([Problem("operator", problem)])
        return self.register_of_benefits([(operator, role)], on or self.clock().date())

    @staticmethod
    def _arrangements(session: Session) -> list[Arrangement]:
        return [_arrangement(r) for r in session.scalars(select(ArrangementRow))]


def _partner_refusal(arrangement: Arrangement | None, number: str, partner: str, country: str,
                     today: date) -> str | None:
    """Why `partner` may not tell us (or ask us) anything under arrangement `number`."""
    if arrangement is None:
        return (f"{number} is not an arrangement {country} is party to: "
                f"{customs_party(partner)} is outside any arrangement with us")
    if partner not in arrangement.partners or country not in arrangement.partners:
        return f"{partner} is not a partner of {arrangement.id}"
    if not arrangement.in_force(today):
        return f"{arrangement.id} is not in force on {today.isoformat()}"
    return None


# -- rows to views ----------------------------------------------------------------------------

def _arrangement(row: ArrangementRow) -> Arrangement:
    return Arrangement(row.id, row.name, frozenset(row.partners), row.starts_on,
                       frozenset(Benefit(b) for b in row.benefits),
                       frozenset(AeoRole(r) for r in row.roles), row.ends_on)


def _validation(row: ApplicationRow) -> Validation:
    findings = {Criterion(c): Finding(Criterion(c), bool(f["met"]), f["note"], f["by"],
                                      datetime.fromisoformat(f["at"]))
                for c, f in row.findings.items()}
    visits = [SiteVisit(v["site"], date.fromisoformat(v["on"]), v["note"], v["by"])
              for v in row.visits]
    return Validation(row.number, ApplicationStatus(row.status),
                      tuple(s["name"] for s in row.sites), findings, visits)


def _application_view(row: ApplicationRow) -> ApplicationView:
    validation = _validation(row)
    status = ApplicationStatus(row.status)
    missing = validation.missing_for_grant() if status is ApplicationStatus.VALIDATING else []
    return ApplicationView(
        row.number, row.operator, row.name, row.address, tuple(row.types),
        tuple(row.sites), dict(row.self_assessment), row.consent_to_share, status,
        dict(row.findings), tuple(row.visits), row.decision, as_utc(row.submitted_at),
        tuple(missing))


def _operator_view(row: OperatorRow,
                   history: Sequence[StatusChangeRow] = ()) -> OperatorView:
    return OperatorView(
        row.operator, row.name, row.address, tuple(row.types), AeoStatus(row.status),
        row.consent, row.version, row.granted_on, row.application,
        tuple(StatusChangeView(h.change, h.status, h.version, h.reason, h.by, as_utc(h.at))
              for h in history))


def _partner_view(row: PartnerOperatorRow) -> PartnerOperatorView:
    return PartnerOperatorView(row.operator, row.administration, row.name, tuple(row.types),
                               row.status, row.version, as_utc(row.told_at),
                               as_utc(row.learnt_at))


def application_of(document: dict[str, Any]) -> Application:
    """An application from the names the API and the command line use (their schemas bound
    each field; the model checks the rest)."""
    return Application(
        operator=document["operator"], name=document["name"], address=document["address"],
        types=tuple(OperatorType(t) for t in document["types"]),
        sites=tuple(Site(s["name"], s["address"]) for s in document["sites"]),
        self_assessment={Criterion(k): v for k, v in document["self_assessment"].items()},
        consent_to_share=bool(document.get("consent_to_share", False)))

