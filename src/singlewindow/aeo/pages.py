"""The AEO programme in the console: the trader applies, follows its application's audit and
its authorisation, and gives or withdraws its consent to share with MRA partners; officers
validate the applications (findings per criterion, on-site visits, the decision), keep the
register (suspend, reinstate, revoke) and read what partner administrations told; an admin
records an arrangement. Every action calls `Aeo`, as the API would; a refusal of the room
(403, 409, 422) is shown on the page it came from, nothing changed."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from singlewindow.access.model import Principal, Role
from singlewindow.aeo.errors import UnknownOperator
from singlewindow.aeo.model import (
    APPLICATION,
    AUTHORISATION,
    MAX_SITES,
    NAME_LIMIT,
    TEXT_LIMIT,
    AeoStatus,
    Application,
    ApplicationStatus,
    Arrangement,
    Benefit,
    Change,
    Criterion,
    OperatorType,
    Site,
)
from singlewindow.aeo.services import Aeo
from singlewindow.core.clock import utcnow
from singlewindow.core.countries import ASEAN
from singlewindow.core.errors import Invalid, Problem, SingleWindowError
from singlewindow.core.fields import Offset
from singlewindow.risk.model import AeoRole
from singlewindow.web.menu import N_, entry
from singlewindow.web.session import AdminPage, OfficerPage, TraderPage, page_role
from singlewindow.web.texts import render

router = APIRouter()

MENU = [
    entry("/aeo", N_("AEO status"), Role.TRADER, order=16),
    entry("/aeo/applications", N_("AEO applications"), Role.OFFICER, Role.ADMIN, order=9),
    entry("/aeo/register", N_("AEO register"), Role.OFFICER, Role.ADMIN, order=33),
    entry("/aeo/mra", N_("Mutual recognition"), Role.OFFICER, Role.ADMIN, order=34),
]

PAGE_SIZE = 25
FORM_SITES = 5  # site rows on the application form (the model takes up to MAX_SITES)
ARRANGEMENT_ID_LIMIT = 40

APPLICATION_LABELS = {
    ApplicationStatus.SUBMITTED.value: N_("submitted"),
    ApplicationStatus.VALIDATING.value: N_("being validated"),
    ApplicationStatus.GRANTED.value: N_("granted"),
    ApplicationStatus.REFUSED.value: N_("refused"),
    ApplicationStatus.WITHDRAWN.value: N_("withdrawn"),
}
STATUS_LABELS = {
    AeoStatus.GRANTED.value: N_("granted"),
    AeoStatus.SUSPENDED.value: N_("suspended"),
    AeoStatus.REVOKED.value: N_("revoked"),
    "withdrawn": N_("consent withdrawn"),
}
CHANGE_LABELS = {
    Change.GRANTED.value: N_("granted"),
    Change.SUSPENDED.value: N_("suspended"),
    Change.REINSTATED.value: N_("reinstated"),
    Change.REVOKED.value: N_("revoked"),
    Change.CONSENT_GIVEN.value: N_("consent to share given"),
    Change.CONSENT_WITHDRAWN.value: N_("consent to share withdrawn"),
}
CRITERION_LABELS = {
    Criterion.COMPLIANCE_RECORD.value: N_("Compliance record"),
    Criterion.RECORDS_MANAGEMENT.value: N_("Records management"),
    Criterion.FINANCIAL_SOLVENCY.value: N_("Financial solvency"),
    Criterion.SAFETY_SECURITY.value: N_("Safety and security"),
}
TYPE_LABELS = {
    OperatorType.IMPORTER_EXPORTER.value: N_("Importer or exporter"),
    OperatorType.CUSTOMS_BROKER.value: N_("Customs broker"),
    OperatorType.CARRIER.value: N_("Carrier"),
    OperatorType.WAREHOUSE_OPERATOR.value: N_("Warehouse operator"),
    OperatorType.MANUFACTURER.value: N_("Manufacturer"),
}
BENEFIT_LABELS = {
    Benefit.LOWER_RISK_SCORE.value: N_("lower risk score"),
    Benefit.FEWER_INSPECTIONS.value: N_("fewer inspections"),
    Benefit.PRIORITY.value: N_("priority treatment"),
    Benefit.SIMPLIFIED_TRANSIT.value: N_("simplified transit"),
}
ROLE_LABELS = {
    AeoRole.IMPORTER.value: N_("importer"),
    AeoRole.EXPORTER.value: N_("exporter"),
    AeoRole.CONSIGNOR.value: N_("consignor (transit)"),
    AeoRole.CARRIER.value: N_("carrier"),
}
# What an officer may do to an authorisation, by the status the table lets it go to.
ACTION_OF = {AeoStatus.SUSPENDED: Change.SUSPENDED, AeoStatus.GRANTED: Change.REINSTATED,
             AeoStatus.REVOKED: Change.REVOKED}
ACTION_LABELS = {Change.SUSPENDED.value: N_("Suspend"), Change.REINSTATED.value: N_("Reinstate"),
                 Change.REVOKED.value: N_("Revoke")}

LABELS = {"application_labels": APPLICATION_LABELS, "status_labels": STATUS_LABELS,
          "change_labels": CHANGE_LABELS, "criterion_labels": CRITERION_LABELS,
          "type_labels": TYPE_LABELS, "benefit_labels": BENEFIT_LABELS,
          "role_labels": ROLE_LABELS, "action_labels": ACTION_LABELS,
          "name_limit": NAME_LIMIT, "text_limit": TEXT_LIMIT}

OperatorPath = Annotated[str, Path(min_length=3, max_length=17)]
NumberPath = Annotated[str, Path(min_length=1, max_length=40)]
AdministrationPath = Annotated[str, Path(min_length=2, max_length=2)]
# The trader's own status; an officer who opens it goes to the applications to validate.
ReaderPage = Annotated[Principal, Depends(page_role(Role.TRADER, Role.OFFICER, Role.ADMIN))]

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
LINE_BREAKS = re.compile(r"[\t\r\n]+")


def _aeo(request: Request) -> Aeo:
    aeo: Aeo = request.app.state.node.aeo
    return aeo


def _text(form: Any, name: str, limit: int, lines: bool = False) -> str:
    """A field as typed, without control characters (a NUL is refused by PostgreSQL), one
    line unless `lines`, cut at its limit as the field's maxlength does in the browser."""
    value = CONTROL.sub("", str(form.get(name) or ""))
    if not lines:
        value = LINE_BREAKS.sub(" ", value)
    return value[:limit]


