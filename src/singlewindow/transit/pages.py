"""Transit in the console: the holder follows its movements, prints the transit accompanying
document and reads its guarantee's balance; officers record what passes their office (a
crossing, the arrival, the control results), release a movement held for control, solve a
discrepancy and follow what is overdue. Every action calls `Transit`, as the API would."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from io import BytesIO
from typing import Annotated, Any

import barcode
from barcode.writer import SVGWriter
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from singlewindow.access.model import Principal, Role
from singlewindow.core.clock import utcnow
from singlewindow.core.errors import Invalid
from singlewindow.core.fields import Offset
from singlewindow.transit.errors import MovementConflict
from singlewindow.transit.model import MOVEMENT, TransitStatus
from singlewindow.transit.services import (
    DEPARTURE,
    DESTINATION,
    TRANSIT,
    MovementView,
    Transit,
)
from singlewindow.web.menu import N_, entry
from singlewindow.web.session import OfficerPage, page_role
from singlewindow.web.texts import render

router = APIRouter()

MENU = [
    entry("/transit", N_("Transit"), Role.TRADER, Role.OFFICER, Role.ADMIN, order=15),
    entry("/transit/expected", N_("Transit expected"), Role.OFFICER, Role.ADMIN, order=7),
    entry("/transit/overdue", N_("Overdue transit"), Role.OFFICER, Role.ADMIN, order=8),
]

# The holder reads its own movements and guarantees; officers any (`Transit` decides).
ReaderPage = Annotated[Principal, Depends(page_role(Role.TRADER, Role.OFFICER, Role.ADMIN))]

STATUS_LABELS = {
    TransitStatus.ACCEPTED.value: N_("accepted"),
    TransitStatus.GUARANTEE_REFUSED.value: N_("guarantee refused"),
    TransitStatus.RELEASED.value: N_("released for transit"),
    TransitStatus.ARRIVED.value: N_("arrived"),
    TransitStatus.DISCREPANCY.value: N_("discrepancy"),
    TransitStatus.WRITTEN_OFF.value: N_("written off"),
    TransitStatus.OVERDUE.value: N_("overdue"),
    TransitStatus.ENQUIRY.value: N_("enquiry"),
    TransitStatus.RECOVERY.value: N_("recovery"),
}
# What the history says happened (`MovementEvent.what`); a word not listed is shown as is.
EVENT_LABELS = {
    **STATUS_LABELS,
    "lodged": N_("lodged"), "released": N_("released for transit"),
    "expected": N_("announced to this office"), "crossed": N_("crossed a border"),
    "diverted": N_("crossed at an office not declared"), "arrived": N_("arrived"),
    "controlled": N_("control results recorded"), "solved": N_("discrepancy solved"),
    "discharged": N_("discharged: the guarantee released"),
}
ROLE_LABELS = {DEPARTURE: N_("departure"), TRANSIT: N_("office of transit"),
               DESTINATION: N_("destination")}

PAGE_SIZE = 25


def _transit(request: Request) -> Transit:
    transit: Transit = request.app.state.node.transit
    return transit


def _officer(principal: Principal) -> bool:
    return principal.role in (Role.OFFICER, Role.ADMIN)


def _at(officer: Principal, office: str) -> bool:
    """Whether `officer` works at `office` (an admin acts for any office)."""
    return officer.role is Role.ADMIN or (officer.role is Role.OFFICER and officer.office == office)


# --- the itinerary as a route ----------------------------------------------------------------

@dataclass(frozen=True)
class Stop:
    """One office on the route as the page draws it."""

    code: str
    kind: str  # departure, transit, destination, diversion
    passed: bool
    at: datetime | None


def _when(text: object) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def route(view: MovementView) -> list[Stop]:
    """Departure, each office of transit and the destination, each marked passed with its
    time as this node was told; an office crossed that was not declared stands after the
    declared office of its country, as a diversion."""
    itinerary = view.itinerary
    crossed = {str(c.get("office")): c for c in view.crossings}
    stops = [Stop(itinerary.departure.code, "departure", view.released_at is not None,
                  view.released_at)]
    diversions = [c for c in view.crossings if not c.get("declared")]
    for office in itinerary.transit:
        crossing = crossed.get(office.code)
        stops.append(Stop(office.code, "transit", crossing is not None,
                          _when(crossing.get("at")) if crossing else None))
        for other in diversions:
            if str(other.get("office", ""))[:2] == office.country:
                stops.append(Stop(str(other["office"]), "diversion", True,
                                  _when(other.get("at"))))
    placed = {s.code for s in stops}
    for other in diversions:  # a country the itinerary has no office for (not expected)
        if str(other.get("office")) not in placed:
            stops.append(Stop(str(other["office"]), "diversion", True, _when(other.get("at"))))
    arrival = view.arrival or {}
    stops.append(Stop(itinerary.destination.code, "destination", bool(arrival),
                      _when(arrival.get("at"))))
    return stops


def barcode_svg(text: str) -> Markup:
    """`text` as a Code 128 barcode, an inline SVG (python-barcode's SVG writer, no image
    library) with its text written under the bars, named for screen readers."""
    drawn = BytesIO()
    code = barcode.get("code128", text, writer=SVGWriter())
    code.write(drawn, options={"module_height": 14.0, "module_width": 0.25,
                               "font_size": 9, "text_distance": 4.0, "quiet_zone": 4.0})
    svg = drawn.getvalue().decode()
    svg = svg[svg.index("<svg"):]
    # Markup: the barcode is drawn from an MRN the model checked, never from free text.
    return Markup(svg.replace("<svg ", f'<svg role="img" aria-label="MRN {text}" ', 1))


# --- the holder's pages ----------------------------------------------------------------------

@router.get("/transit")
def movements(request: Request, principal: ReaderPage, offset: Offset = 0) -> Response:
    """The holder's movements, newest first (officers: every movement this node holds)."""
    transit = _transit(request)
    found = transit.movements(principal, PAGE_SIZE + 1, offset)
    return render(request, "transit/list.html", {
        "views": found[:PAGE_SIZE], "more": len(found) > PAGE_SIZE, "offset": offset,
        "page_size": PAGE_SIZE, "labels": STATUS_LABELS, "role_labels": ROLE_LABELS,
        "guarantees": (transit.guarantees(principal, 20)
                       if principal.role is Role.TRADER else []),
        "officer": _officer(principal),
    })


