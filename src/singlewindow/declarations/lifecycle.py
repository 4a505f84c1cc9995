"""The rules of a lodged declaration: who may amend, correct, cancel, pay and release it, and
how payments and guarantees settle what it owes. No I/O: services load a `LodgedDeclaration`,
call one of its methods and save what it became.

The rules protect revenue and findings, so they hold whatever the caller says:

- a trader amends only what customs has not selected for a check (EU UCC art. 173: no
  amendment once the declarant is told the goods will be examined, once particulars are
  found incorrect, or after release); an officer corrects, with a reason, and a correction
  that lowers the duties is itself a finding;
- a trader cancels only an unselected declaration; once it is selected only an officer
  cancels, with a reason; after a finding no one does;
- a payment settles only when a bank confirms it, in the currency of the payment notice and
  to the currency's minor unit (never rounded); what is paid beyond the debt becomes a credit
  that an officer decides to refund; a payment discharges the guarantee that secured the same
  debt, also after release;
- a release names the officer or the rule that released the goods.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from singlewindow.core.errors import Problem
from singlewindow.core.money import minor_unit
from singlewindow.declarations.errors import DeclarationConflict, InvalidDeclaration, NotYours
from singlewindow.declarations.model import LODGEMENT, TRANSITIONS, Status
from singlewindow.risk.model import Channel, InspectionOutcome

# Days a declarant has to pay a payment notice (the sample term; national law sets it).
PAYMENT_TERM_DAYS = 10
# The largest single payment a bank can confirm: above any real consignment's duties, and
# inside the 20-digit columns amounts are stored in.
MAX_PAYMENT = Decimal("1e14")


class Actor(enum.StrEnum):
    """Whose step it is, as far as the rules care."""

    TRADER = "trader"
    OFFICER = "officer"
    BANK = "bank"


class RepresentationKind(enum.StrEnum):
    """EU UCC art. 18: a direct representative acts in the name of the represented party,
    an indirect one in its own name (and is then a debtor too)."""

    DIRECT = "direct"
    INDIRECT = "indirect"


@dataclass(frozen=True)
class Representation:
    declarant_id: str
    represented_id: str
    kind: RepresentationKind
    valid_from: date
    valid_to: date | None = None
    revoked_on: date | None = None

    def valid_on(self, on: date) -> bool:
        if self.revoked_on is not None and self.revoked_on <= on:
            return False
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)


def representation_problem(
    declarant_id: str, trader_id: str, representations: list[Representation], on: date
) -> str | None:
    """Why the declarant may not act for the importer or exporter, or None when it may."""
    if declarant_id == trader_id:
        return None
    for representation in representations:
        if (
            representation.declarant_id == declarant_id
            and representation.represented_id == trader_id
            and representation.valid_on(on)
        ):
            return None
    return (
        f"{declarant_id} has no registered representation of {trader_id} valid on {on};"
        " the represented party or an officer registers one first"
    )


def guarantee_holders(
    declarant_id: str, trader_id: str, representation: Representation | None
) -> frozenset[str]:
    """Whose guarantee may secure a declaration's debt: the debtor's. The importer or
    exporter always; the declarant too when it declares in its own name (indirect)."""
    holders = {trader_id}
    if declarant_id == trader_id or (
        representation is not None and representation.kind is RepresentationKind.INDIRECT
    ):
        holders.add(declarant_id)
    return frozenset(holders)


def check_amount(amount: Decimal, currency: str, path: str = "amount") -> None:
    """A payment in a currency's minor unit: refused, never rounded, when it is finer."""
    problems = []
    if not amount.is_finite() or amount <= 0:
        problems.append(Problem(path, "a payment is greater than zero"))
    elif amount > MAX_PAYMENT:
        problems.append(Problem(path, f"a single payment is at most {MAX_PAYMENT:,f}"))
    elif amount != amount.quantize(Decimal(1).scaleb(-minor_unit(currency))):
        places = minor_unit(currency)
        problems.append(
            Problem(
                path,
                f"{amount} {currency} is finer than the currency's minor unit"
                f" ({places} decimal{'s' if places != 1 else ''})",
            )
        )
    if problems:
        raise InvalidDeclaration(problems)


def notice_reference(number: str, sequence: int) -> str:
    """A payment notice's reference: its declaration's number and its sequence on it."""
    return f"{number}P{sequence:02d}"


def notice_number(reference: str) -> tuple[str, int] | None:
    """The declaration number and sequence a notice reference names, or None."""
    number, separator, sequence = reference.rpartition("P")
    if not separator or not number or not sequence.isdigit() or len(sequence) > 4:
        return None
    return number, int(sequence)


@dataclass(frozen=True)
class PaymentEffect:
    """What a confirmed payment did: the amount credited to the debt, the part of it that
    discharged guarantees, and the excess that became a credit to refund."""

    credited: Decimal
    discharged: Decimal
    excess: Decimal


