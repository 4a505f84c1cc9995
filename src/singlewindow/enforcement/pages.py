"""Shared enforcement intelligence in the console, for customs officers: alerts received and
raised with their hits (and the form to raise one), one alert with its criteria, concealment
methods and hits (withdrawn here when it is ours), seizures recorded and shared, and the joint
operations with each one's board. Every action calls `Enforcement`, as the API would; a
refusal of the room (403, 404, 409, 422) is shown on the page it came from, nothing
changed."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response

from singlewindow.access.model import Principal, Role
from singlewindow.core.clock import utcnow
from singlewindow.core.countries import ASEAN
from singlewindow.core.errors import Invalid, SingleWindowError
from singlewindow.enforcement.model import (
    CONCEALMENT_LIMIT,
    MAX_CONCEALMENT,
    MAX_CRITERIA,
    TEXT_LIMIT,
    TITLE_LIMIT,
    Category,
)
from singlewindow.enforcement.services import AlertDraft, Enforcement, SeizureDraft
from singlewindow.risk.model import Channel, Operator
from singlewindow.web.menu import N_, entry
from singlewindow.web.session import OfficerPage
from singlewindow.web.texts import render

router = APIRouter()

MENU = [
    entry("/enforcement/alerts", N_("Enforcement alerts"), Role.OFFICER, Role.ADMIN, order=37),
    entry("/enforcement/seizures", N_("Seizures"), Role.OFFICER, Role.ADMIN, order=38),
    entry("/enforcement/operations", N_("Joint operations"), Role.OFFICER, Role.ADMIN,
          order=39),
]

CATEGORY_LABELS = {
    Category.ILLICIT_TOBACCO.value: N_("illicit tobacco"),
    Category.WILDLIFE.value: N_("wildlife"),
    Category.WASTE.value: N_("waste"),
    Category.DRUGS.value: N_("drugs"),
    Category.IPR.value: N_("counterfeits (IPR)"),
    Category.OTHER.value: N_("other"),
}
STATUS_LABELS = {"active": N_("active"), "withdrawn": N_("withdrawn"),
                 "expired": N_("expired")}
LABELS = {"category_labels": CATEGORY_LABELS, "status_labels": STATUS_LABELS,
          "title_limit": TITLE_LIMIT, "text_limit": TEXT_LIMIT,
          "concealment_limit": CONCEALMENT_LIMIT}

AlertPath = Annotated[str, Path(pattern=r"^[A-Z]{2}-ALERT-[0-9]{1,10}$")]
SeizurePath = Annotated[str, Path(pattern=r"^[A-Z]{2}-SEIZURE-[0-9]{1,10}$")]
OperationPath = Annotated[str, Path(pattern=r"^[A-Z0-9][A-Z0-9-]{1,39}$")]

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
LINE_BREAKS = re.compile(r"[\t\r\n]+")
LIST_OPERATORS = {Operator.IN.value, Operator.NOT_IN.value}


def _service(request: Request) -> Enforcement:
    service: Enforcement = request.app.state.node.enforcement
    return service


def _text(form: Any, name: str, limit: int, lines: bool = False) -> str:
    """A field as typed, without control characters, one line unless `lines`, cut at its
    limit as the field's maxlength does in the browser."""
    value = CONTROL.sub("", str(form.get(name) or ""))
    if not lines:
        value = LINE_BREAKS.sub(" ", value)
    return value[:limit]


def _message(refused: SingleWindowError) -> str:
    if isinstance(refused, Invalid):
        return "; ".join(f"{p.path}: {p.message}" if p.path else p.message
                         for p in refused.problems) or refused.detail
    return refused.detail


def criteria_of(text: str) -> list[dict[str, object]]:
    """The criteria typed one a line, `field operator value` (a list after in / not_in,
    comma-separated): `commodity_code prefix 2402`, `origin_country in KH, LA`. A line the
    risk engine cannot read is passed on as typed, for the room to say what is wrong."""
    criteria: list[dict[str, object]] = []
    for line in text.splitlines()[:MAX_CRITERIA + 1]:
        parts = line.strip().split(None, 2)
        if not parts:
            continue
        field, operator = parts[0], parts[1] if len(parts) > 1 else ""
        raw = parts[2] if len(parts) > 2 else ""
        value: object = ([v.strip() for v in raw.split(",") if v.strip()]
                         if operator in LIST_OPERATORS else raw.strip())
        criteria.append({"field": field, "operator": operator, "value": value})
    return criteria


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


# --- alerts ------------------------------------------------------------------------------

