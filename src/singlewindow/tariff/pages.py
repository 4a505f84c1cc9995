"""The tariff in the console: the lodge form's code look-up, by words or by code."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from singlewindow.core.clock import utcnow
from singlewindow.tariff import services as tariff
from singlewindow.web.session import UserDep
from singlewindow.web.texts import render

router = APIRouter()

MENU: list[object] = []

MOST_SUGGESTIONS = 10
FIELD_ID = re.compile(r"[A-Za-z0-9_-]{1,60}")


@router.get("/tariff/lookup")
def lookup(
    request: Request,
    _: UserDep,
    q: Annotated[str, Query(max_length=100)] = "",
    field: Annotated[str, Query(max_length=60)] = "",
    name: Annotated[str, Query(max_length=60)] = "",
) -> Response:
    """Up to ten lines of this node's schedule in force today matching `q` (a code prefix,
    dots allowed, or words), as buttons that fill the form field `field` (htmx fragment).
    The form's code field sends its own value under its `name`, which stands for `q`."""
    typed = q or (request.query_params.get(name, "") if name else "")
    query = typed.strip()[:100]
    lines = []
    if len(query.replace(".", "")) >= 2:
        found = tariff.search_schedule(request.app.state.database,
                                       request.app.state.settings.country, query,
                                       on=utcnow().date())
        lines = found[:MOST_SUGGESTIONS]
    target = field if FIELD_ID.fullmatch(field) else ""
    return render(request, "tariff/lookup.html", {"lines": lines, "target": target,
                                                  "query": query})
