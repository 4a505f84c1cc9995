"""Waste shipments in the console: the competent authority's officers see the consents their
country gave with what each has used, shipment by shipment, record a new one and revoke one;
officers read the country's rules on waste and an administrator sets one. Every action calls
`Green`, as the API would; a refusal (403, 409, 422) is shown on the page it came from, with
every problem, nothing changed."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response

from singlewindow.access.model import Principal, Role
from singlewindow.core.errors import Invalid, Problem, SingleWindowError
from singlewindow.green.model import BASEL, Consent, CountryRule, Direction, RuleKind
from singlewindow.green.services import Green
from singlewindow.web.menu import N_, entry
from singlewindow.web.session import AdminPage, OfficerPage
from singlewindow.web.texts import render

router = APIRouter()

MENU = [
    entry("/green/consents", N_("Waste consents"), Role.OFFICER, Role.ADMIN, order=35),
    entry("/green/rules", N_("Waste rules"), Role.OFFICER, Role.ADMIN, order=36),
]

ReferencePath = Annotated[str, Path(min_length=4, max_length=33)]
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
CONSENT_FIELDS = ("reference", "exporter", "exporter_name", "importer", "importer_name",
                  "basel_code", "hs_code", "quantity", "valid_from", "valid_to")
RULE_FIELDS = ("id", "kind", "direction", "basel_code", "hs_prefix", "origin", "max_share",
               "valid_from", "valid_to", "note")
CONSENT_CODES = sorted(c for c, e in BASEL.items() if e.requirement.value == "consent")


def _green(request: Request) -> Green:
    green: Green = request.app.state.node.green
    return green


def _line(form: Any, name: str, limit: int = 200) -> str:
    return CONTROL.sub(" ", str(form.get(name) or "")).strip()[:limit]


def _errors(refused: SingleWindowError, fields: tuple[str, ...]) -> tuple[dict[str, str], str]:
    """The refusal's problems by form field; what no field shows goes above the form."""
    if not isinstance(refused, Invalid):
        return {}, refused.detail
    errors: dict[str, str] = {}
    rest = []
    for p in refused.problems:
        if p.path in fields:
            errors[p.path] = p.message
        else:
            rest.append(p.message)
    return errors, "; ".join(rest)


def _day(text: str, field: str, problems: list[Problem]) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.append(Problem(field, "a date, YYYY-MM-DD"))
        return date.min


def _decimal(text: str, field: str, problems: list[Problem]) -> Decimal | None:
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        problems.append(Problem(field, "a number, e.g. 10000 or 0.005"))
        return None
    if not value.is_finite() or abs(value) >= Decimal("1e12"):
        problems.append(Problem(field, "a number below 10^12"))
        return None
    return value


# --- consents -----------------------------------------------------------------------------

def _consents_page(request: Request, principal: Principal, typed: dict[str, str] | None = None,
                   errors: dict[str, str] | None = None, message: str = "",
                   status_code: int = 200) -> Response:
    views = _green(request).consents(principal)
    stopped = _green(request).shipments(principal, "stopped", limit=20)
    return render(request, "green/consents.html", {
        "views": views, "stopped": stopped, "typed": typed or {}, "errors": errors or {},
        "message": message,
        "consent_codes": CONSENT_CODES, "country": _green(request).country,
    }, status_code=status_code)


@router.get("/green/consents")
def consents(request: Request, principal: OfficerPage) -> Response:
    """The consents this country gave, newest first, each with its use; the form to record one."""
    return _consents_page(request, principal)


