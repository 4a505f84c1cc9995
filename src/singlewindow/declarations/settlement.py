"""Use cases of what a declaration owes: payment notices confirmed by banks, credits refunded
by officers, guarantees that secure a debt until it is paid.

Nothing is settled on a trader's word: a payment counts when a bank (a party of its own, with
its own users) confirms it against the notice the declaration generated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from singlewindow.access.model import Principal, Role
from singlewindow.core.clock import utcnow
from singlewindow.core.errors import Problem
from singlewindow.declarations.errors import (
    DeclarationConflict,
    InvalidDeclaration,
    NotYours,
    UnknownDeclaration,
    UnknownGuarantee,
)
from singlewindow.declarations.lifecycle import (
    MAX_PAYMENT,
    Actor,
    check_amount,
    guarantee_holders,
    notice_number,
    representation_problem,
)
from singlewindow.declarations.repository import (
    DeclarationRow,
    GuaranteeRow,
    GuaranteeUseRow,
    PaymentRow,
    RefundRow,
    find,
    guarantee_row,
    guarantee_use_row,
    lodged_state,
    payment_row,
    representations_between,
)
from singlewindow.declarations.services import (
    Clearance,
    DeclarationView,
    PaymentNotice,
    actor_kind,
    may_see,
)


class UnknownNotice(UnknownDeclaration):
    pass


@dataclass(frozen=True)
class Refund:
    id: str
    declaration: str
    amount: Decimal
    currency: str
    status: str
    created_at: datetime
    decided_by: str | None
    reason: str | None


@dataclass(frozen=True)
class GuaranteeUse:
    declaration: str
    amount: Decimal
    discharged: Decimal
    secured_at: datetime
    discharged_at: datetime | None


@dataclass(frozen=True)
class Guarantee:
    reference: str
    holder_id: str
    currency: str
    amount: Decimal
    in_use: Decimal
    uses: tuple[GuaranteeUse, ...] = ()

    @property
    def available(self) -> Decimal:
        return self.amount - self.in_use


class Payments:
    """Notices, bank confirmations and refunds of one node's clearance."""

    def __init__(self, clearance: Clearance) -> None:
        self.clearance = clearance
        self.database = clearance.database

    def notice(self, reference: str, reader: Principal) -> PaymentNotice:
        """A notice as a bank collecting it, the declarant or an officer sees it."""
        with self.database.unit_of_work() as session:
            row = _noticed(session, reference)
            if row is None or not _may_read_notice(reader, row):
                raise UnknownNotice(f"no payment notice {reference} that you may see")
            notice = DeclarationView.of(row).payment_notice
            if notice is not None and notice.reference == reference:
                return notice
            # An earlier notice of this declaration: paid, or superseded by a changed debt.
            return PaymentNotice(
                reference,
                row.number,
                Decimal(0),
                row.currency,
                row.notice_due or row.lodged_at.date(),
                "closed",
            )

    def confirm(
        self,
        notice_reference: str,
        amount: Decimal,
        currency: str,
        bank_reference: str,
        bank: Principal,
    ) -> DeclarationView:
        """A bank confirms it collected `amount` against a notice: the only way a payment
        is credited. Beyond the debt it becomes a credit to refund; paid duties discharge
        the guarantee that secured them; the goods go when the rules release them."""
        if bank.role is not Role.BANK or not bank.party_id:
            raise NotYours("only a bank confirms payments of duties and taxes")
        if not bank_reference.strip() or len(bank_reference) > 35:
            raise InvalidDeclaration(
                [Problem("bank_reference", "the bank's reference is 1 to 35 characters")]
            )
        with self.database.unit_of_work() as session:
            row = _noticed(session, notice_reference, lock=True)
            if row is None:
                raise UnknownNotice(f"no payment notice {notice_reference}")
            reference = f"{bank.party_id}/{bank_reference}"
            if session.get(PaymentRow, reference) is not None:
                raise DeclarationConflict(
                    f"payment {bank_reference} of {bank.party_id} was already confirmed"
                )
            state = lodged_state(row)
            state.check_notice(notice_reference)
            state.confirm_payment(amount, currency)
            now = utcnow()
            session.add(
                payment_row(reference, row.id, amount, currency, now, bank, notice_reference)
            )
            self.clearance.record_event(
                session,
                row,
                bank,
                "paid",
                {
                    "amount": str(amount),
                    "currency": currency,
                    "notice": notice_reference,
                    "bank": bank.party_id,
                    "bank_reference": bank_reference,
                },
            )
            return self.clearance.save_state(session, row, state, bank)

    def refunds(
        self, reader: Principal, status: str | None = None, limit: int = 50, offset: int = 0
    ) -> tuple[list[Refund], int]:
        """Credits waiting for (or given) an officer's decision, of the officer's office."""
        if actor_kind(reader) is not Actor.OFFICER:
            raise NotYours("only customs officers decide refunds")
        query = select(RefundRow, DeclarationRow.number).join(
            DeclarationRow, DeclarationRow.id == RefundRow.declaration_id
        )
        count = select(func.count()).select_from(RefundRow).join(
            DeclarationRow, DeclarationRow.id == RefundRow.declaration_id
        )
        conditions = []
        if reader.role is Role.OFFICER:
            conditions.append(DeclarationRow.office == reader.office)
        if status is not None:
            conditions.append(RefundRow.status == status)
        with self.database.unit_of_work() as session:
            rows = session.execute(
                query.where(*conditions)
                .order_by(RefundRow.created_at.desc(), RefundRow.id)
                .limit(limit)
                .offset(offset)
            ).all()
            total = session.scalar(count.where(*conditions)) or 0
            return [_refund(r, number) for r, number in rows], total

    def decide_refund(
        self, refund_id: str, approve: bool, reason: str, officer: Principal
    ) -> Refund:
        """An officer refunds a credit (the money goes back) or refuses to, with a reason."""
        if actor_kind(officer) is not Actor.OFFICER:
            raise NotYours("only customs officers decide refunds")
        if not reason.strip():
            raise InvalidDeclaration([Problem("reason", "a refund decision states its reason")])
        with self.database.unit_of_work() as session:
            refund = session.get(RefundRow, refund_id, with_for_update=True)
            row = session.get(DeclarationRow, refund.declaration_id) if refund else None
            if refund is None or row is None or not may_see(officer, row):
                raise UnknownDeclaration(f"no refund {refund_id} that you may decide")
            if refund.status != "pending":
                raise DeclarationConflict(f"refund {refund_id} was already {refund.status}")
            state = lodged_state(row)
            if approve:
                state.refund(Decimal(refund.amount))
            refund.status = "refunded" if approve else "refused"
            refund.decided_by = officer.username
            refund.decided_at = utcnow()
            refund.reason = reason
            self.clearance.record_event(
                session,
                row,
                officer,
                "refunded" if approve else "refund refused",
                {"amount": str(refund.amount), "reason": reason},
            )
            self.clearance.save_state(session, row, state, officer)
            return _refund(refund, row.number)


