"""API shapes of the classification assistant. Pydantic bounds the fields; the model says
why a description cannot be ranked (empty, too long), in the problem's reason."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from singlewindow.classification.model import MOST_SUGGESTIONS, NationalLine, Suggestion
from singlewindow.core.fields import FreeText


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


Description = Annotated[FreeText, Field(max_length=4000, description=(
    "The goods as the trader or seller wrote them: a product title, possibly with its "
    "category path and attributes (1 to 1,000 characters once spaces are collapsed)"))]


class SuggestionCreate(_Strict):
    text: Description
    top: Annotated[int, Field(ge=1, le=MOST_SUGGESTIONS)] = 5


class LabelCreate(_Strict):
    description: Description
    code: Annotated[str, Field(pattern=r"^[0-9]{4}\.?[0-9]{2}(\.?[0-9]{2})?$", description=(
        "The right HS 2022 subheading (6 digits) or national line (8), dots allowed"))]


class NationalLineRead(BaseModel):
    code: str
    description: str

    @classmethod
    def of(cls, line: NationalLine) -> NationalLineRead:
        return cls(code=line.code, description=line.description)


class SuggestionRead(BaseModel):
    code: str = Field(description="HS 2022 subheading, 6 digits")
    confidence: float = Field(ge=0, le=1)
    text: str = Field(description="The subheading's description")
    national_lines: list[NationalLineRead]
    learnt: bool = Field(description="An officer's label for this description supports it")

    @classmethod
    def of(cls, suggestion: Suggestion) -> SuggestionRead:
        return cls(code=suggestion.code, confidence=round(suggestion.confidence, 4),
                   text=suggestion.text,
                   national_lines=[NationalLineRead.of(n) for n in suggestion.national_lines],
                   learnt=suggestion.learnt)


class SuggestionsRead(BaseModel):
    text: str
    suggestions: list[SuggestionRead]
