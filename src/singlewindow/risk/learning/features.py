"""Features of a declaration: what it declares, and what past inspections of its parties,
goods, offices and routes found.

The history is a table of counts per key (importer, HS6 × route, declarant × importer, ...):
how many past declarations with that key were inspected, how many of them found fraud and
critical fraud, and the mean and spread of their log unit value. A declaration's features are
read from the history *as it stood before the declaration's date*: training walks the records
in date order, reading each day's features before adding that day's results, so the model
learns from exactly the kind of figures it will see when scoring at lodgement. No label dated
on or after a declaration's date ever reaches its features.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import groupby, repeat

import numpy as np

from singlewindow.risk.learning.record import ScoringRecord

SEPARATOR = "\x1f"


@dataclass(frozen=True)
class KeySpec:
    """One history table: declarations grouped by these fields."""

    name: str
    fields: tuple[str, ...]
    label: str  # how an officer names the group, with {field} placeholders
    values: bool = False  # keep unit-value statistics for this group


def _spec(name: str, label: str, *fields: str, values: bool = False) -> KeySpec:
    return KeySpec(name, tuple(fields), label, values)


# Chosen on the time-ordered validation inside 2020 (see `benchmarks/risk.py`): the goods and
# route keys carry most of the signal in the CIDD data; the party keys are kept because on a
# node's own data repeat offenders are what officers know best.
KEY_SPECS: tuple[KeySpec, ...] = (
    _spec("importer", "importer {importer}", "importer"),
    _spec("declarant", "declarant {declarant}", "declarant"),
    _spec("seller", "seller {seller}", "seller"),
    _spec("courier", "courier {courier}", "courier"),
    _spec("office", "office {office}", "office"),
    _spec("hs6", "HS {hs6}", "hs6", values=True),
    _spec("hs4", "heading {hs4}", "hs4"),
    _spec("hs2", "chapter {hs2}", "hs2"),
    _spec("origin", "origin {origin}", "origin"),
    _spec("departure", "departure {departure}", "departure"),
    _spec("tax_type", "rate type {tax_type}", "tax_type"),
    _spec("procedure", "procedure {procedure}", "procedure"),
    _spec("route", "route {departure}→{origin}", "departure", "origin"),
    _spec("hs6_origin", "HS {hs6} from origin {origin}", "hs6", "origin", values=True),
    _spec("hs6_departure", "HS {hs6} shipped from {departure}", "hs6", "departure"),
    _spec("hs6_tax_type", "HS {hs6} at rate type {tax_type}", "hs6", "tax_type"),
    _spec("hs6_tax_rate", "HS {hs6} at {tax_rate}%", "hs6", "tax_rate"),
    _spec("hs4_route", "heading {hs4} on route {departure}→{origin}", "hs4", "departure", "origin"),
    _spec(
        "hs6_route",
        "HS {hs6} on route {departure}→{origin}",
        "hs6",
        "departure",
        "origin",
        values=True,
    ),
    _spec(
        "hs6_route_tax",
        "HS {hs6} on route {departure}→{origin} at rate type {tax_type}",
        "hs6",
        "departure",
        "origin",
        "tax_type",
    ),
    _spec(
        "hs6_route_tax_rate",
        "HS {hs6} on route {departure}→{origin} at rate type {tax_type} {tax_rate}%",
        "hs6",
        "departure",
        "origin",
        "tax_type",
        "tax_rate",
    ),
    _spec(
        "hs6_origin_tax",
        "HS {hs6} from origin {origin} at rate type {tax_type}",
        "hs6",
        "origin",
        "tax_type",
    ),
    _spec(
        "hs6_departure_tax",
        "HS {hs6} shipped from {departure} at rate type {tax_type}",
        "hs6",
        "departure",
        "tax_type",
    ),
    _spec(
        "hs6_departure_procedure",
        "HS {hs6} shipped from {departure} under procedure {procedure}",
        "hs6",
        "departure",
        "procedure",
    ),
    _spec(
        "hs6_departure_use",
        "HS {hs6} shipped from {departure} for use {goods_use}",
        "hs6",
        "departure",
        "goods_use",
    ),
    _spec("hs6_office", "HS {hs6} at office {office}", "hs6", "office"),
    _spec("importer_hs6", "importer {importer} with HS {hs6}", "importer", "hs6"),
    _spec(
        "declarant_importer",
        "declarant {declarant} for importer {importer}",
        "declarant",
        "importer",
    ),
    _spec("declarant_hs6", "declarant {declarant} with HS {hs6}", "declarant", "hs6"),
)


def text_fields(record: ScoringRecord) -> dict[str, str]:
    """The record's fields as the strings keys are made of (rates printed the same way)."""
    return {
        "importer": record.importer,
        "declarant": record.declarant,
        "seller": record.seller,
        "courier": record.courier,
        "office": record.office,
        "hs6": record.hs6,
        "hs4": record.hs6[:4],
        "hs2": record.hs6[:2],
        "origin": record.origin,
        "departure": record.departure,
        "tax_type": record.tax_type,
        "tax_rate": _rate_text(record.tax_rate),
        "procedure": record.procedure,
        "goods_use": record.goods_use,
        "transport_mode": record.transport_mode,
    }


