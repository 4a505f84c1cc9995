"""Transhipment in the console: officers find a consignment that passed this node's hubs (by
transport document or by a declaration's number) and read its legs, with the origin each
leg recorded; officers read the hubs known for origin laundering, and an administrator adds
and ends listings. Every action calls `Transhipment`, as the API would; a refusal (403, 404,
422) is shown on the page it came from, nothing changed."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response

from singlewindow.access.model import Principal, Role
from singlewindow.core.errors import Invalid, NotFound, SingleWindowError
from singlewindow.core.fields import Offset
from singlewindow.transhipment.model import (
    DOCUMENT,
    TEXT_LIMIT,
    TRANSPORT_LABELS,
    LaunderingHub,
    Leg,
)
from singlewindow.transhipment.services import Transhipment
from singlewindow.web.menu import N_, entry
from singlewindow.web.session import AdminPage, OfficerPage
from singlewindow.web.texts import render

router = APIRouter()

MENU = [
    entry("/transhipment", N_("Transhipment"), Role.OFFICER, Role.ADMIN, order=35),
    entry("/transhipment/hubs", N_("Laundering hubs"), Role.OFFICER, Role.ADMIN, order=36),
]

PAGE_SIZE = 25
NUMBER = re.compile(r"[A-Z0-9]{1,24}")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
DocumentPath = Annotated[str, Path(min_length=1, max_length=35)]
NumberPath = Annotated[str, Path(min_length=1, max_length=24)]
ListingPath = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _service(request: Request) -> Transhipment:
    service: Transhipment = request.app.state.node.transhipment
    return service


def _message(refused: SingleWindowError) -> str:
    if isinstance(refused, Invalid):
        return "; ".join(f"{p.path}: {p.message}" if p.path else p.message
                         for p in refused.problems) or refused.detail
    return refused.detail


def _index(request: Request, principal: Principal, message: str = "", query: str = "",
           offset: int = 0, status_code: int = 200) -> Response:
    found, total = _service(request).recent(principal, PAGE_SIZE, offset)
    return render(request, "transhipment/index.html", {
        "consignments": found, "total": total, "offset": offset, "page_size": PAGE_SIZE,
        "message": message, "query": query, "hub_ports": _service(request).hub_ports,
    }, status_code=status_code)


@router.get("/transhipment")
def index(request: Request, principal: OfficerPage, q: str = "",
          offset: Offset = 0) -> Response:
    """The latest consignments at this node's hubs; the search by transport document or
    declaration number."""
    query = CONTROL.sub("", q).strip().upper()[:35]
    if not query:
        return _index(request, principal, offset=offset)
    service = _service(request)
    if DOCUMENT.fullmatch(query):
        try:
            service.consignment(query, principal)
            return RedirectResponse(f"/transhipment/consignments/{query}", status_code=303)
        except NotFound:
            pass
    if NUMBER.fullmatch(query):
        try:
            service.legs_of_declaration(query, principal)
            return RedirectResponse(f"/transhipment/declarations/{query}", status_code=303)
        except NotFound:
            pass
    return _index(request, principal, f"No consignment or declaration {query} passed the "
                                      "hubs of this node.", query, status_code=404)


def _legs_page(request: Request, title: str, legs: tuple[Leg, ...], source: str,
               extra: dict[str, Any]) -> Response:
    return render(request, "transhipment/legs.html", {
        "title": title, "legs": legs, "source": source, "labels": TRANSPORT_LABELS, **extra})


@router.get("/transhipment/consignments/{document}")
def consignment(request: Request, document: DocumentPath, principal: OfficerPage) -> Response:
    """A consignment's legs: where from, where to, on which document, with which origin."""
    try:
        found = _service(request).consignment(document.upper(), principal)
    except SingleWindowError as refused:
        return _index(request, principal, _message(refused), document,
                      status_code=refused.status)
    return _legs_page(request, document.upper(), found.legs, "hub records",
                      {"consignment": found})


@router.get("/transhipment/declarations/{number}")
def declaration(request: Request, number: NumberPath, principal: OfficerPage) -> Response:
    """A declaration's earlier legs: from the ACDD it cites, or this node's hub records."""
    try:
        source, legs = _service(request).legs_of_declaration(number.upper(), principal)
    except SingleWindowError as refused:
        return _index(request, principal, _message(refused), number,
                      status_code=refused.status)
    return _legs_page(request, number.upper(), legs, source, {"declaration": number.upper()})


# --- the laundering hubs ---------------------------------------------------------------------

def _hubs(request: Request, principal: Principal, message: str = "",
          typed: dict[str, str] | None = None, status_code: int = 200) -> Response:
    return render(request, "transhipment/hubs.html", {
        "listings": _service(request).listings(principal), "admin": principal.role is Role.ADMIN,
        "message": message, "typed": typed or {}, "text_limit": TEXT_LIMIT,
    }, status_code=status_code)


@router.get("/transhipment/hubs")
def hubs(request: Request, principal: OfficerPage) -> Response:
    """The hubs known for origin laundering, by port and HS prefix, with their dates."""
    return _hubs(request, principal)


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value or ""))
    except ValueError:
        return None


@router.post("/transhipment/hubs")
async def add_hub(request: Request, principal: AdminPage) -> Response:
    form = await request.form()
    typed = {k: CONTROL.sub(" ", str(form.get(k) or "")).strip()[:TEXT_LIMIT]
             for k in ("port", "hs_prefix", "listed_from", "listed_until", "note")}
    listed_from = _date(typed["listed_from"])
    if listed_from is None:
        return _hubs(request, principal, "listed_from: a date (YYYY-MM-DD) is required", typed,
                     status_code=422)
    until = _date(typed["listed_until"]) if typed["listed_until"] else None
    if typed["listed_until"] and until is None:
        return _hubs(request, principal, "listed_until: a date (YYYY-MM-DD)", typed,
                     status_code=422)
    try:
        _service(request).add_listing(
            LaunderingHub(typed["port"].upper()[:5], typed["hs_prefix"][:8], listed_from,
                          until, typed["note"]), principal)
    except SingleWindowError as refused:
        return _hubs(request, principal, _message(refused), typed, status_code=refused.status)
    return RedirectResponse("/transhipment/hubs", status_code=303)


@router.post("/transhipment/hubs/{listing}/end")
async def end_hub(request: Request, listing: ListingPath, principal: AdminPage) -> Response:
    form = await request.form()
    until = _date(form.get("listed_until"))
    if until is None:
        return _hubs(request, principal, "listed_until: a date (YYYY-MM-DD) is required",
                     status_code=422)
    try:
        _service(request).end_listing(listing, until, principal)
    except SingleWindowError as refused:
        return _hubs(request, principal, _message(refused), status_code=refused.status)
    return RedirectResponse("/transhipment/hubs", status_code=303)