def _message(refused: SingleWindowError) -> str:
    if isinstance(refused, Invalid):
        return "; ".join(p.message for p in refused.problems) or refused.detail
    return refused.detail


# --- the trader's page ---------------------------------------------------------------------

SELF_ASSESSMENT = {c.value: f"sa_{c.value}" for c in Criterion}


def _blank_application() -> dict[str, Any]:
    return {"name": "", "address": "", "types": [], "consent": False,
            "sites": [{"name": "", "address": ""} for _ in range(FORM_SITES)],
            **dict.fromkeys(SELF_ASSESSMENT.values(), "")}


def _status_page(request: Request, principal: Principal, typed: dict[str, Any] | None = None,
                 errors: dict[str, str] | None = None, message: str = "",
                 status_code: int = 200) -> Response:
    aeo = _aeo(request)
    operator = principal.party_id or ""
    applications = aeo.applications(principal)
    try:
        authorisation = aeo.operator(operator, principal) if operator else None
    except UnknownOperator:
        authorisation = None
    open_one = next((a for a in applications if a.status in (ApplicationStatus.SUBMITTED,
                                                             ApplicationStatus.VALIDATING)),
                    None)
    may_apply = bool(operator) and open_one is None and (
        authorisation is None or authorisation.status is AeoStatus.REVOKED)
    return render(request, "aeo/status.html", {
        **LABELS, "operator": operator, "applications": applications,
        "authorisation": authorisation, "may_apply": may_apply, "open_one": open_one,
        "typed": typed or _blank_application(), "errors": errors or {}, "message": message,
        "criteria": [c.value for c in Criterion], "types": [t.value for t in OperatorType],
        "self_assessment": SELF_ASSESSMENT, "max_sites": MAX_SITES,
    }, status_code=status_code)


