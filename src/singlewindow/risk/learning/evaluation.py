"""How well a model selects: precision and recall if officers inspect the top k % of the flow.

Precision at k % is the share of the selected declarations where inspection found fraud (the
hit rate officers would see); recall at k % the share of all frauds that were selected.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import roc_auc_score

from singlewindow.core.errors import Invalid

RATES = (1, 2, 5, 10)  # inspection rates, per cent of declarations


def selected(scores: np.ndarray, rate_percent: float) -> np.ndarray:
    """Indices of the declarations an inspection rate selects: the highest scores first
    (ties kept in input order, so that results are reproducible)."""
    count = max(1, round(len(scores) * rate_percent / 100))
    return np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")[:count]


def precision_at(labels: np.ndarray, scores: np.ndarray, rate_percent: float) -> float:
    top = selected(scores, rate_percent)
    return float(np.asarray(labels, dtype=np.float64)[top].mean())


def recall_at(labels: np.ndarray, scores: np.ndarray, rate_percent: float) -> float:
    labels = np.asarray(labels, dtype=np.float64)
    total = labels.sum()
    if total == 0:
        return float("nan")
    return float(labels[selected(scores, rate_percent)].sum() / total)


def auc(labels: np.ndarray, scores: np.ndarray) -> float:
    labels = np.asarray(labels)
    if len(np.unique(labels)) < 2:
        return float("nan")
    return float(roc_auc_score(labels, scores))


@dataclass(frozen=True)
class Metrics:
    n: int
    frauds: int
    criticals: int
    precision: dict[int, float]  # by inspection rate (per cent)
    recall: dict[int, float]
    critical_recall: dict[int, float]
    auc: float

    def as_dict(self) -> dict[str, float | int]:
        """The published keys (what `singlewindow risk evaluate --json` prints)."""
        return {
            "precision_at_1": self.precision[1],
            "precision_at_2": self.precision[2],
            "precision_at_5": self.precision[5],
            "precision_at_10": self.precision[10],
            "recall_at_5": self.recall[5],
            "recall_at_10": self.recall[10],
            "critical_recall_at_10": self.critical_recall[10],
            "auc": self.auc,
            "n": self.n,
        }

    def as_document(self) -> dict[str, object]:
        """Everything, for the model registry."""
        return {
            **self.as_dict(),
            "frauds": self.frauds,
            "criticals": self.criticals,
            "precision": {str(k): v for k, v in self.precision.items()},
            "recall": {str(k): v for k, v in self.recall.items()},
            "critical_recall": {str(k): v for k, v in self.critical_recall.items()},
        }


def measure(
    scores: Sequence[float] | np.ndarray,
    fraud: Sequence[bool] | np.ndarray,
    critical: Sequence[bool] | np.ndarray,
) -> Metrics:
    scores = np.asarray(scores, dtype=np.float64)
    fraud = np.asarray(fraud, dtype=np.float64)
    critical = np.asarray(critical, dtype=np.float64)
    if not len(scores) == len(fraud) == len(critical) or len(scores) == 0:
        raise Invalid("metrics need one score and one outcome per declaration, and at least one")
    return Metrics(
        n=len(scores),
        frauds=int(fraud.sum()),
        criticals=int(critical.sum()),
        precision={r: precision_at(fraud, scores, r) for r in RATES},
        recall={r: recall_at(fraud, scores, r) for r in RATES},
        critical_recall={r: recall_at(critical, scores, r) for r in RATES},
        auc=auc(fraud, scores),
    )
