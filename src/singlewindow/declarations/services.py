"""Use cases of clearance: lodge, amend, correct, inspect, release, cancel, read.

Lodgement runs validation, valuation, duties and selectivity in one unit of work, so a
declaration is either stored with its number, duties, channel and payment notice, or not
stored at all. Every later step loads the declaration's state, asks the rules of
`declarations.lifecycle` and saves what they decided. Payments, refunds and guarantees are in
`declarations.settlement`; representations in `declarations.representation`.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import Any, Protocol

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from singlewindow.access.model import Principal, Role
from singlewindow.core.clock import utcnow
from singlewindow.core.countries import member_state
from singlewindow.core.db import Database
from singlewindow.core.errors import Problem
from singlewindow.core.events import EventBus
from singlewindow.declarations.assessment import (
    Assessment,
    PreferenceCheck,
    accepted_after_documentary_check,
    assess,
    documentary_preference_check,
    risk_subject,
)
from singlewindow.declarations.errors import (
    DuplicateLrn,
    InvalidDeclaration,
    NotYours,
    StaleVersion,
    UnknownDeclaration,
)
from singlewindow.declarations.events import DeclarationLodged, DeclarationReleased
from singlewindow.declarations.lifecycle import (
    Actor,
    LodgedDeclaration,
    notice_reference,
    representation_problem,
)
from singlewindow.declarations.model import (
    Declaration,
    DeclarationType,
    Settlement,
    Status,
    declaration_number,
    validate,
)
from singlewindow.declarations.ports import CrossCheck
from singlewindow.declarations.repository import (
    DeclarationRow,
    GuaranteeRow,
    GuaranteeUseRow,
    event_row,
    event_values,
    events_of,
    find,
    from_document,
    insert_lodged,
    lodged_numbers,
    lodged_state,
    new_declaration_row,
    next_serials,
    refund_row,
    representations_between,
    search,
    to_document,
    version_row,
    versions_of,
    write_state,
)
from singlewindow.reference.errors import OfficeRefused
from singlewindow.reference.model import Procedure
from singlewindow.reference.services import ReferenceData
from singlewindow.risk import services as selectivity
from singlewindow.risk.model import Channel, InspectionOutcome, RiskSubject, Selection
from singlewindow.risk.services import Selectivity, selectivity_of
from singlewindow.tariff.model import TariffBook
from singlewindow.tariff.services import TariffBooks, tariff_books

# Who logs the steps no person takes (a release by rule, a notice renewed).
SYSTEM = "customs-system"


class ReferenceBook(Protocol):
    """What clearance asks of the node's reference data (offices, exchange rates)."""

    def office_problem(self, code: str, procedure: str, on: date) -> str | None: ...

    def exchange_rate(self, currency: str, on: date) -> Decimal | None: ...


class PublishedReference:
    """The reference room's register and rate table, as clearance asks them."""

    def __init__(self, data: ReferenceData) -> None:
        self.data = data

    def office_problem(self, code: str, procedure: str, on: date) -> str | None:
        try:
            self.data.check_office(code, Procedure(procedure), on)
        except OfficeRefused as refused:
            return refused.problems[0].message
        return None

    def exchange_rate(self, currency: str, on: date) -> Decimal | None:
        published = self.data.rate(currency, on)
        return published.rate if published is not None else None


@dataclass(frozen=True)
class PaymentNotice:
    reference: str
    declaration: str
    amount: Decimal
    currency: str
    due_on: date
    status: str


