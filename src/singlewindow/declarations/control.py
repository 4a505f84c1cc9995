"""Control: the declarant amends, the officer corrects, inspects, releases and cancels; each
step loads the declaration's state, asks the rules of `declarations.lifecycle` and saves what
they decided."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from singlewindow.access.model import Principal
from singlewindow.core.clock import utcnow
from singlewindow.core.errors import Problem
from singlewindow.core.ids import new_id
from singlewindow.declarations.assessment import (
    accepted_after_documentary_check,
    assess,
    tariff_problems,
)
from singlewindow.declarations.attachments import AttachmentKind, check_attachment
from singlewindow.declarations.errors import InvalidDeclaration, NotYours, UnknownDeclaration
from singlewindow.declarations.lifecycle import Actor
from singlewindow.declarations.model import (
    Declaration,
    DeclarationType,
    Seizure,
    Status,
    validate,
)
from singlewindow.declarations.repository import (
    AttachmentRow,
    aeo_operator_of,
    attachments_of,
    from_document,
    lodged_state,
    score_of,
)
from singlewindow.declarations.steps import ClearanceSteps, actor_kind
from singlewindow.declarations.views import AttachmentView, DeclarationView
from singlewindow.risk import services as selectivity
from singlewindow.risk.model import Channel, InspectionOutcome


class Control(ClearanceSteps):
    """The steps after lodgement, up to release."""

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
            self._retake(session, draft, number, on)
            state.reassess(assessment.total, Actor.TRADER)
            state.preference_pending = assessment.preference_pending
            old = Channel(row.channel) if row.channel else Channel.GREEN
            if selection.channel.severity > old.severity and row.status == Status.CHANNELLED:
                row.channel = selection.channel.value
                state.channel = selection.channel
                row.selection = selection.as_dict()
                row.risk_score = score_of(row.selection)
                row.aeo_operator = aeo_operator_of(row.selection)
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

    def _retake(self, session: Session, draft: Declaration, number: str, on: date) -> None:
        """The new version's restrictions checked again: what the old one took is given back
        and the new one's taken, or the change is refused (and rolled back)."""
        problems = [
            p for r in self.restrictions for p in r.reserve(session, draft, number, on)
        ]
        if problems:
            raise InvalidDeclaration(problems)

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
            self._retake(session, draft, number, on)
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
        seizure: Seizure | None = None,
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
            if seizure is not None and outcome is not InspectionOutcome.SEIZURE:
                raise InvalidDeclaration(
                    [Problem("seizure", "what was seized goes with a seizure, not a "
                             f"{outcome.value.replace('_', ' ')}")])
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
                if corrected.type is DeclarationType.IMPORT:
                    problems += tariff_problems(corrected, book, on)
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
                seized = seizure.as_dict() if seizure is not None else {}
                self.record_event(session, row, actor, "seized", {"findings": findings, **seized})
            return self.save_state(session, row, state, actor)

    def attach(
        self,
        number: str,
        kind: AttachmentKind,
        filename: str,
        content: bytes,
        actor: Principal,
        scanner_id: str | None = None,
    ) -> AttachmentView:
        """An officer's photo or scanner image, stored with the declaration (checked by its
        content and size) and noted in its event log with its digest."""
        if actor_kind(actor) is not Actor.OFFICER:
            raise NotYours("only a customs officer attaches inspection images")
        with self.database.unit_of_work() as session:
            row = self.load_for_change(session, number, actor)
            if row.status == Status.CANCELLED:
                raise InvalidDeclaration([Problem("file", f"declaration {number} is cancelled")])
            held = len(attachments_of(session, row.id))
            attachment, problems = check_attachment(kind, filename, content, scanner_id, held)
            if attachment is None:
                raise InvalidDeclaration(problems)
            stored = AttachmentRow(
                id=new_id(), declaration_id=row.id, kind=attachment.kind.value,
                filename=attachment.filename, media_type=attachment.media_type,
                size=attachment.size, sha256=attachment.sha256,
                scanner_id=attachment.scanner_id, content=content, added_at=utcnow(),
                added_by=actor.username)
            session.add(stored)
            self.record_event(session, row, actor, "attachment added", {
                "attachment": stored.id, "kind": attachment.kind.value,
                "scanner_id": attachment.scanner_id, "sha256": attachment.sha256})
            session.flush()
            return AttachmentView.of(stored)

    def attachments(self, number: str, reader: Principal) -> list[AttachmentView]:
        """Inspection evidence is the officers' (a trader sees the result, not the images)."""
        if actor_kind(reader) is not Actor.OFFICER:
            raise NotYours("only customs officers see a declaration's inspection images")
        with self.database.unit_of_work() as session:
            row = self._visible(session, number, reader)
            return [AttachmentView.of(a) for a in attachments_of(session, row.id)]

    def attachment_file(
        self, number: str, attachment_id: str, reader: Principal
    ) -> tuple[AttachmentView, bytes]:
        if actor_kind(reader) is not Actor.OFFICER:
            raise NotYours("only customs officers see a declaration's inspection images")
        with self.database.unit_of_work() as session:
            row = self._visible(session, number, reader)
            found = session.get(AttachmentRow, attachment_id[:32])
            if found is None or found.declaration_id != row.id:
                raise UnknownDeclaration(
                    f"declaration {number} has no attachment {attachment_id[:32]}")
            return AttachmentView.of(found), found.content

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
            for restriction in self.restrictions:  # a consent's kilograms given back
                restriction.release(session, number)
            self.record_event(session, row, actor, "cancelled", {"reason": reason})
            return self.save_state(session, row, state, actor)