# --- officers' lists (before /transit/{mrn}, which would take their names) ---------------------

def _expected_page(request: Request, principal: Principal, errors: dict[str, dict[str, str]],
                   typed: dict[str, dict[str, str]] | None = None,
                   status_code: int = 200) -> Response:
    transit = _transit(request)
    return render(request, "transit/expected.html", {
        "views": transit.expected(principal), "arrived": transit.awaiting_control(principal),
        "errors_of": errors, "typed_of": typed or {}, "labels": STATUS_LABELS,
        "role_labels": ROLE_LABELS,
    }, status_code=status_code)


@router.get("/transit/expected")
def expected(request: Request, principal: OfficerPage) -> Response:
    """What is announced to the officer's office and has not passed it yet, with the form to
    record its crossing or arrival; then what arrived and waits for its control results."""
    return _expected_page(request, principal, {})


@router.get("/transit/overdue")
def overdue(request: Request, principal: OfficerPage) -> Response:
    """Departures past their time limit: overdue, in enquiry, in recovery."""
    return render(request, "transit/overdue.html", {
        "views": _transit(request).due(principal), "labels": STATUS_LABELS,
    })


# --- guarantees --------------------------------------------------------------------------------

GUARANTEE_FIELDS = ("reference", "holder", "amount", "currency", "valid_from", "valid_to",
                    "access_code")


def _guarantee_form(request: Request, values: dict[str, str], errors: dict[str, str],
                    status_code: int = 200) -> Response:
    return render(request, "transit/guarantee_new.html", {"form": values, "errors": errors},
                  status_code=status_code)


@router.get("/transit/guarantees/new")
def new_guarantee(request: Request, principal: OfficerPage) -> Response:
    values = dict.fromkeys(GUARANTEE_FIELDS, "")
    values["valid_from"] = utcnow().date().isoformat()
    return _guarantee_form(request, values, {})


