"""A synthetic node history: consignments whose risk depends on importer, goods and unit value,
stored as selections with inspection outcomes at chosen times."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from singlewindow.core import clock
from singlewindow.core.db import Database
from singlewindow.risk import services as selectivity
from singlewindow.risk.learning import services as learning
from singlewindow.risk.learning.registry import ModelVersion
from singlewindow.risk.model import Channel, InspectionOutcome, RiskSubject, Selection

CODES = ("09011100", "85171300", "40012100", "24022090", "61091000", "87032390")
ORIGINS = ("CN", "TH", "KH", "MY", "ID")
BAD_IMPORTERS = {f"VNIMP{i:03d}" for i in range(6)}
RISKY_CODES = {"24022090", "87032390"}


def subject(rng: random.Random) -> RiskSubject:
    importer = f"VNIMP{rng.randrange(40):03d}"
    code = rng.choice(CODES)
    origin = rng.choice(ORIGINS)
    mass = Decimal(str(round(rng.uniform(10, 5000), 1)))
    value = (mass * Decimal(str(round(rng.uniform(1, 40), 2)))).quantize(Decimal("0.01"))
    header = {
        "type": "import", "office": rng.choice(("VNHCM01", "VNHAN01")), "export_country": origin,
        "destination_country": "VN", "transport_mode": rng.choice(("1", "3", "4")),
        "declarant": importer, "importer": importer, "seller": f"SELLER{rng.randrange(30)}",
        "invoice_currency": "USD", "total_customs_value": value, "item_count": 1,
    }
    item = {"commodity_code": code, "origin_country": origin, "quantity": mass,
            "net_mass": mass, "customs_value": value, "unit_value": value / mass}
    return RiskSubject(header, [item])


def fraud_chance(s: RiskSubject) -> float:
    chance = 0.05
    if s.header["importer"] in BAD_IMPORTERS:
        chance += 0.5
    item = s.items[0]
    if item["commodity_code"] in RISKY_CODES:
        chance += 0.2
    if item["customs_value"] / item["net_mass"] < 5:
        chance += 0.15
    return min(chance, 0.95)


@dataclass
class History:
    database: Database
    rng: random.Random
    count: int = 0

    def lodge(self, at: datetime, *, result_after: timedelta | None = timedelta(days=2),
              outcome: InspectionOutcome | None = None, s: RiskSubject | None = None) -> str:
        """One consignment selected at `at`; inspected with a result `result_after` later."""
        self.count += 1
        ref = f"DEC{self.count:06d}"
        s = s or subject(self.rng)
        with self.database.unit_of_work() as session:
            selectivity.record_selections(
                session, [(ref, "declaration", s, Selection(Channel.YELLOW, ("test",)))], now=at)
        if result_after is not None:
            if outcome is None:
                found = self.rng.random() < fraud_chance(s)
                outcome = InspectionOutcome.DISCREPANCY if found else \
                    InspectionOutcome.NO_DISCREPANCY
            with self.database.unit_of_work() as session:
                selectivity.record_outcome(session, ref, outcome, now=at + result_after)
        return ref

    def flow(self, count: int, start: datetime, inspected: float = 0.5,
             spacing: timedelta = timedelta(minutes=37)) -> None:
        """Many consignments `spacing` apart, a share of them inspected two days later."""
        results = []
        with self.database.unit_of_work() as session:
            for i in range(count):
                self.count += 1
                ref, at, s = f"DEC{self.count:06d}", start + spacing * i, subject(self.rng)
                selectivity.record_selections(
                    session, [(ref, "declaration", s, Selection(Channel.GREEN, ("test",)))],
                    now=at)
                if self.rng.random() < inspected:
                    found = self.rng.random() < fraud_chance(s)
                    results.append((ref, at + timedelta(days=2), InspectionOutcome.DISCREPANCY
                                    if found else InspectionOutcome.NO_DISCREPANCY))
        with self.database.unit_of_work() as session:
            for ref, at, outcome in results:
                selectivity.record_outcome(session, ref, outcome, now=at)


@pytest.fixture
def history(database, frozen_clock) -> History:
    selectivity.configure(database, default_random_share=0.0, seed=11)
    return History(database, random.Random(5))


def days_ago(days: float) -> datetime:
    return clock.utcnow() - timedelta(days=days)  # looked up each time: it may be frozen


FAST = {"rounds": 60, "parameters": {"num_threads": 1}}


def enough_history(history: History, count: int = 2400, days: float = 60,
                   end: float = 2) -> None:
    """A flow lodged from `days` to `end` days ago, 60 % inspected: with the latest 30 days of
    results held out, enough to train a model the promotion gates accept and to judge it."""
    history.flow(count, days_ago(days), inspected=0.6,
                 spacing=timedelta(days=days - end) / count)


def promote_first(history: History) -> ModelVersion:
    """Train, compare out of time and promote a first model, as an officer would."""
    candidate = learning.train_candidate(history.database, **FAST)
    learning.compare_latest(history.database, candidate.version)
    learning.promote(history.database, candidate.version, by="admin")
    return candidate