@router.get("/aeo")
def status(request: Request, principal: ReaderPage) -> Response:
    """The trader's AEO status: its applications and their audit, its authorisation and its
    history, the form to apply. Officers land on the applications to validate."""
    if principal.role is not Role.TRADER:
        return RedirectResponse("/aeo/applications", status_code=303)
    return _status_page(request, principal)


def _site_field(i: int, part: str) -> str:
    return f"site_{part}_{i}"


def _form_field(path: str) -> str:
    """The application form's field of a model's `Problem.path`."""
    if path.startswith("self_assessment."):
        return "sa_" + path.split(".", 1)[1]
    if path.startswith("sites."):
        _, index, part = (path.split(".") + ["", ""])[:3]
        return _site_field(int(index), part) if index.isdigit() else "sites"
    return path if path in ("name", "address", "types", "sites") else "form"


@router.post("/aeo/apply")
async def apply(request: Request, principal: TraderPage) -> Response:
    """The trader applies for its own operator id (its party id: the form cannot change it)."""
    form = await request.form()
    typed = _blank_application()
    typed["name"] = _text(form, "name", NAME_LIMIT)
    typed["address"] = _text(form, "address", NAME_LIMIT)
    typed["types"] = [str(t) for t in form.getlist("types")][:len(OperatorType)]
    typed["consent"] = form.get("consent") == "yes"
    typed["sites"] = [{"name": _text(form, _site_field(i, "name"), NAME_LIMIT),
                       "address": _text(form, _site_field(i, "address"), NAME_LIMIT)}
                      for i in range(FORM_SITES)]
    for name in SELF_ASSESSMENT.values():
        typed[name] = _text(form, name, TEXT_LIMIT, lines=True)
    errors: dict[str, str] = {}
    known = {t.value for t in OperatorType}
    if any(t not in known for t in typed["types"]):
        errors["types"] = "choose among the kinds of operator listed"
    sites = []
    for i, site in enumerate(typed["sites"]):
        if site["name"].strip() or site["address"].strip():
            sites.append(Site(site["name"], site["address"]))
            for part in ("name", "address"):
                if not site[part].strip():
                    errors[_site_field(i, part)] = "a site has its name and its address"
    if not sites:
        errors[_site_field(0, "name")] = "name at least one site where you handle goods"
    if errors:
        return _status_page(request, principal, typed, errors, status_code=422)
    application = Application(
        operator=principal.party_id or "", name=typed["name"], address=typed["address"],
        types=tuple(OperatorType(t) for t in typed["types"]), sites=tuple(sites),
        self_assessment={c: typed[SELF_ASSESSMENT[c.value]] for c in Criterion},
        consent_to_share=typed["consent"])
    try:
        _aeo(request).apply(application, principal)
    except Invalid as refused:
        for problem in refused.problems:
            errors.setdefault(_form_field(problem.path), problem.message)
        return _status_page(request, principal, typed, errors, status_code=refused.status)
    except SingleWindowError as refused:
        return _status_page(request, principal, typed, {}, _message(refused), refused.status)
    return RedirectResponse("/aeo#applications", status_code=303)


@router.post("/aeo/consent")
async def consent(request: Request, principal: TraderPage) -> Response:
    """The operator gives or withdraws its consent to share its data with MRA partners."""
    form = await request.form()
    try:
        _aeo(request).set_consent(principal.party_id or "", form.get("given") == "yes",
                                  principal)
    except SingleWindowError as refused:
        return _status_page(request, principal, message=_message(refused),
                            status_code=refused.status)
    return RedirectResponse("/aeo#authorisation", status_code=303)


@router.post("/aeo/applications/{number}/withdraw")
def withdraw(request: Request, number: NumberPath, principal: TraderPage) -> Response:
    """The applicant withdraws its open application."""
    try:
        _aeo(request).withdraw(number, principal)
    except SingleWindowError as refused:
        return _status_page(request, principal, message=_message(refused),
                            status_code=refused.status)
    return RedirectResponse("/aeo#applications", status_code=303)


# --- officers: the applications --------------------------------------------------------------

@router.get("/aeo/applications")
def applications(request: Request, principal: OfficerPage) -> Response:
    """The applications to validate: submitted, then being validated."""
    aeo = _aeo(request)
    waiting = [*aeo.applications(principal, ApplicationStatus.SUBMITTED),
               *aeo.applications(principal, ApplicationStatus.VALIDATING)]
    return render(request, "aeo/applications.html", {**LABELS, "views": waiting})


