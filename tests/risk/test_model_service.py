"""Promotion gates and rollback through the services, on the node's own history (SQLite and
PostgreSQL): a junk model never goes into service, and the model before can be put back."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from singlewindow.core.errors import Conflict, Invalid
from singlewindow.risk import services as selectivity
from singlewindow.risk.learning import registry
from singlewindow.risk.learning import services as learning
from singlewindow.risk.learning.promotion import PromotionGates
from singlewindow.risk.learning.repository import ModelStatus, ServiceChange
from singlewindow.risk.model import InspectionOutcome

from .conftest import FAST, days_ago, enough_history, promote_first, subject


def _statuses(database) -> dict[int, ModelStatus]:
    return {v.version: v.status for v in learning.models(database)}


def test_a_model_trained_on_five_declarations_cannot_go_into_service(history):
    for found in (True, False, True, False, False):
        history.lodge(days_ago(10), outcome=InspectionOutcome.DISCREPANCY if found
                      else InspectionOutcome.NO_DISCREPANCY)
    junk = learning.train_candidate(history.database, holdout_days=0, **FAST)
    assert junk.metrics["training"]["inspected_declarations"] == 5
    with pytest.raises(registry.PromotionRefused) as refused:
        learning.promote(history.database, junk.version, by="chief")
    assert isinstance(refused.value, Conflict)
    message = refused.value.detail
    assert ("training gate: trained on 5 inspected declarations (2 with findings, 3 clean)"
            in message)
    assert "comparison gate" in message
    assert _statuses(history.database) == {junk.version: ModelStatus.CANDIDATE}
    # Nothing later than its training data to judge it on.
    with pytest.raises(learning.NotEnoughHistory, match="nothing later to judge it on"):
        learning.compare_latest(history.database, junk.version)


def test_a_model_scoring_everything_alike_would_send_all_red_and_is_refused(history):
    enough_history(history)
    # Leaves need more data than there is: the trees never split, every score is the same.
    flat = learning.train_candidate(
        history.database, rounds=20, parameters={"num_threads": 1, "min_data_in_leaf": 100_000})
    report = learning.compare_latest(history.database, flat.version)
    assert not report.candidate_better
    with pytest.raises(registry.PromotionRefused) as refused:
        learning.promote(history.database, flat.version, by="chief")
    gates = {r.gate: r.reason for r in refused.value.refusals}
    assert "100.0% of the recent flow to red" in gates["channels"]
    assert "AUC 0.500" in gates["comparison"]
    assert "training" not in gates
    assert registry.in_service(history.database) is None
    selection = selectivity.decide(history.database, subject(random.Random(1)),
                                   days_ago(1).date())
    assert selection.model_version is None


def test_the_minimums_are_lowered_only_through_a_parameter(history):
    enough_history(history, count=900)
    small = learning.train_candidate(history.database, **FAST)
    learning.compare_latest(history.database, small.version)
    with pytest.raises(registry.PromotionRefused, match="training gate"):
        learning.promote(history.database, small.version, by="chief")
    lowered = PromotionGates(minimum_inspected=100, minimum_each_outcome=20)
    promoted = learning.promote(history.database, small.version, by="chief", gates=lowered)
    assert promoted.status is ModelStatus.IN_SERVICE


def test_a_first_model_is_compared_out_of_time_against_the_no_skill_baseline(history):
    enough_history(history)
    candidate = learning.train_candidate(history.database, **FAST)
    # The latest 30 days of results are held out of training.
    latest = learning.labelled_history(history.database).latest_result
    assert candidate.data_to < (latest - timedelta(days=30)).date() + timedelta(days=1)
    report = learning.compare_latest(history.database, candidate.version)
    assert report.in_service is None and report.period_from > candidate.data_to
    assert report.inspection_rate == pytest.approx(0.07)
    assert report.candidate_metrics.auc > 0.65
    assert report.candidate_precision_at_rate > report.base_hit_rate
    stored = registry.version(history.database, candidate.version).metrics["comparison"]
    assert stored["evidence"]["trained_to"] == candidate.data_to.isoformat()
    promoted = learning.promote(history.database, candidate.version, by="chief")
    assert promoted.status is ModelStatus.IN_SERVICE
    # The policy changed after the comparison: a new rate, a new comparison.
    second = learning.train_candidate(history.database, **FAST)
    learning.compare_latest(history.database, second.version)
    policy = selectivity.get_policy(history.database)
    policy.yellow_rate = 0.1
    selectivity.set_policy(history.database, policy, "admin")
    with pytest.raises(registry.PromotionRefused, match="compare it again"):
        learning.promote(history.database, second.version, by="chief")


def test_rollback_puts_back_the_previous_model_then_none(history):
    enough_history(history, days=100, end=32)
    first = promote_first(history)
    history.flow(1200, days_ago(30), inspected=0.6, spacing=timedelta(days=28) / 1200)
    second = learning.train_candidate(history.database, **FAST)
    assert learning.compare_latest(history.database, second.version).candidate_better
    learning.promote(history.database, second.version, by="chief")
    probe = subject(random.Random(2))
    assert selectivity.decide(history.database, probe, days_ago(1).date()).model_version == \
        second.version

    with pytest.raises(Invalid):
        learning.rollback(history.database, by="chief", reason="  ")
    assert _statuses(history.database)[second.version] is ModelStatus.IN_SERVICE

    back = learning.rollback(history.database, by="chief", reason="red rate doubled overnight")
    assert (back.withdrawn, back.reinstated) == (second.version, first.version)
    assert _statuses(history.database) == {first.version: ModelStatus.IN_SERVICE,
                                           second.version: ModelStatus.RETIRED}
    assert selectivity.decide(history.database, probe, days_ago(1).date()).model_version == \
        first.version
    changes = registry.service_changes(history.database)
    assert [(c.version, c.change, c.by, c.reason) for c in changes[:2]] == [
        (first.version, ServiceChange.REINSTATED, "chief", "red rate doubled overnight"),
        (second.version, ServiceChange.ROLLED_BACK, "chief", "red rate doubled overnight"),
    ]

    # One more step back: no model before the first, selection on rules only.
    none = learning.rollback(history.database, by="director", reason="model under review")
    assert (none.withdrawn, none.reinstated) == (first.version, None)
    assert registry.in_service(history.database) is None
    selection = selectivity.decide(history.database, probe, days_ago(1).date())
    assert selection.model_version is None and selection.score is None
    with pytest.raises(registry.NothingToRollBack):
        learning.rollback(history.database, by="director", reason="again")


def test_a_fresh_node_says_what_is_missing(history):
    with pytest.raises(learning.NotEnoughHistory, match="no inspection results recorded yet"):
        learning.train_candidate(history.database)
    with pytest.raises(registry.UnknownModel, match="no risk model version 2"):
        learning.compare_latest(history.database, 2)
    with pytest.raises(registry.UnknownModel):
        learning.promote(history.database, 2, by="chief")
    # Results only in the held-out latest period: nothing to train on yet, said with figures.
    history.flow(100, days_ago(10))
    with pytest.raises(learning.NotEnoughHistory, match="held out"):
        learning.train_candidate(history.database)