def _blank_alert() -> dict[str, Any]:
    today = utcnow().date()
    return {"category": Category.ILLICIT_TOBACCO.value, "title": "", "description": "",
            "criteria": "", "concealment": "", "valid_from": today.isoformat(),
            "valid_to": (today + timedelta(days=90)).isoformat(), "channel": "red",
            "operation": ""}


def _alerts_page(request: Request, principal: Principal, typed: dict[str, Any] | None = None,
                 message: str = "", status_code: int = 200) -> Response:
    service = _service(request)
    views = service.alerts(principal)
    return render(request, "enforcement/alerts.html", {
        **LABELS, "raised": [v for v in views if v.raised_here],
        "received": [v for v in views if not v.raised_here],
        "operations": service.operations(principal), "typed": typed or _blank_alert(),
        "categories": [c.value for c in Category], "message": message,
    }, status_code=status_code)


@router.get("/enforcement/alerts")
def alerts(request: Request, principal: OfficerPage) -> Response:
    """Alerts received and raised, with their hits; the form to raise one."""
    return _alerts_page(request, principal)


@router.post("/enforcement/alerts")
async def raise_alert(request: Request, principal: OfficerPage) -> Response:
    form = await request.form()
    typed: dict[str, Any] = {
             "category": _text(form, "category", 20), "title": _text(form, "title", TITLE_LIMIT),
             "description": _text(form, "description", TEXT_LIMIT, lines=True),
             "criteria": _text(form, "criteria", 4000, lines=True),
             "concealment": _text(form, "concealment", 2200, lines=True),
             "valid_from": _text(form, "valid_from", 10), "valid_to": _text(form, "valid_to", 10),
             "channel": _text(form, "channel", 8), "operation": _text(form, "operation", 40)}
    valid_from, valid_to = _date(typed["valid_from"]), _date(typed["valid_to"])
    problems = []
    if typed["category"] not in {c.value for c in Category}:
        problems.append("category: choose one")
    if typed["channel"] not in (Channel.YELLOW.value, Channel.RED.value):
        problems.append("channel: yellow or red")
    if valid_from is None or valid_to is None:
        problems.append("validity: two dates (YYYY-MM-DD)")
    concealment = [c.strip() for c in typed["concealment"].splitlines() if c.strip()]
    if len(concealment) > MAX_CONCEALMENT:
        problems.append(f"concealment: at most {MAX_CONCEALMENT} methods")
    if problems or valid_from is None or valid_to is None:
        return _alerts_page(request, principal, typed, "; ".join(problems), 422)
    draft = AlertDraft(
        category=Category(typed["category"]), title=typed["title"],
        description=typed["description"], criteria=criteria_of(typed["criteria"]),
        valid_from=valid_from, valid_to=valid_to, channel=Channel(typed["channel"]),
        concealment=concealment, operation=typed["operation"] or None)
    try:
        raised = _service(request).raise_alert(draft, principal)
    except SingleWindowError as refused:
        return _alerts_page(request, principal, typed, _message(refused), refused.status)
    return RedirectResponse(f"/enforcement/alerts/{raised.alert.id}", status_code=303)


def _alert_page(request: Request, principal: Principal, alert_id: str, message: str = "",
                status_code: int = 200) -> Response:
    try:
        view = _service(request).alert(alert_id, principal)
    except SingleWindowError as refused:
        return render(request, "enforcement/missing.html", {"message": _message(refused)},
                      status_code=refused.status)
    return render(request, "enforcement/alert.html", {**LABELS, "v": view, "message": message},
                  status_code=status_code)


@router.get("/enforcement/alerts/{alert_id}")
def alert(request: Request, alert_id: AlertPath, principal: OfficerPage) -> Response:
    """One alert: what to look for, its criteria and concealment methods, and every hit."""
    return _alert_page(request, principal, alert_id)


@router.post("/enforcement/alerts/{alert_id}/withdrawal")
async def withdraw(request: Request, alert_id: AlertPath, principal: OfficerPage) -> Response:
    form = await request.form()
    try:
        _service(request).withdraw_alert(alert_id, _text(form, "reason", TEXT_LIMIT, True),
                                         principal)
    except SingleWindowError as refused:
        return _alert_page(request, principal, alert_id, _message(refused), refused.status)
    return RedirectResponse(f"/enforcement/alerts/{alert_id}", status_code=303)


# --- seizures ----------------------------------------------------------------------------

