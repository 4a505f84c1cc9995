"""Use cases of the green room (`Green`): the importing country's competent authority
records the consents it gave (PIC under the Basel Convention) and revokes them; an
administrator sets the country's dated rules on waste; clearance asks the room, as its
`Restriction` port, whether a declaration carrying waste may be lodged, and the room takes a
consent's kilograms in the lodgement's transaction and gives them back on cancellation.

The consent's arithmetic holds under concurrency: a use is taken by one conditional UPDATE
(`used + kg <= quantity`), so two lodgements racing for the last kilograms cannot both win."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from singlewindow.access.model import Principal, Role
from singlewindow.core.clock import utcnow
from singlewindow.core.db import Database
from singlewindow.core.errors import Forbidden, Problem
from singlewindow.declarations.model import Declaration
from singlewindow.green.errors import (
    ConsentConflict,
    InvalidConsent,
    InvalidRule,
    UnknownConsent,
    UnknownRule,
)
from singlewindow.green.model import (
    Consent,
    CountryRule,
    RuleKind,
    Use,
    check_declaration,
    concerns,
    consent_problems,
    kilograms,
    rule_problems,
    waste_items,
)
from singlewindow.green.repository import (
    ConsentRow,
    ConsentUseRow,
    RuleRow,
    ShipmentRow,
    consent_of,
    consent_row,
    consents_named,
    give_back,
    outcome_counts,
    rule_of,
    rule_row,
    take,
)


@dataclass(frozen=True)
class UseView:
    declaration: str
    item: int
    kg: Decimal
    taken_at: datetime
    returned_at: datetime | None


@dataclass(frozen=True)
class ConsentView:
    consent: Consent
    recorded_by: str
    recorded_at: datetime
    revoked_reason: str | None
    uses: tuple[UseView, ...] = ()


@dataclass(frozen=True)
class RuleView:
    rule: CountryRule
    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True)
class ShipmentView:
    outcome: str  # stopped | passed
    declaration: str | None  # the number of a shipment that passed
    lrn: str
    declarant: str
    problems: tuple[Problem, ...]
    at: datetime


@dataclass(frozen=True)
class Figures:
    stopped: int
    passed: int


# Rules the packaged sample sets for a node until its administrator sets the country's own:
# marked sample (ids "sample-…"), in the spirit of the bans several ASEAN members announced.
SAMPLE_RULES: tuple[CountryRule, ...] = (
    CountryRule("sample-a3210-import-ban", RuleKind.BAN, date(2026, 1, 1),
                basel_code="A3210", note="SAMPLE: hazardous plastic waste is not imported",
                sample=True),
    CountryRule("sample-b3011-contamination", RuleKind.MAX_CONTAMINATION, date(2026, 1, 1),
                basel_code="B3011", max_share=Decimal("0.005"),
                note="SAMPLE: clean sorted plastic for recycling, at most 0.5 % contamination",
                sample=True),
)


def _officer(actor: Principal, what: str) -> None:
    if actor.role not in (Role.OFFICER, Role.ADMIN):
        raise Forbidden(f"only the competent authority's officers {what}")


class Green:
    """The green room of one node: consents, rules, and the checks of waste shipments."""

    def __init__(self, database: Database, country: str) -> None:
        self.database = database
        self.country = country

    # -- consents ---------------------------------------------------------------------------

    def record_consent(self, consent: Consent, actor: Principal) -> ConsentView:
        """The competent authority records a consent it gave (nothing used yet)."""
        _officer(actor, "record consents")
        consent_problems(consent, self.country)
        now = utcnow()
        try:
            with self.database.unit_of_work() as session:
                if session.get(ConsentRow, consent.reference) is not None:
                    raise InvalidConsent([Problem("reference", f"consent {consent.reference}"
                                                               " is already recorded")])
                row = consent_row(consent, actor.username, now)
                session.add(row)
                session.flush()
                return ConsentView(consent, row.recorded_by, row.recorded_at, None)
        except IntegrityError:  # recorded at the same moment by another officer
            raise InvalidConsent([Problem("reference", f"consent {consent.reference} is"
                                                       " already recorded")]) from None

    def consents(self, reader: Principal, limit: int = 100,
                 offset: int = 0) -> list[ConsentView]:
        _officer(reader, "read the consents")
        with self.database.unit_of_work() as session:
            rows = session.scalars(select(ConsentRow).order_by(ConsentRow.recorded_at.desc(),
                                                               ConsentRow.reference)
                                   .limit(limit).offset(offset))
            return [ConsentView(consent_of(r), r.recorded_by, r.recorded_at, r.revoked_reason)
                    for r in rows]

    def consent(self, reference: str, reader: Principal) -> ConsentView:
        """A consent with its uses, shipment by shipment."""
        _officer(reader, "read the consents")
        with self.database.unit_of_work() as session:
            row = session.get(ConsentRow, reference)
            if row is None:
                raise UnknownConsent(f"no consent {reference} is recorded")
            uses = session.scalars(select(ConsentUseRow).where(ConsentUseRow.consent
                                                               == reference)
                                   .order_by(ConsentUseRow.id))
            return ConsentView(
                consent_of(row), row.recorded_by, row.recorded_at, row.revoked_reason,
                tuple(UseView(u.declaration, u.item, Decimal(u.kg), u.taken_at, u.returned_at)
                      for u in uses),
            )

    def revoke(self, reference: str, reason: str, actor: Principal) -> ConsentView:
        """The authority withdraws its consent: no further shipment may use it (those
        already lodged keep what they took)."""
        _officer(actor, "revoke consents")
        if not reason.strip():
            raise InvalidConsent([Problem("reason", "say why the consent is revoked")])
        with self.database.unit_of_work() as session:
            row = session.get(ConsentRow, reference, with_for_update=True)
            if row is None:
                raise UnknownConsent(f"no consent {reference} is recorded")
            if row.revoked:
                raise ConsentConflict(f"consent {reference} was revoked already")
            row.revoked = True
            row.revoked_reason = reason
        return self.consent(reference, actor)

    # -- rules --------------------------------------------------------------------------------

    def add_rule(self, rule: CountryRule, actor: Principal) -> RuleView:
        if actor.role is not Role.ADMIN:
            raise Forbidden("only an administrator sets the country's rules on waste")
        rule_problems(rule)
        now = utcnow()
        try:
            with self.database.unit_of_work() as session:
                if session.get(RuleRow, rule.id) is not None:
                    raise InvalidRule([Problem("id", f"rule {rule.id} exists already; end it"
                                                     " and set a new one")])
                session.add(rule_row(rule, actor.username, now))
        except IntegrityError:
            raise InvalidRule([Problem("id", f"rule {rule.id} exists already")]) from None
        return RuleView(rule, actor.username, now)

    def end_rule(self, rule_id: str, last_day: date, actor: Principal) -> RuleView:
        """A rule stops applying after `last_day` (rules are dated, never deleted)."""
        if actor.role is not Role.ADMIN:
            raise Forbidden("only an administrator sets the country's rules on waste")
        with self.database.unit_of_work() as session:
            row = session.get(RuleRow, rule_id, with_for_update=True)
            if row is None:
                raise UnknownRule(f"no rule {rule_id}")
            if last_day < row.valid_from:
                raise InvalidRule([Problem("valid_to", f"rule {rule_id} starts on"
                                                       f" {row.valid_from}")])
            row.valid_to = last_day
            return RuleView(rule_of(row), row.recorded_by, row.recorded_at)

    def rules(self) -> list[RuleView]:
        """Every rule, in force or not (the law is public: any signed-in user reads it)."""
        with self.database.unit_of_work() as session:
            rows = session.scalars(select(RuleRow).order_by(RuleRow.valid_from, RuleRow.id))
            return [RuleView(rule_of(r), r.recorded_by, r.recorded_at) for r in rows]

    def ensure_sample_rules(self) -> int:
        """The sample rules, for a node whose administrator has set none (ever)."""
        with self.database.unit_of_work() as session:
            if session.scalar(select(RuleRow.id).limit(1)) is not None:
                return 0
            now = utcnow()
            for rule in SAMPLE_RULES:
                session.add(rule_row(rule, "sample", now))
            return len(SAMPLE_RULES)

    # -- checks ---------------------------------------------------------------------------------

    def check(self, declaration: Declaration, on: date | None = None) -> list[Problem]:
        """What this node's Basel checks say of a declaration, storing nothing."""
        with self.database.unit_of_work() as session:
            return self.problems(session, declaration, on or utcnow().date())

    def shipments(self, reader: Principal, outcome: str | None = None, limit: int = 50,
                  offset: int = 0) -> list[ShipmentView]:
        """Waste shipments lodged or stopped here, newest first, with why each was stopped."""
        _officer(reader, "read the waste shipments")
        query = select(ShipmentRow).order_by(ShipmentRow.at.desc(), ShipmentRow.id.desc())
        if outcome is not None:
            query = query.where(ShipmentRow.outcome == outcome)
        with self.database.unit_of_work() as session:
            return [ShipmentView(r.outcome, r.declaration, r.lrn, r.declarant,
                                 tuple(Problem(p["path"], p["message"]) for p in r.problems),
                                 r.at)
                    for r in session.scalars(query.limit(limit).offset(offset))]

    def figures(self) -> Figures:
        with self.database.unit_of_work() as session:
            counts = outcome_counts(session)
        return Figures(counts["stopped"], counts["passed"])

    # -- the Restriction port clearance asks --------------------------------------------------

    def concerns(self, declaration: Declaration) -> bool:
        return concerns(declaration)

    def problems(self, session: Session, declaration: Declaration, on: date) -> list[Problem]:
        found, _ = self._checked(session, declaration, on)
        return found

    def reserve(self, session: Session, declaration: Declaration, number: str,
                on: date) -> list[Problem]:
        now = utcnow()
        give_back(session, number, now)  # an amendment's earlier version held these
        if not concerns(declaration):
            return []
        session.flush()
        found, uses = self._checked(session, declaration, on)
        if found:
            return found
        for use in uses:
            if not take(session, use.consent, use.kg):
                # Another lodgement took the kilograms since our read: say how many are left.
                left = session.scalar(select(ConsentRow.quantity - ConsentRow.used)
                                      .where(ConsentRow.reference == use.consent))
                return [Problem(f"items.{use.index}.waste_consent",
                                f"item {use.item}: consent {use.consent} is used up:"
                                f" {kilograms(Decimal(left or 0))} kg left,"
                                f" {kilograms(use.kg)} kg declared")]
            session.add(ConsentUseRow(consent=use.consent, declaration=number, item=use.item,
                                      kg=use.kg, taken_at=now, returned_at=None))
        if waste_items(declaration) and session.scalar(
                select(ShipmentRow.id).where(ShipmentRow.declaration == number)) is None:
            session.add(ShipmentRow(outcome="passed", declaration=number, lrn=declaration.lrn,
                                    declarant=declaration.declarant.id, problems=[], at=now))
        return []

    def release(self, session: Session, number: str) -> None:
        give_back(session, number, utcnow())

    def stopped(self, declaration: Declaration, problems: list[Problem]) -> None:
        with self.database.unit_of_work() as session:
            session.add(ShipmentRow(outcome="stopped", declaration=None, lrn=declaration.lrn,
                                    declarant=declaration.declarant.id,
                                    problems=[p.as_dict() for p in problems[:20]],
                                    at=utcnow()))

    def _checked(
        self, session: Session, declaration: Declaration, on: date
    ) -> tuple[list[Problem], list[Use]]:
        references = {i.consent for i in waste_items(declaration) if i.consent}
        consents = consents_named(session, references)
        rules = [rule_of(r) for r in session.scalars(select(RuleRow))]
        return check_declaration(declaration, self.country, consents, rules, on)