def _application_page(request: Request, principal: Principal, number: str,
                      errors: dict[str, str] | None = None, typed: dict[str, str] | None = None,
                      message: str = "", status_code: int = 200) -> Response:
    view = _aeo(request).application(number, principal)
    validating = view.status is ApplicationStatus.VALIDATING
    return render(request, "aeo/application.html", {
        **LABELS, "v": view, "criteria": [c.value for c in Criterion],
        "startable": APPLICATION.allows(view.status, ApplicationStatus.VALIDATING),
        "validating": validating,
        "grantable": APPLICATION.allows(view.status, ApplicationStatus.GRANTED)
        and not view.missing_for_grant,
        "refusable": APPLICATION.allows(view.status, ApplicationStatus.REFUSED),
        "sites": [s["name"] for s in view.sites], "today": utcnow().date().isoformat(),
        "errors": errors or {}, "typed": typed or {}, "message": message,
    }, status_code=status_code)


@router.get("/aeo/applications/{number}")
def application(request: Request, number: NumberPath, principal: OfficerPage) -> Response:
    """One application as officers validate it, with the forms of the step it is at."""
    return _application_page(request, principal, number)


def _after(number: str, anchor: str) -> Response:
    return RedirectResponse(f"/aeo/applications/{number}#{anchor}", status_code=303)


def _refused_on_application(request: Request, principal: Principal, number: str,
                            refused: SingleWindowError, typed: dict[str, str],
                            fields: tuple[str, ...]) -> Response:
    errors: dict[str, str] = {}
    if isinstance(refused, Invalid):
        for problem in refused.problems:
            errors.setdefault(problem.path if problem.path in fields else fields[0],
                              problem.message)
        return _application_page(request, principal, number, errors, typed,
                                 status_code=refused.status)
    return _application_page(request, principal, number, {}, typed, _message(refused),
                             refused.status)


@router.post("/aeo/applications/{number}/validation")
def start_validation(request: Request, number: NumberPath, principal: OfficerPage) -> Response:
    try:
        _aeo(request).start_validation(number, principal)
    except SingleWindowError as refused:
        return _refused_on_application(request, principal, number, refused, {}, ("form",))
    return _after(number, "findings")


@router.post("/aeo/applications/{number}/findings")
async def record_finding(request: Request, number: NumberPath,
                         principal: OfficerPage) -> Response:
    """An auditor's finding on one criterion: met or not, and the note addressed to the
    operator (the last finding per criterion counts)."""
    form = await request.form()
    criterion = str(form.get("criterion") or "")[:40]
    typed = {"criterion": criterion, "met": str(form.get("met") or "")[:3],
             "note": _text(form, "note", TEXT_LIMIT, lines=True)}
    if criterion not in {c.value for c in Criterion}:
        return _application_page(request, principal, number, {}, typed,
                                 "a finding is on one of the four criteria", 422)
    if typed["met"] not in ("yes", "no"):
        return _application_page(request, principal, number,
                                 {f"met_{criterion}": "say whether the criterion is met"},
                                 typed, status_code=422)
    try:
        _aeo(request).record_finding(number, Criterion(criterion), typed["met"] == "yes",
                                     typed["note"], principal)
    except SingleWindowError as refused:
        if isinstance(refused, Invalid):
            return _application_page(request, principal, number,
                                     {f"note_{criterion}": _message(refused)}, typed,
                                     status_code=refused.status)
        return _refused_on_application(request, principal, number, refused, typed, ("form",))
    return _after(number, "findings")


@router.post("/aeo/applications/{number}/visits")
async def record_visit(request: Request, number: NumberPath, principal: OfficerPage) -> Response:
    """An on-site visit of one of the application's sites, once it took place."""
    form = await request.form()
    typed = {"site": _text(form, "site", NAME_LIMIT), "on": _text(form, "on", 10),
             "visit_note": _text(form, "visit_note", TEXT_LIMIT, lines=True)}
    try:
        on = date.fromisoformat(typed["on"])
    except ValueError:
        return _application_page(request, principal, number, {"on": "a date, YYYY-MM-DD"},
                                 typed, status_code=422)
    try:
        _aeo(request).record_visit(number, typed["site"], on, typed["visit_note"], principal)
    except SingleWindowError as refused:
        if isinstance(refused, Invalid):
            refused = Invalid([Problem("visit_note" if p.path == "note" else p.path, p.message)
                               for p in refused.problems])
        return _refused_on_application(request, principal, number, refused, typed,
                                       ("visit_note", "site", "on"))
    return _after(number, "visits")


