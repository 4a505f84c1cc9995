"""Use cases of selectivity: officers manage risk profiles and the policy; lodgement asks for
a channel (rules, the learned model in service, AEO status, the random share); inspection
results come back and feed the hit rates and the model's training history."""

from __future__ import annotations

import random
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import cast

import numpy as np
from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from singlewindow.core.clock import as_utc, utcnow
from singlewindow.core.db import Database
from singlewindow.core.errors import Problem
from singlewindow.core.ids import new_id
from singlewindow.core.revisions import RevisionWatch
from singlewindow.risk.errors import InvalidRule, RuleRetired, UnknownRule
from singlewindow.risk.learning import repository as learned
from singlewindow.risk.learning.estimator import RiskModel
from singlewindow.risk.learning.facts import scoring_records
from singlewindow.risk.model import (
    AeoRegister,
    AeoRole,
    AeoStanding,
    Channel,
    InspectionOutcome,
    ModelOpinion,
    RiskRule,
    RiskSubject,
    RuleStatistics,
    RuleStatus,
    ScoreCalibration,
    Selection,
    SelectivityPolicy,
    choose_channel,
    no_aeo_register,
    parse_criterion,
)
from singlewindow.risk.repository import (
    RiskRuleRow,
    RuleHitRow,
    SelectionRow,
    SelectivityPolicyRow,
    bump_revision,
    current_revision,
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
        bump_revision(session)
    RevisionWatch.changed(database, "risk")
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
        bump_revision(session)
    RevisionWatch.changed(database, "risk")
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
    return selectivity_of(database).policy


def set_policy(database: Database, policy: SelectivityPolicy, actor: str) -> SelectivityPolicy:
    problems = policy.problems()
    if problems:
        raise InvalidRule(problems)
    with database.unit_of_work() as session:
        row = session.get(SelectivityPolicyRow, 1)
        if row is None:
            row = SelectivityPolicyRow(id=1)
            session.add(row)
        row.random_share = policy.random_share
        row.random_channel = policy.random_channel.value
        row.red_rate = policy.red_rate
        row.yellow_rate = policy.yellow_rate
        row.aeo_factor = policy.aeo_factor
        row.aeo_random_share = policy.aeo_random_share
        row.updated_by = actor
        row.updated_at = utcnow()
        bump_revision(session)
    RevisionWatch.changed(database, "risk")
    return policy


@dataclass(frozen=True)
class ServiceModel:
    """The model in service with its calibration (None until calibrated)."""

    version: int
    model: RiskModel
    calibration: ScoreCalibration | None
    created_at: datetime | None = None  # when the version was registered (it names the file)


@dataclass(frozen=True)
class SelectivityState:
    """What a decision reads: the active rules, the policy and the model in service."""

    rules: list[RiskRule]
    policy: SelectivityPolicy
    model: ServiceModel | None


class Selectivity:
    """Selectivity as one node wires it: the random share used until officers set a policy,
    the random source, the AEO register (`aeo`, which the node may set once the AEO room is
    built), and — read at every lodgement, so kept
    in memory — the active rules, the policy and the model in service.

    A change of rules, policy or model bumps the risk revision in the database; every
    `Selectivity` of every process reads it at most every `core.revisions.CHECK_SECONDS` and
    reloads when it moved, so a change through any worker is honoured by all within a
    second (at once in the process that made it)."""

    def __init__(
        self,
        database: Database,
        default_random_share: float = 0.02,
        seed: int | None = None,
        *,
        aeo: AeoRegister | None = None,
    ) -> None:
        """`seed` (for tests and simulations) makes the random draw repeatable; in service
        it is unpredictable. `aeo` answers which named party, if any, is a recognised
        authorised economic operator and with which benefits (default: nobody is)."""
        self.database = database
        self.default_random_share = default_random_share
        self.aeo: AeoRegister = aeo or no_aeo_register
        self.rng: random.Random = random.SystemRandom() if seed is None else random.Random(seed)
        self._lock = threading.Lock()
        self._state: SelectivityState | None = None
        self._watch = RevisionWatch(database, "risk", self._read_revision)

    def _read_revision(self) -> int:
        with self.database.unit_of_work() as session:
            return current_revision(session)

    def state(self) -> SelectivityState:
        """Rules, policy and model in service, reloaded when the risk revision moved."""
        state = self._state
        if state is not None and not self._watch.moved():
            return state
        # The database's turn first, then the lock (core.db.Database.unit_of_work).
        with self.database.unit_of_work() as session, self._lock:
            rules = [
                row.rule()
                for row in session.scalars(
                    select(RiskRuleRow).where(RiskRuleRow.status == RuleStatus.ACTIVE.value)
                )
            ]
            row = session.get(SelectivityPolicyRow, 1)
            policy = (
                row.policy() if row else SelectivityPolicy.until_set(self.default_random_share)
            )
            previous = state.model if state is not None else None
            state = SelectivityState(rules, policy, _service_model(session, previous))
            self._state = state
            return state

    @property
    def policy(self) -> SelectivityPolicy:
        return self.state().policy

    def refresh(self) -> None:
        """Read rules, policy and the model in service afresh at the next decision."""
        self._watch.touch()

    def decide(self, subject: RiskSubject, on: date) -> Selection:
        """The channel for a consignment (no I/O beyond a look at the risk revision every
        half second, and a reload when it moved)."""
        state = self.state()
        standing = self.standing(subject, on)
        opinion = None
        if state.model is not None:
            opinion = model_opinion(state.model, state.policy, subject, on, standing)
        return choose_channel(subject, state.rules, state.policy, on, self.rng, opinion, standing)

    def standing(self, subject: RiskSubject, on: date) -> AeoStanding | None:
        """The AEO standing the register gives the consignment's parties on the day."""
        parties = aeo_parties(subject)
        return self.aeo(parties, on) if parties else None


def _service_model(session: Session, previous: ServiceModel | None) -> ServiceModel | None:
    row = learned.in_service(session)
    if row is None:
        return None
    stored = (row.metrics or {}).get("calibration")
    calibration = (
        ScoreCalibration(tuple(stored["quantiles"]), int(stored["population"])) if stored else None
    )
    created_at = as_utc(row.created_at)
    if previous is not None and (previous.version, previous.created_at) == (
        row.version,
        created_at,
    ):
        model = previous.model  # unpacked once per version, not at every reload
    else:
        model = RiskModel.from_bytes(row.content)
    return ServiceModel(row.version, model, calibration, created_at)


# The Selectivity each database is wired with in this process is kept on the database, for
# callers given only the database (the node wires its own and hands it to clearance and
# pre-arrival).
_KEPT_AS = "risk.selectivity"


def configure(
    database: Database,
    default_random_share: float,
    seed: int | None = None,
    *,
    aeo: AeoRegister | None = None,
) -> Selectivity:
    """Wire selectivity for `database` in this process (see `Selectivity`) and return it."""
    wired = Selectivity(database, default_random_share, seed, aeo=aeo)
    return database.keep(_KEPT_AS, wired)


def selectivity_of(database: Database) -> Selectivity:
    """The Selectivity wired for `database` (a default one if none was)."""
    return database.kept(_KEPT_AS, lambda: Selectivity(database))


def decide(database: Database, subject: RiskSubject, on: date) -> Selection:
    """The channel for a consignment, by the Selectivity wired for `database`."""
    return selectivity_of(database).decide(subject, on)


def model_opinion(
    service: ServiceModel,
    policy: SelectivityPolicy,
    subject: RiskSubject,
    on: date,
    aeo: AeoStanding | None = None,
) -> ModelOpinion:
    """Score a consignment (its riskiest item), scale it down for a recognised AEO with a
    lower score, compare it with the thresholds the policy's rates give, and explain it when
    it selects."""
    records = scoring_records(subject, on)
    model = service.model
    rows = np.asarray([model.history.row(r) for r in records], dtype=np.float64)
    scores = model.booster.predict(rows, num_threads=1)
    riskiest = int(np.argmax(scores))
    raw = float(scores[riskiest])
    party = aeo.operator if aeo is not None and scales(aeo, policy) else None
    score = raw * policy.aeo_factor if party else raw
    thresholds = service.calibration.thresholds(policy) if service.calibration else None
    reasons: tuple[str, ...] = ()
    if thresholds is not None and thresholds.channel(score) is not Channel.GREEN:
        reasons = tuple(r.text for r in model.explain(records[riskiest]))
    return ModelOpinion(
        version=service.version,
        score=score,
        raw_score=raw,
        thresholds=thresholds,
        reasons=reasons,
        aeo_party=party,
        aeo_factor=policy.aeo_factor,
    )


def scales(aeo: AeoStanding | None, policy: SelectivityPolicy) -> bool:
    """Whether the model's score of a consignment with this standing is scaled down."""
    return aeo is not None and aeo.lower_score and policy.aeo_factor < 1


# The header's type of an export: the declaration type's code (EX), or its word.
_EXPORT = ("EX", "export")


def aeo_parties(subject: RiskSubject) -> list[tuple[str, AeoRole]]:
    """The parties whose AEO standing counts, in the order the register is asked: the
    importer then the exporter of an import, the exporter of an export, the holder then the
    carrier of a transit movement; the declarant, in the role of the type, when none is
    named."""
    header = subject.header
    kind = header.get("type")
    keys: tuple[tuple[str, AeoRole], ...]
    if kind == "transit":
        keys = (("holder", AeoRole.CONSIGNOR), ("carrier", AeoRole.CARRIER))
    elif kind in _EXPORT:
        keys = (("exporter", AeoRole.EXPORTER),)
    elif header.get("export_reference"):
        keys = (("importer", AeoRole.IMPORTER), ("exporter", AeoRole.EXPORTER))
    else:
        # An importer's word alone does not make its supplier a partner's AEO: the exporter
        # counts when the import cites the export, which the cross-check holds against the
        # export data its administration sent (the ACDD).
        keys = (("importer", AeoRole.IMPORTER),)
    parties = [(str(header[key]), role) for key, role in keys if header.get(key)]
    if not parties and header.get("declarant"):
        role = (
            AeoRole.CONSIGNOR
            if kind == "transit"
            else AeoRole.EXPORTER if kind in _EXPORT else AeoRole.IMPORTER
        )
        parties.append((str(header["declarant"]), role))
    return parties


def record_selections(
    session: Session,
    entries: Sequence[tuple[str, str, RiskSubject, Selection]],
    *,
    now: datetime | None = None,
) -> None:
    """Keep decisions in the caller's transaction (history for hit rates and learning).
    Each entry is (subject reference, kind such as "declaration", subject, selection)."""
    now = now or utcnow()
    rows: list[dict[str, object]] = []
    hits: list[dict[str, str]] = []
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
                "model_version": selection.model_version,
                "reasons": list(selection.reasons),
                "facts": {
                    # Decimals become strings in the JSON column (core.db).
                    "header": subject.header,
                    "items": subject.items,
                },
            }
        )
        hits.extend({"selection_id": selection_id, "rule_id": r} for r in selection.rule_ids)
    # Core inserts: one statement for the batch, without the ORM's per-row bookkeeping.
    if rows:
        session.execute(cast(Table, SelectionRow.__table__).insert(), rows)
    if hits:
        session.execute(cast(Table, RuleHitRow.__table__).insert(), hits)


def record_outcome(
    session: Session,
    subject_ref: str,
    outcome: InspectionOutcome,
    duty_difference: Decimal | None = None,
    *,
    now: datetime | None = None,
) -> None:
    """An inspection result flows back into the history of the latest selection (the node's
    labelled history that `risk train` learns from)."""
    row = session.scalars(
        select(SelectionRow)
        .where(SelectionRow.subject_ref == subject_ref)
        .order_by(SelectionRow.selected_at.desc())
        .limit(1)
    ).first()
    if row is not None:
        row.outcome = outcome.value
        row.outcome_at = now or utcnow()
        row.duty_difference = duty_difference
