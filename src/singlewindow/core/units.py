"""Units of quantity (UN/ECE Recommendation 20 short names) a goods item may be declared in."""

from __future__ import annotations

from decimal import Decimal

from singlewindow.core.errors import Problem

UNITS: frozenset[str] = frozenset(
    {"kg", "g", "t", "l", "m", "m2", "m3", "u", "1000u", "pair", "dozen", "kwh"}
)


def quantity_problems(quantity: Decimal, unit: str, path: str) -> list[Problem]:
    """What is wrong with a declared quantity and its unit (`path` names the goods item)."""
    problems = []
    if quantity <= 0:
        problems.append(Problem(f"{path}.quantity", "the quantity must be greater than zero"))
    if unit not in UNITS:
        problems.append(
            Problem(
                f"{path}.quantity_unit",
                f"{unit!r} is not a unit of quantity ({', '.join(sorted(UNITS))})",
            )
        )
    return problems
