"""The promotion gates, as rules: each abuse they prevent, refused with its figures."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from singlewindow.risk.learning.promotion import (
    AUC_FLOOR,
    MINIMUM_EACH_OUTCOME,
    MINIMUM_INSPECTED,
    ChannelShares,
    ComparisonEvidence,
    PromotionCase,
    PromotionGates,
    TrainingEvidence,
    channel_shares,
    refusals,
    share_at_or_above,
)
from singlewindow.risk.model import ScoreCalibration, SelectivityPolicy

POLICY = SelectivityPolicy(red_rate=0.02, yellow_rate=0.05)
LEVELS = 1001


def comparison(**changes) -> ComparisonEvidence:
    good = ComparisonEvidence(
        in_service=None, trained_to=date(2026, 5, 31), period_from=date(2026, 6, 1),
        period_to=date(2026, 6, 30), inspected=800, hits=160, inspection_rate=0.07,
        candidate_auc=0.74, candidate_precision=0.5,
    )
    return replace(good, **changes)


def case(**changes) -> PromotionCase:
    good = PromotionCase(
        version=2, training=TrainingEvidence(inspected=900, hits=180), comparison=comparison(),
        in_service=None, shares=ChannelShares(red=0.021, yellow=0.049), policy=POLICY,
    )
    return replace(good, **changes)


def gates_failed(c: PromotionCase, gates: PromotionGates | None = None) -> dict[str, str]:
    return {r.gate: r.reason for r in refusals(c, gates)}


def test_a_real_enough_model_passes_every_gate():
    assert refusals(case()) == []


def test_the_minimums_are_defensible_and_lowered_only_by_a_parameter():
    assert (MINIMUM_INSPECTED, MINIMUM_EACH_OUTCOME, AUC_FLOOR) == (500, 30, 0.65)
    small = case(training=TrainingEvidence(inspected=60, hits=12))
    assert "training" in gates_failed(small)
    lowered = PromotionGates(minimum_inspected=50, minimum_each_outcome=10)
    assert "training" not in gates_failed(small, lowered)


def test_a_model_trained_on_five_declarations_is_refused_with_the_figures():
    junk = case(training=TrainingEvidence(inspected=5, hits=1))
    reason = gates_failed(junk)["training"]
    assert "5 inspected declarations (1 with findings, 4 clean)" in reason
    assert "at least 500 inspected declarations" in reason


@pytest.mark.parametrize("hits", [0, 29, 871, 900])
def test_both_outcomes_are_needed(hits):
    assert "training" in gates_failed(case(training=TrainingEvidence(900, hits)))


def test_no_comparison_or_one_on_its_own_training_period_is_refused():
    assert "has not been compared" in gates_failed(case(comparison=None))["comparison"]
    in_sample = comparison(period_from=date(2026, 5, 1))
    assert "flatter" in gates_failed(case(comparison=in_sample))["comparison"]


def test_a_comparison_on_a_handful_of_results_decides_nothing():
    tiny = comparison(inspected=40, hits=9)
    assert "40 inspected goods items" in gates_failed(case(comparison=tiny))["comparison"]


def test_with_none_in_service_it_must_beat_chance_clearly():
    coin = comparison(candidate_auc=0.5, candidate_precision=0.2)  # base hit rate 0.2
    reason = gates_failed(case(comparison=coin))["comparison"]
    assert "AUC 0.500" in reason and "base hit rate 0.200" in reason
    ranks_but_misses = comparison(candidate_auc=0.8, candidate_precision=0.19)
    assert "comparison" in gates_failed(case(comparison=ranks_but_misses))
    assert "comparison" in gates_failed(case(comparison=comparison(candidate_auc=AUC_FLOOR)))


def test_against_the_model_in_service_the_candidate_must_win():
    against = comparison(in_service=1, in_service_auc=0.74, in_service_precision=0.55)
    reason = gates_failed(case(in_service=1, comparison=against))["comparison"]
    assert "v1 in service" in reason and "0.500 against 0.550" in reason
    wins = comparison(in_service=1, in_service_auc=0.745, in_service_precision=0.45)
    assert refusals(case(in_service=1, comparison=wins)) == []
    worse_ranking = comparison(in_service=1, in_service_auc=0.80, in_service_precision=0.45)
    assert "comparison" in gates_failed(case(in_service=1, comparison=worse_ranking))


def test_a_stale_comparison_is_refused():
    # Compared against no model, but one went into service since.
    assert "compare it again" in gates_failed(case(in_service=3))["comparison"]
    # Compared at a 7 % inspection rate; the officers have since set 12 %.
    policy = SelectivityPolicy(red_rate=0.04, yellow_rate=0.08)
    shares = ChannelShares(0.04, 0.08)
    reason = gates_failed(case(policy=policy, shares=shares))["comparison"]
    assert "7.0%" in reason and "12.0%" in reason


def test_a_model_scoring_everything_alike_sends_the_flow_red_and_is_refused():
    constant = ScoreCalibration((0.31,) * LEVELS, 900)
    shares = channel_shares(constant, POLICY)
    assert (shares.red, shares.yellow) == (1.0, 0.0)
    reason = gates_failed(case(shares=shares))["channels"]
    assert "100.0% of the recent flow to red" in reason and "policy sets 2.0%" in reason


def test_channel_shares_of_a_spread_of_scores_follow_the_policy():
    spread = ScoreCalibration(tuple(i / (LEVELS - 1) for i in range(LEVELS)), 900)
    shares = channel_shares(spread, POLICY)
    assert shares.red == pytest.approx(0.02, abs=0.002)
    assert shares.yellow == pytest.approx(0.05, abs=0.002)
    assert "channels" not in gates_failed(case(shares=shares))
    # A tenth of the flow tied at the top score: all of it goes red.
    tied = ScoreCalibration(tuple(min(i / (LEVELS - 1), 0.9) for i in range(LEVELS)), 900)
    assert share_at_or_above(tied, tied.thresholds(POLICY).red) == pytest.approx(0.1, abs=0.002)
    assert "to red" in gates_failed(case(shares=channel_shares(tied, POLICY)))["channels"]


def test_an_uncalibrated_model_is_refused_and_every_failed_gate_is_named():
    failed = gates_failed(case(training=TrainingEvidence(5, 1), comparison=None, shares=None))
    assert set(failed) == {"training", "comparison", "channels"}


def test_comparison_evidence_round_trips_and_old_reports_are_not_evidence():
    evidence = comparison(in_service=1, in_service_auc=0.7, in_service_precision=0.4)
    assert ComparisonEvidence.from_document(evidence.as_document()) == evidence
    assert ComparisonEvidence.from_document({"candidate": 2}) is None
