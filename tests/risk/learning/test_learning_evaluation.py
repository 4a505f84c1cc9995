from __future__ import annotations

import math

import pytest

from singlewindow.core.errors import Invalid
from singlewindow.risk.learning.evaluation import measure, precision_at, recall_at, selected


def test_metrics_on_a_hand_made_flow():
    # 20 declarations; the model ranks them 0..19 by score (declaration 0 highest).
    scores = [1.0 - i / 20 for i in range(20)]
    fraud = [1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]
    critical = [0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]
    metrics = measure(scores, fraud, critical)
    # 5 % of 20 is one declaration: the top one, a fraud.
    assert metrics.precision[5] == 1.0
    # 10 % is two: one fraud of two; recall 1 of 4 frauds.
    assert metrics.precision[10] == 0.5
    assert metrics.recall[10] == 0.25
    assert metrics.critical_recall[10] == 0.0
    assert metrics.n == 20 and metrics.frauds == 4 and metrics.criticals == 2
    # AUC: 16 negatives, frauds at ranks 0, 2, 3, 19 outrank 16, 15, 15 and 0 of them.
    assert metrics.auc == pytest.approx((16 + 15 + 15 + 0) / 64)
    assert set(metrics.as_dict()) == {
        "precision_at_1", "precision_at_2", "precision_at_5", "precision_at_10",
        "recall_at_5", "recall_at_10", "critical_recall_at_10", "auc", "n",
    }


def test_selection_keeps_at_least_one_and_breaks_ties_by_order():
    assert selected([0.5, 0.5, 0.5], 1).tolist() == [0]
    assert precision_at([0, 1], [0.2, 0.9], 50) == 1.0
    assert math.isnan(recall_at([0, 0], [0.2, 0.9], 50))


def test_metrics_refuse_mismatched_inputs():
    with pytest.raises(Invalid):
        measure([0.1, 0.2], [1], [0])
