"""The few kinds of error every room raises; one handler maps them to HTTP.

    SingleWindowError
    ├── Invalid        bad input: every problem with its field path (HTTP 422)
    ├── NotFound       no such thing, or not visible to the caller (HTTP 404)
    ├── Conflict       the thing is in a state that refuses the action (HTTP 409)
    ├── Forbidden      authenticated, but the role may not do this (HTTP 403)
    └── Unauthenticated  no or bad credentials (HTTP 401)

Rooms subclass these so that callers can catch a room's errors by kind.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where (a dotted path such as `items.2.quantity`) and what."""

    path: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


class SingleWindowError(Exception):
    status = 500
    title = "Error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class Invalid(SingleWindowError):
    status = 422
    title = "Invalid input"

    def __init__(self, problems: list[Problem] | str, detail: str | None = None) -> None:
        if isinstance(problems, str):
            problems = [Problem("", problems)]
        self.problems = problems
        summary = detail or "; ".join(
            f"{p.path}: {p.message}" if p.path else p.message for p in problems
        )
        super().__init__(summary)


class NotFound(SingleWindowError):
    status = 404
    title = "Not found"


class Conflict(SingleWindowError):
    status = 409
    title = "Conflict"


class Forbidden(SingleWindowError):
    status = 403
    title = "Forbidden"


class Unauthenticated(SingleWindowError):
    status = 401
    title = "Not authenticated"
