"""The learned model on the node's own history, through the services (SQLite and PostgreSQL)."""

import random
from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest

from singlewindow.risk import services as selectivity
from singlewindow.risk.learning import registry
from singlewindow.risk.learning import services as learning
from singlewindow.risk.learning.facts import scoring_records
from singlewindow.risk.learning.features import feature_names, timed_training_matrix
from singlewindow.risk.learning.repository import ModelStatus
from singlewindow.risk.model import (
    AeoRole,
    AeoStanding,
    Channel,
    InspectionOutcome,
    RiskSubject,
    ScoreCalibration,
    SelectivityPolicy,
)

from .conftest import FAST, days_ago, enough_history, promote_first, subject


def _in_service(history, count=2400, **period):
    """A first model on enough history, compared out of time and promoted through the gates."""
    enough_history(history, count, **period)
    return promote_first(history)


def test_features_never_see_results_recorded_after_lodgement(history):
    first = subject(random.Random(1))
    start = days_ago(30)
    # A: lodged on day 0, its fraud found only on day 10. B: same importer, lodged on day 5.
    # C: same importer, lodged on day 11, after both results.
    history.lodge(start, s=first, outcome=InspectionOutcome.SEIZURE,
                  result_after=timedelta(days=10))
    history.lodge(start + timedelta(days=5), s=first, outcome=InspectionOutcome.NO_DISCREPANCY,
                  result_after=timedelta(days=1))
    history.lodge(start + timedelta(days=11), s=first, outcome=InspectionOutcome.DISCREPANCY,
                  result_after=timedelta(days=1))
    labelled = learning.labelled_history(history.database)
    assert [r.fraud for r in labelled.records] == [True, False, True]
    assert labelled.records[0].critical
    matrix, ordered, _ = timed_training_matrix(labelled.records, labelled.timeline)
    column = feature_names().index("importer.inspected")
    rate = feature_names().index("importer.fraud_rate")
    by_ref = {r.declaration_id: row for r, row in zip(ordered, matrix, strict=True)}
    assert by_ref["DEC000001#1"][column] == 0  # nothing known before it
    assert by_ref["DEC000002#1"][column] == 0  # A's result came after B was lodged
    assert by_ref["DEC000003#1"][column] == 2  # both results known by then
    assert by_ref["DEC000003#1"][rate] > by_ref["DEC000002#1"][rate]
    # Results recorded after `until` are not history yet.
    early = learning.labelled_history(history.database, until=start + timedelta(days=7))
    assert [r.declaration_id for r in early.records] == ["DEC000002#1"]


def test_train_register_calibrate_promote_and_decide(history):
    candidate = _in_service(history)
    assert candidate.status is ModelStatus.CANDIDATE
    assert candidate.metrics["calibration"]["population"] == 2400
    listed = learning.models(history.database)
    assert [(v.version, v.status) for v in listed] == [(candidate.version,
                                                         ModelStatus.IN_SERVICE)]
    selection = selectivity.decide(history.database, subject(random.Random(3)), days_ago(1).date())
    assert selection.score is not None and selection.model_version == candidate.version
    assert any(f"risk model v{candidate.version}" in r for r in selection.reasons)


def test_thresholds_follow_the_policy_rates_and_the_random_share_holds(history):
    _in_service(history, count=2400)
    selectivity.set_policy(history.database, SelectivityPolicy(
        random_share=0.1, random_channel=Channel.YELLOW, red_rate=0.04, yellow_rate=0.1),
        "admin")
    rng = random.Random(99)
    # A week of fresh declarations (the day of the week is one of the model's features).
    picks = [selectivity.decide(history.database, subject(rng), days_ago(1 + i % 7).date())
             for i in range(3000)]
    red = sum(p.channel is Channel.RED for p in picks) / len(picks)  # only the model gives red
    drawn = sum(p.random for p in picks) / len(picks)
    assert 0.02 < red < 0.065, red
    assert 0.085 < drawn < 0.115, drawn
    with history.database.unit_of_work() as session:
        stored = registry.repository.in_service(session).metrics["calibration"]
    thresholds = ScoreCalibration(tuple(stored["quantiles"]), 1).thresholds(
        selectivity.get_policy(history.database))
    model_yellow = sum(thresholds.yellow <= p.score < thresholds.red for p in picks) / len(picks)
    assert 0.07 < model_yellow < 0.135, model_yellow
    for pick in picks:
        assert pick.reasons
        if pick.channel is Channel.RED:
            assert any("model factor" in r for r in pick.reasons)