class Guarantees:
    """Guarantees lodged with customs and the debts they secure."""

    def __init__(self, clearance: Clearance) -> None:
        self.clearance = clearance
        self.database = clearance.database

    def register(
        self, reference: str, holder_id: str, amount: Decimal, actor: Principal
    ) -> Guarantee:
        if actor_kind(actor) is not Actor.OFFICER:
            raise NotYours("only customs officers register guarantees")
        problems = []
        if not reference.strip() or len(reference) > 35:
            problems.append(Problem("reference", "the guarantee reference is 1 to 35 characters"))
        if not holder_id.strip() or len(holder_id) > 35:
            problems.append(Problem("holder_id", "the holder's identifier is 1 to 35 characters"))
        if not amount.is_finite() or amount <= 0 or amount > MAX_PAYMENT:
            problems.append(
                Problem("amount", f"a guarantee amount is above 0, at most {MAX_PAYMENT:,f}")
            )
        if problems:
            raise InvalidDeclaration(problems)
        check_amount(amount, self.clearance.currency)
        with self.database.unit_of_work() as session:
            if session.get(GuaranteeRow, reference) is not None:
                raise DeclarationConflict(f"guarantee {reference} is already registered")
            row = guarantee_row(
                reference, holder_id, self.clearance.currency, amount, utcnow(), actor.username
            )
            session.add(row)
            return Guarantee(reference, holder_id, row.currency, amount, Decimal(0))

    def secure(self, number: str, reference: str, actor: Principal) -> DeclarationView:
        """Secure what is still owed against the debtor's guarantee, used by its holder or
        by the holder's registered representative."""
        on = utcnow().date()
        clearance = self.clearance
        with self.database.unit_of_work() as session:
            row = clearance.load_for_change(session, number, actor)
            guarantee = session.get(GuaranteeRow, reference, with_for_update=True)
            held = representations_between(session, row.declarant_id, row.trader_id)
            acting = next((r for r in held if r.valid_on(on)), None)
            holders = guarantee_holders(row.declarant_id, row.trader_id, acting)
            if guarantee is None or guarantee.holder_id not in holders:
                raise UnknownGuarantee(f"no guarantee {reference} that may secure {number}")
            if actor.role is Role.TRADER and actor.party_id != guarantee.holder_id:
                why_not = representation_problem(
                    actor.party_id or "", guarantee.holder_id, held, on
                )
                if actor.party_id != row.declarant_id or why_not:
                    raise NotYours(
                        f"guarantee {reference} is {guarantee.holder_id}'s: only its holder"
                        " or its registered representative uses it"
                    )
            state = lodged_state(row)
            available = Decimal(guarantee.amount) - Decimal(guarantee.used)
            owed = state.secure(reference, guarantee.currency, available)
            guarantee.used = Decimal(guarantee.used) + owed
            use = session.get(GuaranteeUseRow, (reference, row.id))
            if use is None:
                session.add(guarantee_use_row(reference, row.id, owed, utcnow()))
            else:
                use.amount = Decimal(use.amount) + owed
            clearance.record_event(
                session, row, actor, "secured", {"guarantee": reference, "amount": str(owed)}
            )
            return clearance.save_state(session, row, state, actor)

    def list(
        self, reader: Principal, limit: int = 50, offset: int = 0
    ) -> tuple[list[Guarantee], int]:
        """Officers see every guarantee; a trader those it holds."""
        condition = _guarantee_visibility(reader)
        with self.database.unit_of_work() as session:
            rows = session.scalars(
                select(GuaranteeRow)
                .where(condition)
                .order_by(GuaranteeRow.reference)
                .limit(limit)
                .offset(offset)
            ).all()
            total = session.scalar(select(func.count()).select_from(GuaranteeRow).where(condition))
            return [_guarantee(r) for r in rows], total or 0

    def get(self, reference: str, reader: Principal) -> Guarantee:
        """A guarantee's balance and the history of its uses."""
        with self.database.unit_of_work() as session:
            row = session.scalars(
                select(GuaranteeRow).where(
                    GuaranteeRow.reference == reference, _guarantee_visibility(reader)
                )
            ).first()
            if row is None:
                raise UnknownGuarantee(f"no guarantee {reference} that you may see")
            uses = session.execute(
                select(GuaranteeUseRow, DeclarationRow.number)
                .join(DeclarationRow, DeclarationRow.id == GuaranteeUseRow.declaration_id)
                .where(GuaranteeUseRow.guarantee_ref == reference)
                .order_by(GuaranteeUseRow.secured_at)
            ).all()
            return _guarantee(
                row,
                tuple(
                    GuaranteeUse(
                        number,
                        Decimal(u.amount),
                        Decimal(u.discharged),
                        u.secured_at,
                        u.discharged_at,
                    )
                    for u, number in uses
                ),
            )


