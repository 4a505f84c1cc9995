"""Low-value consignments in the console: the platform's manifests with each parcel's result
and what is due; the officers' held parcels with the reasons and the decision form. Every
action calls `Ecommerce`, as the API would; a refusal is shown on the page, nothing changed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from singlewindow.access.model import Principal, Role
from singlewindow.core.errors import SingleWindowError
from singlewindow.core.fields import Offset
from singlewindow.ecommerce.model import Decision, Verdict
from singlewindow.ecommerce.services import Ecommerce
from singlewindow.web.menu import N_, entry
from singlewindow.web.session import OfficerPage, page_role
from singlewindow.web.texts import render

router = APIRouter()

MENU = [
    entry("/ecommerce", N_("Parcel manifests"), Role.TRADER, Role.OFFICER, Role.ADMIN,
          order=17),
    entry("/ecommerce/held", N_("Held parcels"), Role.OFFICER, Role.ADMIN, order=12),
]

PAGE_SIZE = 50
STATUS_LABELS = {
    Verdict.RELEASED.value: N_("released"),
    Verdict.HELD_DOCUMENTS.value: N_("held for documents"),
    Verdict.HELD_INSPECTION.value: N_("held for inspection"),
    Verdict.REJECTED.value: N_("rejected"),
}
DECISION_LABELS = {
    Decision.DOCUMENTS_ACCEPTED.value: N_("Documents accepted: release"),
    Decision.NOTHING_FOUND.value: N_("Inspected, nothing found: release"),
    Decision.FOUND.value: N_("Inspected, irregular: refuse"),
}
Id = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
ReaderPage = Annotated[Principal, Depends(page_role(Role.TRADER, Role.OFFICER, Role.ADMIN))]


def _room(request: Request) -> Ecommerce:
    service: Ecommerce = request.app.state.node.ecommerce
    return service


def _status(text: str) -> Verdict | None:
    try:
        return Verdict(text) if text else None
    except ValueError:
        return None


@router.get("/ecommerce")
def manifests(request: Request, principal: ReaderPage, offset: Offset = 0) -> Response:
    """The platform's manifests, latest first, each with what it owes (officers: all)."""
    views, total = _room(request).manifests(principal, None, PAGE_SIZE, offset)
    return render(request, "ecommerce/manifests.html", {
        "views": views, "total": total, "offset": offset, "page_size": PAGE_SIZE})


@router.get("/ecommerce/manifests/{manifest_id}")
def manifest(request: Request, manifest_id: Id, principal: ReaderPage,
             status: Annotated[str, Query(max_length=20)] = "",
             offset: Offset = 0) -> Response:
    """A manifest: what it owes, its rejected lines, each parcel's result."""
    room = _room(request)
    chosen = _status(status)
    view = room.manifest(manifest_id, principal)
    parcels, total = room.parcels(manifest_id, principal, chosen, PAGE_SIZE, offset)
    return render(request, "ecommerce/manifest.html", {
        "m": view, "parcels": parcels, "total": total, "offset": offset,
        "page_size": PAGE_SIZE, "status": chosen.value if chosen else "",
        "statuses": [v.value for v in Verdict], "status_labels": STATUS_LABELS})


def _held_page(request: Request, principal: Principal, offset: int = 0, message: str = "",
               status_code: int = 200) -> Response:
    parcels, total = _room(request).held(principal, None, PAGE_SIZE, offset)
    return render(request, "ecommerce/held.html", {
        "parcels": parcels, "total": total, "offset": offset, "page_size": PAGE_SIZE,
        "message": message, "status_labels": STATUS_LABELS,
        "decision_labels": DECISION_LABELS}, status_code=status_code)


@router.get("/ecommerce/held")
def held(request: Request, principal: OfficerPage, offset: Offset = 0) -> Response:
    """Held parcels, oldest first, with the reasons for each hold and the decision form."""
    return _held_page(request, principal, offset)


@router.post("/ecommerce/parcels/{parcel_id}/decision")
async def decide(request: Request, parcel_id: Id, principal: OfficerPage) -> Response:
    form = await request.form()
    chosen = str(form.get("decision") or "")[:30]
    note = str(form.get("note") or "")[:501]
    try:
        decision = Decision(chosen)
    except ValueError:
        return _held_page(request, principal, message="choose a decision", status_code=422)
    try:
        _room(request).decide(parcel_id, decision, principal, note)
    except SingleWindowError as refused:
        return _held_page(request, principal, message=refused.detail,
                          status_code=refused.status)
    return RedirectResponse("/ecommerce/held", status_code=303)
