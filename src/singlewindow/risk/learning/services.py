"""The learned model on the node's own history: train a candidate on the inspected selections,
calibrate its thresholds, compare it with the model in service on later results, promote it
through the promotion gates (`promotion.py`), roll back, backfill scores, and watch drift.

Out of time. A candidate is trained on the results recorded up to `COMPARISON_DAYS` before the
latest one; the declarations lodged after its training data, whose results came in since, are
the later period it is compared on. What is promoted is the model so judged.

The labelled history is `risk_selection`: every channel decision with the facts it was made on;
those with an inspection outcome are the training data (fraud: the inspection found something;
critical: a seizure). The random share makes part of it an unbiased sample of the flow.

Thresholds. Officers set inspection rates (red and yellow shares of the flow), not scores. A
model's calibration is the distribution of its scores over the node's recent flow (every
consignment selected in the last `CALIBRATION_DAYS`, inspected or not, scored as at lodgement);
it is stored with the model version in the registry, computed when the candidate is registered
and again when it is promoted. The red threshold is the (1 − red rate) quantile, the yellow one
the (1 − red rate − yellow rate) quantile, so the model alone sends about `red_rate` of the flow
to red and `yellow_rate` to yellow, and a change of policy takes effect without recalibrating.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast

import numpy as np
from sqlalchemy import select, update

from singlewindow.core.clock import as_utc, utcnow
from singlewindow.core.db import Database
from singlewindow.core.errors import Conflict
from singlewindow.core.revisions import RevisionWatch
from singlewindow.risk import services as selectivity
from singlewindow.risk.learning import registry
from singlewindow.risk.learning import repository as learned
from singlewindow.risk.learning.estimator import (
    DEFAULT_ROUNDS,
    InvalidModel,
    RiskModel,
    declaration_counts,
)
from singlewindow.risk.learning.facts import records_from_facts
from singlewindow.risk.learning.promotion import PromotionGates
from singlewindow.risk.learning.record import ScoringRecord
from singlewindow.risk.learning.registry import Comparison, ModelVersion, Rollback, WeekDrift
from singlewindow.risk.model import InspectionOutcome, RiskSubject, ScoreCalibration
from singlewindow.risk.repository import SelectionRow, bump_revision

CALIBRATION_DAYS = 90
CALIBRATION_LIMIT = 100_000  # the most recent consignments, at most
CALIBRATION_MINIMUM = 20  # fewer consignments than this give no thresholds
QUANTILE_LEVELS = 1001  # quantiles at 0, 0.1 %, ..., 100 %
COMPARISON_DAYS = 30
# The steps a training reports to a `progress(done, total)` hook (a background job's bar):
# the inspected history loaded, the features built and the model fitted, the candidate
# registered, its thresholds calibrated.
TRAINING_STEPS = 4


class NoModelInService(Conflict):
    pass


class NotEnoughHistory(Conflict):
    """The node's inspection results cannot train or judge a model yet."""


@dataclass(frozen=True)
class LabelledHistory:
    """Inspected consignments as model records (one per goods item), each with when it was
    lodged and when its result was recorded."""

    records: list[ScoringRecord]
    timeline: list[tuple[datetime, datetime]]

    def outcomes_recorded(self, start: datetime, end: datetime) -> list[ScoringRecord]:
        return [
            r
            for r, (_, known) in zip(self.records, self.timeline, strict=True)
            if start < known <= end
        ]

    def recorded_by(self, moment: datetime) -> LabelledHistory:
        """The part of the history whose results were recorded by `moment`."""
        kept = [
            (r, times)
            for r, times in zip(self.records, self.timeline, strict=True)
            if times[1] <= moment
        ]
        return LabelledHistory([r for r, _ in kept], [t for _, t in kept])

    @property
    def latest_result(self) -> datetime | None:
        return max((known for _, known in self.timeline), default=None)

    def declarations(self) -> tuple[int, int]:
        """Inspected declarations and those with findings (the records are goods items)."""
        return declaration_counts(self.records)

    def describe(self) -> str:
        inspected, hits = self.declarations()
        return f"{inspected:,} inspected declarations ({hits:,} with findings)"