_RATE_TEXT: dict[float, str] = {}


def _rate_text(rate: float) -> str:
    text = _RATE_TEXT.get(rate)
    if text is None:
        text = _RATE_TEXT[rate] = f"{rate:g}"
    return text


def _columns(records: Sequence[ScoringRecord]) -> dict[str, list[str]]:
    """The key fields of many records, field by field (what `text_fields` gives for one)."""
    hs6 = [r.hs6 for r in records]
    return {
        "importer": [r.importer for r in records],
        "declarant": [r.declarant for r in records],
        "seller": [r.seller for r in records],
        "courier": [r.courier for r in records],
        "office": [r.office for r in records],
        "hs6": hs6,
        "hs4": [h[:4] for h in hs6],
        "hs2": [h[:2] for h in hs6],
        "origin": [r.origin for r in records],
        "departure": [r.departure for r in records],
        "tax_type": [r.tax_type for r in records],
        "tax_rate": [_rate_text(r.tax_rate) for r in records],
        "procedure": [r.procedure for r in records],
        "goods_use": [r.goods_use for r in records],
        "transport_mode": [r.transport_mode for r in records],
    }


def _key(spec: KeySpec, fields: dict[str, str]) -> str | None:
    parts = [fields[f] for f in spec.fields]
    if any(not p for p in parts):
        return None  # an empty party (no courier, no seller) is no group
    return SEPARATOR.join(parts)


def log_unit_value(record: ScoringRecord) -> float:
    if record.net_mass <= 0 or record.value <= 0:
        return math.nan
    return math.log(record.value / record.net_mass)


# Per key: inspected, fraud, critical, number with a unit value, sum and sum of squares of the
# log unit value.
Stats = list[float]

DECLARED_FEATURES = (
    "log_mass",
    "log_value",
    "log_unit_value",
    "tax_rate",
    "weekday",
    "route_differs",
)


def feature_names(specs: Sequence[KeySpec] = KEY_SPECS) -> list[str]:
    names = list(DECLARED_FEATURES)
    for spec in specs:
        names += [f"{spec.name}.inspected", f"{spec.name}.fraud_rate", f"{spec.name}.critical_rate"]
        if spec.values:
            names += [f"{spec.name}.unit_value_gap", f"{spec.name}.unit_value_z"]
    return names


