"""The dashboard: what the administration collected and how clearance runs, for managers
(and admins). Read-only: it has no form that changes anything. Every figure is a table, drawn
as a chart where it is a series, and downloadable as CSV with the same filters."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from singlewindow.access.model import Role
from singlewindow.core.clock import utcnow
from singlewindow.core.errors import Invalid, Problem
from singlewindow.declarations import statistics
from singlewindow.declarations.statistics import LONGEST_PERIOD, Period
from singlewindow.web.menu import N_, entry
from singlewindow.web.session import ManagerPage
from singlewindow.web.texts import render

router = APIRouter()

MENU = [entry("/dashboard", N_("Dashboard"), Role.MANAGER, Role.ADMIN, order=70)]

Figure = Callable[..., list[dict[str, Any]]]
FIGURES: dict[str, Figure] = {
    "revenue": statistics.revenue_by_office,
    "declarations-per-day": statistics.declarations_per_day,
    "clearance-time": statistics.clearance_times,
}


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
    figures = {name: figure(database, period, office) for name, figure in FIGURES.items()}
    per_day = figures["declarations-per-day"]
    series = {"days": [row["day"] for row in per_day],
              **{c: [row[c] for row in per_day] for c in ("green", "yellow", "red")}}
    return render(request, "dashboard/dashboard.html", {
        "figures": figures, "period": period, "office": office or "", "query": chosen.query,
        "series": json.dumps(series),
    })


@router.get("/dashboard/{name}.csv")
def figure_csv(request: Request, name: str, _: ManagerPage, chosen: FiltersDep) -> Response:
    figure = FIGURES.get(name)
    if figure is None:
        raise Invalid([Problem("name", f"no figure {name!r}; there are {', '.join(FIGURES)}")])
    rows = figure(request.app.state.database, chosen.period, chosen.office)
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
