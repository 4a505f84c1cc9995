"""Lodgement: validation, valuation, duties and selectivity in one unit of work, so a
declaration is either stored with its number, duties, channel and payment notice, or not
stored at all (a batch all or none); it passes lodged → accepted → assessed → channelled
(`LodgedDeclaration.lodge`) and is announced as `DeclarationLodged`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from singlewindow.access.model import Principal
from singlewindow.core.clock import utcnow
from singlewindow.core.errors import Problem
from singlewindow.declarations.assessment import Assessment
from singlewindow.declarations.errors import DuplicateLrn, InvalidDeclaration
from singlewindow.declarations.events import DeclarationLodged
from singlewindow.declarations.lifecycle import LodgedDeclaration
from singlewindow.declarations.model import (
    Declaration,
    Status,
    declaration_number,
)
from singlewindow.declarations.repository import (
    event_values,
    insert_lodged,
    lodged_numbers,
    new_declaration_row,
    next_serials,
)
from singlewindow.declarations.steps import SYSTEM, ClearanceSteps, at_least_yellow, released
from singlewindow.declarations.views import DeclarationView
from singlewindow.risk import services as selectivity
from singlewindow.risk.model import RiskSubject, Selection


class Lodgement(ClearanceSteps):
    """Lodge one declaration or a batch."""

    def lodge(
        self, draft: Declaration, actor: Principal, on: date | None = None
    ) -> DeclarationView:
        """Validate, number, assess and channel a declaration; store it or nothing."""
        return self.lodge_many([draft], actor, on)[0]

    def check(self, draft: Declaration, actor: Principal, on: date | None = None) -> list[Problem]:
        """Every problem lodging `draft` would meet, storing nothing: the console's check of a
        form as one types, by the same rules as `lodge`."""
        on = on or utcnow().date()
        checked, problems = self._check(draft, actor, self.tariff.book(self.country), on)
        return problems + self._restricted(checked, on)

    def lodge_many(
        self, drafts: Sequence[Declaration], actor: Principal, on: date | None = None
    ) -> list[DeclarationView]:
        """Lodge several declarations in one transaction (all or none): the batch path."""
        on = on or utcnow().date()
        book = self.tariff.book(self.country)
        problems: list[Problem] = []
        prepared: list[tuple[Assessment, RiskSubject, Selection]] = []
        checked: list[Declaration] = []
        stopped: list[tuple[Declaration, list[Problem]]] = []
        for index, draft in enumerate(drafts):
            prefix = f"{index}." if len(drafts) > 1 else ""
            draft, found = self._check(draft, actor, book, on)
            restricted = self._restricted(draft, on)
            if restricted:
                stopped.append((draft, restricted))
                found = found + restricted
            checked.append(draft)
            problems.extend(Problem(prefix + p.path, p.message) for p in found)
            if not found:
                prepared.append(self._prepare(draft, book, on))
        if problems:
            self._tell_stopped(stopped)
            raise InvalidDeclaration(problems)
        keys = [(d.declarant.id, d.lrn) for d in checked]
        if len(set(keys)) < len(keys):
            raise DuplicateLrn("the same LRN appears twice in the batch")
        for foresee in self.foresight:  # outside the transaction: nothing is held meanwhile
            foresee(checked)
        now = utcnow()
        try:
            return self._store(checked, prepared, actor, now)
        except _Stopped as stop:
            # Another lodgement took what this one needed since the first pass (the last
            # kilograms of a consent): nothing was stored.
            self._tell_stopped(stop.stopped)
            raise InvalidDeclaration(stop.problems) from None
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
            # What partners sent and other rooms doubt is read before the first write, so a
            # slow doubt (the assistant weighing a new description) does not hold SQLite's
            # write lock against every other lodgement.
            checked = [self._cross_checked(session, draft, selection)
                       for draft, (_, _, selection) in zip(drafts, prepared, strict=True)]
            serials = next_serials(session, f"declaration-{self.country}-{now:%y}", len(drafts))
            rows: list[dict[str, Any]] = []
            events: list[dict[str, Any]] = []
            selections = []
            refused: list[Problem] = []
            stopped: list[tuple[Declaration, list[Problem]]] = []
            for index, (serial, draft, (assessment, subject, _), selection) in enumerate(zip(
                serials, drafts, prepared, checked, strict=True
            )):
                row = self._new_row(draft, assessment, selection, serial, now)
                taken = self._reserve(session, draft, row["number"], now.date(),
                                      f"{index}." if len(drafts) > 1 else "")
                if taken:
                    refused += taken
                    stopped.append((draft, taken))
                rows.append(row)
                events.extend(self._lodgement_events(row, actor, assessment, selection, now))
                selections.append((row["number"], "declaration", subject, selection))
            if refused:
                raise _Stopped(refused, stopped)  # rolls back what was reserved
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

    def _tell_stopped(self, stopped: list[tuple[Declaration, list[Problem]]]) -> None:
        for draft, found in stopped:
            for restriction in self.restrictions:
                if restriction.concerns(draft):
                    restriction.stopped(draft, found)

    def _cross_checked(
        self, session: Session, draft: Declaration, selection: Selection
    ) -> Selection:
        mismatches = self.cross_check(session, draft) if self.cross_check is not None else []
        doubts = [reason for concern in self.concerns for reason in concern(session, draft)]
        if doubts:
            selection = at_least_yellow(selection, doubts)
        if not mismatches:
            return selection
        if selection.aeo is not None:
            # What the import says does not match the export data: no AEO benefit for it.
            selection = replace(selection, aeo=None, reasons=(
                *selection.reasons, f"AEO benefit withdrawn: {selection.aeo.operator}'s "
                                    f"export data does not match the import"))
        return at_least_yellow(selection, mismatches)

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


class _Stopped(Exception):
    """A restriction refused a declaration of the batch in the storing transaction."""

    def __init__(
        self, problems: list[Problem], stopped: list[tuple[Declaration, list[Problem]]]
    ) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems
        self.stopped = stopped
