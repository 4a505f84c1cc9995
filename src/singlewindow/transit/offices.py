"""Where a movement may go: the customs office list (NCTS's COL) as this node knows it.

An office of this node's country is looked up in its own register (the reference room, which
its administrator keeps); an office of a partner is looked up in the list of every member's
offices the package carries (marked as samples until partners publish theirs). Each is taken
only if it is open and competent for transit on the day.
"""

from __future__ import annotations

from datetime import date
from functools import cache

from singlewindow.core.errors import Problem
from singlewindow.reference.model import Office as RegisteredOffice
from singlewindow.reference.model import Procedure, office_refusal
from singlewindow.reference.services import ReferenceData, parse_offices, sample_offices_file
from singlewindow.transit.model import Office


@cache
def _partner_offices() -> dict[str, RegisteredOffice]:
    return {office.code: office for office in parse_offices(sample_offices_file())}


class CustomsOfficeList:
    """Offices of transit, departure and destination, each from the right register."""

    def __init__(self, country: str, register: ReferenceData) -> None:
        self.country = country
        self.register = register

    def _entry(self, code: str) -> RegisteredOffice | None:
        if code[:2] == self.country:
            return self.register.entry(code)
        return _partner_offices().get(code)

    def office(self, code: str, on: date, path: str) -> tuple[Office | None, Problem | None]:
        """The office `code` for transit on `on`, or the problem at `path` that refuses it."""
        entry = self._entry(code)
        refusal = office_refusal(entry, code, Procedure.TRANSIT, on)
        if refusal is not None or entry is None:
            return None, Problem(path, refusal or f"{code!r} is not a customs office")
        return Office(entry.code, entry.country), None

    def name(self, code: str) -> str:
        entry = self._entry(code)
        return entry.name if entry is not None else code