def labelled_history(database: Database, *, until: datetime | None = None) -> LabelledHistory:
    """Every inspected selection whose result was recorded up to `until` (default: now), in
    the order of lodgement."""
    query = (
        select(
            SelectionRow.subject_ref,
            SelectionRow.selected_at,
            SelectionRow.facts,
            SelectionRow.outcome,
            SelectionRow.outcome_at,
        )
        .where(SelectionRow.outcome.is_not(None))
        .order_by(SelectionRow.selected_at, SelectionRow.id)
    )
    if until is not None:
        query = query.where(SelectionRow.outcome_at <= until)
    records: list[ScoringRecord] = []
    timeline: list[tuple[datetime, datetime]] = []
    with database.unit_of_work() as session:
        for row in session.execute(query):
            ref, selected_at, facts, outcome, outcome_at = cast(
                tuple[str, datetime, dict[str, Any], str, datetime], tuple(row)
            )
            lodged = as_utc(selected_at)
            items = records_from_facts(
                facts.get("header", {}),
                facts.get("items", []),
                lodged.date(),
                ref,
                InspectionOutcome(outcome),
            )
            records.extend(items)
            timeline.extend([(lodged, as_utc(outcome_at))] * len(items))
    return LabelledHistory(records, timeline)


def train_candidate(
    database: Database,
    *,
    until: datetime | None = None,
    note: str = "",
    rounds: int = DEFAULT_ROUNDS,
    parameters: dict[str, Any] | None = None,
    now: datetime | None = None,
    holdout_days: int = COMPARISON_DAYS,
    progress: Callable[[int, int], None] | None = None,
) -> ModelVersion:
    """Train on the node's inspected history (each declaration's features read only results
    recorded before it was lodged) and register the model as a candidate, calibrated.

    The results of the latest `holdout_days` are held out, so that the candidate can be
    compared on declarations later than its training data (0: train on everything, and the
    candidate cannot be promoted until later results come in). `progress`, if given, is told
    each of the `TRAINING_STEPS` steps as it is done."""

    def step(done: int) -> None:
        if progress is not None:
            progress(done, TRAINING_STEPS)

    step(0)
    history = labelled_history(database, until=until)
    step(1)
    latest = history.latest_result
    if latest is None:
        raise NotEnoughHistory(
            "no inspection results recorded yet: a model learns from inspected declarations "
            f"({PromotionGates().describe()} to be promoted); record inspection results first"
        )
    training = history.recorded_by(latest - timedelta(days=holdout_days))
    try:
        model = RiskModel.train(
            training.records, timeline=training.timeline, rounds=rounds, parameters=parameters
        )
    except InvalidModel:
        held = (
            f"; the results of the latest {holdout_days} days are held out to judge it on "
            "later declarations"
            if holdout_days
            else ""
        )
        raise NotEnoughHistory(
            f"not enough inspection results to train: {history.describe()} recorded, "
            f"{training.describe()} to train on{held}. A model needs results with and "
            f"without findings ({PromotionGates().describe()} to be promoted)"
        ) from None
    step(2)
    candidate = registry.register_candidate(
        database, model, note=note or "trained on the node's inspection results", now=now
    )
    step(3)
    calibrate(database, candidate.version, now=now)
    step(4)
    return registry.version(database, candidate.version)


def _recent_flow(
    database: Database,
    since: datetime,
    until: datetime | None = None,
    limit: int | None = None,
    chunk: int = 10_000,
) -> Iterator[list[tuple[str, datetime, dict[str, Any], str | None]]]:
    query = (
        select(SelectionRow.id, SelectionRow.selected_at, SelectionRow.facts, SelectionRow.outcome)
        .where(SelectionRow.selected_at >= since)
        .order_by(SelectionRow.selected_at.desc(), SelectionRow.id)
    )
    if until is not None:
        query = query.where(SelectionRow.selected_at < until)
    if limit is not None:
        query = query.limit(limit)
    with database.unit_of_work() as session:
        batch: list[tuple[str, datetime, dict[str, Any], str | None]] = []
        for row in session.execute(query):
            batch.append((row[0], as_utc(row[1]), row[2], row[3]))
            if len(batch) >= chunk:
                yield batch
                batch = []
        if batch:
            yield batch


def consignment_scores(
    model: RiskModel,
    facts: Sequence[dict[str, Any]],
    days: Sequence[date],
) -> np.ndarray:
    """One score per consignment, from stored facts: the highest of its items' scores."""
    records, owners = _item_records(facts, days)
    scores = np.full(len(facts), -np.inf)
    if records:
        np.maximum.at(scores, np.asarray(owners), model.score_batch(records))
    return scores