@dataclass
class LodgedDeclaration:
    """The state of a declaration after lodgement: what the rules above decide on."""

    number: str
    status: Status
    channel: Channel | None
    currency: str
    duties: Decimal
    paid: Decimal = Decimal(0)
    secured: Decimal = Decimal(0)
    refundable: Decimal = Decimal(0)  # overpaid, waiting for an officer's decision
    inspection: InspectionOutcome | None = None
    finding: bool = False
    preference_pending: bool = False
    released_by: str | None = None
    # The payment notice: the debt a bank may collect under `notice_reference` (its number on
    # this declaration); a changed debt issues the next one and closes the last.
    notice_sequence: int = 0
    notice_amount: Decimal = Decimal(0)
    notice_due: date | None = None
    events: list[tuple[str, dict[str, object]]] = field(default_factory=list)

    @classmethod
    def lodge(
        cls,
        number: str,
        currency: str,
        duties: Decimal,
        channel: Channel,
        preference_pending: bool,
        today: date,
    ) -> LodgedDeclaration:
        """A declaration just numbered, assessed and channelled: lodged, accepted, assessed and
        channelled in turn; released at once by rule when green with nothing owed, otherwise
        with its first payment notice for the whole debt."""
        state = cls(
            number=number,
            status=LODGEMENT[0],
            channel=channel,
            currency=currency,
            duties=duties,
            preference_pending=preference_pending,
        )
        for status in LODGEMENT[1:]:
            state._move(status)
        if channel is Channel.GREEN and duties == 0:
            state.release("rule: green channel, nothing owed")
        state.renew_notice(today)
        return state

    def _move(self, wanted: Status) -> None:
        self.status = TRANSITIONS.move(self.status, wanted, who=self.number)

    @property
    def notice_reference(self) -> str | None:
        return notice_reference(self.number, self.notice_sequence) if self.notice_open else None

    @property
    def notice_open(self) -> bool:
        return self.notice_sequence > 0 and self.notice_amount > 0

    def renew_notice(self, today: date) -> None:
        """One open notice, for exactly the debt (none when nothing is owed)."""
        debt = Decimal(0) if self.status in (Status.CANCELLED, Status.SEIZED) else self.debt
        if debt == self.notice_amount:
            return
        if debt == 0:
            self.notice_amount = Decimal(0)
            return
        self.notice_sequence += 1
        self.notice_amount = debt
        self.notice_due = today + timedelta(days=PAYMENT_TERM_DAYS)

    def check_notice(self, reference: str) -> None:
        """A bank collects only against the declaration's open notice."""
        if reference != self.notice_reference:
            raise DeclarationConflict(
                f"payment notice {reference} is no longer open (paid or superseded);"
                f" collect against {self.notice_reference or 'nothing: nothing is owed'}"
            )

    # -- reading -------------------------------------------------------------------

    @property
    def debt(self) -> Decimal:
        """Duties and taxes not yet paid (secured or not)."""
        return max(self.duties - self.paid, Decimal(0))

    @property
    def outstanding(self) -> Decimal:
        """Neither paid nor secured: what stands between the goods and their release."""
        return max(self.debt - self.secured, Decimal(0))

    @property
    def selected(self) -> bool:
        """Customs chose to check it (documents or goods), or already has."""
        return (
            self.channel is not None and self.channel.needs_inspection()
        ) or self.inspection is not None

    @property
    def closed(self) -> bool:
        return self.status in (Status.RELEASED, Status.SEIZED, Status.CANCELLED)

    def why_not_releasable(self) -> str | None:
        if self.status is Status.CHANNELLED and self.selected:
            assert self.channel is not None
            return f"the {self.channel.value} channel needs the officer's inspection result first"
        if self.status not in (Status.CHANNELLED, Status.INSPECTED):
            return f"a declaration that is {self.status.value} cannot be released"
        if self.outstanding:
            return (
                f"{self.outstanding} {self.currency} of duties and taxes are neither "
                "paid nor secured"
            )
        return None

    # -- changes of data -------------------------------------------------------------

    def check_trader_amendment(self) -> None:
        if self.closed or self.status not in (
            Status.ACCEPTED,
            Status.ASSESSED,
            Status.CHANNELLED,
            Status.INSPECTED,
        ):
            raise DeclarationConflict(
                f"a declaration that is {self.status.value} can no longer be amended"
            )
        if self.inspection is not None:
            raise DeclarationConflict(
                f"{self.number} has an inspection result ({self.inspection.value}); only an"
                " officer corrects its data now, with a reason"
            )
        if self.selected:
            assert self.channel is not None
            raise DeclarationConflict(
                f"{self.number} is selected for a {self.channel.value}-channel check; only an"
                " officer corrects its data now, with a reason"
            )

    def check_officer_correction(self, reason: str) -> None:
        if self.closed:
            raise DeclarationConflict(
                f"a declaration that is {self.status.value} can no longer be corrected"
            )
        if not reason.strip():
            raise InvalidDeclaration([Problem("reason", "a correction states its reason")])

    def reassess(self, duties: Decimal, by: Actor, reason: str = "") -> None:
        """New duties after an amendment, a correction or an inspection. An officer's
        correction that lowers them is a finding (it is what a collusive one would do)."""
        previous, self.duties = self.duties, duties
        if by is Actor.OFFICER and duties < previous:
            self.finding = True
            self.events.append(
                (
                    "finding",
                    {
                        "kind": "duties lowered by an officer's correction",
                        "from": str(previous),
                        "to": str(duties),
                        "reason": reason,
                    },
                )
            )
        self._credit_excess()

    def grant_pending_preference(self, duties: Decimal) -> None:
        """The officer's documentary check accepted the proof of origin: the preferential
        duties replace the provisional ones (not a finding: it is what the check is for)."""
        if not self.preference_pending:
            raise DeclarationConflict(f"{self.number} has no preference pending")
        self.preference_pending = False
        self.duties = duties
        self._credit_excess()

    # -- inspection ----------------------------------------------------------------

    def record_inspection(self, outcome: InspectionOutcome) -> None:
        if self.inspection is not None:
            raise DeclarationConflict(
                f"{self.number} already has an inspection result ({self.inspection.value})"
            )
        self._move(Status.INSPECTED)
        self.inspection = outcome
        if outcome.found_something:
            self.finding = True
        if outcome is InspectionOutcome.SEIZURE:
            self._move(Status.SEIZED)

    # -- cancellation --------------------------------------------------------------

    def cancel(self, by: Actor, reason: str) -> None:
        if not reason.strip():
            raise InvalidDeclaration([Problem("reason", "a cancellation states its reason")])
        if self.finding:
            raise DeclarationConflict(
                f"{self.number} has a recorded finding; it cannot be cancelled"
            )
        cancelled = TRANSITIONS.move(self.status, Status.CANCELLED, who=self.number)
        if self.selected and by is not Actor.OFFICER:
            raise NotYours(f"{self.number} is selected for a check; only an officer cancels it now")
        if by is not Actor.OFFICER and self.paid > 0:
            raise DeclarationConflict(
                f"{self.paid} {self.currency} were paid on {self.number}; an officer cancels"
                " it and decides the refund"
            )
        self.status = cancelled
        self.secured = Decimal(0)
        # What was paid on a cancelled declaration is owed back to the declarant.
        self.duties = Decimal(0)
        self._credit_excess()

    # -- payment -------------------------------------------------------------------

    def confirm_payment(self, amount: Decimal, currency: str) -> PaymentEffect:
        """A bank's confirmed payment against this declaration's notice."""
        if currency != self.currency:
            raise InvalidDeclaration(
                [Problem("currency", f"the payment notice is in {self.currency}, not {currency}")]
            )
        check_amount(amount, currency)
        if self.status in (Status.CANCELLED, Status.SEIZED):
            raise DeclarationConflict(f"a declaration that is {self.status.value} takes no payment")
        if self.debt == 0:
            raise DeclarationConflict(f"nothing is owed on {self.number}")
        credited = min(amount, self.debt)
        self.paid += amount
        # Security is needed only for what is still unpaid: the rest is discharged.
        discharged = max(self.secured - self.debt, Decimal(0))
        self.secured -= discharged
        excess = self._credit_excess()
        return PaymentEffect(credited, discharged, excess)

    def secure(self, guarantee: str, currency: str, available: Decimal) -> Decimal:
        """Secure all that is outstanding against a guarantee with `available` left on it;
        the amount secured."""
        owed = self.outstanding
        if self.closed or owed == 0:
            raise DeclarationConflict(f"nothing is owed on {self.number} that needs securing")
        if currency != self.currency:
            raise DeclarationConflict(f"guarantee {guarantee} is in {currency}")
        if available < owed:
            raise DeclarationConflict(
                f"guarantee {guarantee} has {available} {currency} available;"
                f" {owed} is owed"
            )
        self.secured += owed
        return owed

    def _credit_excess(self) -> Decimal:
        """Move what is paid beyond the duties to the credit an officer may refund."""
        excess = self.paid - self.duties - self.refundable
        if excess <= 0:
            return Decimal(0)
        self.refundable += excess
        self.events.append(("credited", {"amount": str(excess), "currency": self.currency}))
        return excess

    def refund(self, amount: Decimal) -> None:
        """An officer paid back `amount` of the credit."""
        if amount > self.refundable:
            raise DeclarationConflict(
                f"{self.number} holds {self.refundable} {self.currency} of credit, not {amount}"
            )
        self.refundable -= amount
        self.paid -= amount

    # -- release -------------------------------------------------------------------

    def release(self, by: str) -> None:
        """Release the goods; `by` names the officer or the rule (`rule: …`)."""
        why_not = self.why_not_releasable()
        if why_not:
            raise DeclarationConflict(f"{self.number} cannot be released: {why_not}")
        self._move(Status.RELEASED)
        self.released_by = by

    def release_rule(self) -> str | None:
        """The rule that releases the goods now without an officer's step, if any."""
        if self.why_not_releasable() is not None:
            return None
        if self.inspection is not None:
            return "rule: inspection result recorded, duties and taxes paid or secured"
        return "rule: green channel, duties and taxes paid or secured"
