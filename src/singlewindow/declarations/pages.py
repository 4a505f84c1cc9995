"""Clearance in the console: the trader's lodgement and declarations, the officer's worklist,
inspection and release. Every action calls `Clearance`, as the API does."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile

from singlewindow.access.model import Principal, Role
from singlewindow.core.errors import Invalid
from singlewindow.core.fields import Offset
from singlewindow.declarations.api import attachment_response, upload_content
from singlewindow.declarations.attachments import MEDIA_TYPES, MOST_BYTES, AttachmentKind
from singlewindow.declarations.comparison import compare
from singlewindow.declarations.errors import (
    DeclarationConflict,
    InvalidDeclaration,
    NotYours,
    StaleVersion,
    UnknownGuarantee,
)
from singlewindow.declarations.model import Declaration, Seizure, Status
from singlewindow.declarations.prearrival import PreArrival
from singlewindow.declarations.repository import to_document
from singlewindow.declarations.schemas import (
    DeclarationCreate,
    DeclarationRead,
    DeclarationUpdate,
    EventRead,
    GuaranteeUse,
    SeizureCreate,
)
from singlewindow.declarations.services import Clearance
from singlewindow.declarations.settlement import Guarantees
from singlewindow.declarations.views import DeclarationView
from singlewindow.risk.model import Channel, InspectionOutcome
from singlewindow.web.menu import N_, entry
from singlewindow.web.session import OfficerPage, TraderPage, UserDep, page_role
from singlewindow.web.texts import render

router = APIRouter()

MENU = [
    entry("/declarations/new", N_("Lodge a declaration"), Role.TRADER, order=10),
    entry("/declarations", N_("Declarations"), Role.TRADER, Role.OFFICER, Role.ADMIN, order=11),
    entry("/worklist", N_("Worklist"), Role.OFFICER, Role.ADMIN, order=5),
    entry("/prearrival", N_("Pre-arrival records"), Role.OFFICER, Role.ADMIN, order=6),
    entry("/guarantees", N_("Guarantees"), Role.TRADER, Role.OFFICER, Role.ADMIN, order=60),
]

# The words of statuses, channels and events that pages show by their value, for the catalogue.
WORDS = (N_("lodged"), N_("accepted"), N_("assessed"), N_("channelled"), N_("inspected"),
         N_("released"), N_("seized"), N_("cancelled"), N_("attachment added"),
         N_("green"), N_("yellow"), N_("red"), N_("changed"), N_("added"), N_("removed"))

PAGE_SIZE = 25
MOST_ITEMS = 99  # the form's limit; the API takes more, by file

HEADER_FIELDS = ("type", "lrn", "office", "export_country", "destination_country",
                 "transport_mode", "incoterm", "invoice_currency", "freight", "insurance")
ITEM_FIELDS = ("commodity_code", "description", "origin_country", "quantity", "quantity_unit",
               "net_mass", "gross_mass", "invoice_amount",
               # waste under the Basel Convention (the green room checks them)
               "basel_code", "waste_consent", "recycling_attestation", "contamination_share")
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


CORRECTABLE = ("commodity_code", "origin_country", "quantity", "net_mass", "gross_mass",
               "invoice_amount")
CORRECTABLE_LABELS = (N_("Code"), N_("Origin"), N_("Quantity"), N_("Net mass (kg)"),
                      N_("Gross mass (kg)"), N_("Invoice amount"))
"""An item's fields an officer corrects on the inspection form (`corrected-N-field`); other
corrections go through the API's correction, with the whole declaration."""

SEIZURE_FIELDS = ("goods", "quantity", "unit", "concealment")
KIND_LABELS = {AttachmentKind.PHOTO.value: N_("Photo"),
               AttachmentKind.SCANNER_IMAGE.value: N_("Scanner image")}
OUTCOME_LABELS = {InspectionOutcome.NO_DISCREPANCY.value: N_("No discrepancy"),
                  InspectionOutcome.DISCREPANCY.value: N_("Discrepancy"),
                  InspectionOutcome.SEIZURE.value: N_("Seizure")}