@router.post("/transit/guarantees/new")
async def register_guarantee(request: Request, principal: OfficerPage) -> Response:
    """The guarantee office registers a holder's guarantee and its access code (kept only
    as a salted digest; the form never shows it back)."""
    form = await request.form()
    values = {name: str(form.get(name) or "").strip()[:100] for name in GUARANTEE_FIELDS}
    errors: dict[str, str] = {}
    amount = Decimal(0)
    try:
        amount = Decimal(values["amount"])
    except InvalidOperation:
        errors["amount"] = "the reference amount is a number"
    days: dict[str, date] = {}
    for name in ("valid_from", "valid_to"):
        try:
            days[name] = date.fromisoformat(values[name])
        except ValueError:
            errors[name] = "a date, YYYY-MM-DD"
    currency = values["currency"].upper()
    if len(currency) != 3 or not currency.isalpha():
        errors["currency"] = "a currency is its 3-letter ISO 4217 code"
    shown = {**values, "access_code": ""}
    if errors:
        return _guarantee_form(request, shown, errors, 422)
    try:
        view = _transit(request).register_guarantee(
            values["reference"], values["holder"], amount, currency, days["valid_from"],
            days["valid_to"], values["access_code"], principal)
    except Invalid as refused:
        found = {p.path if p.path in GUARANTEE_FIELDS else "reference": p.message
                 for p in refused.problems}
        return _guarantee_form(request, shown, found, 422)
    except MovementConflict as refused:  # already registered
        return _guarantee_form(request, shown, {"reference": refused.detail}, 409)
    return RedirectResponse(f"/transit/guarantees/{view.reference}", status_code=303)


@router.get("/transit/guarantees")
def find_guarantee(
    request: Request, principal: ReaderPage,
    reference: Annotated[str, Query(min_length=1, max_length=24)],
) -> Response:
    """The look-up form's answer: the guarantee's page."""
    return RedirectResponse(f"/transit/guarantees/{reference.strip()}", status_code=303)


@router.get("/transit/guarantees/{reference}")
def guarantee(request: Request, reference: str, principal: ReaderPage) -> Response:
    """A guarantee's reference amount, what movements reserve of it and its balance."""
    found = _transit(request).guarantee(reference, principal)
    return render(request, "transit/guarantee.html", {"g": found, "today": utcnow().date()})


# --- one movement ----------------------------------------------------------------------------

def _movement_page(request: Request, principal: Principal, mrn: str,
                   errors: dict[str, str] | None = None, typed: dict[str, str] | None = None,
                   status_code: int = 200) -> Response:
    transit = _transit(request)
    view = transit.get(mrn, principal)
    events = transit.history(mrn, principal)
    officer = _officer(principal)
    departure = view.role == DEPARTURE
    return render(request, "transit/detail.html", {
        "v": view, "stops": route(view), "events": events, "officer": officer,
        "labels": STATUS_LABELS, "event_labels": EVENT_LABELS, "role_labels": ROLE_LABELS,
        "duties": sorted(view.duties.items()),
        # Selectivity's reasons are the officers' only (`Transit.get` gives none to a trader).
        "control": view.control if officer else None,
        # Buttons shown when the model's table allows the step now at this officer's office;
        # the service decides again when it is pressed.
        "releasable": officer and departure and _at(principal, view.itinerary.departure.code)
        and MOVEMENT.allows(view.status, TransitStatus.RELEASED),
        "solvable": officer and departure and _at(principal, view.itinerary.departure.code)
        and view.status is TransitStatus.DISCREPANCY,
        "controllable": officer and view.role == DESTINATION
        and _at(principal, view.itinerary.destination.code)
        and MOVEMENT.allows(view.status, TransitStatus.WRITTEN_OFF)
        and view.control_results is None,
        "has_tad": view.released_at is not None,
        "errors": errors or {}, "typed": typed or {},
    }, status_code=status_code)


@router.get("/transit/{mrn}")
def movement(request: Request, mrn: str, principal: ReaderPage) -> Response:
    return _movement_page(request, principal, mrn)


@router.get("/transit/{mrn}/tad")
def accompanying_document(request: Request, mrn: str, principal: ReaderPage) -> Response:
    """The transit accompanying document, to print: only once the movement is released
    (its guarantee reserved); it carries the guarantee's reference, never its access code."""
    view = _transit(request).get(mrn, principal)
    if view.released_at is None:
        raise MovementConflict(f"{mrn} is {view.status.value.replace('_', ' ')}: it was not "
                               "released for transit, so there is no transit accompanying "
                               "document yet")
    return render(request, "transit/tad.html", {
        "v": view, "d": view.declaration or {}, "barcode": barcode_svg(view.mrn),
        "stops": route(view), "printed": utcnow(),
    })


