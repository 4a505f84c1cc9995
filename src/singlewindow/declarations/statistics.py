"""Clearance figures for the manager's dashboard: read-only queries over declarations.

Each query is bounded by a period (lodgement dates) and optionally an office, and reads only
the columns it needs, so that a node holding hundreds of thousands of declarations answers
in milliseconds."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, select

from singlewindow.core.db import Database, utc_day
from singlewindow.declarations.model import DeclarationType
from singlewindow.declarations.repository import (
    DeclarationGoodsRow,
    DeclarationRow,
    PreArrivalRow,
    lodged_between,
)

LONGEST_PERIOD = timedelta(days=366)


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


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

    def goods_conditions(self, office: str | None) -> list[ColumnElement[bool]]:
        """The same period and office over the goods items (imports only)."""
        conditions = [DeclarationGoodsRow.lodged_at >= day_start(self.start),
                      DeclarationGoodsRow.lodged_at < day_start(self.end + timedelta(days=1)),
                      DeclarationGoodsRow.type == DeclarationType.IMPORT.value]
        if office:
            conditions.append(DeclarationGoodsRow.office == office)
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
        ).all()
    return [{"office": o, "currency": c, "assessed": Decimal(a or 0), "collected": Decimal(p or 0)}
            for o, c, a, p in rows]


def declarations_per_day(database: Database, period: Period,
                         office: str | None = None) -> list[dict[str, Any]]:
    """How many declarations were lodged each day, by channel."""
    day = utc_day(DeclarationRow.lodged_at)
    with database.unit_of_work() as session:
        rows = session.execute(
            select(day, DeclarationRow.channel, func.count())
            .where(*period.conditions(office))
            .group_by(day, DeclarationRow.channel)
        ).all()
    days: dict[str, dict[str, int]] = defaultdict(lambda: {"green": 0, "yellow": 0, "red": 0})
    for when, channel, count in rows:
        if channel:
            days[str(when)][str(channel)] = int(str(count))
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
        ).all()
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


def collected_in_year(database: Database, year: int,
                      office: str | None = None) -> dict[str, Decimal]:
    """What each office collected (paid) on the declarations lodged in `year`."""
    period = Period(date(year, 1, 1), date(year, 12, 31))
    with database.unit_of_work() as session:
        rows = session.execute(
            select(DeclarationRow.office, func.sum(DeclarationRow.paid))
            .where(*period.conditions(office)).group_by(DeclarationRow.office)
        ).all()
    return {str(o): Decimal(p or 0) for o, p in rows}


def pre_arrival_share(database: Database, period: Period,
                      office: str | None = None) -> dict[str, Any]:
    """Of the imports lodged in the period, how many the exporting country had announced
    with a pre-arrival record (an ACDD) matched to them."""
    imports = [*period.conditions(office), DeclarationRow.type == DeclarationType.IMPORT.value]
    with database.unit_of_work() as session:
        total = session.scalar(select(func.count()).where(*imports)) or 0
        # Driven from the (few) pre-arrival records, each looking its import up by number.
        lodged_here = (select(DeclarationRow.id)
                       .where(DeclarationRow.number == PreArrivalRow.import_number, *imports)
                       .exists())
        announced = session.scalar(
            select(func.count()).select_from(PreArrivalRow)
            .where(PreArrivalRow.import_number.is_not(None), lodged_here)) or 0
    return {"imports": int(total), "with_pre_arrival": int(announced),
            "share": round(announced / total, 4) if total else 0.0}


def imports_by_origin_and_chapter(database: Database, period: Period,
                                  office: str | None = None) -> dict[tuple[str, str], Any]:
    """Customs value and goods items imported in the period by (origin, HS chapter): one
    read of the goods index for both of the dashboard's top tens."""
    with database.unit_of_work() as session:
        rows = session.execute(
            select(DeclarationGoodsRow.origin_country, DeclarationGoodsRow.chapter,
                   func.sum(DeclarationGoodsRow.customs_value), func.count())
            .where(*period.goods_conditions(office))
            .group_by(DeclarationGoodsRow.origin_country, DeclarationGoodsRow.chapter)
        ).all()
    return {(str(o), str(c)): (Decimal(v or 0), int(n)) for o, c, v, n in rows}


def top_goods(by_origin_and_chapter: dict[tuple[str, str], Any], by: str = "origin",
              limit: int = 10) -> list[dict[str, Any]]:
    """The origins (or HS chapters) of the most imported value."""
    totals: dict[str, tuple[Decimal, int]] = {}
    for (origin, chapter), (value, items) in by_origin_and_chapter.items():
        key = origin if by == "origin" else chapter
        kept = totals.get(key, (Decimal(0), 0))
        totals[key] = (kept[0] + value, kept[1] + items)
    ranked = sorted(totals.items(), key=lambda entry: (-entry[1][0], entry[0]))[:limit]
    return [{by: key, "customs_value": value, "items": items}
            for key, (value, items) in ranked]