def test_an_aeo_operator_is_scored_down_across_the_threshold(history):
    _in_service(history)
    database = history.database
    consignment = subject(random.Random(4))
    state = selectivity.selectivity_of(database).state()
    raw = selectivity.model_opinion(state.model, state.policy, consignment,
                                    days_ago(1).date()).raw_score
    # A calibration that puts both thresholds just under this consignment's score.
    service = selectivity.ServiceModel(state.model.version, state.model.model,
                                       ScoreCalibration((raw * 0.9,) * 11, 100))
    policy = SelectivityPolicy(random_share=0.0, aeo_factor=0.5)
    plain = selectivity.model_opinion(service, policy, consignment, days_ago(1).date())
    importer = str(consignment.header["importer"])
    standing = AeoStanding(importer, AeoRole.IMPORTER, "the AEO programme of VN")
    aeo = selectivity.model_opinion(service, policy, consignment, days_ago(1).date(), standing)
    assert plain.channel is Channel.RED and plain.reasons
    assert aeo.channel is Channel.GREEN and aeo.score == pytest.approx(raw * 0.5)
    assert aeo.aeo_party == consignment.header["importer"]
    # A standing without the lower-score benefit leaves the score as it is.
    unscaled = replace(standing, lower_score=False)
    assert selectivity.model_opinion(service, policy, consignment, days_ago(1).date(),
                                     unscaled).score == pytest.approx(raw)
    # Through `decide`, with the AEO register configured at start-up: asked once, by role.
    asked: list[list[tuple[str, AeoRole]]] = []

    def register(parties, on):
        asked.append(list(parties))
        return standing if (importer, AeoRole.IMPORTER) in parties else None

    selectivity.configure(database, 0.0, seed=1, aeo=register)
    selection = selectivity.decide(database, consignment, days_ago(1).date())
    assert len(asked) == 1 and asked[0][0] == (importer, AeoRole.IMPORTER)
    assert any("AEO operator" in r for r in selection.reasons)
    assert any(r.startswith(f"AEO benefit: importer {importer}") and "scaled by 0.5" in r
               for r in selection.reasons)
    assert selection.score == pytest.approx(raw * 0.5) and selection.aeo == standing


def test_retraining_on_new_results_changes_the_model(history):
    first = _in_service(history, count=2400, days=100, end=32)
    probe = [subject(random.Random(i)) for i in range(50)]
    before = registry.load(history.database, first.version)
    history.flow(1200, days_ago(30), inspected=0.6, spacing=timedelta(days=28) / 1200)
    second = learning.train_candidate(history.database, **FAST)
    after = registry.load(history.database, second.version)
    assert second.declarations > first.declarations
    records = [scoring_records(s, days_ago(1).date())[0] for s in probe]
    assert not np.allclose(before.score_batch(records), after.score_batch(records))
    # Compared on the latest results before promotion (refused without the comparison).
    with pytest.raises(registry.ModelStateConflict):
        learning.promote(history.database, second.version, by="admin")
    report = learning.compare_latest(history.database, second.version)
    # Judged out of time: on declarations lodged after its training data.
    assert report.in_service == first.version and not report.candidate_trained_on_period
    assert report.period_from > second.data_to and report.candidate_better, report.verdict()
    promoted = learning.promote(history.database, second.version, by="admin")
    assert promoted.status is ModelStatus.IN_SERVICE
    selection = selectivity.decide(history.database, probe[0], days_ago(1).date())
    assert selection.model_version == second.version


def test_backfill_and_drift(history):
    history.flow(300, days_ago(40), inspected=0.0)  # lodged before any model: no scores
    model = _in_service(history, count=2400)
    assert learning.backfill(history.database, since=days_ago(70).date()) == 2700
    with history.database.unit_of_work() as session:
        scored = session.scalars(
            registry.repository.select(selectivity.SelectionRow.score)
        ).all()
    assert all(s is not None for s in scored)
    report = learning.drift(history.database, weeks=12)
    assert report.version == model.version and report.threshold is not None
    assert sum(w.declarations for w in report.weeks) == 2700
    assert any(w.hit_rate is not None for w in report.weeks)
    assert all(0 <= w.high_share <= 1 for w in report.weeks)


def test_pre_arrival_subjects_lacking_fields_are_scored(history):
    _in_service(history)
    bare = RiskSubject({"type": "import", "export_country": "KH", "importer": "VNIMP001"},
                       [{"commodity_code": "090111", "origin_country": "KH",
                         "quantity": "10", "net_mass": "10"}])
    selection = selectivity.decide(history.database, bare, days_ago(1).date())
    assert selection.score is not None and selection.reasons
    assert scoring_records(RiskSubject({}, []), days_ago(1).date())[0].hs6 == ""


def test_no_model_in_service_means_no_backfill(history):
    with pytest.raises(learning.NoModelInService):
        learning.backfill(history.database, since=days_ago(5).date())