@dataclass(frozen=True)
class DeclarationView:
    """A declaration as its readers see it."""

    id: str
    number: str
    status: Status
    version: int
    channel: Channel | None
    declaration: Declaration
    assessment: dict[str, Any]
    selection: dict[str, Any]
    settlement: Settlement
    lodged_at: datetime
    updated_at: datetime
    released_at: datetime | None
    released_by: str | None = None
    inspection: InspectionOutcome | None = None
    preference_pending: bool = False
    refundable: Decimal = Decimal(0)
    payment_notice: PaymentNotice | None = None

    @classmethod
    def of(
        cls, row: DeclarationRow | dict[str, Any], declaration: Declaration | None = None
    ) -> DeclarationView:
        """From a stored row, or from the values of a row just inserted (with the
        declaration it was made from, which spares reading the document back)."""
        value = row.__getitem__ if isinstance(row, dict) else partial(getattr, row)
        channel = value("channel")
        inspection = value("inspection")
        notice = None
        if value("notice_sequence") and Decimal(value("notice_amount")) > 0:
            notice = PaymentNotice(
                notice_reference(value("number"), value("notice_sequence")),
                value("number"),
                Decimal(value("notice_amount")),
                value("currency"),
                value("notice_due"),
                "open",
            )
        return cls(
            id=value("id"),
            number=value("number"),
            status=Status(value("status")),
            version=value("version"),
            channel=Channel(channel) if channel else None,
            declaration=declaration or from_document(value("data")),
            assessment=value("assessment"),
            selection=value("selection"),
            settlement=Settlement(
                value("currency"),
                Decimal(value("duties")),
                Decimal(value("paid")),
                Decimal(value("secured")),
            ),
            lodged_at=value("lodged_at"),
            updated_at=value("updated_at"),
            released_at=value("released_at"),
            released_by=value("released_by"),
            inspection=InspectionOutcome(inspection) if inspection else None,
            preference_pending=bool(value("preference_pending")),
            refundable=Decimal(value("refundable")),
            payment_notice=notice,
        )


@dataclass(frozen=True)
class EventLogEntry:
    """One step in a declaration's event log, as its readers see it."""

    at: datetime
    actor: str
    kind: str
    detail: dict[str, Any]


def actor_kind(principal: Principal) -> Actor:
    if principal.role in (Role.OFFICER, Role.ADMIN):
        return Actor.OFFICER
    if principal.role is Role.BANK:
        return Actor.BANK
    return Actor.TRADER


