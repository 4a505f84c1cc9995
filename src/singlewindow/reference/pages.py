"""Revenue targets in the console: the admin sets what each office is to collect in a year;
the dashboard shows what it collected against it."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from singlewindow.access.model import Role
from singlewindow.core.clock import utcnow
from singlewindow.reference import services as reference
from singlewindow.reference.errors import InvalidTarget
from singlewindow.reference.model import RevenueTarget
from singlewindow.web.menu import N_, entry
from singlewindow.web.session import AdminPage
from singlewindow.web.texts import render

router = APIRouter()

MENU = [entry("/admin/targets", N_("Revenue targets"), Role.ADMIN, order=92)]

Year = Annotated[int | None, Query(ge=2000, le=2100)]


def _targets_page(request: Request, year: int, typed: dict[str, str] | None = None,
                  errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    settings = request.app.state.settings
    database = request.app.state.database
    return render(request, "reference/targets.html", {
        "year": year, "targets": reference.revenue_targets(database, year),
        "offices": reference.list_offices(database, settings.country),
        "currency": reference.national_currency(settings.country),
        "typed": typed or {"year": str(year)}, "errors": errors or {},
    }, status_code=status_code)


@router.get("/admin/targets")
def targets(request: Request, principal: AdminPage, year: Year = None) -> Response:
    return _targets_page(request, year or utcnow().year)


@router.post("/admin/targets")
def set_target(
    request: Request,
    principal: AdminPage,
    office: Annotated[str, Form(max_length=8)] = "",
    year: Annotated[str, Form(max_length=4)] = "",
    amount: Annotated[str, Form(max_length=30)] = "",
) -> Response:
    typed = {"office": office.strip().upper(), "year": year.strip(), "amount": amount.strip()}
    errors: dict[str, str] = {}
    if not typed["year"].isdigit():
        errors["year"] = "a year, such as 2026"
    try:
        value = Decimal(typed["amount"].replace(",", "").replace(" ", ""))
        if not value.is_finite():
            raise InvalidOperation
    except InvalidOperation:
        errors["amount"] = "an amount in the national currency, such as 1500000000"
    shown = int(typed["year"]) if typed["year"].isdigit() else utcnow().year
    if errors:
        return _targets_page(request, shown, typed, errors, 422)
    currency = reference.national_currency(request.app.state.settings.country)
    try:
        reference.set_revenue_target(
            request.app.state.database, request.app.state.settings.country,
            RevenueTarget(typed["office"], shown, value, currency), principal.username)
    except InvalidTarget as refused:
        problems = {p.path or "office": p.message for p in refused.problems}
        return _targets_page(request, shown, typed, problems, 422)
    return RedirectResponse(f"/admin/targets?year={shown}", status_code=303)