def _seizures_page(request: Request, principal: Principal, typed: dict[str, Any] | None = None,
                   message: str = "", status_code: int = 200) -> Response:
    return render(request, "enforcement/seizures.html", {
        **LABELS, "views": _service(request).seizures(principal),
        "typed": typed or {"goods": "", "hs_code": "", "quantity": "", "unit": "",
                           "concealment": "", "declaration": "", "alert": "", "share": False},
        "message": message}, status_code=status_code)


@router.get("/enforcement/seizures")
def seizures(request: Request, principal: OfficerPage) -> Response:
    """Seizures recorded here and those partners shared; the form to record one."""
    return _seizures_page(request, principal)


@router.post("/enforcement/seizures")
async def record_seizure(request: Request, principal: OfficerPage) -> Response:
    form = await request.form()
    typed: dict[str, Any] = {
             "goods": _text(form, "goods", TITLE_LIMIT), "hs_code": _text(form, "hs_code", 10),
             "quantity": _text(form, "quantity", 20), "unit": _text(form, "unit", 20),
             "concealment": _text(form, "concealment", CONCEALMENT_LIMIT),
             "declaration": _text(form, "declaration", 40), "alert": _text(form, "alert", 24),
             "share": form.get("share") == "on"}
    try:
        quantity = Decimal(typed["quantity"])
    except InvalidOperation:
        return _seizures_page(request, principal, typed, "quantity: a number", 422)
    draft = SeizureDraft(typed["goods"], typed["hs_code"], quantity, typed["unit"],
                         typed["concealment"], typed["declaration"] or None,
                         typed["alert"] or None, bool(typed["share"]))
    try:
        _service(request).record_seizure(draft, principal)
    except SingleWindowError as refused:
        return _seizures_page(request, principal, typed, _message(refused), refused.status)
    return RedirectResponse("/enforcement/seizures", status_code=303)


@router.post("/enforcement/seizures/{seizure_id}/share")
def share(request: Request, seizure_id: SeizurePath, principal: OfficerPage) -> Response:
    try:
        _service(request).share_seizure(seizure_id, principal)
    except SingleWindowError as refused:
        return _seizures_page(request, principal, None, _message(refused), refused.status)
    return RedirectResponse("/enforcement/seizures", status_code=303)


# --- joint operations --------------------------------------------------------------------

def _operations_page(request: Request, principal: Principal,
                     typed: dict[str, Any] | None = None, message: str = "",
                     status_code: int = 200) -> Response:
    service = _service(request)
    today = utcnow().date()
    return render(request, "enforcement/operations.html", {
        **LABELS, "operations": service.operations(principal), "home": service.country,
        "members": sorted(ASEAN.values(), key=lambda m: m.code),
        "typed": typed or {"code": "", "name": "", "members": [],
                           "starts_on": today.isoformat(),
                           "ends_on": (today + timedelta(days=60)).isoformat()},
        "message": message}, status_code=status_code)


@router.get("/enforcement/operations")
def operations(request: Request, principal: OfficerPage) -> Response:
    """The joint operations this node belongs to; the form to set one up."""
    return _operations_page(request, principal)


@router.post("/enforcement/operations")
async def create_operation(request: Request, principal: OfficerPage) -> Response:
    form = await request.form()
    typed: dict[str, Any] = {
             "code": _text(form, "code", 40), "name": _text(form, "name", TITLE_LIMIT),
             "members": [str(m)[:2] for m in form.getlist("members")][:30],
             "starts_on": _text(form, "starts_on", 10), "ends_on": _text(form, "ends_on", 10)}
    starts_on, ends_on = _date(typed["starts_on"]), _date(typed["ends_on"])
    if starts_on is None or ends_on is None:
        return _operations_page(request, principal, typed, "dates: YYYY-MM-DD", 422)
    try:
        made = _service(request).create_operation(typed["code"], typed["name"],
                                                  typed["members"], starts_on, ends_on,
                                                  principal)
    except SingleWindowError as refused:
        return _operations_page(request, principal, typed, _message(refused), refused.status)
    return RedirectResponse(f"/enforcement/operations/{made.code}", status_code=303)


@router.get("/enforcement/operations/{code}")
def board(request: Request, code: OperationPath, principal: OfficerPage) -> Response:
    """A joint operation's board: its alerts, their hits and the seizures, across members."""
    try:
        found = _service(request).board(code, principal)
    except SingleWindowError as refused:
        return render(request, "enforcement/missing.html", {"message": _message(refused)},
                      status_code=refused.status)
    return render(request, "enforcement/board.html", {**LABELS, "board": found})
