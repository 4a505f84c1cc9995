"""The tariff room's errors, by kind (see `singlewindow.core.errors`).

    Invalid
    ├── InvalidRate        a duty expression that does not follow the rate grammar
    └── InvalidSchedule    a schedule file with bad rows (every problem, row and column)
        └── InvalidMeasures  a set of measures, areas or agreements with problems
    NotFound
    ├── UnknownCode        no such code in the nomenclature, or no line in force on the date
    └── UnknownSchedule    a country that is not an ASEAN member state
"""

from __future__ import annotations

from singlewindow.core.errors import Invalid, NotFound


class InvalidRate(Invalid):
    pass


class InvalidSchedule(Invalid):
    pass


class InvalidMeasures(InvalidSchedule):
    """A set of measures, areas or agreements with problems (every one, with its location);
    a kind of `InvalidSchedule`, so that callers catching that still do."""


class UnknownCode(NotFound):
    pass


class UnknownSchedule(NotFound):
    pass