class Clearance:
    """The clearance use cases of one national node."""

    def __init__(
        self,
        database: Database,
        country: str,
        preference_check: PreferenceCheck | None = None,
        reference: ReferenceBook | None = None,
        *,
        cross_check: CrossCheck | None = None,
        bus: EventBus | None = None,
        selectivity: Selectivity | None = None,
        tariff: TariffBooks | None = None,
    ) -> None:
        self.database = database
        self.country = country
        self.selectivity = selectivity or selectivity_of(database)
        self.tariff = tariff or tariff_books(database)
        self.currency = member_state(country).currency
        self.preference_check = preference_check or documentary_preference_check(country)
        self.reference = reference or PublishedReference(ReferenceData(database, country))
        self.cross_check = cross_check
        # Other rooms handle what clearance publishes (DeclarationLodged, DeclarationReleased)
        # in the transaction of the change, so their effects commit with it.
        self.bus = bus or EventBus()

    # -- lodgement -------------------------------------------------------------------

    def lodge(
        self, draft: Declaration, actor: Principal, on: date | None = None
    ) -> DeclarationView:
        """Validate, number, assess and channel a declaration; store it or nothing."""
        return self.lodge_many([draft], actor, on)[0]

    def lodge_many(
        self, drafts: Sequence[Declaration], actor: Principal, on: date | None = None
    ) -> list[DeclarationView]:
        """Lodge several declarations in one transaction (all or none): the batch path."""
        on = on or utcnow().date()
        book = self.tariff.book(self.country)
        problems: list[Problem] = []
        prepared: list[tuple[Assessment, RiskSubject, Selection]] = []
        checked: list[Declaration] = []
        for index, draft in enumerate(drafts):
            prefix = f"{index}." if len(drafts) > 1 else ""
            draft, found = self._check(draft, actor, book, on)
            checked.append(draft)
            problems.extend(Problem(prefix + p.path, p.message) for p in found)
            if not found:
                prepared.append(self._prepare(draft, book, on))
        if problems:
            raise InvalidDeclaration(problems)
        keys = [(d.declarant.id, d.lrn) for d in checked]
        if len(set(keys)) < len(keys):
            raise DuplicateLrn("the same LRN appears twice in the batch")
        now = utcnow()
        try:
            return self._store(checked, prepared, actor, now)
        except IntegrityError:
            # The unique (declarant, LRN) index refused the batch; nothing was stored. Say
            # which LRNs were lodged before (a query only on this rare path).
            with self.database.unit_of_work() as session:
                lodged = lodged_numbers(session, keys)
            if not lodged:
                raise
            raise DuplicateLrn(
                "; ".join(
                    f"LRN {lrn} of declarant {d} was already lodged as {number}; a new"
                    " declaration needs a new LRN"
                    for d, lrn, number in lodged
                )
            ) from None

    def _store(
        self,
        drafts: Sequence[Declaration],
        prepared: list[tuple[Assessment, RiskSubject, Selection]],
        actor: Principal,
        now: datetime,
    ) -> list[DeclarationView]:
        with self.database.unit_of_work() as session:
            serials = next_serials(session, f"declaration-{self.country}-{now:%y}", len(drafts))
            rows: list[dict[str, Any]] = []
            events: list[dict[str, Any]] = []
            selections = []
            for serial, draft, (assessment, subject, selection) in zip(
                serials, drafts, prepared, strict=True
            ):
                selection = self._cross_checked(session, draft, selection)
                row = self._new_row(draft, assessment, selection, serial, now)
                rows.append(row)
                events.extend(self._lodgement_events(row, actor, assessment, selection, now))
                selections.append((row["number"], "declaration", subject, selection))
            # Core inserts: one statement per table for the whole batch.
            insert_lodged(session, rows, events)
            selectivity.record_selections(session, selections)
            views = [
                DeclarationView.of(row, draft) for row, draft in zip(rows, drafts, strict=True)
            ]
            for view in views:
                self.bus.publish(session, DeclarationLodged(view.number, view.declaration))
                if view.status is Status.RELEASED:
                    self.bus.publish(session, released(view))
        return views

    def _cross_checked(
        self, session: Session, draft: Declaration, selection: Selection
    ) -> Selection:
        mismatches = self.cross_check(session, draft) if self.cross_check is not None else []
        if not mismatches:
            return selection
        return _at_least_yellow(selection, mismatches)

    def _check(
        self, draft: Declaration, actor: Principal, book: TariffBook, on: date
    ) -> tuple[Declaration, list[Problem]]:
        """The draft with customs' exchange rate filled in, and every problem with it."""
        if actor.role is Role.TRADER and draft.declarant.id != actor.party_id:
            raise NotYours(
                f"you act for {actor.party_id}; a declaration you lodge names you as declarant"
            )
        draft, problems = self._with_exchange_rate(draft, on)
        problems += validate(draft, self.country, lambda code: book.line(code, on) is not None)
        procedure = "import" if draft.type is DeclarationType.IMPORT else "export"
        office = self.reference.office_problem(draft.office, procedure, on)
        if office:
            problems.append(Problem("office", office))
        for index, item in enumerate(draft.items):
            line = book.line(item.commodity_code, on)
            if line is not None and item.quantity_unit != line.unit:
                problems.append(
                    Problem(
                        f"items.{index}.quantity_unit",
                        f"tariff line {line.dotted_code} is declared in {line.unit}, "
                        f"not {item.quantity_unit}",
                    )
                )
        trader = draft.trader
        if trader is not None and trader.id != draft.declarant.id:
            with self.database.unit_of_work() as session:
                held = representations_between(session, draft.declarant.id, trader.id)
            why_not = representation_problem(draft.declarant.id, trader.id, held, on)
            if why_not:
                problems.append(Problem("declarant", why_not))
        return draft, problems

    def _with_exchange_rate(
        self, draft: Declaration, on: date
    ) -> tuple[Declaration, list[Problem]]:
        """Customs publishes the rate of each currency for each period; the declaration
        uses it (filled in when left out, refused when it differs)."""
        currency = draft.invoice_currency
        if currency == self.currency:
            rate: Decimal | None = Decimal(1)
        else:
            rate = self.reference.exchange_rate(currency, on)
        if rate is None:
            return draft, [
                Problem(
                    "invoice_currency",
                    f"customs publishes no exchange rate for {currency} on {on}",
                )
            ]
        if draft.exchange_rate is None:
            return replace(draft, exchange_rate=rate), []
        if draft.exchange_rate != rate:
            return draft, [
                Problem(
                    "exchange_rate",
                    f"customs' rate for {currency} on {on} is {rate} {self.currency};"
                    f" {draft.exchange_rate} was declared (leave it out to have it filled in)",
                )
            ]
        return draft, []

    def _prepare(
        self, draft: Declaration, book: TariffBook, on: date
    ) -> tuple[Assessment, RiskSubject, Selection]:
        assessment = assess(draft, book, on, self.currency, self.preference_check)
        subject = risk_subject(draft, assessment, book, on)
        selection = self.selectivity.decide(subject, on)
        if assessment.preference_pending:
            selection = _at_least_yellow(
                selection,
                [
                    f"preference claimed on proof of origin {draft.proof_of_origin}, which this"
                    " node cannot verify electronically: documentary check of the proof"
                ],
            )
        return assessment, subject, selection

    def _new_row(
        self,
        draft: Declaration,
        assessment: Assessment,
        selection: Selection,
        serial: int,
        now: datetime,
    ) -> dict[str, Any]:
        number = declaration_number(self.country, now.date(), draft.office, serial)
        state = LodgedDeclaration.lodge(
            number,
            self.currency,
            assessment.total,
            selection.channel,
            assessment.preference_pending,
            now.date(),
        )
        return new_declaration_row(
            draft, state, assessment.as_document(), selection.as_dict(), now
        )

    def _lodgement_events(
        self,
        row: dict[str, Any],
        actor: Principal,
        assessment: Assessment,
        selection: Selection,
        now: datetime,
    ) -> list[dict[str, Any]]:
        def event(kind: str, detail: dict[str, Any], by: str = actor.username) -> dict[str, Any]:
            return event_values(row["id"], now, by, kind, detail)

        events = [
            event("lodged", {"lrn": row["lrn"]}),
            event("accepted", {"number": row["number"]}),
            event("assessed", {"total": str(assessment.total), "currency": self.currency}),
            event("channelled", selection.as_dict()),
        ]
        if row["status"] == Status.RELEASED.value:
            events.append(event("released", {"by": row["released_by"]}, SYSTEM))
        return events

    # -- reading ---------------------------------------------------------------------

    def get(self, number: str, reader: Principal) -> DeclarationView:
        with self.database.unit_of_work() as session:
            return DeclarationView.of(self._visible(session, number, reader))

    def list(
        self,
        reader: Principal,
        status: Status | None = None,
        channel: Channel | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[DeclarationView], int]:
        conditions = list(_visibility(reader))
        if status is not None:
            conditions.append(DeclarationRow.status == status.value)
        if channel is not None:
            conditions.append(DeclarationRow.channel == channel.value)
        with self.database.unit_of_work() as session:
            rows, total = search(session, conditions, limit, offset)
            return [DeclarationView.of(r) for r in rows], total

    def events(self, number: str, reader: Principal) -> builtins.list[EventLogEntry]:
        with self.database.unit_of_work() as session:
            row = self._visible(session, number, reader)
            return [
                EventLogEntry(e.at, e.actor, e.kind, e.detail)
                for e in events_of(session, row.id)
            ]

    def versions(
        self, number: str, reader: Principal
    ) -> builtins.list[tuple[int, Declaration, datetime]]:
        """Every earlier version, oldest first, then the current one."""
        with self.database.unit_of_work() as session:
            row = self._visible(session, number, reader)
            earlier = versions_of(session, row.id)
            result = [(v.version, from_document(v.data), v.recorded_at) for v in earlier]
            result.append((row.version, from_document(row.data), row.updated_at))
            return result

    def _visible(self, session: Session, number: str, reader: Principal) -> DeclarationRow:
        row = find(session, number)
        if row is None or not may_see(reader, row):
            raise UnknownDeclaration(f"no declaration {number} that you may see")
        return row

    # -- changes of data -------------------------------------------------------------

    def amend(
        self, number: str, draft: Declaration, expected_version: int, actor: Principal
    ) -> DeclarationView:
        """The declarant replaces the data of an unselected declaration before release;
        duties are re-assessed and the channel can only get stricter."""
        on = utcnow().date()
        book = self.tariff.book(self.country)
        with self.database.unit_of_work() as session:
            row = self.load_for_change(session, number, actor, expected_version)
            state = lodged_state(row)
            state.check_trader_amendment()
            draft = self._same_identity(row, draft, "")
            draft, problems = self._check(draft, actor, book, on)
            if problems:
                raise InvalidDeclaration(problems)
            assessment, subject, selection = self._prepare(draft, book, on)
            self._keep_version(session, row, actor)
            self._replace_data(row, draft, assessment)
            state.reassess(assessment.total, Actor.TRADER)
            state.preference_pending = assessment.preference_pending
            old = Channel(row.channel) if row.channel else Channel.GREEN
            if selection.channel.severity > old.severity and row.status == Status.CHANNELLED:
                row.channel = selection.channel.value
                state.channel = selection.channel
                row.selection = selection.as_dict()
                selectivity.record_selections(
                    session, [(number, "declaration", subject, selection)]
                )
            self.record_event(
                session,
                row,
                actor,
                "amended",
                {"version": row.version, "total": str(assessment.total)},
            )
            return self.save_state(session, row, state, actor)

    def correct(
        self,
        number: str,
        draft: Declaration,
        reason: str,
        expected_version: int,
        actor: Principal,
    ) -> DeclarationView:
        """An officer corrects the data before release, with a reason. A correction that
        lowers the duties is a finding of its own in the event log."""
        if actor_kind(actor) is not Actor.OFFICER:
            raise NotYours("only a customs officer corrects a declaration's data")
        on = utcnow().date()
        book = self.tariff.book(self.country)
        with self.database.unit_of_work() as session:
            row = self.load_for_change(session, number, actor, expected_version)
            state = lodged_state(row)
            state.check_officer_correction(reason)
            draft = self._same_identity(row, draft, "")
            draft, problems = self._check(draft, actor, book, on)
            if problems:
                raise InvalidDeclaration(problems)
            assessment = assess(draft, book, on, self.currency, self.preference_check)
            before = Decimal(row.duties)
            self._keep_version(session, row, actor)
            self._replace_data(row, draft, assessment)
            state.reassess(assessment.total, Actor.OFFICER, reason)
            state.preference_pending = assessment.preference_pending
            self.record_event(
                session,
                row,
                actor,
                "corrected",
                {
                    "version": row.version,
                    "reason": reason,
                    "duty_difference": str(assessment.total - before),
                },
            )
            return self.save_state(session, row, state, actor)

    def record_inspection(
        self,
        number: str,
        outcome: InspectionOutcome,
        actor: Principal,
        findings: str = "",
        corrected: Declaration | None = None,
    ) -> DeclarationView:
        """The officer's result; a discrepancy comes with corrected data and re-assessed
        duties; a clean documentary check accepts a proof of origin the node could not
        verify; every result goes back to selectivity (hit rates, learning)."""
        on = utcnow().date()
        with self.database.unit_of_work() as session:
            row = self._officer_row(session, number, actor)
            state = lodged_state(row)
            if outcome is InspectionOutcome.DISCREPANCY and corrected is None:
                raise InvalidDeclaration(
                    [Problem("corrected", "a discrepancy comes with the corrected declaration")]
                )
            state.record_inspection(outcome)
            book = self.tariff.book(self.country)
            difference = None
            if corrected is not None:
                current = from_document(row.data)
                corrected = replace(corrected, lrn=current.lrn)
                if corrected.exchange_rate is None:
                    corrected = replace(corrected, exchange_rate=current.exchange_rate)
                problems = validate(
                    corrected, self.country, lambda code: book.line(code, on) is not None
                )
                if problems:
                    raise InvalidDeclaration(
                        [replace(p, path="corrected." + p.path) for p in problems]
                    )
                assessment = assess(corrected, book, on, self.currency, self.preference_check)
                difference = assessment.total - Decimal(row.duties)
                self._keep_version(session, row, actor)
                self._replace_data(row, corrected, assessment)
                state.reassess(assessment.total, Actor.OFFICER, findings)
                state.preference_pending = assessment.preference_pending
            elif state.preference_pending and outcome is InspectionOutcome.NO_DISCREPANCY:
                draft = from_document(row.data)
                check = accepted_after_documentary_check(self.preference_check, actor.username)
                assessment = assess(draft, book, on, self.currency, check)
                self._keep_version(session, row, actor)
                self._replace_data(row, draft, assessment)
                state.grant_pending_preference(assessment.total)
                self.record_event(
                    session,
                    row,
                    actor,
                    "preference granted",
                    {"proof_of_origin": draft.proof_of_origin, "total": str(assessment.total)},
                )
            self.record_event(
                session,
                row,
                actor,
                "inspected",
                {
                    "outcome": outcome.value,
                    "findings": findings,
                    "duty_difference": str(difference) if difference is not None else None,
                },
            )
            selectivity.record_outcome(session, number, outcome, difference)
            if outcome is InspectionOutcome.SEIZURE:
                self.record_event(session, row, actor, "seized", {"findings": findings})
            return self.save_state(session, row, state, actor)

    def release(self, number: str, actor: Principal) -> DeclarationView:
        with self.database.unit_of_work() as session:
            row = self._officer_row(session, number, actor)
            state = lodged_state(row)
            state.release(actor.username)
            return self.save_state(session, row, state, actor)

    def cancel(self, number: str, reason: str, actor: Principal) -> DeclarationView:
        with self.database.unit_of_work() as session:
            row = self.load_for_change(session, number, actor)
            state = lodged_state(row)
            state.cancel(actor_kind(actor), reason)
            self.record_event(session, row, actor, "cancelled", {"reason": reason})
            return self.save_state(session, row, state, actor)

    # -- load and save (shared with settlement) -----------------------------------------

    def load_for_change(
        self,
        session: Session,
        number: str,
        actor: Principal,
        expected_version: int | None = None,
    ) -> DeclarationRow:
        row = find(session, number, lock=True)
        if row is None or not may_see(actor, row):
            raise UnknownDeclaration(f"no declaration {number} that you may change")
        if expected_version is not None and row.version != expected_version:
            raise StaleVersion(
                f"declaration {number} is at version {row.version}, not {expected_version};"
                " read it again and change the current version"
            )
        return row

    def _officer_row(self, session: Session, number: str, actor: Principal) -> DeclarationRow:
        if actor_kind(actor) is not Actor.OFFICER:
            raise NotYours("only a customs officer records inspections and releases goods")
        return self.load_for_change(session, number, actor)

    def _same_identity(self, row: DeclarationRow, draft: Declaration, path: str) -> Declaration:
        current = from_document(row.data)
        if (draft.lrn, draft.declarant.id, draft.type) != (
            current.lrn,
            current.declarant.id,
            current.type,
        ):
            raise InvalidDeclaration(
                [Problem(path + "lrn", "a change keeps the LRN, declarant and type")]
            )
        return draft

    def _replace_data(
        self, row: DeclarationRow, draft: Declaration, assessment: Assessment
    ) -> None:
        row.data = to_document(draft)
        row.assessment = assessment.as_document()
        row.version += 1

    def _keep_version(self, session: Session, row: DeclarationRow, actor: Principal) -> None:
        session.add(version_row(row, utcnow(), actor.username))

    def save_state(
        self, session: Session, row: DeclarationRow, state: LodgedDeclaration, actor: Principal
    ) -> DeclarationView:
        """Write back what the rules decided: release by rule when it is due, discharge
        guarantees no longer needed, credit overpayments, renew the payment notice."""
        if state.status is not Status.RELEASED:
            rule = state.release_rule()
            if rule is not None:
                state.release(rule)
        now = utcnow()
        was_released = row.status == Status.RELEASED.value
        discharged = Decimal(row.secured) - state.secured
        state.renew_notice(now.date())
        write_state(row, state, now)
        if discharged > 0:
            discharge_guarantees(session, row, discharged, now)
        for kind, detail in state.events:
            if kind == "credited":
                session.add(
                    refund_row(row.id, Decimal(str(detail["amount"])), row.currency, now)
                )
            self.record_event(session, row, actor, kind, detail)
        state.events.clear()
        if state.status is Status.RELEASED and not was_released:
            row.released_at = now
            row.released_by = state.released_by
            by = SYSTEM if (state.released_by or "").startswith("rule:") else actor.username
            session.add(event_row(row.id, now, by, "released", {"by": state.released_by}))
            view = DeclarationView.of(row)
            self.bus.publish(session, released(view))
            return view
        return DeclarationView.of(row)

    def record_event(
        self,
        session: Session,
        row: DeclarationRow,
        actor: Principal,
        kind: str,
        detail: dict[str, Any],
    ) -> None:
        session.add(event_row(row.id, utcnow(), actor.username, kind, detail))