def _item_records(
    facts: Sequence[dict[str, Any]], days: Sequence[date]
) -> tuple[list[ScoringRecord], list[int]]:
    records: list[ScoringRecord] = []
    owners: list[int] = []
    for index, (fact, day) in enumerate(zip(facts, days, strict=True)):
        items = records_from_facts(fact.get("header", {}), fact.get("items", []), day)
        records.extend(items)
        owners.extend([index] * len(items))
    return records, owners


def calibrate(
    database: Database,
    version: int,
    *,
    now: datetime | None = None,
    days: int = CALIBRATION_DAYS,
) -> ScoreCalibration | None:
    """Score the recent flow with a model and keep its score quantiles with the version (None,
    and nothing stored, when the flow is too small to say anything).

    Each consignment is read against the model's history with its own result left out: a
    declaration at lodgement has no result yet, and letting inspected consignments see their
    own would inflate the top scores, so that the thresholds would select less than the
    policy's rates.
    """
    moment = now or utcnow()
    model = registry.load(database, version)
    flow = sorted(
        (
            entry
            for batch in _recent_flow(
                database, moment - timedelta(days=days), moment, limit=CALIBRATION_LIMIT
            )
            for entry in batch
        ),
        key=lambda entry: entry[1],
    )
    if len(flow) < CALIBRATION_MINIMUM:
        return None
    scores = _scores_own_result_left_out(model, flow)
    quantiles = np.quantile(scores, np.linspace(0.0, 1.0, QUANTILE_LEVELS))
    calibration = ScoreCalibration(tuple(float(q) for q in quantiles), len(flow))
    with database.unit_of_work() as session:
        row = learned.get(session, version)
        assert row is not None
        row.metrics = {
            **(row.metrics or {}),
            "calibration": {
                "population": calibration.population,
                "from": (moment - timedelta(days=days)).isoformat(),
                "to": moment.isoformat(),
                "quantiles": list(calibration.quantiles),
            },
        }
        bump_revision(session)  # the model in service may be this one: reload it everywhere
    RevisionWatch.changed(database, "risk")
    return calibration


def _scores_own_result_left_out(
    model: RiskModel, flow: Sequence[tuple[str, datetime, dict[str, Any], str | None]]
) -> np.ndarray:
    history = model.history
    rows: list[list[float]] = []
    owners: list[int] = []
    for index, (_, lodged, facts, outcome) in enumerate(flow):
        counted = outcome is not None and lodged.date() <= model.summary.data_to
        for record in records_from_facts(
            facts.get("header", {}),
            facts.get("items", []),
            lodged.date(),
            outcome=InspectionOutcome(outcome) if counted and outcome else None,
        ):
            if record.fraud is None:
                rows.append(history.row(record))
            else:
                history.remove(record)
                rows.append(history.row(record))
                history.add(record)
            owners.append(index)
    scores = np.full(len(flow), -np.inf)
    predicted = model.booster.predict(np.asarray(rows, dtype=np.float64))
    np.maximum.at(scores, np.asarray(owners), predicted)
    return scores


def compare_latest(
    database: Database,
    version: int,
    *,
    days: int = COMPARISON_DAYS,
    now: datetime | None = None,
) -> Comparison:
    """Compare a candidate with the model in service (or, with none, with the no-skill
    baseline) on the declarations lodged after its training data whose results were recorded
    in the last `days` before the latest result; the report is kept with the candidate for
    whoever promotes it, at the policy's inspection rate."""
    candidate = registry.version(database, version)  # UnknownModel first: say what is missing
    history = labelled_history(database, until=now)
    latest = history.latest_result
    if latest is None:
        raise NotEnoughHistory("no inspection results recorded yet: nothing to compare on")
    period = [
        r
        for r, (_, known) in zip(history.records, history.timeline, strict=True)
        if r.date > candidate.data_to and latest - timedelta(days=days) < known
    ]
    if not period:
        raise NotEnoughHistory(
            f"no inspection results yet on declarations lodged after {candidate.data_to}, the "
            f"end of model v{version}'s training data: nothing later to judge it on. Train a "
            "candidate that holds out the latest results (the default) or wait for new ones"
        )
    policy = selectivity.get_policy(database)
    return registry.compare(
        database, version, period, inspection_rate=policy.red_rate + policy.yellow_rate
    )