def _declaration_page(request: Request, principal: Principal, number: str,
                      errors: dict[str, str] | None = None, typed: dict[str, str] | None = None,
                      status_code: int = 200) -> Response:
    clearance = _clearance(request)
    view = clearance.get(number, principal)
    read = DeclarationRead.of(view, principal)
    events = [EventRead.of(e, principal) for e in clearance.events(number, principal)]
    officer = principal.role in (Role.OFFICER, Role.ADMIN)
    trader = principal.role is Role.TRADER
    # Payments are the banks' confirmations in the event log (no trader reports one).
    payments = [{"bank": str(e.detail.get("bank") or e.actor),
                 "reference": str(e.detail.get("bank_reference") or ""),
                 "amount": Decimal(str(e.detail.get("amount") or 0)),
                 "currency": str(e.detail.get("currency") or ""), "at": e.at}
                for e in events if e.kind == "paid"]
    items = read.declaration["items"]
    corrected = {f"corrected-{n}-{f}": str(item.get(f, "")) for n, item in enumerate(items)
                 for f in CORRECTABLE}
    return render(request, "declarations/detail.html", {
        "d": read, "events": events, "officer": officer, "errors": errors or {},
        "typed": corrected | (typed or {}),
        "correctable": list(zip(CORRECTABLE, CORRECTABLE_LABELS, strict=True)),
        "outcomes": list(InspectionOutcome), "kinds": list(AttachmentKind),
        "kind_labels": KIND_LABELS, "outcome_labels": OUTCOME_LABELS,
        "attachments": clearance.attachments(number, principal) if officer else [],
        "most_bytes": MOST_BYTES, "media_types": MEDIA_TYPES,
        "inspectable": officer and read.status is Status.CHANNELLED
        and read.channel in (Channel.YELLOW, Channel.RED),
        # The goods are released by rule as soon as nothing blocks it; the officer sees what
        # still does (the button stays for a release the rules allow but did not make).
        "not_releasable": view.state().why_not_releasable() if officer else None,
        "releasable": officer and view.state().why_not_releasable() is None
        and read.status in (Status.CHANNELLED, Status.INSPECTED),
        "amendable": _amendable(view, principal),
        "payments": payments,
        # The trader's guarantees, offered to secure what is still owed (the service decides
        # which of them may secure this declaration).
        "securable": trader and read.settlement.outstanding > 0
        and read.status not in (Status.RELEASED, Status.SEIZED, Status.CANCELLED),
        "guarantees": Guarantees(clearance).list(principal, 50)[0] if trader else [],
    }, status_code=status_code)


@router.get("/declarations/{number}")
def declaration(request: Request, number: str, principal: UserDep) -> Response:
    return _declaration_page(request, principal, number)


def _corrected(view: DeclarationView, form: FormData) -> tuple[Declaration, dict[str, str]]:
    """The declaration with the officer's corrected item fields, checked by the API's
    schema; the errors by the form's field names."""
    document = to_document(view.declaration)
    for n, item in enumerate(document["items"]):
        for name in CORRECTABLE:
            value = form.get(f"corrected-{n}-{name}")
            if isinstance(value, str) and value.strip():
                item[name] = value.strip()[:600]
    try:
        return DeclarationCreate.model_validate(document).to_domain(), {}
    except ValidationError as invalid:
        errors: dict[str, str] = {}
        for error in invalid.errors():
            location = [str(p) for p in error["loc"]]
            name = ("corrected-" + "-".join(location[1:]) if location[:1] == ["items"]
                    else "outcome")
            errors.setdefault(name, error["msg"])
        return view.declaration, errors


def _seizure(form: FormData) -> tuple[Seizure | None, dict[str, str]]:
    raw = {name: str(form.get(f"seizure-{name}") or "").strip()[:600] for name in SEIZURE_FIELDS}
    try:
        return SeizureCreate.model_validate(raw).to_domain(), {}
    except ValidationError as invalid:
        errors: dict[str, str] = {}
        for error in invalid.errors():
            errors.setdefault(f"seizure-{error['loc'][0]}", error["msg"])
        return None, errors


