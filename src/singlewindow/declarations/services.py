"""Use cases of clearance: lodge, amend, pay, secure, inspect, release, cancel, read.

Lodgement runs validation, valuation, duties and selectivity in one unit of work, so a
declaration is either stored with its number, duties and channel, or not stored at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from singlewindow.access.model import Principal, Role
from singlewindow.core.clock import utcnow
from singlewindow.core.countries import member_state
from singlewindow.core.db import Database
from singlewindow.core.errors import Problem
from singlewindow.core.ids import new_id
from singlewindow.core.money import round_to_minor_unit
from singlewindow.declarations.assessment import (
    Assessment,
    PreferenceCheck,
    assess,
    documentary_preference_check,
    risk_subject,
)
from singlewindow.declarations.errors import (
    DeclarationConflict,
    DuplicateLrn,
    InvalidDeclaration,
    NotYours,
    StaleVersion,
    UnknownDeclaration,
    UnknownGuarantee,
)
from singlewindow.declarations.model import (
    AMENDABLE,
    Declaration,
    Settlement,
    Status,
    TransitionRefused,
    check_transition,
    declaration_number,
    releasable,
    validate,
)
from singlewindow.declarations.repository import (
    DeclarationEventRow,
    DeclarationRow,
    DeclarationVersionRow,
    GuaranteeRow,
    GuaranteeUseRow,
    PaymentRow,
    find,
    from_document,
    lodged_numbers,
    next_serials,
    to_document,
)
from singlewindow.risk import services as selectivity
from singlewindow.risk.model import Channel, InspectionOutcome, RiskSubject, Selection
from singlewindow.tariff.services import TariffBook, tariff_book


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

    @classmethod
    def of(
        cls, row: DeclarationRow | dict[str, Any], declaration: Declaration | None = None
    ) -> DeclarationView:
        """From a stored row, or from the values of a row just inserted (with the
        declaration it was made from, which spares reading the document back)."""
        value = row.__getitem__ if isinstance(row, dict) else partial(getattr, row)
        channel = value("channel")
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
        )


def _settlement(row: DeclarationRow) -> Settlement:
    return Settlement(row.currency, Decimal(row.duties), Decimal(row.paid), Decimal(row.secured))


@dataclass(frozen=True)
class Event:
    at: datetime
    actor: str
    kind: str
    detail: dict[str, Any]


class Clearance:
    """The clearance use cases of one national node."""

    def __init__(
        self,
        database: Database,
        country: str,
        preference_check: PreferenceCheck | None = None,
    ) -> None:
        self.database = database
        self.country = country
        self.currency = member_state(country).currency
        self.preference_check = preference_check or documentary_preference_check(country)
        # Other rooms subscribe here (e.g. the ACDD goes out when an export is released);
        # each hook runs in the release's transaction, so its effects commit with it.
        self.on_release: list[Callable[[Session, DeclarationView], None]] = []
        # Checks against what partners sent (the ACDD): each mismatch is a reason that sends
        # the declaration to at least a documentary check.
        self.cross_checks: list[Callable[[Session, Declaration], list[str]]] = []
        # Run in the lodgement's transaction once the declaration has its number.
        self.on_lodged: list[Callable[[Session, DeclarationView], None]] = []

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
        book = tariff_book(self.database, self.country)
        problems: list[Problem] = []
        prepared: list[tuple[Assessment, RiskSubject, Selection]] = []
        for index, draft in enumerate(drafts):
            prefix = f"{index}." if len(drafts) > 1 else ""
            found = self._check(draft, actor, book, on)
            problems.extend(Problem(prefix + p.path, p.message) for p in found)
            if not found:
                prepared.append(self._prepare(draft, book, on))
        if problems:
            raise InvalidDeclaration(problems)
        keys = [(d.declarant.id, d.lrn) for d in drafts]
        if len(set(keys)) < len(keys):
            raise DuplicateLrn("the same LRN appears twice in the batch")
        now = utcnow()
        try:
            return self._store(drafts, prepared, actor, now)
        except IntegrityError:
            # The unique (declarant, LRN) index refused the batch; nothing was stored. Say
            # which LRNs were lodged before (a query only on this rare path).
            with self.database.unit_of_work() as session:
                lodged = lodged_numbers(session, keys)
            if not lodged:
                raise
            raise DuplicateLrn(
                "; ".join(
                    f"LRN {lrn} of declarant {d} was already lodged as {number}"
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
            session.execute(DeclarationRow.__table__.insert(), rows)
            session.execute(DeclarationEventRow.__table__.insert(), events)
            selectivity.record_selections(session, selections)
            views = [
                DeclarationView.of(row, draft) for row, draft in zip(rows, drafts, strict=True)
            ]
            for view in views:
                for hook in self.on_lodged:
                    hook(session, view)
                if view.status is Status.RELEASED:
                    for hook in self.on_release:
                        hook(session, view)
        return views

    def _cross_checked(
        self, session: Session, draft: Declaration, selection: Selection
    ) -> Selection:
        mismatches = [reason for check in self.cross_checks for reason in check(session, draft)]
        if not mismatches:
            return selection
        channel = max(selection.channel, Channel.YELLOW, key=lambda c: c.severity)
        return replace(selection, channel=channel, reasons=selection.reasons + tuple(mismatches))

    def _check(
        self, draft: Declaration, actor: Principal, book: TariffBook, on: date
    ) -> list[Problem]:
        if actor.role is Role.TRADER and draft.declarant.id != actor.party_id:
            raise NotYours(
                f"you act for {actor.party_id}; a declaration you lodge names you as declarant"
            )
        problems = validate(draft, self.country, lambda code: book.line(code, on) is not None)
        for index, item in enumerate(draft.items):
            line = book.line(item.commodity_code, on)
            if line is not None and line.unit != "kg" and item.quantity_unit != line.unit:
                problems.append(
                    Problem(
                        f"items.{index}.quantity_unit",
                        f"tariff line {line.dotted_code} is declared in {line.unit}, "
                        f"not {item.quantity_unit}",
                    )
                )
        return problems

    def _prepare(
        self, draft: Declaration, book: TariffBook, on: date
    ) -> tuple[Assessment, RiskSubject, Selection]:
        assessment = assess(draft, book, on, self.currency, self.preference_check)
        subject = risk_subject(draft, assessment, book, on)
        selection = selectivity.decide(self.database, subject, on)
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
        duties = assessment.total
        status = Status.CHANNELLED
        released_at = None
        if selection.channel is Channel.GREEN and duties == 0:
            status, released_at = Status.RELEASED, now
        trader = draft.trader
        return {
            "id": new_id(),
            "number": number,
            "lrn": draft.lrn,
            "type": draft.type.value,
            "declarant_id": draft.declarant.id,
            "trader_id": trader.id if trader else draft.declarant.id,
            "office": draft.office,
            "status": status.value,
            "channel": selection.channel.value,
            "version": 1,
            "data": to_document(draft),
            "assessment": assessment.as_document(),
            "selection": selection.as_dict(),
            "currency": self.currency,
            "duties": duties,
            "paid": Decimal(0),
            "secured": Decimal(0),
            "lodged_at": now,
            "updated_at": now,
            "released_at": released_at,
        }

    def _lodgement_events(
        self,
        row: dict[str, Any],
        actor: Principal,
        assessment: Assessment,
        selection: Selection,
        now: datetime,
    ) -> list[dict[str, Any]]:
        def event(kind: str, detail: dict[str, Any]) -> dict[str, Any]:
            return {
                "declaration_id": row["id"],
                "at": now,
                "actor": actor.username,
                "kind": kind,
                "detail": detail,
            }

        events = [
            event("lodged", {"lrn": row["lrn"]}),
            event("accepted", {"number": row["number"]}),
            event("assessed", {"total": str(assessment.total), "currency": self.currency}),
            event("channelled", selection.as_dict()),
        ]
        if row["status"] == Status.RELEASED.value:
            events.append(event("released", {"reason": "green channel, nothing owed"}))
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
        query = select(DeclarationRow)
        count = select(func.count()).select_from(DeclarationRow)
        conditions = list(_visibility(reader))
        if status is not None:
            conditions.append(DeclarationRow.status == status.value)
        if channel is not None:
            conditions.append(DeclarationRow.channel == channel.value)
        if conditions:
            query = query.where(*conditions)
            count = count.where(*conditions)
        with self.database.unit_of_work() as session:
            rows = session.scalars(
                query.order_by(DeclarationRow.lodged_at.desc(), DeclarationRow.number.desc())
                .limit(limit)
                .offset(offset)
            ).all()
            return [DeclarationView.of(r) for r in rows], session.scalar(count) or 0

    def events(self, number: str, reader: Principal) -> list[Event]:
        with self.database.unit_of_work() as session:
            row = self._visible(session, number, reader)
            return [
                Event(e.at, e.actor, e.kind, e.detail)
                for e in session.scalars(
                    select(DeclarationEventRow)
                    .where(DeclarationEventRow.declaration_id == row.id)
                    .order_by(DeclarationEventRow.id)
                )
            ]

    def versions(self, number: str, reader: Principal) -> list[tuple[int, Declaration, datetime]]:
        """Every earlier version, oldest first, then the current one."""
        with self.database.unit_of_work() as session:
            row = self._visible(session, number, reader)
            earlier = session.scalars(
                select(DeclarationVersionRow)
                .where(DeclarationVersionRow.declaration_id == row.id)
                .order_by(DeclarationVersionRow.version)
            ).all()
            result = [(v.version, from_document(v.data), v.recorded_at) for v in earlier]
            result.append((row.version, from_document(row.data), row.updated_at))
            return result

    def _visible(self, session: Session, number: str, reader: Principal) -> DeclarationRow:
        row = find(session, number)
        if row is None or not _may_see(reader, row):
            raise UnknownDeclaration(f"no declaration {number} that you may see")
        return row

    # -- changes ---------------------------------------------------------------------

    def amend(
        self, number: str, draft: Declaration, expected_version: int, actor: Principal
    ) -> DeclarationView:
        """Replace the declaration's data before release; duties are re-assessed and the
        channel can only get stricter (an amendment must not undo a selection)."""
        on = utcnow().date()
        book = tariff_book(self.database, self.country)
        with self.database.unit_of_work() as session:
            row = self._changeable(session, number, actor)
            if row.version != expected_version:
                raise StaleVersion(
                    f"declaration {number} is at version {row.version}, not {expected_version};"
                    " read it again and amend the current version"
                )
            if Status(row.status) not in AMENDABLE:
                raise DeclarationConflict(
                    f"a declaration that is {row.status} can no longer be amended"
                )
            current = from_document(row.data)
            if (draft.lrn, draft.declarant.id, draft.type) != (
                current.lrn,
                current.declarant.id,
                current.type,
            ):
                raise InvalidDeclaration(
                    [Problem("lrn", "an amendment keeps the LRN, declarant and type")]
                )
            problems = self._check(draft, actor, book, on)
            if problems:
                raise InvalidDeclaration(problems)
            assessment, subject, selection = self._prepare(draft, book, on)
            self._keep_version(session, row, actor)
            row.data = to_document(draft)
            row.assessment = assessment.as_document()
            row.duties = assessment.total
            row.version += 1
            row.updated_at = utcnow()
            old = Channel(row.channel) if row.channel else Channel.GREEN
            if selection.channel.severity > old.severity and row.status == Status.CHANNELLED:
                row.channel = selection.channel.value
                row.selection = selection.as_dict()
                selectivity.record_selections(
                    session, [(number, "declaration", subject, selection)]
                )
            self._log(
                session,
                row,
                actor,
                "amended",
                {"version": row.version, "total": str(assessment.total)},
            )
            return DeclarationView.of(row)

    def record_payment(
        self, number: str, amount: Decimal, bank_reference: str, actor: Principal
    ) -> DeclarationView:
        problems = []
        if amount <= 0:
            problems.append(Problem("amount", "a payment is greater than zero"))
        if not bank_reference.strip():
            problems.append(Problem("bank_reference", "the bank reference is required"))
        if problems:
            raise InvalidDeclaration(problems)
        with self.database.unit_of_work() as session:
            row = self._changeable(session, number, actor)
            if session.get(PaymentRow, bank_reference) is not None:
                raise DeclarationConflict(f"payment {bank_reference} was already recorded")
            if Status(row.status) in (Status.RELEASED, Status.CANCELLED, Status.SEIZED):
                raise DeclarationConflict(f"a declaration that is {row.status} takes no payment")
            amount = round_to_minor_unit(amount, row.currency)
            session.add(
                PaymentRow(
                    bank_reference=bank_reference,
                    declaration_id=row.id,
                    amount=amount,
                    currency=row.currency,
                    paid_at=utcnow(),
                    recorded_by=actor.username,
                )
            )
            row.paid = Decimal(row.paid) + amount
            self._log(
                session,
                row,
                actor,
                "paid",
                {"amount": str(amount), "bank_reference": bank_reference},
            )
            self._release_if_due(session, row, actor)
            return DeclarationView.of(row)

    def secure(self, number: str, guarantee_ref: str, actor: Principal) -> DeclarationView:
        """Secure what is still owed against the trader's guarantee."""
        with self.database.unit_of_work() as session:
            row = self._changeable(session, number, actor)
            guarantee = session.get(GuaranteeRow, guarantee_ref, with_for_update=True)
            if guarantee is None or not _may_use(actor, guarantee, row):
                raise UnknownGuarantee(f"no guarantee {guarantee_ref} for {row.trader_id}")
            owed = _settlement(row).outstanding
            if owed == 0:
                raise DeclarationConflict(f"nothing is owed on {number}")
            if guarantee.currency != row.currency:
                raise DeclarationConflict(f"guarantee {guarantee_ref} is in {guarantee.currency}")
            available = Decimal(guarantee.amount) - Decimal(guarantee.used)
            if available < owed:
                raise DeclarationConflict(
                    f"guarantee {guarantee_ref} has {available} {guarantee.currency} available;"
                    f" {owed} is owed"
                )
            guarantee.used = Decimal(guarantee.used) + owed
            session.add(
                GuaranteeUseRow(
                    guarantee_ref=guarantee_ref,
                    declaration_id=row.id,
                    amount=owed,
                    secured_at=utcnow(),
                )
            )
            row.secured = Decimal(row.secured) + owed
            self._log(
                session, row, actor, "secured", {"guarantee": guarantee_ref, "amount": str(owed)}
            )
            self._release_if_due(session, row, actor)
            return DeclarationView.of(row)

    def record_inspection(
        self,
        number: str,
        outcome: InspectionOutcome,
        actor: Principal,
        findings: str = "",
        corrected: Declaration | None = None,
    ) -> DeclarationView:
        """The officer's result; a discrepancy comes with corrected data and re-assessed
        duties; every result goes back to selectivity (hit rates, learning)."""
        on = utcnow().date()
        with self.database.unit_of_work() as session:
            row = self._officer_row(session, number, actor)
            current = Status(row.status)
            try:
                check_transition(current, Status.INSPECTED)
            except TransitionRefused as refused:
                raise DeclarationConflict(str(refused)) from None
            if outcome is InspectionOutcome.DISCREPANCY and corrected is None:
                raise InvalidDeclaration(
                    [Problem("corrected", "a discrepancy comes with the corrected declaration")]
                )
            difference = None
            if corrected is not None:
                book = tariff_book(self.database, self.country)
                corrected = replace(corrected, lrn=from_document(row.data).lrn)
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
                row.data = to_document(corrected)
                row.assessment = assessment.as_document()
                row.duties = assessment.total
                row.version += 1
            row.status = Status.INSPECTED.value
            row.updated_at = utcnow()
            self._log(
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
                row.status = Status.SEIZED.value
                self._log(session, row, actor, "seized", {"findings": findings})
            else:
                self._release_if_due(session, row, actor)
            return DeclarationView.of(row)

    def release(self, number: str, actor: Principal) -> DeclarationView:
        with self.database.unit_of_work() as session:
            row = self._officer_row(session, number, actor)
            why_not = releasable(
                Status(row.status), Channel(row.channel) if row.channel else None, _settlement(row)
            )
            if why_not:
                raise DeclarationConflict(f"{number} cannot be released: {why_not}")
            self._release(session, row, actor)
            return DeclarationView.of(row)

    def cancel(self, number: str, reason: str, actor: Principal) -> DeclarationView:
        with self.database.unit_of_work() as session:
            row = self._changeable(session, number, actor)
            try:
                check_transition(Status(row.status), Status.CANCELLED)
            except TransitionRefused as refused:
                raise DeclarationConflict(str(refused)) from None
            if Decimal(row.paid) > 0:
                raise DeclarationConflict(
                    f"{row.paid} {row.currency} were paid on {number}; a refund comes first"
                )
            row.status = Status.CANCELLED.value
            row.updated_at = utcnow()
            self._release_guarantees(session, row)
            self._log(session, row, actor, "cancelled", {"reason": reason})
            return DeclarationView.of(row)

    def register_guarantee(
        self, reference: str, holder_id: str, amount: Decimal, actor: Principal
    ) -> None:
        if amount <= 0:
            raise InvalidDeclaration([Problem("amount", "a guarantee amount is above zero")])
        with self.database.unit_of_work() as session:
            if session.get(GuaranteeRow, reference) is not None:
                raise DeclarationConflict(f"guarantee {reference} is already registered")
            session.add(
                GuaranteeRow(
                    reference=reference,
                    holder_id=holder_id,
                    currency=self.currency,
                    amount=amount,
                    used=Decimal(0),
                    registered_at=utcnow(),
                    registered_by=actor.username,
                )
            )

    # -- internals -------------------------------------------------------------------

    def _changeable(self, session: Session, number: str, actor: Principal) -> DeclarationRow:
        row = find(session, number)
        if row is None or not _may_see(actor, row):
            raise UnknownDeclaration(f"no declaration {number} that you may change")
        return row

    def _officer_row(self, session: Session, number: str, actor: Principal) -> DeclarationRow:
        if actor.role not in (Role.OFFICER, Role.ADMIN):
            raise NotYours("only a customs officer records inspections and releases goods")
        return self._changeable(session, number, actor)

    def _keep_version(self, session: Session, row: DeclarationRow, actor: Principal) -> None:
        session.add(
            DeclarationVersionRow(
                declaration_id=row.id,
                version=row.version,
                data=row.data,
                assessment=row.assessment,
                recorded_at=utcnow(),
                recorded_by=actor.username,
            )
        )

    def _release_if_due(self, session: Session, row: DeclarationRow, actor: Principal) -> None:
        channel = Channel(row.channel) if row.channel else None
        if releasable(Status(row.status), channel, _settlement(row)) is None:
            self._release(session, row, actor)

    def _release(self, session: Session, row: DeclarationRow, actor: Principal) -> None:
        check_transition(Status(row.status), Status.RELEASED)
        now = utcnow()
        row.status = Status.RELEASED.value
        row.released_at = now
        row.updated_at = now
        self._log(session, row, actor, "released", {})
        for hook in self.on_release:
            hook(session, DeclarationView.of(row))

    def _release_guarantees(self, session: Session, row: DeclarationRow) -> None:
        for use in session.scalars(
            select(GuaranteeUseRow).where(GuaranteeUseRow.declaration_id == row.id)
        ):
            guarantee = session.get(GuaranteeRow, use.guarantee_ref)
            assert guarantee is not None
            guarantee.used = Decimal(guarantee.used) - Decimal(use.amount)
        row.secured = Decimal(0)

    def _log(
        self,
        session: Session,
        row: DeclarationRow,
        actor: Principal,
        kind: str,
        detail: dict[str, Any],
    ) -> None:
        session.add(
            DeclarationEventRow(
                declaration_id=row.id, at=utcnow(), actor=actor.username, kind=kind, detail=detail
            )
        )


def _may_see(reader: Principal, row: DeclarationRow) -> bool:
    if reader.role is Role.ADMIN:
        return True
    if reader.role is Role.OFFICER:
        return row.office == reader.office
    return reader.party_id in (row.declarant_id, row.trader_id)


def _visibility(reader: Principal) -> Iterable[Any]:
    if reader.role is Role.OFFICER:
        yield DeclarationRow.office == reader.office
    elif reader.role is not Role.ADMIN:
        yield or_(
            DeclarationRow.declarant_id == reader.party_id,
            DeclarationRow.trader_id == reader.party_id,
        )


def _may_use(actor: Principal, guarantee: GuaranteeRow, row: DeclarationRow) -> bool:
    return guarantee.holder_id in (row.trader_id, row.declarant_id) and (
        actor.role is not Role.TRADER or actor.party_id in (row.trader_id, row.declarant_id)
    )
