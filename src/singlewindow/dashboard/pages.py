"""The dashboard: what the administration collected and how clearance runs, for managers
(and admins). Read-only: it has no form that changes anything. Every figure is a table, drawn
as a chart where it is a series, and downloadable as CSV with the same filters."""

from __future__ import annotations

import csv
import io
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from singlewindow.access.model import Role
from singlewindow.core.clock import utcnow
from singlewindow.core.db import Database
from singlewindow.core.errors import Invalid, Problem
from singlewindow.declarations import statistics
from singlewindow.declarations.statistics import LONGEST_PERIOD, Period
from singlewindow.exchange.message_log import MessageLog
from singlewindow.reference import services as reference
from singlewindow.risk import statistics as risk_statistics
from singlewindow.web.menu import N_, entry
from singlewindow.web.session import ManagerPage
from singlewindow.web.texts import render

router = APIRouter()

MENU = [entry("/dashboard", N_("Dashboard"), Role.MANAGER, Role.ADMIN, order=70)]

Figure = Callable[[Database, Period, str | None], list[dict[str, Any]]]


def revenue_against_target(database: Database, period: Period,
                           office: str | None) -> list[dict[str, Any]]:
    """The year of the period's end: each office's target, what it collected, the share."""
    year = period.end.year
    collected = statistics.collected_in_year(database, year, office)
    targets = {t.office: t for t in reference.revenue_targets(database, year)
               if office is None or t.office == office}
    rows = []
    for code in sorted(set(collected) | set(targets)):
        target = targets.get(code)
        got = collected.get(code, Decimal(0))
        rows.append({"office": code, "year": year,
                     "target": target.amount if target else None, "collected": got,
                     "reached_percent": round(float(got / target.amount * 100), 1)
                     if target else None})
    return rows


def exchange_by_partner(database: Database, period: Period,
                        office: str | None) -> list[dict[str, Any]]:
    """Messages with each partner since the period's start, pending and failed now, and
    the mean delivery lag (the whole node's: the exchange has no office)."""
    traffic = MessageLog(database).traffic(statistics.day_start(period.start))
    return [{"partner": party, "messages": int(f["recent"]), "pending": int(f["pending"]),
             "failed": int(f["failed"]), "mean_delivery_seconds": round(f["lag"], 3)}
            for party, f in sorted(traffic.items())]


FIGURES: dict[str, Figure] = {
    "revenue": statistics.revenue_by_office,
    "revenue-target": revenue_against_target,
    "declarations-per-day": statistics.declarations_per_day,
    "clearance-time": statistics.clearance_times,
    "hit-rates": lambda db, period, office: risk_statistics.hit_rates(
        db, period.start, period.end),
    "pre-arrival": lambda db, period, office: [
        statistics.pre_arrival_share(db, period, office)],
    "exchange": exchange_by_partner,
}

# Figures drawn from one read the dashboard keeps like a figure (the imports grouped by
# origin and chapter give both top tens).
SOURCES: dict[str, Callable[[Database, Period, str | None], Any]] = {
    "imports": statistics.imports_by_origin_and_chapter,
}
VIEWS: dict[str, tuple[str, Callable[[Any], list[dict[str, Any]]]]] = {
    "top-origins": ("imports", lambda grouped: statistics.top_goods(grouped, by="origin")),
    "top-chapters": ("imports", lambda grouped: statistics.top_goods(grouped, by="chapter")),
}
NAMES = [*FIGURES, *VIEWS]

FRESH_FOR = timedelta(seconds=60)
"""How old the figures a manager sees may be: each is computed at most once a minute per
filter and node process (the page says as of when), not for every visit."""


class FigureCache:
    """The dashboard's figures by filter, kept `FRESH_FOR` (a few hundred filters at most)."""

    def __init__(self, most: int = 256) -> None:
        self.most = most
        self.kept: dict[tuple[str, str | None, date, date], tuple[datetime, Any]] = {}
        self.lock = threading.Lock()

    def get(self, name: str, database: Database, chosen: Filters) -> tuple[datetime, Any]:
        """A figure's rows (and when they were computed)."""
        if name in VIEWS:
            source, view = VIEWS[name]
            at, grouped = self._kept(source, SOURCES[source], database, chosen)
            return at, view(grouped)
        return self._kept(name, FIGURES[name], database, chosen)

    def _kept(self, name: str, compute: Callable[[Database, Period, str | None], Any],
              database: Database, chosen: Filters) -> tuple[datetime, Any]:
        key = (name, chosen.office, chosen.period.start, chosen.period.end)
        now = utcnow()
        with self.lock:
            found = self.kept.get(key)
        if found is not None and now - found[0] < FRESH_FOR:
            return found
        rows = compute(database, chosen.period, chosen.office)
        with self.lock:
            if len(self.kept) >= self.most:
                self.kept.clear()
            self.kept[key] = (now, rows)
        return now, rows


def _cache(request: Request) -> FigureCache:
    cache: FigureCache | None = getattr(request.app.state, "dashboard_figures", None)
    if cache is None:
        cache = request.app.state.dashboard_figures = FigureCache()
    return cache


def _period(start: date | None, end: date | None) -> Period:
    """From and to as given; by default the thirty days up to today."""
    end = end or utcnow().date()
    period = Period(start, end) if start else Period.last(30, end)
    if period.end < period.start:
        raise Invalid([Problem("to", "the period ends before it starts")])
    if period.end - period.start > LONGEST_PERIOD:
        raise Invalid([Problem("from", "a period is at most a year")])
    return period


@dataclass(frozen=True)
class Filters:
    """The dashboard's filters, the same for the page and every CSV: an office (or all) and
    a period."""

    office: str | None
    period: Period

    @property
    def query(self) -> str:
        return f"office={self.office or ''}&from={self.period.start}&to={self.period.end}"


def filters(
    office: Annotated[str | None, Query(max_length=8, pattern="^[A-Z0-9]*$")] = None,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
) -> Filters:
    return Filters(office or None, _period(start, end))


FiltersDep = Annotated[Filters, Depends(filters)]


@router.get("/dashboard")
def dashboard(request: Request, _: ManagerPage, chosen: FiltersDep) -> Response:
    database = request.app.state.database
    period, office = chosen.period, chosen.office
    cache = _cache(request)
    computed = {name: cache.get(name, database, chosen) for name in NAMES}
    figures = {name: rows for name, (_at, rows) in computed.items()}
    as_of = min(at for at, _rows in computed.values())
    per_day = figures["declarations-per-day"]
    series = {"days": [row["day"] for row in per_day],
              **{c: [row[c] for row in per_day] for c in ("green", "yellow", "red")}}
    return render(request, "dashboard/dashboard.html", {
        "figures": figures, "period": period, "office": office or "", "query": chosen.query,
        "series": json.dumps(series), "as_of": as_of, "fresh_for": int(FRESH_FOR.seconds),
    })


@router.get("/dashboard/{name}.csv")
def figure_csv(request: Request, name: str, _: ManagerPage, chosen: FiltersDep) -> Response:
    if name not in NAMES:
        raise Invalid([Problem("name", f"no figure {name!r}; there are {', '.join(NAMES)}")])
    rows = _cache(request).get(name, request.app.state.database, chosen)[1]
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