@router.post("/declarations/{number}/inspection")
async def inspect(request: Request, number: str, principal: OfficerPage) -> Response:
    """The officer's inspection result: a discrepancy with the corrected item data (duties
    re-assessed), a seizure with what was seized; every error beside its field."""
    form = await request.form()
    typed = {str(k): v[:600] for k, v in form.items() if isinstance(v, str)}
    findings = typed.get("findings", "").strip()[:2000]
    try:
        result = InspectionOutcome(typed.get("outcome", ""))
    except ValueError:
        return _declaration_page(request, principal, number,
                                 {"outcome": "choose the inspection's result"}, typed, 422)
    clearance = _clearance(request)
    corrected: Declaration | None = None
    seizure: Seizure | None = None
    errors: dict[str, str] = {}
    if result is InspectionOutcome.DISCREPANCY:
        corrected, errors = _corrected(clearance.get(number, principal), form)
    elif result is InspectionOutcome.SEIZURE:
        seizure, errors = _seizure(form)
    if errors:
        return _declaration_page(request, principal, number, errors, typed, 422)
    try:
        clearance.record_inspection(number, result, principal, findings, corrected, seizure)
    except Invalid as refused:
        problems = {_inspection_field(p.path): p.message for p in refused.problems}
        return _declaration_page(request, principal, number, problems, typed, 422)
    return RedirectResponse(f"/declarations/{number}", status_code=303)


def _inspection_field(path: str) -> str:
    """A model's problem (`corrected.items.0.commodity_code`) as the inspection form's field."""
    parts = path.split(".")
    if parts[:2] == ["corrected", "items"] and len(parts) >= 4 and parts[3] in CORRECTABLE:
        return f"corrected-{parts[2]}-{parts[3]}"
    return "outcome"


@router.post("/declarations/{number}/attachments")
async def attach(request: Request, number: str, principal: OfficerPage) -> Response:
    """A photo or scanner image, checked by its content and size; refused with the reason."""
    form = await request.form()
    upload = form.get("file")
    kind_text = str(form.get("kind") or AttachmentKind.PHOTO.value)
    try:
        kind = AttachmentKind(kind_text)
    except ValueError:
        return _declaration_page(request, principal, number,
                                 {"kind": "choose a photo or a scanner image"}, None, 422)
    if not isinstance(upload, UploadFile):
        return _declaration_page(request, principal, number,
                                 {"file": "choose the image to attach"}, None, 422)
    content = await upload_content(upload)
    scanner = str(form.get("scanner_id") or "")[:100]
    try:
        _clearance(request).attach(number, kind, upload.filename or "", content, principal,
                                   scanner)
    except Invalid as refused:
        problems = {p.path if p.path in ("file", "scanner_id") else "file": p.message
                    for p in refused.problems}
        return _declaration_page(request, principal, number, problems,
                                 {"scanner_id": scanner, "kind": kind.value}, 422)
    return RedirectResponse(f"/declarations/{number}#attachments", status_code=303)


@router.get("/declarations/{number}/attachments/{attachment}")
def attachment(request: Request, number: str, attachment: str,
               principal: OfficerPage) -> Response:
    return attachment_response(_clearance(request), number, attachment, principal)


@router.post("/declarations/{number}/security")
async def secure(request: Request, number: str, principal: TraderPage) -> Response:
    """Secure what is still owed against a guarantee, as the API's security route does
    (`Guarantees.secure`): a wrong reference or too small a balance is said beside the field."""
    form = await request.form()
    typed = {"guarantee": str(form.get("guarantee") or "").strip()[:100]}
    try:
        reference = GuaranteeUse.model_validate(typed).guarantee
    except ValidationError as invalid:
        return _declaration_page(request, principal, number,
                                 {"guarantee": invalid.errors()[0]["msg"]}, typed, 422)
    try:
        Guarantees(_clearance(request)).secure(number, reference, principal)
    except (UnknownGuarantee, NotYours, DeclarationConflict) as refused:
        return _declaration_page(request, principal, number, {"guarantee": refused.detail},
                                 typed, 422)
    except InvalidDeclaration as refused:
        message = "; ".join(p.message for p in refused.problems) or refused.detail
        return _declaration_page(request, principal, number, {"guarantee": message}, typed,
                                 422)
    return RedirectResponse(f"/declarations/{number}#settlement", status_code=303)


