"""The risk estimator: gradient-boosted trees (LightGBM) over the history features, and the
model files it reads and writes (not a `model.py`: it does file I/O and imports LightGBM).

A model file holds the trees and the history tables they read, so that a model scores exactly
as it was evaluated: one zip with `model.txt` (LightGBM's text format), `history.json` and
`about.json` (period, size, parameters, format version).
"""

from __future__ import annotations

import io
import json
import math
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np

from singlewindow.core.errors import Invalid
from singlewindow.risk.learning.features import (
    DECLARED_FEATURES,
    History,
    KeySpec,
    feature_names,
    log_unit_value,
    text_fields,
    timed_training_matrix,
    training_matrix,
)
from singlewindow.risk.learning.record import ScoringRecord

FORMAT = "singlewindow-risk-model/1"

# Chosen on a time-ordered split inside 2020 (train January–September, validate on
# October–December); the results hardly move with these, so the defaults stay plain.
DEFAULT_PARAMETERS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.03,
    "num_leaves": 31,
    "min_data_in_leaf": 40,
    "feature_fraction": 0.7,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "num_threads": 2,
    "seed": 7,
    "deterministic": True,
    "force_row_wise": True,
    "verbose": -1,
}
DEFAULT_ROUNDS = 300


class InvalidModel(Invalid):
    pass


@dataclass(frozen=True)
class Reason:
    """One thing that raised a declaration's score, in words an officer reads."""

    factor: str  # the feature group, e.g. "importer" or "hs6_route.unit_value"
    contribution: float  # in log-odds; the larger, the more it raised the score
    text: str


@dataclass(frozen=True)
class Assessment:
    declaration_id: str
    score: float  # estimated probability that an inspection finds fraud
    reasons: tuple[Reason, ...] = ()


@dataclass
class TrainingSummary:
    data_from: date
    data_to: date
    declarations: int
    frauds: int
    rounds: int
    parameters: dict[str, Any] = field(default_factory=dict)
    # `declarations` and `frauds` count goods items (what the trees learn from); these count
    # declarations, what the promotion gates ask for (None in model files from before them).
    inspected_declarations: int | None = None
    declarations_with_findings: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "data_from": self.data_from.isoformat(),
            "data_to": self.data_to.isoformat(),
            "declarations": self.declarations,
            "frauds": self.frauds,
            "inspected_declarations": self.inspected_declarations,
            "declarations_with_findings": self.declarations_with_findings,
            "rounds": self.rounds,
            "parameters": self.parameters,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainingSummary:
        return cls(
            data_from=date.fromisoformat(data["data_from"]),
            data_to=date.fromisoformat(data["data_to"]),
            declarations=int(data["declarations"]),
            frauds=int(data["frauds"]),
            rounds=int(data["rounds"]),
            parameters=dict(data.get("parameters", {})),
            inspected_declarations=data.get("inspected_declarations"),
            declarations_with_findings=data.get("declarations_with_findings"),
        )