@router.post("/aeo/applications/{number}/decision")
async def decide(request: Request, number: NumberPath, principal: OfficerPage) -> Response:
    """Grant or refuse, with the reason kept in the register."""
    form = await request.form()
    typed = {"decision": str(form.get("decision") or "")[:6],
             "reason": _text(form, "reason", TEXT_LIMIT, lines=True)}
    if typed["decision"] not in ("grant", "refuse"):
        return _application_page(request, principal, number,
                                 {"reason": "choose to grant or to refuse"}, typed,
                                 status_code=422)
    try:
        _aeo(request).decide(number, typed["decision"] == "grant", typed["reason"], principal)
    except SingleWindowError as refused:
        return _refused_on_application(request, principal, number, refused, typed,
                                       ("reason",))
    return _after(number, "decision")


# --- officers: the register ------------------------------------------------------------------

def _status_filter(text: str) -> AeoStatus | None:
    if not text:
        return None
    try:
        return AeoStatus(text)
    except ValueError:
        raise Invalid([Problem("status", "granted, suspended or revoked")]) from None


@router.get("/aeo/register")
def register(request: Request, principal: OfficerPage,
             status: Annotated[str, Query(max_length=20)] = "",
             offset: Offset = 0) -> Response:
    """This country's AEOs, by operator id; filtered by status."""
    chosen = _status_filter(status)
    views, total = _aeo(request).register(principal, chosen, PAGE_SIZE, offset)
    return render(request, "aeo/register.html", {
        **LABELS, "views": views, "total": total, "offset": offset, "page_size": PAGE_SIZE,
        "status": chosen.value if chosen else "", "statuses": [s.value for s in AeoStatus],
    })


def _operator_page(request: Request, principal: Principal, operator: str,
                   errors: dict[str, str] | None = None, typed: dict[str, str] | None = None,
                   message: str = "", status_code: int = 200) -> Response:
    view = _aeo(request).operator(operator, principal)
    actions = [ACTION_OF[s].value for s in sorted(AUTHORISATION.targets(view.status),
                                                  key=lambda s: list(AeoStatus).index(s))]
    return render(request, "aeo/operator.html", {
        **LABELS, "v": view, "actions": actions, "errors": errors or {}, "typed": typed or {},
        "message": message,
    }, status_code=status_code)


@router.get("/aeo/register/{operator}")
def operator(request: Request, operator: OperatorPath, principal: OfficerPage) -> Response:
    """One authorisation with its history and the changes its status allows now."""
    return _operator_page(request, principal, operator)


@router.post("/aeo/register/{operator}/status")
async def change_status(request: Request, operator: OperatorPath,
                        principal: OfficerPage) -> Response:
    """Suspend, reinstate or revoke, with the reason (partners told if it consented)."""
    form = await request.form()
    change = str(form.get("change") or "")[:20]
    typed = {"change": change, "reason": _text(form, "reason", TEXT_LIMIT, lines=True)}
    allowed = {c.value for c in ACTION_OF.values()}
    if change not in allowed:
        return _operator_page(request, principal, operator, {},
                              typed, "choose to suspend, reinstate or revoke", 422)
    try:
        _aeo(request).change_status(operator, Change(change), typed["reason"], principal)
    except SingleWindowError as refused:
        errors = {f"reason_{change}": _message(refused)} if isinstance(refused, Invalid) else {}
        return _operator_page(request, principal, operator, errors, typed,
                              "" if errors else _message(refused), refused.status)
    return RedirectResponse(f"/aeo/register/{operator}#history", status_code=303)


# --- mutual recognition ------------------------------------------------------------------------

ARRANGEMENT_FIELDS = ("id", "name", "partners", "starts_on", "ends_on", "benefits", "roles")