@router.post("/declarations/{number}/release")
def release(request: Request, number: str, principal: OfficerPage) -> Response:
    _clearance(request).release(number, principal)
    return RedirectResponse(f"/declarations/{number}", status_code=303)


# --- amendment and versions ----------------------------------------------------------------

def _amendable(view: DeclarationView, principal: Principal) -> bool:
    """Whether `principal` may amend now: the declarant, when the rules of the declaration's
    state allow it. The rule is `check_trader_amendment`'s, asked here, not restated."""
    if principal.role is not Role.TRADER or principal.party_id != view.declaration.declarant.id:
        return False
    try:
        view.state().check_trader_amendment()
    except DeclarationConflict:
        return False
    return True


def _current_values(declaration: Declaration) -> dict[str, Any]:
    """The lodge form's values of a stored version (what the amendment form starts from)."""
    document = to_document(declaration)
    values: dict[str, Any] = {name: str(document.get(name) or "") for name in HEADER_FIELDS}
    values["declarant_name"] = declaration.declarant.name
    values["items"] = [{f: str(item.get(f) or "") for f in ITEM_FIELDS}
                       for item in document["items"]]
    return values


def _amended_document(current: Declaration, values: dict[str, Any]) -> dict[str, Any]:
    """The current version with the form's fields typed over it: what the form has no field
    for (seller, buyer, documents, preferences, the exchange rate) is kept as it was. Items
    are matched by position; a blank field is left out, as on lodgement."""
    document = to_document(current)
    for name in HEADER_FIELDS:
        if values[name] != "":
            document[name] = values[name]
        else:
            document.pop(name, None)
    trader = "importer" if current.type.value == "IM" else "exporter"
    for party in ("declarant", trader):
        if document.get(party) and document[party]["id"] == current.declarant.id:
            document[party] = {**document[party], "name": values["declarant_name"]}
    items: list[dict[str, Any]] = []
    for n, typed in enumerate(values["items"]):
        item = dict(document["items"][n]) if n < len(document["items"]) else {}
        item["sequence"] = n + 1
        for name in ITEM_FIELDS:
            if typed[name] != "":
                item[name] = typed[name]
            else:
                item.pop(name, None)
        items.append(item)
    document["items"] = items
    return document


def _amend_page(request: Request, view: DeclarationView, values: dict[str, Any],
                errors: dict[str, str], expected_version: int, stale: bool = False,
                status_code: int = 200) -> Response:
    fields = set(_form_fields(values))
    elsewhere = [f"{name}: {message}" for name, message in errors.items() if name not in fields]
    return render(request, "declarations/new.html", {
        "form": values, "errors": errors, "elsewhere": elsewhere,
        "amending": view, "expected_version": expected_version, "stale": stale,
    }, status_code=status_code)


@router.get("/declarations/{number}/amend")
def amendment_form(request: Request, number: str, principal: TraderPage) -> Response:
    """The form, only when an amendment may be made now (else the rule's reason, 403/409)."""
    view = _clearance(request).get(number, principal)
    if principal.party_id != view.declaration.declarant.id:
        raise NotYours("only the declarant amends its declaration")
    view.state().check_trader_amendment()
    return _amend_page(request, view, _current_values(view.declaration), {}, view.version)