class History:
    """Inspection outcomes so far, per key: what the features of a new declaration are read from.

    `smoothing` pulls a rate towards the overall fraud rate by that many pseudo-inspections, so
    one fraud in one inspection reads as suspicious but not as certain.
    """

    def __init__(self, specs: Sequence[KeySpec] = KEY_SPECS, smoothing: float = 1.0) -> None:
        self.specs = tuple(specs)
        self.smoothing = smoothing
        self.tables: dict[str, dict[str, Stats]] = {s.name: {} for s in self.specs}
        self.inspected = 0
        self.frauds = 0
        self.criticals = 0
        # Read-only arrays of the tables for batch scoring, rebuilt after the history changes.
        self._frozen: dict[str, tuple[dict[str, int], np.ndarray]] = {}

    def _frozen_table(self, name: str) -> tuple[dict[str, int], np.ndarray]:
        frozen = self._frozen.get(name)
        if frozen is None:
            table = self.tables[name]
            index = {key: i for i, key in enumerate(table)}
            values = np.zeros((len(table) + 1, 6))
            if table:
                values[:-1] = np.asarray(list(table.values()), dtype=np.float64)
            frozen = self._frozen[name] = (index, values)
        return frozen

    # -- learning from results ------------------------------------------------------------
    def add(self, record: ScoringRecord) -> None:
        """Count one inspection result (records without an outcome are ignored)."""
        if record.fraud is None:
            return
        self._frozen.clear()
        fraud = 1.0 if record.fraud else 0.0
        critical = 1.0 if record.critical else 0.0
        self.inspected += 1
        self.frauds += int(fraud)
        self.criticals += int(critical)
        fields = text_fields(record)
        luv = log_unit_value(record)
        for spec in self.specs:
            key = _key(spec, fields)
            if key is None:
                continue
            table = self.tables[spec.name]
            stats = table.get(key)
            if stats is None:
                stats = table[key] = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
            stats[0] += 1
            stats[1] += fraud
            stats[2] += critical
            if spec.values and not math.isnan(luv):
                stats[3] += 1
                stats[4] += luv
                stats[5] += luv * luv

    def remove(self, record: ScoringRecord) -> None:
        """Take back one result counted by `add` (the same record, label included)."""
        if record.fraud is None:
            return
        self._frozen.clear()
        fraud = 1.0 if record.fraud else 0.0
        critical = 1.0 if record.critical else 0.0
        self.inspected -= 1
        self.frauds -= int(fraud)
        self.criticals -= int(critical)
        fields = text_fields(record)
        luv = log_unit_value(record)
        for spec in self.specs:
            key = _key(spec, fields)
            stats = self.tables[spec.name].get(key) if key is not None else None
            if stats is None:
                continue
            stats[0] -= 1
            stats[1] -= fraud
            stats[2] -= critical
            if spec.values and not math.isnan(luv):
                stats[3] -= 1
                stats[4] -= luv
                stats[5] -= luv * luv

    def add_all(self, records: Iterable[ScoringRecord]) -> None:
        for record in records:
            self.add(record)

    # -- reading features -----------------------------------------------------------------
    @property
    def fraud_rate(self) -> float:
        return (self.frauds + 1) / (self.inspected + 5) if self.inspected else 0.2

    @property
    def critical_rate(self) -> float:
        return (self.criticals + 1) / (self.inspected + 20) if self.inspected else 0.01

    def row(self, record: ScoringRecord) -> list[float]:
        """The feature vector of one declaration (order of `feature_names`)."""
        mass = record.net_mass
        value = record.value
        luv = log_unit_value(record)
        out = [
            math.log1p(mass) if mass > 0 else 0.0,
            math.log1p(value) if value > 0 else 0.0,
            luv,
            record.tax_rate,
            float(record.date.weekday()),
            1.0 if record.departure != record.origin else 0.0,
        ]
        fields = text_fields(record)
        prior = self.fraud_rate
        prior_critical = self.critical_rate
        m = self.smoothing
        nan = math.nan
        for spec in self.specs:
            key = _key(spec, fields)
            stats = self.tables[spec.name].get(key) if key is not None else None
            if stats is None:
                out += [0.0, prior, prior_critical]
                if spec.values:
                    out += [nan, nan]
                continue
            n = stats[0]
            out += [n, (stats[1] + m * prior) / (n + m), (stats[2] + m * prior_critical) / (n + m)]
            if spec.values:
                k = stats[3]
                if k < 1 or math.isnan(luv):
                    out += [nan, nan]
                else:
                    mean = stats[4] / k
                    var = max(stats[5] / k - mean * mean, 0.0)
                    gap = luv - mean
                    out += [gap, gap / math.sqrt(var + 0.05) if k >= 3 else nan]
        return out

    def stats(self, spec_name: str, record: ScoringRecord) -> Stats | None:
        spec = next(s for s in self.specs if s.name == spec_name)
        key = _key(spec, text_fields(record))
        return None if key is None else self.tables[spec_name].get(key)

    def matrix(self, records: Sequence[ScoringRecord]) -> np.ndarray:
        """Features of many declarations scored against this history as it stands.

        The same figures as `row`, column by column: batch scoring (backfills) runs at tens of
        thousands of declarations a second this way.
        """
        count = len(records)
        width = len(feature_names(self.specs))
        if count == 0:
            return np.empty((0, width))
        with np.errstate(divide="ignore", invalid="ignore"):
            mass = np.fromiter((r.net_mass for r in records), np.float64, count)
            value = np.fromiter((r.value for r in records), np.float64, count)
            positive = (mass > 0) & (value > 0)
            luv = np.where(
                positive,
                np.log(np.where(positive, value, 1.0) / np.where(positive, mass, 1.0)),
                np.nan,
            )
            columns: list[np.ndarray] = [
                np.where(mass > 0, np.log1p(np.maximum(mass, 0.0)), 0.0),
                np.where(value > 0, np.log1p(np.maximum(value, 0.0)), 0.0),
                luv,
                np.fromiter((r.tax_rate for r in records), np.float64, count),
                np.fromiter((r.date.weekday() for r in records), np.float64, count),
                np.fromiter((r.departure != r.origin for r in records), np.float64, count),
            ]
            by_field = _columns(records)
            empty = {f: np.fromiter((not v for v in vs), bool, count) for f, vs in by_field.items()}
            prior, prior_critical, m = self.fraud_rate, self.critical_rate, self.smoothing
            for spec in self.specs:
                index, table = self._frozen_table(spec.name)
                parts = [by_field[f] for f in spec.fields]
                keys = (
                    parts[0] if len(parts) == 1 else map(SEPARATOR.join, zip(*parts, strict=True))
                )
                rows = np.fromiter(map(index.get, keys, repeat(-1)), np.int64, count)
                for f in spec.fields:
                    rows[empty[f]] = -1  # the zero row at the end: no history
                stats = table[rows]
                n = stats[:, 0]
                columns += [
                    n,
                    (stats[:, 1] + m * prior) / (n + m),
                    (stats[:, 2] + m * prior_critical) / (n + m),
                ]
                if spec.values:
                    k = stats[:, 3]
                    mean = stats[:, 4] / k
                    var = np.maximum(stats[:, 5] / k - mean * mean, 0.0)
                    gap = np.where(k >= 1, luv - mean, np.nan)
                    columns += [gap, np.where(k >= 3, gap / np.sqrt(var + 0.05), np.nan)]
        return np.column_stack(columns)

    # -- persistence ----------------------------------------------------------------------
    def to_document(self) -> dict[str, object]:
        return {
            "specs": [s.name for s in self.specs],
            "smoothing": self.smoothing,
            "inspected": self.inspected,
            "frauds": self.frauds,
            "criticals": self.criticals,
            "tables": self.tables,
        }

    @classmethod
    def from_document(cls, document: dict[str, object]) -> History:
        by_name = {s.name: s for s in KEY_SPECS}
        specs = [by_name[str(n)] for n in document["specs"]]  # type: ignore[attr-defined]
        history = cls(specs, float(document["smoothing"]))  # type: ignore[arg-type]
        history.inspected = int(document["inspected"])  # type: ignore[call-overload]
        history.frauds = int(document["frauds"])  # type: ignore[call-overload]
        history.criticals = int(document["criticals"])  # type: ignore[call-overload]
        history.tables = document["tables"]  # type: ignore[assignment]
        history._frozen = {}
        return history


