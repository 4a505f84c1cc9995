"""Use cases of selectivity: officers manage risk profiles and the policy; lodgement asks for
a channel; inspection results come back and feed the hit rates."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from singlewindow.core.clock import utcnow
from singlewindow.core.db import Database
from singlewindow.core.errors import Problem
from singlewindow.core.ids import new_id
from singlewindow.risk.errors import InvalidRule, RuleRetired, UnknownRule
from singlewindow.risk.model import (
    Channel,
    InspectionOutcome,
    RiskRule,
    RiskSubject,
    RuleStatistics,
    RuleStatus,
    Selection,
    SelectivityPolicy,
    choose_channel,
    parse_criterion,
)
from singlewindow.risk.repository import (
    RiskRuleRow,
    RuleHitRow,
    SelectionRow,
    SelectivityPolicyRow,
    rule_statistics,
)


@dataclass(frozen=True)
class RuleDraft:
    name: str
    criteria: list[dict[str, object]]
    channel: Channel
    valid_from: date
    valid_to: date | None = None
    forced: bool = False
    description: str = ""


def create_rule(database: Database, draft: RuleDraft, actor: str) -> RiskRule:
    problems: list[Problem] = []
    if not draft.name.strip():
        problems.append(Problem("name", "a rule needs a name"))
    if not draft.criteria:
        problems.append(Problem("criteria", "a rule needs at least one criterion"))
    for index, raw in enumerate(draft.criteria):
        parse_criterion(raw, f"criteria.{index}", problems)
    if draft.valid_to is not None and draft.valid_to < draft.valid_from:
        problems.append(Problem("valid_to", "the end of validity is before its start"))
    if problems:
        raise InvalidRule(problems)
    now = utcnow()
    row = RiskRuleRow(
        id=new_id(),
        name=draft.name.strip(),
        description=draft.description,
        criteria=draft.criteria,
        channel=draft.channel.value,
        forced=draft.forced,
        valid_from=draft.valid_from,
        valid_to=draft.valid_to,
        status=RuleStatus.ACTIVE.value,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    with database.unit_of_work() as session:
        session.add(row)
    _forget(database)
    return row.rule()


def set_rule_status(database: Database, rule_id: str, status: RuleStatus, actor: str) -> RiskRule:
    """Enable, disable or retire a rule; a retired rule stays retired."""
    with database.unit_of_work() as session:
        row = session.get(RiskRuleRow, rule_id)
        if row is None:
            raise UnknownRule(f"no risk rule {rule_id}")
        if row.status == RuleStatus.RETIRED.value and status is not RuleStatus.RETIRED:
            raise RuleRetired(f"rule {row.name!r} is retired and cannot be {status.value}")
        row.status = status.value
        row.updated_at = utcnow()
        rule = row.rule()
    _forget(database)
    return rule


@dataclass(frozen=True)
class RuleReport:
    rule: RiskRule
    description: str
    created_by: str
    statistics: RuleStatistics


def get_rule(database: Database, rule_id: str) -> RuleReport:
    with database.unit_of_work() as session:
        row = session.get(RiskRuleRow, rule_id)
        if row is None:
            raise UnknownRule(f"no risk rule {rule_id}")
        return RuleReport(
            row.rule(), row.description, row.created_by, rule_statistics(session, rule_id)
        )


def list_rules(
    database: Database, status: RuleStatus | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[RuleReport], int]:
    with database.unit_of_work() as session:
        query = select(RiskRuleRow)
        count = select(func.count()).select_from(RiskRuleRow)
        if status is not None:
            query = query.where(RiskRuleRow.status == status.value)
            count = count.where(RiskRuleRow.status == status.value)
        rows = session.scalars(
            query.order_by(RiskRuleRow.created_at, RiskRuleRow.id).limit(limit).offset(offset)
        ).all()
        reports = [
            RuleReport(r.rule(), r.description, r.created_by, rule_statistics(session, r.id))
            for r in rows
        ]
        return reports, session.scalar(count) or 0


def get_policy(database: Database) -> SelectivityPolicy:
    return _selectivity(database).policy


def set_policy(database: Database, policy: SelectivityPolicy, actor: str) -> SelectivityPolicy:
    if not 0 <= policy.random_share <= 1:
        raise InvalidRule([Problem("random_share", "the random share is between 0 and 1")])
    if policy.random_channel is Channel.GREEN:
        raise InvalidRule([Problem("random_channel", "a random pick goes to yellow or red")])
    with database.unit_of_work() as session:
        row = session.get(SelectivityPolicyRow, 1)
        if row is None:
            row = SelectivityPolicyRow(id=1)
            session.add(row)
        row.random_share = policy.random_share
        row.random_channel = policy.random_channel.value
        row.updated_by = actor
        row.updated_at = utcnow()
    _forget(database)
    return policy


# Rules and policy are read at every lodgement, so each process keeps them in memory. Its
# own changes refresh them at once; other processes' changes within a few seconds.
_REFRESH_SECONDS = 5.0


@dataclass
class _Selectivity:
    rules: list[RiskRule]
    policy: SelectivityPolicy
    loaded_at: float


_loaded: dict[Database, _Selectivity] = {}
_lock = threading.Lock()
_default_share: dict[Database, float] = {}
_rng: random.Random = random.SystemRandom()


def configure(database: Database, default_random_share: float, seed: int | None = None) -> None:
    """Start-up settings: the random share used until officers set a policy, and (for tests
    and simulations) a seeded random generator; in service the draw is unpredictable."""
    global _rng
    _default_share[database] = default_random_share
    if seed is not None:
        _rng = random.Random(seed)
    _forget(database)


def _forget(database: Database) -> None:
    _loaded.pop(database, None)


def _selectivity(database: Database) -> _Selectivity:
    current = _loaded.get(database)
    if current is not None and time.monotonic() - current.loaded_at < _REFRESH_SECONDS:
        return current
    with _lock, database.unit_of_work() as session:
        rules = [
            row.rule()
            for row in session.scalars(
                select(RiskRuleRow).where(RiskRuleRow.status == RuleStatus.ACTIVE.value)
            )
        ]
        row = session.get(SelectivityPolicyRow, 1)
        policy = row.policy() if row else SelectivityPolicy(_default_share.get(database, 0.02))
        current = _Selectivity(rules, policy, time.monotonic())
        _loaded[database] = current
        return current


def decide(database: Database, subject: RiskSubject, on: date) -> Selection:
    """The channel for a consignment (no I/O beyond a periodic refresh of the rules)."""
    state = _selectivity(database)
    return choose_channel(subject, state.rules, state.policy, on, _rng)


def record_selections(
    session: Session, entries: Sequence[tuple[str, str, RiskSubject, Selection]]
) -> None:
    """Keep decisions in the caller's transaction (history for hit rates and learning).
    Each entry is (subject reference, kind such as "declaration", subject, selection)."""
    now = utcnow()
    rows, hits = [], []
    for subject_ref, kind, subject, selection in entries:
        selection_id = new_id()
        rows.append(
            {
                "id": selection_id,
                "subject_ref": subject_ref,
                "subject_kind": kind,
                "selected_at": now,
                "channel": selection.channel.value,
                "random": selection.random,
                "score": selection.score,
                "reasons": list(selection.reasons),
                "facts": {
                    "header": _plain(subject.header),
                    "items": [_plain(item) for item in subject.items],
                },
            }
        )
        hits.extend({"selection_id": selection_id, "rule_id": r} for r in selection.rule_ids)
    # Core inserts: one statement for the batch, without the ORM's per-row bookkeeping.
    if rows:
        session.execute(SelectionRow.__table__.insert(), rows)
    if hits:
        session.execute(RuleHitRow.__table__.insert(), hits)


def record_outcome(
    session: Session,
    subject_ref: str,
    outcome: InspectionOutcome,
    duty_difference: Decimal | None = None,
) -> None:
    """An inspection result flows back into the history of the latest selection."""
    row = session.scalars(
        select(SelectionRow)
        .where(SelectionRow.subject_ref == subject_ref)
        .order_by(SelectionRow.selected_at.desc())
        .limit(1)
    ).first()
    if row is not None:
        row.outcome = outcome.value
        row.outcome_at = utcnow()
        row.duty_difference = duty_difference


def _plain(facts: Mapping[str, object]) -> dict[str, object]:
    return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in facts.items()}
