"""Field types for the API's schemas: text without control characters (a NUL is refused by
PostgreSQL and breaks every reader of the data). Schemas add a length to each, and a range
and precision to each number, so nothing unbounded reaches a room or the database:

    lrn: Annotated[LineText, Field(min_length=1, max_length=35)]

The rules are patterns, so that they are written in the OpenAPI schema too (and schema-based
fuzzers respect them); `CONTROL_CHARACTER_PATTERNS` lets the API say in words what a refused
value broke.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query
from pydantic import Field, WithJsonSchema

LINE_PATTERN = r"^[^\x00-\x1f\x7f]*$"
TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
CONTROL_CHARACTER_PATTERNS = {
    LINE_PATTERN: "must be one line without control characters",
    TEXT_PATTERN: "must not contain control characters (line breaks and tabs are allowed)",
}

# One line: a name, a code, a reference.
LineText = Annotated[str, Field(pattern=LINE_PATTERN)]
# A free text that may run over several lines: a description, a reason, findings.
FreeText = Annotated[str, Field(pattern=TEXT_PATTERN)]


def decimal_string(integer_digits: int, decimal_places: int, signed: bool = True) -> WithJsonSchema:
    """The OpenAPI schema of a Decimal in a request: a decimal string with a pattern (what
    the server takes), not "a number or any string". Give it beside the Field of the same
    precision:

        Rate = Annotated[Decimal, Field(max_digits=18, decimal_places=8), decimal_string(10, 8)]

    Responses give Decimals as strings already, so no digit is lost to a float."""
    sign = "-?" if signed else ""
    pattern = rf"^{sign}\d{{1,{integer_digits}}}(\.\d{{1,{decimal_places}}})?$"
    return WithJsonSchema({"type": "string", "pattern": pattern}, mode="validation")


# Paging of the list routes: bounded, so that no offset overflows the database's integer.
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]

# A version number in a path: bounded like the database's integer, so that a huge one is a 422
# ("at most 2147483647"), not an overflow in the query.
VersionNumber = Annotated[int, Path(ge=1, le=2**31 - 1)]
