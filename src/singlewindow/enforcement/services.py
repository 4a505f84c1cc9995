"""The enforcement room's use cases at one node: alerts raised here and sent to every partner
or to a joint operation's members, alerts received and turned into a risk profile at once,
the hits of every alert (recorded in the lodgement's transaction and reported to the alert's
administration through the outbox), seizures recorded and shared, and the joint operations
with their board."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from singlewindow.access.model import Principal, Role
from singlewindow.core.clock import utcnow
from singlewindow.core.countries import customs_party
from singlewindow.core.db import Database
from singlewindow.core.errors import Forbidden, Problem
from singlewindow.core.revisions import RevisionWatch
from singlewindow.declarations.events import DeclarationLodged
from singlewindow.declarations.repository import DeclarationRow
from singlewindow.enforcement import messages
from singlewindow.enforcement.errors import (
    AlertConflict,
    InvalidAlert,
    UnknownAlert,
    UnknownOperation,
    UnknownSeizure,
    UnreadableEnforcementMessage,
)
from singlewindow.enforcement.model import (
    ALERT,
    Alert,
    AlertHit,
    AlertStatus,
    Category,
    JointOperation,
    Recipients,
    Seizure,
    alert_country,
    alert_problems,
    criterion_document,
    operation_problems,
    parse_alert_criteria,
    seizure_problems,
)
from singlewindow.enforcement.repository import AlertRow, HitRow, OperationRow, SeizureRow
from singlewindow.exchange.model import UserMessage
from singlewindow.exchange.pki import Partner
from singlewindow.risk.model import Channel, RuleStatus
from singlewindow.risk.repository import RiskRuleRow, RuleHitRow, SelectionRow, bump_revision

# The gateway's send, as the node wires it: (session, to party, service, action, payload)
# -> message id; None off a network.
Send = Callable[..., str]
# The partner countries this node can reach (its trust list's customs nodes).
Partners = Callable[[], Sequence[str]]


def _no_partners() -> Sequence[str]:
    return ()


def customs_partners(trust_list: Iterable[Partner]) -> list[str]:
    """The countries whose customs nodes a trust list holds (not issuers or other parties)."""
    return sorted({p.country for p in trust_list if p.party_id == customs_party(p.country)})


def _officer(actor: Principal, what: str) -> None:
    # Alerts and their criteria are customs intelligence: traders never see them.
    if actor.role not in (Role.OFFICER, Role.ADMIN):
        raise Forbidden(f"only customs officers {what}")


# -- what callers give and see ----------------------------------------------------------------

@dataclass(frozen=True)
class AlertDraft:
    category: Category
    title: str
    description: str
    criteria: list[dict[str, object]]
    valid_from: date
    valid_to: date
    channel: Channel = Channel.RED
    concealment: list[str] = field(default_factory=list)
    operation: str | None = None  # None: every partner


@dataclass(frozen=True)
class SeizureDraft:
    goods: str
    hs_code: str
    quantity: Decimal
    unit: str
    concealment: str = ""
    declaration: str | None = None
    alert: str | None = None
    shareable: bool = False
    seized_at: datetime | None = None


@dataclass(frozen=True)
class AlertView:
    alert: Alert
    status: AlertStatus  # as on the day: an active alert past its validity has expired
    raised_here: bool
    raised_by: str | None
    received_at: datetime | None
    withdrawn_at: datetime | None
    reason: str | None
    recipients: tuple[str, ...]  # the countries it went to (raised here)
    hits: tuple[AlertHit, ...]


@dataclass(frozen=True)
class SeizureView:
    seizure: Seizure
    recorded_here: bool
    recorded_by: str | None
    shared_at: datetime | None
    received_at: datetime | None


@dataclass(frozen=True)
class Board:
    """A joint operation's board: its alerts, their hits and the seizures, across members
    (as far as they were told to this node)."""

    operation: JointOperation
    alerts: tuple[AlertView, ...]
    seizures: tuple[SeizureView, ...]

    @property
    def hits(self) -> tuple[AlertHit, ...]:
        return tuple(h for a in self.alerts for h in a.hits)


# -- the room ---------------------------------------------------------------------------------

class Enforcement:
    """Shared enforcement intelligence at one country's customs."""

    def __init__(self, database: Database, country: str, send: Send | None = None,
                 partners: Partners = _no_partners,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.database = database
        self.country = country
        self.send = send
        self.partners = partners
        self.clock = clock

    def _reachable(self) -> list[str]:
        return sorted(set(self.partners()) - {self.country})

    # -- joint operations -----------------------------------------------------------------

    def create_operation(self, code: str, name: str, members: Sequence[str], starts_on: date,
                         ends_on: date, actor: Principal) -> JointOperation:
        """A joint operation this node coordinates; each other member is told at once."""
        _officer(actor, "set up joint operations")
        members = list(members)
        if self.country not in members:
            members.insert(0, self.country)  # the coordinator is a member
        problems = operation_problems(code, name, self.country, members, starts_on, ends_on,
                                      self._reachable() if self.send is not None else None)
        if problems:
            raise InvalidAlert(problems)
        operation = JointOperation(code, name.strip(), self.country, frozenset(members),
                                   starts_on, ends_on)
        with self.database.unit_of_work() as session:
            if session.get(OperationRow, code) is not None:
                raise AlertConflict(f"joint operation {code} exists already")
            session.add(OperationRow(
                code=code, name=operation.name, coordinator=self.country,
                members=sorted(operation.members), starts_on=starts_on, ends_on=ends_on,
                created_by=actor.username, recorded_at=self.clock()))
            try:
                session.flush()
            except IntegrityError:
                raise AlertConflict(f"joint operation {code} exists already") from None
            if self.send is not None:
                document = messages.operation_document(operation)
                for member in operation.others(self.country):
                    self.send(session, customs_party(member), messages.SERVICE,
                              messages.OPERATION, document)
        return operation

    def operations(self, reader: Principal) -> list[JointOperation]:
        _officer(reader, "see joint operations")
        with self.database.unit_of_work() as session:
            rows = session.scalars(select(OperationRow).order_by(OperationRow.starts_on.desc(),
                                                                 OperationRow.code)).all()
            return [r.operation() for r in rows]

    def operation(self, code: str, reader: Principal) -> JointOperation:
        _officer(reader, "see joint operations")
        with self.database.unit_of_work() as session:
            return _operation_row(session, code).operation()

    def board(self, code: str, reader: Principal) -> Board:
        _officer(reader, "see a joint operation's board")
        with self.database.unit_of_work() as session:
            operation = _operation_row(session, code).operation()
            rows = session.scalars(select(AlertRow).where(AlertRow.operation == code)
                                   .order_by(AlertRow.raised_at.desc())).all()
            alerts = tuple(self._view(session, r) for r in rows)
            seized = session.scalars(select(SeizureRow).where(SeizureRow.operation == code)
                                     .order_by(SeizureRow.seized_at.desc())).all()
            return Board(operation, alerts, tuple(_seizure_view(self.country, s)
                                                  for s in seized))

    # -- alerts ---------------------------------------------------------------------------

    def raise_alert(self, draft: AlertDraft, actor: Principal) -> AlertView:
        """An officer's alert: validated, kept, made this node's own risk profile, and sent
        to its recipients in the same transaction."""
        _officer(actor, "raise alerts")
        today = self.clock().date()
        problems = alert_problems(
            title=draft.title, description=draft.description, concealment=draft.concealment,
            valid_from=draft.valid_from, valid_to=draft.valid_to, channel=draft.channel,
            today=today)
        criteria = parse_alert_criteria(draft.criteria, "criteria", problems)
        with self.database.unit_of_work() as session:
            recipients = self._recipients(session, draft.operation, problems)
            if problems:
                raise InvalidAlert(problems)
            count = session.scalar(select(func.count()).select_from(AlertRow)
                                   .where(AlertRow.country == self.country)) or 0
            now = self.clock()
            alert = Alert(
                id=f"{self.country}-ALERT-{count + 1}", category=draft.category,
                title=draft.title.strip(), description=draft.description.strip(),
                criteria=criteria, concealment=tuple(c.strip() for c in draft.concealment),
                valid_from=draft.valid_from, valid_to=draft.valid_to, channel=draft.channel,
                recipients=Recipients(draft.operation), raised_at=now)
            row = _alert_row(alert, raised_by=actor.username)
            session.add(row)
            try:
                session.flush()
            except IntegrityError:
                raise AlertConflict("another alert was numbered at the same moment: raise it "
                                    "again") from None
            self._profile(session, alert)
            if self.send is not None:
                document = messages.alert_document(alert)
                for country in recipients:
                    self.send(session, customs_party(country), messages.SERVICE,
                              messages.ALERT, document)
            return self._view(session, row)

    def _recipients(self, session: Session, operation: str | None,
                    problems: list[Problem]) -> list[str]:
        """The countries an alert goes to: every partner, or the operation's other members
        (a node outside it never gets it)."""
        partners = self._reachable()
        if operation is None:
            return partners
        row = session.get(OperationRow, operation)
        if row is None or self.country not in row.members:
            problems.append(Problem("operation", f"this node is not a member of joint "
                                                 f"operation {operation}"))
            return []
        return [m for m in row.operation().others(self.country) if m in partners]

    def withdraw_alert(self, alert_id: str, reason: str, actor: Principal) -> AlertView:
        """Our alert no longer applies: its profile retired here and at every recipient."""
        _officer(actor, "withdraw alerts")
        if not reason.strip():
            raise InvalidAlert([Problem("reason", "say why the alert is withdrawn")])
        with self.database.unit_of_work() as session:
            row = session.get(AlertRow, alert_id, with_for_update=True)
            if row is None:
                raise UnknownAlert(f"no alert {alert_id}")
            if row.country != self.country:
                raise Forbidden(f"alert {alert_id} is {row.country}'s: only its administration "
                                f"withdraws it")
            now = self.clock()
            alert = row.alert().withdraw(now.date())
            _withdrawn(row, now, reason.strip())
            self._retire_profile(session, alert_id)
            if self.send is not None:
                problems: list[Problem] = []
                document = messages.withdrawal_document(alert, reason.strip(), now)
                for country in self._recipients(session, alert.recipients.operation, problems):
                    self.send(session, customs_party(country), messages.SERVICE,
                              messages.WITHDRAWAL, document)
            return self._view(session, row)

    def alerts(self, reader: Principal, raised: bool | None = None,
               limit: int = 100, offset: int = 0) -> list[AlertView]:
        """Alerts raised here (raised True), received (False) or both, newest first."""
        _officer(reader, "see alerts")
        query = select(AlertRow)
        if raised is True:
            query = query.where(AlertRow.country == self.country)
        elif raised is False:
            query = query.where(AlertRow.country != self.country)
        with self.database.unit_of_work() as session:
            rows = session.scalars(query.order_by(AlertRow.raised_at.desc(), AlertRow.id)
                                   .limit(limit).offset(offset)).all()
            return [self._view(session, r) for r in rows]

    def alert(self, alert_id: str, reader: Principal) -> AlertView:
        _officer(reader, "see alerts")
        with self.database.unit_of_work() as session:
            row = session.get(AlertRow, alert_id)
            if row is None:
                raise UnknownAlert(f"no alert {alert_id}")
            return self._view(session, row)

    def hits(self, reader: Principal, alert_id: str | None = None,
             limit: int = 100) -> list[AlertHit]:
        _officer(reader, "see alert hits")
        query = select(HitRow)
        if alert_id is not None:
            query = query.where(HitRow.alert == alert_id)
        with self.database.unit_of_work() as session:
            return [r.hit() for r in session.scalars(
                query.order_by(HitRow.hit_at.desc()).limit(limit)).all()]

    def _view(self, session: Session, row: AlertRow) -> AlertView:
        alert = row.alert()
        hits = session.scalars(select(HitRow).where(HitRow.alert == row.id)
                               .order_by(HitRow.hit_at.desc()).limit(500)).all()
        recipients: tuple[str, ...] = ()
        if row.country == self.country:
            recipients = tuple(self._recipients(session, row.operation, []))
        return AlertView(alert, alert.status_on(self.clock().date()),
                         row.country == self.country, row.raised_by, row.received_at,
                         row.withdrawn_at, row.reason, recipients,
                         tuple(h.hit() for h in hits))

    # -- the risk profile of an alert -----------------------------------------------------

    def _profile(self, session: Session, alert: Alert) -> None:
        """The alert as a risk rule named after it, with its validity; every worker sees it
        at its next look at the risk revision (half a second), this process at once."""
        if session.get(RiskRuleRow, alert.id) is not None:
            return
        now = self.clock()
        session.add(RiskRuleRow(
            id=alert.id, name=alert.rule_name(),
            description=f"{alert.category.value}: {alert.description}"[:2000],
            criteria=[criterion_document(c) for c in alert.criteria],
            channel=alert.channel.value, forced=False, valid_from=alert.valid_from,
            valid_to=alert.valid_to, status=RuleStatus.ACTIVE.value,
            created_by=f"alert of {alert.country}", created_at=now, updated_at=now))
        self._risk_changed(session)

    def _retire_profile(self, session: Session, alert_id: str) -> None:
        rule = session.get(RiskRuleRow, alert_id)
        if rule is not None and rule.status != RuleStatus.RETIRED.value:
            rule.status = RuleStatus.RETIRED.value
            rule.updated_at = self.clock()
            self._risk_changed(session)

    def _risk_changed(self, session: Session) -> None:
        bump_revision(session)
        database = self.database
        event.listen(session, "after_commit",
                     lambda _: RevisionWatch.changed(database, "risk"), once=True)

    # -- hits -----------------------------------------------------------------------------

    def on_lodged(self, session: Session, lodged: DeclarationLodged) -> None:
        """Handler of DeclarationLodged: each alert whose profile selected the declaration is
        a hit, recorded here and reported to the alert's administration (outbox), in the
        lodgement's transaction."""
        found = session.execute(
            select(AlertRow, SelectionRow.channel)
            .join(RuleHitRow, RuleHitRow.rule_id == AlertRow.id)
            .join(SelectionRow, SelectionRow.id == RuleHitRow.selection_id)
            .where(SelectionRow.subject_ref == lodged.number,
                   SelectionRow.subject_kind == "declaration")).all()
        if not found:
            return
        now = self.clock()
        seen = set(session.scalars(select(HitRow.alert).where(
            HitRow.declaration == lodged.number, HitRow.country == self.country)))
        for row, channel in found:
            if row.id in seen:
                continue
            seen.add(row.id)
            alert = row.alert()
            criteria = [c.describe() for c in alert.criteria]
            message_id = None
            ours = alert.country == self.country
            if not ours and self.send is not None:
                message_id = self.send(
                    session, customs_party(alert.country), messages.SERVICE, messages.HIT,
                    messages.hit_document(self.country, alert.id, lodged.number, now, criteria,
                                          Channel(channel)))
            session.add(HitRow(alert=alert.id, country=self.country,
                               declaration=lodged.number, hit_at=now, criteria=criteria,
                               channel=channel, reported=ours or message_id is not None,
                               message_id=message_id))

    # -- seizures -------------------------------------------------------------------------

    def record_seizure(self, draft: SeizureDraft, actor: Principal) -> SeizureView:
        """A seizure on a declaration lodged here, and the alert that led to it."""
        _officer(actor, "record seizures")
        problems = seizure_problems(draft.goods, draft.hs_code, draft.quantity, draft.unit,
                                    draft.concealment)
        with self.database.unit_of_work() as session:
            if draft.declaration is not None and session.scalar(
                    select(DeclarationRow.number)
                    .where(DeclarationRow.number == draft.declaration)) is None:
                problems.append(Problem("declaration", f"no declaration {draft.declaration} "
                                                       f"was lodged here"))
            operation = None
            if draft.alert is not None:
                alert_row = session.get(AlertRow, draft.alert)
                if alert_row is None:
                    problems.append(Problem("alert", f"no alert {draft.alert} at this node"))
                else:
                    operation = alert_row.operation
            if problems:
                raise InvalidAlert(problems)
            count = session.scalar(select(func.count()).select_from(SeizureRow)
                                   .where(SeizureRow.country == self.country)) or 0
            now = self.clock()
            row = SeizureRow(
                id=f"{self.country}-SEIZURE-{count + 1}", country=self.country,
                goods=draft.goods.strip(), hs_code=draft.hs_code, quantity=draft.quantity,
                unit=draft.unit.strip(), concealment=draft.concealment.strip(),
                declaration=draft.declaration, alert=draft.alert, operation=operation,
                shareable=draft.shareable, shared_at=None, seized_at=draft.seized_at or now,
                recorded_by=actor.username, received_at=None)
            session.add(row)
            try:
                session.flush()
            except IntegrityError:
                raise AlertConflict("another seizure was numbered at the same moment: record "
                                    "it again") from None
            if draft.shareable:
                self._share(session, row)
            return _seizure_view(self.country, row)

    def share_seizure(self, seizure_id: str, actor: Principal) -> SeizureView:
        """Share one of our seizures: with the operation's members when it came of an
        operation's alert, else with every partner."""
        _officer(actor, "share seizures")
        with self.database.unit_of_work() as session:
            row = session.get(SeizureRow, seizure_id, with_for_update=True)
            if row is None:
                raise UnknownSeizure(f"no seizure {seizure_id}")
            if row.country != self.country:
                raise Forbidden(f"seizure {seizure_id} is {row.country}'s to share")
            if row.shared_at is not None:
                raise AlertConflict(f"seizure {seizure_id} was shared already")
            row.shareable = True
            self._share(session, row)
            return _seizure_view(self.country, row)

    def _share(self, session: Session, row: SeizureRow) -> None:
        row.shared_at = self.clock()
        if self.send is None:
            return
        document = messages.seizure_document(row.seizure())
        for country in self._recipients(session, row.operation, []):
            self.send(session, customs_party(country), messages.SERVICE, messages.SEIZURE,
                      document)

    def seizures(self, reader: Principal, limit: int = 100) -> list[SeizureView]:
        _officer(reader, "see seizures")
        with self.database.unit_of_work() as session:
            rows = session.scalars(select(SeizureRow).order_by(SeizureRow.seized_at.desc())
                                   .limit(limit)).all()
            return [_seizure_view(self.country, r) for r in rows]

    def seizure(self, seizure_id: str, reader: Principal) -> SeizureView:
        _officer(reader, "see seizures")
        with self.database.unit_of_work() as session:
            row = session.get(SeizureRow, seizure_id)
            if row is None:
                raise UnknownSeizure(f"no seizure {seizure_id}")
            return _seizure_view(self.country, row)

    # -- what partners tell ---------------------------------------------------------------

    def admit(self, message: UserMessage) -> str | None:
        """The check on receipt of any enforcement message: why it cannot be taken (answered
        as an ebMS error, and logged), or None."""
        try:
            with self.database.unit_of_work() as session:
                self._refusal(session, message)
        except UnreadableEnforcementMessage as exc:
            return str(exc)
        return None

    def receive(self, session: Session, message: UserMessage) -> None:
        """Handler of every ENF action, in the inbox's transaction."""
        taken = self._refusal(session, message)
        now = self.clock()
        if isinstance(taken, JointOperation):
            if session.get(OperationRow, taken.code) is None:
                session.add(OperationRow(
                    code=taken.code, name=taken.name, coordinator=taken.coordinator,
                    members=sorted(taken.members), starts_on=taken.starts_on,
                    ends_on=taken.ends_on, created_by=None, recorded_at=now))
        elif isinstance(taken, Alert):
            if session.get(AlertRow, taken.id) is None:
                row = _alert_row(taken, raised_by=None)
                row.received_at, row.message_id = now, message.message_id
                session.add(row)
                session.flush()
                self._profile(session, taken)
        elif isinstance(taken, messages.Withdrawal):
            held = session.get(AlertRow, taken.alert)
            if held is not None and held.status == AlertStatus.ACTIVE.value:
                _withdrawn(held, now, taken.reason)
                self._retire_profile(session, taken.alert)
        elif isinstance(taken, messages.HitReport):
            if session.scalar(select(HitRow.id).where(
                    HitRow.alert == taken.alert, HitRow.country == taken.country,
                    HitRow.declaration == taken.declaration)) is None:
                session.add(HitRow(alert=taken.alert, country=taken.country,
                                   declaration=taken.declaration, hit_at=taken.at,
                                   criteria=list(taken.criteria), channel=taken.channel.value,
                                   reported=True, message_id=message.message_id))
        elif isinstance(taken, Seizure) and session.get(SeizureRow, taken.id) is None:
            session.add(SeizureRow(
                id=taken.id, country=taken.country, goods=taken.goods, hs_code=taken.hs_code,
                quantity=taken.quantity, unit=taken.unit, concealment=taken.concealment,
                declaration=taken.declaration, alert=taken.alert, operation=taken.operation,
                shareable=True, shared_at=None, seized_at=taken.seized_at, recorded_by=None,
                received_at=now))

    def _refusal(self, session: Session, message: UserMessage) -> object:
        """The message read and checked against what this node holds; raises
        UnreadableEnforcementMessage with the reason when it may not be taken."""
        payload, action = message.payload, message.action
        if action == messages.OPERATION:
            operation = messages.read_operation(payload)
            if not operation.includes(self.country):
                raise UnreadableEnforcementMessage(
                    f"{self.country} is not a member of joint operation {operation.code}")
            held = session.get(OperationRow, operation.code)
            if held is not None and held.coordinator != operation.coordinator:
                raise UnreadableEnforcementMessage(
                    f"joint operation {operation.code} is coordinated by {held.coordinator}")
            return operation
        if action == messages.ALERT:
            alert = messages.read_alert(payload)
            self._member_check(session, alert.recipients.operation, alert.country)
            return alert
        if action == messages.WITHDRAWAL:
            withdrawal = messages.read_withdrawal(payload)
            self._member_check(session, withdrawal.operation, withdrawal.administration)
            return withdrawal
        if action == messages.HIT:
            hit = messages.read_hit(payload)
            row = session.get(AlertRow, hit.alert)
            if alert_country(hit.alert) != self.country or row is None:
                raise UnreadableEnforcementMessage(f"{hit.alert} is not an alert of "
                                                   f"{self.country}")
            if row.operation is not None:
                self._member_check(session, row.operation, hit.country)
            return hit
        if action == messages.SEIZURE:
            seizure = messages.read_seizure(payload)
            self._member_check(session, seizure.operation, seizure.country)
            return seizure
        raise UnreadableEnforcementMessage(f"{action} is not an enforcement message")

    def _member_check(self, session: Session, operation: str | None, sender: str) -> None:
        """A message naming a joint operation comes from one of its members to one of them."""
        if operation is None:
            return
        row = session.get(OperationRow, operation)
        if row is None or self.country not in row.members:
            raise UnreadableEnforcementMessage(
                f"{self.country} is not a member of joint operation {operation}")
        if sender not in row.members:
            raise UnreadableEnforcementMessage(
                f"{sender} is not a member of joint operation {operation}")


def _operation_row(session: Session, code: str) -> OperationRow:
    row = session.get(OperationRow, code)
    if row is None:
        raise UnknownOperation(f"no joint operation {code} at this node")
    return row


def _alert_row(alert: Alert, raised_by: str | None) -> AlertRow:
    return AlertRow(
        id=alert.id, country=alert.country, category=alert.category.value, title=alert.title,
        description=alert.description,
        criteria=[criterion_document(c) for c in alert.criteria],
        concealment=list(alert.concealment), valid_from=alert.valid_from,
        valid_to=alert.valid_to, channel=alert.channel.value,
        operation=alert.recipients.operation, status=alert.status.value, raised_by=raised_by,
        raised_at=alert.raised_at, received_at=None, message_id=None, withdrawn_at=None,
        reason=None)


def _withdrawn(row: AlertRow, at: datetime, reason: str) -> None:
    row.status = ALERT.move(AlertStatus(row.status), AlertStatus.WITHDRAWN,
                            who=f"alert {row.id}").value
    row.withdrawn_at = at
    row.reason = reason[:2000]


def _seizure_view(country: str, row: SeizureRow) -> SeizureView:
    return SeizureView(row.seizure(), row.country == country, row.recorded_by, row.shared_at,
                       row.received_at)