@router.post("/declarations/{number}/amend")
async def amend(request: Request, number: str, principal: TraderPage) -> Response:
    """Amend through the lodge form, as the API's PUT does (`Clearance.amend`, with the
    version the form was read at): errors beside their fields, nothing stored on error."""
    clearance = _clearance(request)
    view = clearance.get(number, principal)
    form = await request.form()
    values = _form_values(form)
    version_text = str(form.get("expected_version") or "")
    expected = int(version_text) if version_text.isdigit() else view.version
    action = str(form.get("action") or "amend")
    if action == "add-item" and len(values["items"]) < MOST_ITEMS:
        values["items"].append(dict.fromkeys(ITEM_FIELDS, ""))
        return _amend_page(request, view, values, {}, expected)
    if action.startswith("remove-item-") and len(values["items"]) > 1:
        index = action.removeprefix("remove-item-")
        if index.isdigit() and int(index) < len(values["items"]):
            del values["items"][int(index)]
        return _amend_page(request, view, values, {}, expected)
    document = _amended_document(view.declaration, values)
    try:
        body = DeclarationUpdate.model_validate(document | {"expected_version": expected})
    except ValidationError as invalid:
        errors: dict[str, str] = {}
        for error in invalid.errors():
            errors.setdefault(_field(error["loc"]), error["msg"])
        return _amend_page(request, view, values, errors, expected, status_code=422)
    try:
        clearance.amend(number, body.to_domain(), body.expected_version, principal)
    except StaleVersion as stale:
        return _amend_page(request, view, values, {"form": stale.detail}, expected,
                           stale=True, status_code=409)
    except InvalidDeclaration as refused:
        problems = {_field(p.path): p.message for p in refused.problems}
        return _amend_page(request, view, values, problems or {"form": refused.detail},
                           expected, status_code=422)
    except DeclarationConflict as refused:  # selected, inspected or released meanwhile
        return _amend_page(request, view, values, {"form": refused.detail}, expected,
                           status_code=409)
    return RedirectResponse(f"/declarations/{number}/versions", status_code=303)


@router.get("/declarations/{number}/versions")
def versions(request: Request, number: str, principal: UserDep) -> Response:
    """Every version, newest first, each with what changed from the one before it."""
    found = _clearance(request).versions(number, principal)
    shown = []
    for n, (version, declaration, recorded_at) in enumerate(found):
        previous = found[n - 1][1] if n else None
        shown.append({"version": version, "recorded_at": recorded_at,
                      "declaration": declaration,
                      "comparison": compare(previous, declaration) if previous else None})
    return render(request, "declarations/versions.html",
                  {"number": number, "versions": list(reversed(shown))})


# --- pre-arrival records and guarantees --------------------------------------------------------

@router.get("/prearrival")
def pre_arrival_records(
    request: Request,
    principal: OfficerPage,
    matched: Annotated[Literal["yes", "no", ""], Query()] = "",
    channel: Annotated[Channel | None, Query()] = None,
    offset: Offset = 0,
) -> Response:
    """The ACDDs partners sent, newest first, with the score, channel and reasons they got
    on arrival (`PreArrival.records`, as the API's list); a standalone node has none."""
    records: PreArrival | None = request.app.state.node.pre_arrival
    wanted = {"yes": True, "no": False}.get(matched)
    rows, total = (records.records(PAGE_SIZE, offset, wanted, channel)
                   if records is not None else ([], 0))
    filters = {"matched": matched, "channel": channel.value if channel else ""}
    return render(request, "declarations/prearrival.html", {
        "networked": records is not None, "rows": rows, "total": total, "offset": offset,
        "page_size": PAGE_SIZE, "filters": filters, "channels": list(Channel),
        "query": "&".join(f"{k}={v}" for k, v in filters.items() if v),
    })


GuaranteeReader = Annotated[Principal, Depends(page_role(Role.TRADER, Role.OFFICER, Role.ADMIN))]


@router.get("/guarantees")
def guarantees(request: Request, principal: GuaranteeReader, offset: Offset = 0) -> Response:
    """Guarantees with their balance, as the API lists them: officers see all, a trader those
    it holds (`Guarantees.list` decides)."""
    found, total = Guarantees(_clearance(request)).list(principal, PAGE_SIZE, offset)
    return render(request, "declarations/guarantees.html", {
        "guarantees": found, "total": total, "offset": offset, "page_size": PAGE_SIZE,
    })


@router.get("/guarantees/{reference}")
def guarantee(request: Request, reference: str, principal: GuaranteeReader) -> Response:
    """One guarantee: its balance and what it secured, and what was discharged since."""
    found = Guarantees(_clearance(request)).get(reference, principal)
    return render(request, "declarations/guarantee.html", {"g": found})
