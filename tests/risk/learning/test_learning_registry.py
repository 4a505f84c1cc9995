from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from singlewindow.risk.learning import registry, repository
from singlewindow.risk.learning.estimator import RiskModel
from singlewindow.risk.learning.promotion import PromotionGates
from singlewindow.risk.learning.repository import ModelStatus

NOW = datetime(2021, 4, 1, 9, 0, tzinfo=UTC)
# These tests are about the registry's bookkeeping; models trained in seconds on a CIDD slice
# rank at an AUC of about 0.61, so the floor and margin are lowered (the gates themselves are
# tested in test_promotion.py and on the node's history in tests/risk/test_model_service.py).
SLICE_GATES = PromotionGates(auc_floor=0.6, auc_margin=0.05)


def _calibrated(database, version: int, model: RiskModel, flow) -> None:
    """Score quantiles of a flow kept with the version, as `services.calibrate` keeps them."""
    quantiles = np.quantile(model.score_batch(flow), np.linspace(0.0, 1.0, 1001))
    with database.unit_of_work() as session:
        row = repository.get(session, version)
        row.metrics = {**row.metrics, "calibration": {
            "population": len(flow), "quantiles": [float(q) for q in quantiles]}}


@pytest.fixture(scope="module")
def models(cidd_slice, later_slice) -> tuple[RiskModel, RiskModel]:
    older = RiskModel.train(cidd_slice[:1500], rounds=40, parameters={"num_threads": 1})
    newer = RiskModel.train(cidd_slice, rounds=40, parameters={"num_threads": 1})
    return older, newer


def test_register_compare_promote(database, models, later_slice):
    older, newer = models
    first = registry.register_candidate(database, older, note="first", now=NOW)
    assert first.status is ModelStatus.CANDIDATE
    assert (first.data_from, first.data_to) == (older.summary.data_from, older.summary.data_to)
    assert registry.in_service(database) is None

    # The first model is compared with the no-skill baseline, on a later period.
    with pytest.raises(registry.PromotionRefused, match="not been compared"):
        registry.promote(database, first.version, by="officer.nguyen", now=NOW)
    baseline = registry.compare(database, first.version, later_slice)
    assert baseline.in_service is None and baseline.verdict(SLICE_GATES) is None
    _calibrated(database, first.version, older, later_slice)
    promoted = registry.promote(database, first.version, by="officer.nguyen", now=NOW,
                                gates=SLICE_GATES)
    assert promoted.status is ModelStatus.IN_SERVICE
    assert promoted.promoted_by == "officer.nguyen" and promoted.promoted_at == NOW

    second = registry.register_candidate(database, newer, now=NOW)
    with pytest.raises(registry.ModelStateConflict):
        registry.promote(database, second.version, by="officer.nguyen", now=NOW)

    report = registry.compare(database, second.version, later_slice)
    assert report.in_service == first.version and report.candidate == second.version
    assert report.in_service_metrics is not None
    assert report.candidate_metrics.n == len(later_slice)
    assert not report.candidate_trained_on_period
    stored = registry.version(database, second.version)
    assert stored.metrics["comparison"]["candidate"] == second.version

    _calibrated(database, second.version, newer, later_slice)
    registry.promote(database, second.version, by="officer.tran", now=NOW, gates=SLICE_GATES)
    statuses = {v.version: v.status for v in registry.versions(database)}
    assert statuses == {first.version: ModelStatus.RETIRED, second.version: ModelStatus.IN_SERVICE}
    assert registry.version(database, first.version).retired_at == NOW
    number, model = registry.in_service(database)
    assert number == second.version
    assert model.score_batch(later_slice[:10]).tolist() == newer.score_batch(
        later_slice[:10]).tolist()
    # Cached: the same object while the version in service is the same.
    assert registry.in_service(database)[1] is model


def test_unknown_and_refused_transitions(database, models, later_slice):
    with pytest.raises(registry.UnknownModel):
        registry.promote(database, 999, by="x")
    first = registry.register_candidate(database, models[0], now=NOW)
    registry.compare(database, first.version, later_slice)
    _calibrated(database, first.version, models[0], later_slice)
    registry.promote(database, first.version, by="x", now=NOW, gates=SLICE_GATES)
    with pytest.raises(registry.ModelStateConflict):
        registry.promote(database, first.version, by="x", now=NOW, gates=SLICE_GATES)


def test_drift_by_week(models, later_slice):
    weeks = registry.drift(models[1], later_slice)
    assert weeks and sum(w.declarations for w in weeks) == len(later_slice)
    assert [w.week for w in weeks] == sorted(w.week for w in weeks)
    assert all(w.week.weekday() == 0 for w in weeks)
    assert weeks[0].psi == pytest.approx(0.0, abs=1e-9)
    assert all(0.0 <= (w.hit_rate or 0.0) <= 1.0 for w in weeks)
