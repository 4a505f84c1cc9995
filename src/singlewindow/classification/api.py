"""HTTP routes of the classification assistant: anyone signed in asks the subheadings of a
goods description; officers teach it the right code."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from singlewindow.api.deps import OfficerDep, PrincipalDep
from singlewindow.classification.schemas import (
    LabelCreate,
    SuggestionCreate,
    SuggestionRead,
    SuggestionsRead,
)
from singlewindow.classification.services import Classifier

router = APIRouter(prefix="/classification", tags=["classification"])


async def classifier(request: Request) -> Classifier:
    """The node's `Classifier`, built with the node (`Node.classifier`)."""
    service: Classifier = request.app.state.node.classifier
    return service


ClassifierDep = Annotated[Classifier, Depends(classifier)]


@router.post("/suggestions", response_model=SuggestionsRead)
def suggest(body: SuggestionCreate, service: ClassifierDep, _: PrincipalDep) -> SuggestionsRead:
    """The most likely HS 2022 subheadings of a goods description, best first, each with
    the assistant's confidence and the node's national lines under it."""
    found = service.suggest(body.text, body.top)
    return SuggestionsRead(text=body.text, suggestions=[SuggestionRead.of(s) for s in found])


@router.post("/labels", response_model=SuggestionRead, status_code=201)
def learn(body: LabelCreate, service: ClassifierDep, who: OfficerDep) -> SuggestionRead:
    """Officers: the right code for a description (a confirmation or a correction); the
    same description ranks it first from now on."""
    return SuggestionRead.of(service.learn(body.description, body.code, who))