def _guarantee_visibility(reader: Principal) -> ColumnElement[bool]:
    if actor_kind(reader) is Actor.OFFICER:
        return GuaranteeRow.reference.is_not(None)
    if reader.role is Role.TRADER:
        return GuaranteeRow.holder_id == reader.party_id
    return GuaranteeRow.reference.is_(None)


def _guarantee(row: GuaranteeRow, uses: tuple[GuaranteeUse, ...] = ()) -> Guarantee:
    return Guarantee(
        row.reference, row.holder_id, row.currency, Decimal(row.amount), Decimal(row.used), uses
    )


def _refund(row: RefundRow, number: str) -> Refund:
    return Refund(
        row.id,
        number,
        Decimal(row.amount),
        row.currency,
        row.status,
        row.created_at,
        row.decided_by,
        row.reason,
    )


def _noticed(session: Session, reference: str, lock: bool = False) -> DeclarationRow | None:
    """The declaration a notice reference names, if it issued that notice."""
    named = notice_number(reference)
    if named is None:
        return None
    row = find(session, named[0], lock=lock)
    if row is None or not 1 <= named[1] <= row.notice_sequence:
        return None
    return row


def _may_read_notice(reader: Principal, row: DeclarationRow) -> bool:
    """A bank reads any notice (it collects against the reference, and sees no goods data);
    others as they see the declaration."""
    return reader.role is Role.BANK or may_see(reader, row)

