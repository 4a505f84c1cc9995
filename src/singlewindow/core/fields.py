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

from pydantic import Field

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