@router.post("/transit/{mrn}/release")
def release(request: Request, mrn: str, principal: OfficerPage) -> Response:
    """The officer of the office of departure releases a movement held for control."""
    _transit(request).release(mrn, principal)
    return RedirectResponse(f"/transit/{mrn}", status_code=303)


def _office(form: Any, principal: Principal) -> str:
    """The office an officer records at: its own; an admin names one."""
    if principal.role is Role.OFFICER and principal.office:
        return principal.office
    return str(form.get("office") or "").strip().upper()[:8]


async def _record_at_office(request: Request, mrn: str, principal: Principal,
                            record: Callable[[str, str, Principal], MovementView],
                            then: str) -> Response:
    """A crossing or an arrival at the officer's office; a refusal shown beside the office on
    the expected list (422), nothing recorded."""
    office = _office(await request.form(), principal)
    try:
        record(mrn, office, principal)
    except Invalid as refused:
        message = "; ".join(p.message for p in refused.problems) or refused.detail
        return _expected_page(request, principal, {mrn: {"office": message}},
                              {mrn: {"office": office}}, 422)
    return RedirectResponse(then, status_code=303)


@router.post("/transit/{mrn}/crossing")
async def record_crossing(request: Request, mrn: str, principal: OfficerPage) -> Response:
    """An office of transit records that the goods entered the country there."""
    return await _record_at_office(request, mrn, principal, _transit(request).record_crossing,
                                   f"/transit/{mrn}")


@router.post("/transit/{mrn}/arrival")
async def record_arrival(request: Request, mrn: str, principal: OfficerPage) -> Response:
    """The office of destination records the arrival; the control results come next."""
    return await _record_at_office(request, mrn, principal, _transit(request).record_arrival,
                                   f"/transit/{mrn}#control")


@router.post("/transit/{mrn}/control")
async def record_control(request: Request, mrn: str, principal: OfficerPage) -> Response:
    """The control results at destination: seals intact or not, each discrepancy on a line
    of its own, remarks. Errors beside their fields; nothing stored then."""
    form = await request.form()
    typed = {"seals_intact": str(form.get("seals_intact") or ""),
             "discrepancies": str(form.get("discrepancies") or "")[:60_000],
             "remarks": str(form.get("remarks") or "")[:2000]}
    errors: dict[str, str] = {}
    if typed["seals_intact"] not in ("yes", "no"):
        errors["seals_intact"] = "say whether the seals were found intact"
    lines = [line.strip() for line in typed["discrepancies"].splitlines() if line.strip()]
    if errors:
        return _movement_page(request, principal, mrn, errors, typed, 422)
    try:
        _transit(request).record_control(mrn, typed["seals_intact"] == "yes", lines,
                                         typed["remarks"].strip(), principal)
    except Invalid as refused:
        found = {p.path if p.path in ("discrepancies", "remarks") else "seals_intact": p.message
                 for p in refused.problems}
        return _movement_page(request, principal, mrn, found, typed, 422)
    return RedirectResponse(f"/transit/{mrn}", status_code=303)


@router.post("/transit/{mrn}/solution")
async def solve(request: Request, mrn: str, principal: OfficerPage) -> Response:
    """The office of departure solves a discrepancy: written off, or the duties recovered."""
    form = await request.form()
    typed = {"outcome": str(form.get("outcome") or ""), "note": str(form.get("note") or "")[:600]}
    if typed["outcome"] not in ("written_off", "recovered"):
        return _movement_page(request, principal, mrn,
                              {"outcome": "choose written off or recovered"}, typed, 422)
    try:
        _transit(request).solve(mrn, typed["outcome"] == "recovered", typed["note"].strip(),
                                principal)
    except Invalid as refused:
        found = {"note": "; ".join(p.message for p in refused.problems) or refused.detail}
        return _movement_page(request, principal, mrn, found, typed, 422)
    return RedirectResponse(f"/transit/{mrn}", status_code=303)
