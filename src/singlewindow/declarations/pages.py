"""Clearance in the console: the trader's lodgement and declarations, the officer's worklist,
inspection and release. Every action calls `Clearance`, as the API does."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from singlewindow.access.model import Principal, Role
from singlewindow.core.errors import Invalid
from singlewindow.core.fields import Offset
from singlewindow.declarations.model import Status
from singlewindow.declarations.schemas import DeclarationCreate, DeclarationRead, EventRead
from singlewindow.declarations.services import Clearance
from singlewindow.risk.model import Channel, InspectionOutcome
from singlewindow.web.menu import N_, entry
from singlewindow.web.session import OfficerPage, TraderPage, UserDep
from singlewindow.web.texts import render

router = APIRouter()

MENU = [
    entry("/declarations/new", N_("Lodge a declaration"), Role.TRADER, order=10),
    entry("/declarations", N_("Declarations"), Role.TRADER, Role.OFFICER, Role.ADMIN, order=11),
    entry("/worklist", N_("Worklist"), Role.OFFICER, Role.ADMIN, order=5),
]

# The words of statuses, channels and events that pages show by their value, for the catalogue.
WORDS = (N_("lodged"), N_("accepted"), N_("assessed"), N_("channelled"), N_("inspected"),
         N_("released"), N_("seized"), N_("cancelled"), N_("green"), N_("yellow"), N_("red"),
         N_("trader"), N_("officer"), N_("admin"), N_("issuer"), N_("manager"))

PAGE_SIZE = 25
MOST_ITEMS = 99  # the form's limit; the API takes more, by file

HEADER_FIELDS = ("type", "lrn", "office", "export_country", "destination_country",
                 "transport_mode", "incoterm", "invoice_currency", "freight", "insurance")
ITEM_FIELDS = ("commodity_code", "description", "origin_country", "quantity", "quantity_unit",
               "net_mass", "gross_mass", "invoice_amount")
"""The form's fields: the API's names, items as `items-N-field` (N from 0)."""


def _clearance(request: Request) -> Clearance:
    clearance: Clearance = request.app.state.clearance
    return clearance


def _blank_form() -> dict[str, Any]:
    return {"type": "IM", "declarant_name": "", "freight": "0", "insurance": "0",
            "items": [dict.fromkeys(ITEM_FIELDS, "")]}


def _form_values(form: FormData) -> dict[str, Any]:
    """What was typed, as the form holds it: header fields and a list of items."""
    def text(name: str) -> str:
        value = form.get(name)
        return value.strip()[:600] if isinstance(value, str) else ""

    values: dict[str, Any] = {name: text(name) for name in HEADER_FIELDS}
    values["declarant_name"] = text("declarant_name")
    indexes = sorted({int(key.split("-")[1]) for key in form
                      if key.startswith("items-") and key.split("-")[1].isdigit()
                      and int(key.split("-")[1]) < MOST_ITEMS})
    values["items"] = [{f: text(f"items-{n}-{f}") for f in ITEM_FIELDS} for n in indexes]
    return values


def _document(values: dict[str, Any], principal: Principal) -> dict[str, Any]:
    """The form's values as the API's declaration body (blank optional fields left out)."""
    body: dict[str, Any] = {k: v for k, v in values.items()
                            if k in HEADER_FIELDS and v != ""}
    body["declarant"] = {"id": principal.party_id or "", "name": values["declarant_name"]}
    # The trader lodges for itself: it is the importer of an import, the exporter of an
    # export (a broker's declarations for others go through the API, with their parties).
    body["importer" if values.get("type") != "EX" else "exporter"] = body["declarant"]
    body["items"] = [{k: v for k, v in item.items() if v != ""} for item in values["items"]]
    return body


def _field(path: tuple[Any, ...] | list[Any] | str) -> str:
    """A problem's path (`items.0.quantity`, or pydantic's location) as the form's field
    name (`items-0-quantity`)."""
    parts = path.split(".") if isinstance(path, str) else [str(p) for p in path]
    if parts and parts[0] == "declarant":
        return "declarant_name"
    return "-".join(parts) if parts else "form"


def _problems(values: dict[str, Any], principal: Principal,
              clearance: Clearance) -> tuple[dict[str, str], DeclarationCreate | None]:
    """Every error of the form by field, by the API's schema and then by the lodgement's
    own rules (the same `Clearance.check` the API's lodgement runs)."""
    try:
        body = DeclarationCreate.model_validate(_document(values, principal))
    except ValidationError as invalid:
        errors: dict[str, str] = {}
        for error in invalid.errors():
            errors.setdefault(_field(error["loc"]), error["msg"])
        return errors, None
    found = clearance.check(body.to_domain(), principal)
    return {_field(p.path): p.message for p in found}, body


def _form_fields(values: dict[str, Any]) -> list[str]:
    names = [*HEADER_FIELDS, "declarant_name"]
    return names + [f"items-{n}-{f}" for n in range(len(values["items"])) for f in ITEM_FIELDS]


def _lodge_page(request: Request, values: dict[str, Any], errors: dict[str, str],
                status_code: int = 200) -> Response:
    fields = set(_form_fields(values))
    # An error of a part the form has no field for (a document, a preference) is listed above.
    elsewhere = [f"{name}: {message}" for name, message in errors.items() if name not in fields]
    return render(request, "declarations/new.html",
                  {"form": values, "errors": errors, "elsewhere": elsewhere},
                  status_code=status_code)


@router.get("/declarations/new")
def new_declaration(request: Request, principal: TraderPage) -> Response:
    return _lodge_page(request, _blank_form(), {})


@router.post("/declarations/new")
async def lodge(request: Request, principal: TraderPage) -> Response:
    """Lodge from the form; `action` add-item / remove-item-N re-renders it, storing nothing
    (so the form works without JavaScript)."""
    form = await request.form()
    values = _form_values(form)
    action = str(form.get("action") or "lodge")
    if action == "add-item" and len(values["items"]) < MOST_ITEMS:
        values["items"].append(dict.fromkeys(ITEM_FIELDS, ""))
        return _lodge_page(request, values, {})
    if action.startswith("remove-item-") and len(values["items"]) > 1:
        index = action.removeprefix("remove-item-")
        if index.isdigit() and int(index) < len(values["items"]):
            del values["items"][int(index)]
        return _lodge_page(request, values, {})
    clearance = _clearance(request)
    errors, body = _problems(values, principal, clearance)
    if errors or body is None:
        return _lodge_page(request, values, errors, status_code=422)
    try:
        view = clearance.lodge(body.to_domain(), principal)
    except Invalid as refused:
        problems = {_field(p.path): p.message for p in getattr(refused, "problems", [])}
        return _lodge_page(request, values, problems or {"form": refused.detail}, 422)
    return RedirectResponse(f"/declarations/{view.number}", status_code=303)


@router.post("/declarations/new/check")
async def check_form(request: Request, principal: TraderPage) -> Response:
    """The errors of the form as one types (htmx): every field's error slot, out of band,
    so that the field being typed in keeps its focus."""
    form = await request.form()
    values = _form_values(form)
    errors, _ = _problems(values, principal, _clearance(request))
    fields = _form_fields(values)
    elsewhere = "; ".join(f"{n}: {m}" for n, m in errors.items() if n not in fields)
    return render(request, "declarations/errors.html",
                  {"names": fields, "errors": errors | {"form": elsewhere}})


@router.get("/declarations")
def list_declarations(
    request: Request,
    principal: UserDep,
    status: Annotated[Status | None, Query()] = None,
    channel: Annotated[Channel | None, Query()] = None,
    lodged_from: Annotated[date | None, Query()] = None,
    lodged_to: Annotated[date | None, Query()] = None,
    offset: Offset = 0,
) -> Response:
    views, total = _clearance(request).list(principal, status, channel, PAGE_SIZE, offset,
                                            lodged_from=lodged_from, lodged_to=lodged_to)
    filters = {"status": status.value if status else "",
               "channel": channel.value if channel else "",
               "lodged_from": lodged_from.isoformat() if lodged_from else "",
               "lodged_to": lodged_to.isoformat() if lodged_to else ""}
    query = "&".join(f"{k}={v}" for k, v in filters.items() if v)
    return render(request, "declarations/list.html", {
        "views": views, "total": total, "offset": offset, "page_size": PAGE_SIZE,
        "filters": filters, "query": query, "statuses": list(Status), "channels": list(Channel),
    })


@router.get("/worklist")
def worklist(request: Request, principal: OfficerPage) -> Response:
    views = _clearance(request).worklist(principal)
    return render(request, "declarations/worklist.html", {"views": views})


def _declaration_page(request: Request, principal: Principal, number: str,
                      errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    clearance = _clearance(request)
    view = clearance.get(number, principal)
    read = DeclarationRead.of(view, principal)
    events = [EventRead.of(e, principal) for e in clearance.events(number, principal)]
    officer = principal.role in (Role.OFFICER, Role.ADMIN)
    return render(request, "declarations/detail.html", {
        "d": read, "events": events, "officer": officer, "errors": errors or {},
        "outcomes": list(InspectionOutcome),
        "inspectable": officer and read.status is Status.CHANNELLED
        and read.channel in (Channel.YELLOW, Channel.RED),
        "releasable": officer and read.status in (Status.CHANNELLED, Status.INSPECTED),
    }, status_code=status_code)


@router.get("/declarations/{number}")
def declaration(request: Request, number: str, principal: UserDep) -> Response:
    return _declaration_page(request, principal, number)


@router.post("/declarations/{number}/inspection")
def inspect(
    request: Request,
    number: str,
    principal: OfficerPage,
    outcome: Annotated[str, Form(max_length=20)] = "",
    findings: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """The officer's inspection result (a discrepancy needs its corrected data, which the
    API's correction takes; the model says so when it is missing)."""
    try:
        result = InspectionOutcome(outcome)
    except ValueError:
        return _declaration_page(request, principal, number,
                                 {"outcome": "choose the inspection's result"}, 422)
    try:
        _clearance(request).record_inspection(number, result, principal, findings.strip())
    except Invalid as refused:
        return _declaration_page(request, principal, number, {"outcome": refused.detail}, 422)
    return RedirectResponse(f"/declarations/{number}", status_code=303)


@router.post("/declarations/{number}/release")
def release(request: Request, number: str, principal: OfficerPage) -> Response:
    _clearance(request).release(number, principal)
    return RedirectResponse(f"/declarations/{number}", status_code=303)