@router.post("/green/consents")
async def record_consent(request: Request, principal: OfficerPage) -> Response:
    form = await request.form()
    typed = {name: _line(form, name) for name in CONSENT_FIELDS}
    problems: list[Problem] = []
    quantity = _decimal(typed["quantity"], "quantity", problems)
    valid_from = _day(typed["valid_from"], "valid_from", problems)
    valid_to = _day(typed["valid_to"], "valid_to", problems)
    if quantity is None and "quantity" not in {p.path for p in problems}:
        problems.append(Problem("quantity", "the kg consented"))
    try:
        if problems:
            raise Invalid(problems)
        assert quantity is not None
        consent = Consent(
            reference=typed["reference"].upper()[:33],
            importing_country=_green(request).country, exporter=typed["exporter"][:35],
            importer=typed["importer"][:35], basel_code=typed["basel_code"][:6],
            hs_code=typed["hs_code"][:6], quantity=quantity, valid_from=valid_from,
            valid_to=valid_to, exporter_name=typed["exporter_name"],
            importer_name=typed["importer_name"])
        _green(request).record_consent(consent, principal)
    except SingleWindowError as refused:
        errors, message = _errors(refused, CONSENT_FIELDS)
        return _consents_page(request, principal, typed, errors, message, refused.status)
    return RedirectResponse(f"/green/consents/{consent.reference}", status_code=303)


def _consent_page(request: Request, principal: Principal, reference: str, message: str = "",
                  status_code: int = 200) -> Response:
    view = _green(request).consent(reference, principal)
    return render(request, "green/consent.html", {"v": view, "c": view.consent,
                                                  "message": message},
                  status_code=status_code)


@router.get("/green/consents/{reference}")
def consent(request: Request, reference: ReferencePath, principal: OfficerPage) -> Response:
    """One consent: what it allows, what each shipment took, and the form to revoke it."""
    return _consent_page(request, principal, reference)


@router.post("/green/consents/{reference}/revoke")
async def revoke(request: Request, reference: ReferencePath, principal: OfficerPage) -> Response:
    form = await request.form()
    try:
        _green(request).revoke(reference, _line(form, "reason", 500), principal)
    except SingleWindowError as refused:
        if refused.status == 404:
            raise
        return _consent_page(request, principal, reference, _errors(refused, ())[1],
                             refused.status)
    return RedirectResponse(f"/green/consents/{reference}", status_code=303)


# --- rules --------------------------------------------------------------------------------

def _rules_page(request: Request, principal: Principal, typed: dict[str, str] | None = None,
                errors: dict[str, str] | None = None, message: str = "",
                status_code: int = 200) -> Response:
    return render(request, "green/rules.html", {
        "views": _green(request).rules(), "typed": typed or {}, "errors": errors or {},
        "message": message, "may_set": principal.role is Role.ADMIN,
        "kinds": [k.value for k in RuleKind], "directions": [d.value for d in Direction],
        "basel_codes": sorted(BASEL), "country": _green(request).country,
    }, status_code=status_code)


@router.get("/green/rules")
def rules(request: Request, principal: OfficerPage) -> Response:
    """The country's dated rules on waste (samples marked); an administrator sets one."""
    return _rules_page(request, principal)


@router.post("/green/rules")
async def add_rule(request: Request, principal: AdminPage) -> Response:
    form = await request.form()
    typed = {name: _line(form, name, 500 if name == "note" else 40) for name in RULE_FIELDS}
    problems: list[Problem] = []
    kind = typed["kind"] if typed["kind"] in {k.value for k in RuleKind} else None
    if kind is None:
        problems.append(Problem("kind", "ban or max_contamination"))
    direction = typed["direction"] or Direction.IMPORT.value
    if direction not in {d.value for d in Direction}:
        problems.append(Problem("direction", "import or export"))
    valid_from = _day(typed["valid_from"], "valid_from", problems)
    valid_to = _day(typed["valid_to"], "valid_to", problems) if typed["valid_to"] else None
    share = _decimal(typed["max_share"], "max_share", problems)
    try:
        if problems:
            raise Invalid(problems)
        rule = CountryRule(
            id=typed["id"], kind=RuleKind(kind or ""), valid_from=valid_from, valid_to=valid_to,
            direction=Direction(direction), basel_code=typed["basel_code"] or None,
            hs_prefix=typed["hs_prefix"] or None, origin=typed["origin"].upper() or None,
            max_share=share, note=typed["note"])
        _green(request).add_rule(rule, principal)
    except SingleWindowError as refused:
        errors, message = _errors(refused, RULE_FIELDS)
        return _rules_page(request, principal, typed, errors, message, refused.status)
    return RedirectResponse("/green/rules", status_code=303)
