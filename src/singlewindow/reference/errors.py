"""The reference room's errors, by kind (see `singlewindow.core.errors`).

Invalid
├── InvalidOffice        an office entry with bad fields (every problem, with its path)
├── InvalidRateTable     a rate table (CSV or JSON) with bad rows; nothing was loaded
├── OfficeRefused        a declaration or movement names an office that is not in the
│                        register, not open that day, or not competent for the procedure
├── NoPublishedRate      no customs exchange rate for the currency on that day
└── RateNotPublished     a declared rate that is not the one customs published
NotFound
├── UnknownOffice        no office of that code in the register
└── UnknownRate          no rate of that currency in force on the date
Conflict
└── OverlappingRates     a load whose periods overlap rates already published
"""

from __future__ import annotations

from singlewindow.core.errors import Conflict, Invalid, NotFound, Problem


class InvalidOffice(Invalid):
    pass


class InvalidRateTable(Invalid):
    pass


class OfficeRefused(Invalid):
    pass


class NoPublishedRate(Invalid):
    pass


class RateNotPublished(Invalid):
    pass


class UnknownOffice(NotFound):
    pass


class UnknownRate(NotFound):
    pass


class OverlappingRates(Conflict):
    """A conflict with the stored table; `problems` says which rows (the error handler
    shows them as it does for `Invalid`)."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(
            f"{len(problems)} rate(s) overlap periods already published; nothing was loaded: "
            + "; ".join(f"{p.path}: {p.message}" for p in problems[:5])
        )


class InvalidTarget(Invalid):
    pass