def _mra_page(request: Request, principal: Principal, typed: dict[str, Any] | None = None,
              errors: dict[str, str] | None = None, message: str = "",
              status_code: int = 200) -> Response:
    aeo = _aeo(request)
    country = request.app.state.settings.country
    return render(request, "aeo/mra.html", {
        **LABELS, "arrangements": aeo.arrangements(), "partners": aeo.partners(principal),
        "admin": principal.role is Role.ADMIN, "members": sorted(ASEAN.values(),
                                                                   key=lambda m: m.code),
        "home": country, "benefits": [b.value for b in Benefit],
        "roles": [r.value for r in AeoRole], "id_limit": ARRANGEMENT_ID_LIMIT,
        "typed": typed or {"id": "", "name": "", "partners": [], "starts_on":
                           utcnow().date().isoformat(), "ends_on": "", "benefits": [],
                           "roles": []},
        "errors": errors or {}, "message": message, "today": utcnow().date(),
    }, status_code=status_code)


@router.get("/aeo/mra")
def mra(request: Request, principal: OfficerPage) -> Response:
    """The arrangements this country signed, and what each partner administration told."""
    return _mra_page(request, principal)


@router.post("/aeo/mra")
async def record_arrangement(request: Request, principal: AdminPage) -> Response:
    """An administrator records an arrangement: its partners, start, benefits and roles."""
    form = await request.form()
    country = request.app.state.settings.country
    typed: dict[str, Any] = {
        "id": _text(form, "id", ARRANGEMENT_ID_LIMIT).strip().upper(),
        "name": _text(form, "name", NAME_LIMIT),
        "partners": [str(p)[:2] for p in form.getlist("partners")][:len(ASEAN)],
        "starts_on": _text(form, "starts_on", 10), "ends_on": _text(form, "ends_on", 10),
        "benefits": [str(b)[:40] for b in form.getlist("benefits")][:len(Benefit)],
        "roles": [str(r)[:40] for r in form.getlist("roles")][:len(AeoRole)],
    }
    errors: dict[str, str] = {}
    days: dict[str, date | None] = {"ends_on": None}
    for name in ("starts_on", "ends_on"):
        if name == "ends_on" and not typed[name]:
            continue
        try:
            days[name] = date.fromisoformat(typed[name])
        except ValueError:
            errors[name] = "a date, YYYY-MM-DD"
    if any(p not in ASEAN for p in typed["partners"]):
        errors["partners"] = "choose among the ASEAN member states listed"
    if any(b not in {x.value for x in Benefit} for b in typed["benefits"]):
        errors["benefits"] = "choose among the benefits listed"
    if any(r not in {x.value for x in AeoRole} for r in typed["roles"]):
        errors["roles"] = "choose among the roles listed"
    if errors:
        return _mra_page(request, principal, typed, errors, status_code=422)
    starts_on = days["starts_on"]
    assert starts_on is not None
    arrangement = Arrangement(
        typed["id"], typed["name"], frozenset({*typed["partners"], country}), starts_on,
        frozenset(Benefit(b) for b in typed["benefits"]),
        frozenset(AeoRole(r) for r in typed["roles"]), days["ends_on"])
    try:
        _aeo(request).record_arrangement(arrangement, principal)
    except Invalid as refused:
        for problem in refused.problems:
            errors.setdefault(problem.path if problem.path in ARRANGEMENT_FIELDS else "id",
                              problem.message)
        return _mra_page(request, principal, typed, errors, status_code=refused.status)
    except SingleWindowError as refused:
        return _mra_page(request, principal, typed, {}, _message(refused), refused.status)
    return RedirectResponse("/aeo/mra#arrangements", status_code=303)


@router.get("/aeo/mra/partners/{administration}")
def partner(request: Request, administration: AdministrationPath, principal: OfficerPage,
            offset: Offset = 0) -> Response:
    """What one partner administration told: its operators (paged) and its last notices."""
    aeo = _aeo(request)
    code = administration.upper()
    summary = next((p for p in aeo.partners(principal) if p.administration == code), None)
    views, total = aeo.partner_operators(code, principal, PAGE_SIZE, offset)
    return render(request, "aeo/partner.html", {
        **LABELS, "code": code, "summary": summary, "views": views, "total": total,
        "offset": offset, "page_size": PAGE_SIZE, "notices": aeo.notices(code, principal, 20),
    })


