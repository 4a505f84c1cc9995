"""Clearance figures for the manager's dashboard: read-only queries over declarations.

Each query is bounded by a period (lodgement dates) and optionally an office, and reads only
the columns it needs, so that a node holding hundreds of thousands of declarations answers
in milliseconds."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, select

from singlewindow.core.db import Database
from singlewindow.declarations.repository import DeclarationRow, lodged_between

LONGEST_PERIOD = timedelta(days=366)


@dataclass(frozen=True)
class Period:
    """Lodgement days from `start` to `end`, both included (UTC)."""

    start: date
    end: date

    @classmethod
    def last(cls, days: int, today: date) -> Period:
        return cls(today - timedelta(days=days - 1), today)

    def conditions(self, office: str | None) -> list[ColumnElement[bool]]:
        conditions = lodged_between(self.start, self.end)
        if office:
            conditions.append(DeclarationRow.office == office)
        return conditions


def percentile(sorted_values: list[float], share: float) -> float:
    """The nearest-rank percentile of ascending values (0 when there are none)."""
    if not sorted_values:
        return 0.0
    rank = max(1, int(-(-share * len(sorted_values) // 1)))  # ceil
    return sorted_values[min(rank, len(sorted_values)) - 1]


def revenue_by_office(database: Database, period: Period,
                      office: str | None = None) -> list[dict[str, Any]]:
    """Duties assessed and collected (paid) per office, in the national currency."""
    with database.unit_of_work() as session:
        rows = session.execute(
            select(DeclarationRow.office, DeclarationRow.currency,
                   func.sum(DeclarationRow.duties), func.sum(DeclarationRow.paid))
            .where(*period.conditions(office))
            .group_by(DeclarationRow.office, DeclarationRow.currency)
            .order_by(DeclarationRow.office)
        ).tuples().all()
    return [{"office": o, "currency": c, "assessed": Decimal(a or 0), "collected": Decimal(p or 0)}
            for o, c, a, p in rows]


def declarations_per_day(database: Database, period: Period,
                         office: str | None = None) -> list[dict[str, Any]]:
    """How many declarations were lodged each day, by channel."""
    day = func.date(DeclarationRow.lodged_at)
    with database.unit_of_work() as session:
        rows = session.execute(
            select(day, DeclarationRow.channel, func.count())
            .where(*period.conditions(office))
            .group_by(day, DeclarationRow.channel)
        ).tuples().all()
    days: dict[str, dict[str, int]] = defaultdict(lambda: {"green": 0, "yellow": 0, "red": 0})
    for when, channel, count in rows:
        if channel:
            days[str(when)][channel] = int(count)
    every_day = [period.start + timedelta(days=n)
                 for n in range((period.end - period.start).days + 1)]
    return [{"day": d.isoformat(), **days.get(d.isoformat(), {"green": 0, "yellow": 0, "red": 0})}
            for d in every_day]


def clearance_times(database: Database, period: Period,
                    office: str | None = None) -> list[dict[str, Any]]:
    """Minutes from lodgement to release, p50 and p90, by channel (released ones only)."""
    with database.unit_of_work() as session:
        rows = session.execute(
            select(DeclarationRow.channel, DeclarationRow.lodged_at, DeclarationRow.released_at)
            .where(*period.conditions(office), DeclarationRow.released_at.is_not(None))
        ).tuples().all()
    minutes: dict[str, list[float]] = defaultdict(list)
    for channel, lodged, released in rows:
        if channel and released is not None:
            minutes[channel].append((released - lodged).total_seconds() / 60)
    answer = []
    for channel in ("green", "yellow", "red"):
        values = sorted(minutes.get(channel, []))
        answer.append({"channel": channel, "released": len(values),
                       "p50_minutes": round(percentile(values, 0.5), 2),
                       "p90_minutes": round(percentile(values, 0.9), 2)})
    return answer
