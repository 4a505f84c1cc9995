"""Certificates of origin in the console: the issuing authority issues an e-Form D and follows
what the importing country answered; officers read the certificates issued and received.
Every action calls `Origin`, as the API does."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from singlewindow.access.model import Principal, Role
from singlewindow.core.errors import Invalid
from singlewindow.core.fields import Offset
from singlewindow.origin.errors import DuplicateCertificate, UnknownCertificate
from singlewindow.origin.model import CertificateStatus, Provenance
from singlewindow.origin.schemas import CertificateCreate
from singlewindow.origin.services import Origin
from singlewindow.web.menu import N_, entry
from singlewindow.web.session import IssuerPage, page_role
from singlewindow.web.texts import render

router = APIRouter()

MENU = [
    entry("/certificates/new", N_("Issue an e-Form D"), Role.ISSUER, order=20),
    entry("/certificates", N_("Certificates"), Role.ISSUER, Role.OFFICER, Role.ADMIN, order=21),
]

# The API lets every role read certificates (a trader those naming it); the console's pages
# are for the issuing authority and customs.
ReaderPage = Annotated[Principal, Depends(page_role(Role.ISSUER, Role.OFFICER, Role.ADMIN))]

# The words of statuses and provenances that pages show by their value, for the catalogue.
WORDS = (N_("issued"), N_("sent"), N_("received"), N_("accepted"), N_("rejected"),
         N_("cancelled"))

PAGE_SIZE = 25
MOST_ITEMS = 99  # the form's limit; the API takes more

HEADER_FIELDS = ("reference", "issuing_country", "importing_country", "issuer", "transport",
                 "remarks")
PARTIES = ("exporter", "consignee")
PARTY_FIELDS = ("id", "name", "country", "address")
ITEM_FIELDS = ("number", "description", "subheading", "origin_criterion", "quantity",
               "quantity_unit", "gross_mass", "fob_value", "currency", "invoice_number",
               "invoice_date", "marks")
"""The form's fields: the API's names, a party's as `exporter-name`, items as
`items-N-field` (N from 0), so that a problem's path `items.0.quantity` names its field."""

OPTIONAL = {"reference", "issuer", "transport", "remarks", "address", "marks"}


def _origin(request: Request) -> Origin | None:
    """The node's `Origin`; None on a node that runs alone (no partner to send to)."""
    service: Origin | None = getattr(request.app.state, "origin", None)
    return service


def _blank_item(number: int) -> dict[str, str]:
    return {**dict.fromkeys(ITEM_FIELDS, ""), "number": str(number)}


def _blank_form(country: str) -> dict[str, Any]:
    values: dict[str, Any] = dict.fromkeys(HEADER_FIELDS, "")
    values["issuing_country"] = country
    for party in PARTIES:
        values[party] = dict.fromkeys(PARTY_FIELDS, "")
    values["exporter"]["country"] = country
    values["items"] = [_blank_item(1)]
    return values


def _form_values(form: FormData) -> dict[str, Any]:
    """What was typed, as the form holds it: header fields, the two parties, the items."""
    def text(name: str) -> str:
        value = form.get(name)
        return value.strip()[:600] if isinstance(value, str) else ""

    values: dict[str, Any] = {name: text(name) for name in HEADER_FIELDS}
    for party in PARTIES:
        values[party] = {f: text(f"{party}-{f}") for f in PARTY_FIELDS}
    indexes = sorted({int(key.split("-")[1]) for key in form
                      if key.startswith("items-") and key.split("-")[1].isdigit()
                      and int(key.split("-")[1]) < MOST_ITEMS})
    values["items"] = [{f: text(f"items-{n}-{f}") for f in ITEM_FIELDS} for n in indexes]
    return values


def _document(values: dict[str, Any]) -> dict[str, Any]:
    """The form's values as the API's body (blank fields left out, so that the schema says
    which are required)."""
    body: dict[str, Any] = {k: values[k] for k in HEADER_FIELDS if values[k] != ""}
    for party in PARTIES:
        body[party] = {k: v for k, v in values[party].items() if v != "" or k in OPTIONAL}
    body["items"] = [{k: v for k, v in item.items() if v != ""} for item in values["items"]]
    return body


def _field(path: tuple[Any, ...] | list[Any] | str) -> str:
    """A problem's path (`items.0.quantity`, or pydantic's location) as the form's field
    name (`items-0-quantity`)."""
    parts = [p for p in path.split(".") if p] if isinstance(path, str) else [str(p) for p in path]
    return "-".join(parts) if parts else "form"


