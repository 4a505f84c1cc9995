"""The classification assistant in the console: beside each goods item's description of the
declaration form, the five subheadings it suggests (code, text, confidence, the national
lines under it), each a button that fills the item's tariff code.

With JavaScript, the description asks `/classification/suggest` as one types (htmx) and a
button fills the code in place (`static/lookup.js`). Without it, the item's "Suggest a code"
button posts the form to `/declarations/new/suggest`, which shows the same form with the
suggestions, and a suggestion's button posts it again with that code filled in."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from singlewindow.classification.errors import DescriptionRefused
from singlewindow.classification.model import Suggestion
from singlewindow.classification.services import Classifier
from singlewindow.declarations.pages import MOST_ITEMS, _form_values
from singlewindow.web.session import TraderPage, UserDep
from singlewindow.web.texts import render

router = APIRouter()

FIELD_ID = re.compile(r"[A-Za-z0-9_-]{1,60}")
ITEM_DESCRIPTION = re.compile(r"items-(\d{1,2})-description")
SUGGEST = re.compile(r"suggest-item-(\d{1,2})")
USE = re.compile(r"use-item-(\d{1,2})-(\d{6}|\d{8})")
SHOWN = 5


def _classifier(request: Request) -> Classifier:
    classifier: Classifier = request.app.state.node.classifier
    return classifier


def _suggested(request: Request, description: str) -> tuple[list[Suggestion], str]:
    """The suggestions for a description, or none and why (an empty or too long one)."""
    try:
        return _classifier(request).suggest(description, SHOWN), ""
    except DescriptionRefused as refused:
        return [], refused.problems[0].message


@router.get("/classification/suggest")
def suggest(
    request: Request,
    _: UserDep,
    q: Annotated[str, Query(max_length=4000)] = "",
    field: Annotated[str, Query(max_length=60)] = "",
    name: Annotated[str, Query(max_length=60)] = "",
) -> Response:
    """The subheadings suggested for a goods description (htmx fragment), each with buttons
    that fill the form field `field`. The form's description field sends its own value under
    its `name`, which stands for `q`."""
    typed = q or (request.query_params.get(name, "") if ITEM_DESCRIPTION.fullmatch(name)
                  else "")
    suggestions, problem = _suggested(request, typed[:4000])
    return render(request, "classification/suggestions.html", {
        "suggestions": suggestions, "problem": problem, "item": None,
        "target": field if FIELD_ID.fullmatch(field) else ""})


@router.post("/declarations/new/suggest")
async def suggest_in_form(request: Request, _: TraderPage) -> Response:
    """The lodge form without JavaScript: `suggest-item-N` shows the suggestions for item
    N's description; `use-item-N-CODE` fills item N's code. Nothing is stored."""
    form = await request.form()
    values = _form_values(form)
    action = str(form.get("action") or "")
    context: dict[str, Any] = {"form": values, "errors": {}, "elsewhere": []}
    if (chosen := USE.fullmatch(action)) and int(chosen[1]) < len(values["items"]):
        values["items"][int(chosen[1])]["commodity_code"] = chosen[2]
    elif (asked := SUGGEST.fullmatch(action)) and int(asked[1]) < min(len(values["items"]),
                                                                      MOST_ITEMS):
        item = int(asked[1])
        suggestions, problem = _suggested(request, values["items"][item]["description"])
        context["suggested"] = {"item": item, "suggestions": suggestions, "problem": problem,
                                "target": f"f-items-{item}-commodity_code"}
    return render(request, "declarations/new.html", context)