class RiskModel:
    """Trees plus the history they read. Score one declaration at lodgement, or many at once."""

    def __init__(self, booster: lgb.Booster, history: History, summary: TrainingSummary) -> None:
        self.booster = booster
        self.history = history
        self.summary = summary
        self.feature_names = feature_names(history.specs)

    # -- training -------------------------------------------------------------------------
    @classmethod
    def train(
        cls,
        records: Iterable[ScoringRecord],
        *,
        parameters: dict[str, Any] | None = None,
        rounds: int = DEFAULT_ROUNDS,
        smoothing: float = 1.0,
        specs: Sequence[KeySpec] | None = None,
        timeline: Sequence[tuple[datetime, datetime]] | None = None,
    ) -> RiskModel:
        """Learn from inspected declarations (records without an outcome are skipped).

        `timeline`, one (lodged at, result recorded at) pair per record, makes each record's
        features read only the results recorded before it was lodged (a node's own history);
        without it results count from the day of their declaration (files such as CIDD, which
        carry no result dates)."""
        records = list(records)
        keep = [i for i, r in enumerate(records) if r.fraud is not None]
        inspected = [records[i] for i in keep]
        if len(inspected) < 2 or len({r.fraud for r in inspected}) < 2:
            raise InvalidModel("training needs inspected declarations with and without fraud")
        history = History(specs, smoothing) if specs else History(smoothing=smoothing)
        if timeline is not None:
            matrix, ordered, history = timed_training_matrix(
                inspected, [timeline[i] for i in keep], history
            )
        else:
            matrix, ordered, history = training_matrix(inspected, history)
        labels = np.fromiter((1.0 if r.fraud else 0.0 for r in ordered), np.float64, len(ordered))
        params = {**DEFAULT_PARAMETERS, **(parameters or {})}
        dataset = lgb.Dataset(
            matrix, labels, feature_name=feature_names(history.specs), free_raw_data=True
        )
        booster = lgb.train(params, dataset, num_boost_round=rounds)
        summary = TrainingSummary(
            data_from=ordered[0].date,
            data_to=ordered[-1].date,
            declarations=len(ordered),
            frauds=int(labels.sum()),
            rounds=rounds,
            parameters=params,
        )
        summary.inspected_declarations, summary.declarations_with_findings = declaration_counts(
            ordered
        )
        return cls(booster, history, summary)

    def observe(self, results: Iterable[ScoringRecord]) -> None:
        """Count new inspection results in the history, so that scores reflect them at once
        (the trees stay as trained until the next retraining)."""
        self.history.add_all(results)

    # -- scoring --------------------------------------------------------------------------
    def score(self, record: ScoringRecord) -> float:
        row = np.asarray([self.history.row(record)], dtype=np.float64)
        return float(self.booster.predict(row, num_threads=1)[0])

    def score_batch(self, records: Sequence[ScoringRecord]) -> np.ndarray:
        if not records:
            return np.empty(0)
        return np.asarray(self.booster.predict(self.history.matrix(records)))

    def assess(self, record: ScoringRecord, *, top: int = 3) -> Assessment:
        """The score and the reasons behind it: the features that raised it most."""
        row = np.asarray([self.history.row(record)], dtype=np.float64)
        contributions = np.asarray(self.booster.predict(row, pred_contrib=True, num_threads=1))[0]
        margin = float(contributions.sum())
        score = 1.0 / (1.0 + math.exp(-margin))
        return Assessment(
            record.declaration_id, score, tuple(self._reasons(record, contributions[:-1], top))
        )

    def explain(self, record: ScoringRecord, *, top: int = 3) -> list[Reason]:
        return list(self.assess(record, top=top).reasons)

    def _reasons(self, record: ScoringRecord, contributions: np.ndarray, top: int) -> list[Reason]:
        by_factor: dict[str, float] = {}
        for name, value in zip(self.feature_names, contributions, strict=True):
            by_factor[_factor(name)] = by_factor.get(_factor(name), 0.0) + float(value)
        raising = sorted(((v, k) for k, v in by_factor.items() if v > 0), reverse=True)[:top]
        return [Reason(k, v, self._describe(k, record)) for v, k in raising]

    def _describe(self, factor: str, record: ScoringRecord) -> str:
        specs = {s.name: s for s in self.history.specs}
        if factor in DECLARED_FEATURES:
            return _describe_declared(factor, record)
        name, _, aspect = factor.partition(".")
        spec = specs[name]
        group = spec.label.format(**text_fields(record))
        stats = self.history.stats(name, record)
        if aspect == "unit_value":
            luv = log_unit_value(record)
            if stats is None or stats[3] < 1 or math.isnan(luv):
                return f"unit value of {group}: no earlier declarations to compare with"
            usual = math.exp(stats[4] / stats[3])
            ratio = math.exp(luv) / usual
            way = (
                f"{ratio:.1f} times the usual"
                if ratio >= 1
                else f"{1 / ratio:.1f} times below the usual"
            )
            return (
                f"unit value {math.exp(luv):,.2f} per kg is {way} for {group} "
                f"({usual:,.2f} per kg over {int(stats[3])} declarations)"
            )
        if stats is None or stats[0] == 0:
            return f"{group}: never inspected before"
        inspected, frauds, criticals = int(stats[0]), int(stats[1]), int(stats[2])
        text = f"{group}: {frauds} of {inspected} past inspections found fraud"
        if aspect == "" and criticals:
            text += f", {criticals} of them critical"
        return text

    # -- persistence ----------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            about = {"format": FORMAT, "training": self.summary.as_dict()}
            archive.writestr("about.json", json.dumps(about, indent=2))
            archive.writestr("model.txt", self.booster.model_to_string())
            archive.writestr("history.json", json.dumps(self.history.to_document()))
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> RiskModel:
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                about = json.loads(archive.read("about.json"))
                if about.get("format") != FORMAT:
                    raise InvalidModel(f"not a risk model of format {FORMAT}")
                booster = lgb.Booster(model_str=archive.read("model.txt").decode())
                history = History.from_document(json.loads(archive.read("history.json")))
        except (zipfile.BadZipFile, KeyError, ValueError) as exc:
            raise InvalidModel(f"not a readable risk model: {exc}") from exc
        return cls(booster, history, TrainingSummary.from_dict(about["training"]))

    def save(self, path: str | Path) -> None:
        Path(path).write_bytes(self.to_bytes())

    @classmethod
    def load(cls, path: str | Path) -> RiskModel:
        return cls.from_bytes(Path(path).read_bytes())


def declaration_counts(records: Iterable[ScoringRecord]) -> tuple[int, int]:
    """Inspected declarations and those with findings: a node's records are goods items named
    `REFERENCE#n`; a file's records (CIDD) are one declaration each."""
    found: dict[str, bool] = {}
    for record in records:
        reference = record.declaration_id.partition("#")[0]
        found[reference] = found.get(reference, False) or bool(record.fraud)
    return len(found), sum(found.values())


def _factor(feature: str) -> str:
    """The group a feature's contribution is told under: unit-value figures apart from rates."""
    if feature in DECLARED_FEATURES:
        return feature
    name, _, aspect = feature.partition(".")
    return f"{name}.unit_value" if aspect.startswith("unit_value") else name


WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _describe_declared(feature: str, record: ScoringRecord) -> str:
    if feature == "log_mass":
        return f"declared net mass {record.net_mass:,.1f} kg"
    if feature == "log_value":
        return f"declared value {record.value:,.2f}"
    if feature == "log_unit_value":
        luv = log_unit_value(record)
        if math.isnan(luv):
            return "no unit value: mass or value declared as zero"
        return f"unit value {math.exp(luv):,.2f} per kg"
    if feature == "tax_rate":
        return f"duty rate {record.tax_rate:g}% ({record.tax_type})"
    if feature == "weekday":
        return f"lodged on a {WEEKDAYS[record.date.weekday()]}"
    if feature == "route_differs":
        if record.departure != record.origin:
            return f"shipped from {record.departure}, origin declared {record.origin}"
        return f"shipped from its country of origin {record.origin}"
    return feature