def _form_fields(values: dict[str, Any]) -> list[str]:
    names = [*HEADER_FIELDS, *(f"{p}-{f}" for p in PARTIES for f in PARTY_FIELDS)]
    return names + [f"items-{n}-{f}" for n in range(len(values["items"])) for f in ITEM_FIELDS]


def _schema_errors(values: dict[str, Any]) -> tuple[dict[str, str], CertificateCreate | None]:
    try:
        return {}, CertificateCreate.model_validate(_document(values))
    except ValidationError as invalid:
        errors: dict[str, str] = {}
        for error in invalid.errors():
            errors.setdefault(_field(error["loc"]), error["msg"])
        if not values["items"]:
            errors.setdefault("form", "an e-Form D lists at least one goods item")
        return errors, None


def _issue_page(request: Request, values: dict[str, Any], errors: dict[str, str],
                status_code: int = 200) -> Response:
    fields = set(_form_fields(values))
    # An error of a part the form has no field for is listed above the form.
    elsewhere = [f"{name}: {message}" for name, message in errors.items()
                 if name not in fields and name != "form"]
    return render(request, "origin/new.html",
                  {"form": values, "errors": errors, "elsewhere": elsewhere,
                   "on_network": _origin(request) is not None},
                  status_code=status_code)


@router.get("/certificates/new")
def new_certificate(request: Request, principal: IssuerPage) -> Response:
    service = _origin(request)
    return _issue_page(request, _blank_form(service.country if service else ""), {})


@router.post("/certificates/new")
async def issue(request: Request, principal: IssuerPage) -> Response:
    """Issue from the form; `action` add-item / remove-item-N re-renders it, storing nothing
    (so the form works without JavaScript)."""
    form = await request.form()
    values = _form_values(form)
    action = str(form.get("action") or "issue")
    if action == "add-item" and len(values["items"]) < MOST_ITEMS:
        values["items"].append(_blank_item(len(values["items"]) + 1))
        return _issue_page(request, values, {})
    if action.startswith("remove-item-") and len(values["items"]) > 1:
        index = action.removeprefix("remove-item-")
        if index.isdigit() and int(index) < len(values["items"]):
            del values["items"][int(index)]
        return _issue_page(request, values, {})
    service = _origin(request)
    if service is None:
        return _issue_page(request, values, {"form": "this node is not on a network: it has "
                                                     "no importing country to send to"}, 409)
    errors, body = _schema_errors(values)
    if errors or body is None:
        return _issue_page(request, values, errors, status_code=422)
    try:
        view = service.issue(body.to_domain(service.country), principal)
    except DuplicateCertificate as refused:
        return _issue_page(request, values, {"reference": refused.detail}, 409)
    except Invalid as refused:
        problems: dict[str, str] = {}
        for problem in refused.problems:
            problems.setdefault(_field(problem.path), problem.message)
        return _issue_page(request, values, problems, 422)
    return RedirectResponse(f"/certificates/{view.reference}", status_code=303)


@router.get("/certificates")
def list_certificates(
    request: Request,
    principal: ReaderPage,
    status: Annotated[CertificateStatus | None, Query()] = None,
    provenance: Annotated[Provenance | None, Query()] = None,
    offset: Offset = 0,
) -> Response:
    """The issuing authority sees the certificates issued here; officers both sides."""
    if principal.role is Role.ISSUER:
        provenance = Provenance.ISSUED
    service = _origin(request)
    views, total = (service.list(provenance=provenance, status=status, limit=PAGE_SIZE,
                                 offset=offset) if service else ([], 0))
    filters = {"status": status.value if status else "",
               "provenance": provenance.value if provenance and principal.role is not Role.ISSUER
               else ""}
    query = "&".join(f"{k}={v}" for k, v in filters.items() if v)
    return render(request, "origin/list.html", {
        "views": views, "total": total, "offset": offset, "page_size": PAGE_SIZE,
        "filters": filters, "query": query, "statuses": list(CertificateStatus),
        "provenances": list(Provenance), "issuer": principal.role is Role.ISSUER,
        "on_network": service is not None,
    })


@router.get("/certificates/{reference}")
def certificate(
    request: Request,
    reference: str,
    principal: ReaderPage,
    issuing_country: Annotated[str | None, Query(max_length=2)] = None,
    provenance: Annotated[Provenance | None, Query()] = None,
) -> Response:
    """One certificate; by default one issued here (a received one names its country)."""
    service = _origin(request)
    if service is None:
        raise UnknownCertificate(f"no e-Form D {reference}: this node is not on a network")
    if principal.role is Role.ISSUER:
        issuing_country, provenance = service.country, Provenance.ISSUED
    view = service.get((issuing_country or service.country).upper(), reference, provenance)
    return render(request, "origin/detail.html", {"c": view, "document": view.certificate})
