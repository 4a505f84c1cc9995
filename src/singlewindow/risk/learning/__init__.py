"""The learned risk model: history features, LightGBM, a model registry, evaluation."""

from singlewindow.risk.learning.estimator import Assessment, Reason, RiskModel, TrainingSummary
from singlewindow.risk.learning.evaluation import Metrics, measure
from singlewindow.risk.learning.features import History, training_matrix
from singlewindow.risk.learning.record import ScoringRecord

__all__ = [
    "Assessment",
    "History",
    "Metrics",
    "Reason",
    "RiskModel",
    "ScoringRecord",
    "TrainingSummary",
    "measure",
    "training_matrix",
]