def released(view: DeclarationView) -> DeclarationReleased:
    assert view.released_at is not None
    return DeclarationReleased(view.number, view.declaration, view.released_at, view.released_by)


def _at_least_yellow(selection: Selection, reasons: Iterable[str]) -> Selection:
    channel = max(selection.channel, Channel.YELLOW, key=lambda c: c.severity)
    return replace(selection, channel=channel, reasons=selection.reasons + tuple(reasons))


def discharge_guarantees(
    session: Session, row: DeclarationRow, amount: Decimal, now: datetime
) -> None:
    """Give `amount` of security back to the guarantees that secured this declaration,
    oldest use first."""
    for use in session.scalars(
        select(GuaranteeUseRow)
        .where(GuaranteeUseRow.declaration_id == row.id)
        .order_by(GuaranteeUseRow.secured_at)
    ):
        held = Decimal(use.amount) - Decimal(use.discharged)
        part = min(held, amount)
        if part <= 0:
            continue
        use.discharged = Decimal(use.discharged) + part
        use.discharged_at = now
        guarantee = session.get(GuaranteeRow, use.guarantee_ref, with_for_update=True)
        assert guarantee is not None
        guarantee.used = Decimal(guarantee.used) - part
        amount -= part
        if amount <= 0:
            break


def may_see(reader: Principal, row: DeclarationRow) -> bool:
    """Admins see every declaration, an officer its office's, a trader those it declares
    or is declared for; other roles none."""
    if reader.role is Role.ADMIN:
        return True
    if reader.role is Role.OFFICER:
        return row.office == reader.office
    if reader.role is not Role.TRADER:
        return False
    return reader.party_id in (row.declarant_id, row.trader_id)


def _visibility(reader: Principal) -> Iterable[Any]:
    if reader.role is Role.OFFICER:
        yield DeclarationRow.office == reader.office
    elif reader.role is not Role.ADMIN:
        yield or_(
            DeclarationRow.declarant_id == reader.party_id,
            DeclarationRow.trader_id == reader.party_id,
        )