def promote(
    database: Database,
    version: int,
    *,
    by: str,
    now: datetime | None = None,
    gates: PromotionGates | None = None,
) -> ModelVersion:
    """Recalibrate the model on the latest flow and put it in service through the promotion
    gates (the one in service retires); every process picks it up within a second, this one
    at once (the promotion bumps the risk revision)."""
    registry.version(database, version)  # UnknownModel before any work
    calibrate(database, version, now=now)
    promoted = registry.promote(
        database, version, by=by, policy=selectivity.get_policy(database), gates=gates, now=now
    )
    return promoted


def rollback(database: Database, *, by: str, reason: str, now: datetime | None = None) -> Rollback:
    """Withdraw the model in service and put the previous one back (or none: rules only)."""
    return registry.rollback(database, by=by, reason=reason, now=now)


def models(database: Database) -> list[ModelVersion]:
    return registry.versions(database)


@dataclass(frozen=True)
class DriftReport:
    version: int | None
    threshold: float | None  # the yellow threshold: the share above it is what the model selects
    weeks: list[WeekDrift]


def drift(database: Database, *, weeks: int = 12, now: datetime | None = None) -> DriftReport:
    """Week by week over the stored selections: mean score, share at or above the model's
    selection threshold, hit rate of inspections, and PSI against the first week."""
    moment = now or utcnow()
    query = (
        select(SelectionRow.selected_at, SelectionRow.score, SelectionRow.outcome)
        .where(SelectionRow.score.is_not(None))
        .where(SelectionRow.selected_at >= moment - timedelta(weeks=weeks))
        .order_by(SelectionRow.selected_at)
    )
    with database.unit_of_work() as session:
        rows = session.execute(query).all()
        current = learned.in_service(session)
        number = current.version if current else None
        stored = (current.metrics or {}).get("calibration") if current else None
    threshold = None
    if stored:
        policy = selectivity.get_policy(database)
        calibration = ScoreCalibration(tuple(stored["quantiles"]), int(stored["population"]))
        threshold = calibration.thresholds(policy).yellow
    records = [_dated(as_utc(at).date(), outcome) for at, _, outcome in rows]
    week_rows = registry.drift(
        None,
        records,
        threshold=threshold if threshold is not None else 0.5,
        scores=[score for _, score, _ in rows if score is not None],  # all are, by the query
    )
    return DriftReport(number, threshold, week_rows)


def _dated(day: date, outcome: str | None) -> ScoringRecord:
    found = None if outcome is None else InspectionOutcome(outcome).found_something
    return ScoringRecord(
        "", day, "", "", "", "", "", "", "", "", "", 0.0, "", 0.0, 0.0, fraud=found
    )


def backfill(
    database: Database,
    *,
    since: date,
    until: date | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Score stored selections from `since` (to `until`, exclusive) with the model in service
    and write the scores (AEO operators scaled down as at lodgement). Returns how many;
    `progress`, if given, is told the selections scored of those found, batch by batch."""
    with database.unit_of_work() as session:
        current = learned.in_service(session)
        number = current.version if current else None
    if number is None:
        raise NoModelInService("no risk model is in service: promote one first")
    model = registry.load(database, number)
    policy = selectivity.get_policy(database)
    wired = selectivity.selectivity_of(database)
    start = datetime.combine(since, time.min, tzinfo=UTC)
    end = datetime.combine(until, time.min, tzinfo=UTC) if until else None
    written = 0
    # Read first, then write: SQLite would not let a write through a read still open.
    batches = list(_recent_flow(database, start, end))
    found = sum(len(batch) for batch in batches)
    if progress is not None:
        progress(0, found)
    for batch in batches:
        facts = [b[2] for b in batch]
        scores = consignment_scores(model, facts, [b[1].date() for b in batch])
        updates = []
        for (selection_id, at, fact, _), score in zip(batch, scores, strict=True):
            subject = RiskSubject(fact.get("header", {}), fact.get("items", []))
            if selectivity.scales(wired.standing(subject, at.date()), policy):
                score *= policy.aeo_factor
            updates.append({"id": selection_id, "score": float(score), "model_version": number})
        with database.unit_of_work() as session:
            session.execute(update(SelectionRow), updates)
        written += len(updates)
        if progress is not None:
            progress(written, found)
    return written