def in_date_order(records: Iterable[ScoringRecord]) -> list[ScoringRecord]:
    # A stable sort: same-day records keep their order, which never matters for features.
    return sorted(records, key=lambda r: r.date)


def training_matrix(
    records: Iterable[ScoringRecord],
    history: History | None = None,
    *,
    period: Callable[[ScoringRecord], object] | None = None,
) -> tuple[np.ndarray, list[ScoringRecord], History]:
    """Features of every record, each read from the results dated before it; then the history
    with all of them added (what scoring later declarations starts from).

    The history grows once per `period` (a day by default): every record of a period is read
    before any result of that period is counted.
    """
    history = history or History()
    ordered = in_date_order(records)
    rows: list[list[float]] = []
    step = period or (lambda r: r.date)
    for _, group in groupby(ordered, key=step):
        batch = list(group)
        rows.extend(history.row(r) for r in batch)
        history.add_all(batch)
    matrix = np.asarray(rows, dtype=np.float64).reshape(
        len(ordered), len(feature_names(history.specs))
    )
    return matrix, ordered, history


def timed_training_matrix(
    records: Sequence[ScoringRecord],
    timeline: Sequence[tuple[object, object]],
    history: History | None = None,
) -> tuple[np.ndarray, list[ScoringRecord], History]:
    """Like `training_matrix`, for a node's own history where each result has its own time:
    `timeline[i]` is (when record i was lodged, when its inspection result was recorded).

    A record's features read only the results recorded strictly before it was lodged (an
    inspection finished a week after a declaration was lodged is not in that declaration's
    features, even if the inspected declaration was lodged earlier). Then every result is
    counted, so that scoring later declarations starts from the whole history.
    """
    if len(timeline) != len(records):
        raise ValueError("one (lodged, result) time per record")
    history = history or History()
    count = len(records)
    lodged = sorted(range(count), key=lambda i: timeline[i][0])  # type: ignore[arg-type,return-value]
    known = sorted(range(count), key=lambda i: timeline[i][1])  # type: ignore[arg-type,return-value]
    rows: list[list[float]] = []
    added = 0
    for i in lodged:
        while added < count and timeline[known[added]][1] < timeline[i][0]:  # type: ignore[operator]
            history.add(records[known[added]])
            added += 1
        rows.append(history.row(records[i]))
    for k in known[added:]:
        history.add(records[k])
    matrix = np.asarray(rows, dtype=np.float64).reshape(count, len(feature_names(history.specs)))
    return matrix, [records[i] for i in lodged], history
