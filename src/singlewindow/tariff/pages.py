"""The tariff in the console: the lodge form's code look-up, by words or by code; the
nomenclature and the national schedule browsed by officers and admins; and the admin's
schedule import, run as a background job whose page shows its progress and bad lines."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from singlewindow.access.model import Principal, Role
from singlewindow.core.clock import utcnow
from singlewindow.core.fields import Offset
from singlewindow.jobs.services import Jobs
from singlewindow.jobs.tariff_import import KIND as TARIFF_IMPORT
from singlewindow.jobs.tariff_import import schedule_payload
from singlewindow.tariff import nomenclature
from singlewindow.tariff import services as tariff
from singlewindow.web.menu import N_, entry
from singlewindow.web.session import AdminPage, OfficerPage, UserDep
from singlewindow.web.texts import render

router = APIRouter()

MENU = [
    entry("/tariff", N_("Tariff"), Role.OFFICER, Role.ADMIN, order=40),
    entry("/tariff/import", N_("Import a schedule"), Role.ADMIN, order=41),
]

PAGE_SIZE = 50
MOST_HEADINGS = 20  # nomenclature entries shown beside a page of national lines
MOST_SCHEDULE_BYTES = 32 * 1024 * 1024  # as `LARGER_BODIES["/tariff/import"]`

MOST_SUGGESTIONS = 10
FIELD_ID = re.compile(r"[A-Za-z0-9_-]{1,60}")


@router.get("/tariff/lookup")
def lookup(
    request: Request,
    _: UserDep,
    q: Annotated[str, Query(max_length=600)] = "",
    field: Annotated[str, Query(max_length=60)] = "",
    name: Annotated[str, Query(max_length=60)] = "",
) -> Response:
    """Up to ten lines of this node's schedule in force today matching `q` (a code prefix,
    dots allowed, or words), as buttons that fill the form field `field` (htmx fragment).
    The form's code field sends its own value under its `name`, which stands for `q`."""
    typed = q or (request.query_params.get(name, "") if name else "")
    query = typed.strip()[:100]  # the search reads 100 characters; a longer text is cut
    lines = []
    if len(query.replace(".", "")) >= 2:
        found = tariff.search_schedule(request.app.state.database,
                                       request.app.state.settings.country, query,
                                       on=utcnow().date())
        lines = found[:MOST_SUGGESTIONS]
    target = field if FIELD_ID.fullmatch(field) else ""
    return render(request, "tariff/lookup.html", {"lines": lines, "target": target,
                                                  "query": query})


@router.get("/tariff")
def browse(
    request: Request,
    _: OfficerPage,
    q: Annotated[str, Query(max_length=100)] = "",
    offset: Offset = 0,
) -> Response:
    """The national schedule in force today and the HS nomenclature, by a code prefix (dots
    allowed) or by words (all must match), a page of lines at a time."""
    query = q.strip()
    database, country = request.app.state.database, request.app.state.settings.country
    lines, total = tariff.search_schedule_page(database, country, query, utcnow().date(),
                                               limit=PAGE_SIZE, offset=offset)
    headings = nomenclature.search(query, limit=MOST_HEADINGS) if query else []
    return render(request, "tariff/browse.html", {
        "query": query, "lines": lines, "total": total, "offset": offset,
        "page_size": PAGE_SIZE, "headings": headings, "schedule_country": country,
    })


def _jobs(request: Request) -> Jobs:
    jobs: Jobs = request.app.state.node.jobs
    return jobs


def _import_page(request: Request, errors: dict[str, str] | None = None,
                 status_code: int = 200) -> Response:
    return render(request, "tariff/import.html", {
        "errors": errors or {}, "schedule_country": request.app.state.settings.country,
    }, status_code=status_code)


@router.get("/tariff/import")
def import_form(request: Request, _: AdminPage) -> Response:
    return _import_page(request)


@router.post("/tariff/import")
async def import_schedule(request: Request, principal: AdminPage) -> Response:
    """The uploaded schedule file is imported in the background (all or nothing, as by the
    API); the job's page shows its progress and, if it is refused, every bad line."""
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        return _import_page(request, {"file": "choose the schedule file (CSV)"}, 422)
    content = await upload.read(MOST_SCHEDULE_BYTES + 1)
    if len(content) > MOST_SCHEDULE_BYTES:
        return _import_page(request, {"file": "the file is larger than 32 MiB"}, 422)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return _import_page(request, {"file": "the file is not UTF-8 text"}, 422)
    replace = str(form.get("replace") or "") == "yes"
    job_id = _submit(request, principal, text, replace)
    return RedirectResponse(f"/jobs/{job_id}", status_code=303)


def _submit(request: Request, principal: Principal, text: str, replace: bool) -> str:
    country = request.app.state.settings.country
    return _jobs(request).submit(TARIFF_IMPORT, schedule_payload(country, text, replace),
                                 principal)
