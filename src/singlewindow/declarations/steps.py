"""What every clearance step shares: the node's clearance and its collaborators, the checks
a draft passes (exchange rate, validation, office, units, representation), its assessment and
selection, and the load → ask the rules → save of a lodged declaration (release by rule,
guarantees discharged, credits, the payment notice, `DeclarationReleased`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, object_session

from singlewindow.access.model import Principal, Role
from singlewindow.core.clock import utcnow
from singlewindow.core.countries import member_state
from singlewindow.core.db import Database
from singlewindow.core.errors import Problem
from singlewindow.core.events import EventBus
from singlewindow.declarations.assessment import (
    Assessment,
    PreferenceCheck,
    assess,
    preference_checks,
    risk_subject,
    tariff_problems,
)
from singlewindow.declarations.errors import (
    InvalidDeclaration,
    NotYours,
    StaleVersion,
    UnknownDeclaration,
)
from singlewindow.declarations.events import DeclarationReleased
from singlewindow.declarations.lifecycle import (
    Actor,
    LodgedDeclaration,
    representation_problem,
)
from singlewindow.declarations.model import (
    Declaration,
    DeclarationType,
    Status,
    validate,
)
from singlewindow.declarations.ports import Concern, CrossCheck, Foresight, Restriction
from singlewindow.declarations.repository import (
    DeclarationRow,
    GuaranteeRow,
    GuaranteeUseRow,
    event_row,
    find,
    from_document,
    refund_row,
    replace_goods,
    representations_between,
    to_document,
    version_row,
    write_state,
)
from singlewindow.declarations.views import DeclarationView
from singlewindow.reference.errors import OfficeRefused
from singlewindow.reference.model import Procedure
from singlewindow.reference.services import ReferenceData
from singlewindow.risk.model import Channel, RiskSubject, Selection
from singlewindow.risk.services import Selectivity, selectivity_of
from singlewindow.tariff.book import TariffBook
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


def actor_kind(principal: Principal) -> Actor:
    if principal.role in (Role.OFFICER, Role.ADMIN):
        return Actor.OFFICER
    if principal.role is Role.BANK:
        return Actor.BANK
    return Actor.TRADER


class ClearanceSteps:
    """The clearance of one national node: construction and what its steps share."""

    def __init__(
        self,
        database: Database,
        country: str,
        preference_check: PreferenceCheck | None = None,
        reference: ReferenceBook | None = None,
        *,
        cross_check: CrossCheck | None = None,
        concerns: Sequence[Concern] = (),
        foresight: Sequence[Foresight] = (),
        restrictions: Sequence[Restriction] = (),
        bus: EventBus | None = None,
        selectivity: Selectivity | None = None,
        tariff: TariffBooks | None = None,
    ) -> None:
        self.database = database
        self.country = country
        self.selectivity = selectivity or selectivity_of(database)
        self.tariff = tariff or tariff_books(database)
        self.currency = member_state(country).currency
        self.preference_check = preference_checks(country, preference_check)
        self.reference = reference or PublishedReference(ReferenceData(database, country))
        self.cross_check = cross_check
        self.concerns = tuple(concerns)
        self.foresight = tuple(foresight)
        self.restrictions = tuple(restrictions)
        # Other rooms handle what clearance publishes (DeclarationLodged, DeclarationReleased)
        # in the transaction of the change, so their effects commit with it.
        self.bus = bus or EventBus()

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
            if line is not None and item.quantity_unit != line.quantity_unit:
                problems.append(
                    Problem(
                        f"items.{index}.quantity_unit",
                        f"tariff line {line.dotted_code} is declared in {line.quantity_unit}, "
                        f"not {item.quantity_unit}",
                    )
                )
        if draft.type is DeclarationType.IMPORT:
            problems += tariff_problems(draft, book, on)
        trader = draft.trader
        if trader is not None and trader.id != draft.declarant.id:
            with self.database.unit_of_work() as session:
                held = representations_between(session, draft.declarant.id, trader.id)
            why_not = representation_problem(draft.declarant.id, trader.id, held, on)
            if why_not:
                problems.append(Problem("declarant", why_not))
        return draft, problems

    def _restricted(self, draft: Declaration, on: date) -> list[Problem]:
        """What the restrictions (waste under the Basel Convention, ...) refuse, read only;
        no session is opened for a declaration none of them concerns."""
        concerned = [r for r in self.restrictions if r.concerns(draft)]
        if not concerned:
            return []
        with self.database.unit_of_work() as session:
            return [p for r in concerned for p in r.problems(session, draft, on)]

    def _reserve(
        self, session: Session, draft: Declaration, number: str, on: date, prefix: str = ""
    ) -> list[Problem]:
        """In the change's transaction: what each restriction takes for the declaration."""
        return [
            Problem(prefix + p.path, p.message)
            for r in self.restrictions
            if r.concerns(draft)
            for p in r.reserve(session, draft, number, on)
        ]

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
            selection = at_least_yellow(
                selection,
                [
                    f"preference claimed on proof of origin {draft.proof_of_origin}, which this"
                    " node cannot verify electronically: documentary check of the proof"
                ],
            )
        return assessment, subject, selection

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

    def _visible(self, session: Session, number: str, reader: Principal) -> DeclarationRow:
        row = find(session, number)
        if row is None or not may_see(reader, row):
            raise UnknownDeclaration(f"no declaration {number} that you may see")
        return row

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
        session = object_session(row)
        if session is not None:
            replace_goods(session, row)

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


def at_least_yellow(selection: Selection, reasons: Iterable[str]) -> Selection:
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


def visibility(reader: Principal) -> Iterable[Any]:
    if reader.role is Role.OFFICER:
        yield DeclarationRow.office == reader.office
    elif reader.role is not Role.ADMIN:
        yield or_(
            DeclarationRow.declarant_id == reader.party_id,
            DeclarationRow.trader_id == reader.party_id,
        )
