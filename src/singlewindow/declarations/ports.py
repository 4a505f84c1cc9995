"""What clearance asks other rooms while it decides (queries, not facts): each a typed port
that another room implements and the node wires at construction.

    PreferenceCheck   is the preference claimed for a goods item due?  (origin: the e-Form D)
    CrossCheck        what contradicts the declaration in what partners sent? (the ACDD)
    Concern           what does another room doubt about it? (an unlikely code, a route)
    Foresight         what a slow concern works out before the lodgement's transaction
    Restriction       may it be lodged at all? (waste without the importing country's consent)
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol

from sqlalchemy.orm import Session

from singlewindow.core.errors import Problem
from singlewindow.declarations.assessment import PreferenceCheck
from singlewindow.declarations.model import Declaration

__all__ = ["Concern", "CrossCheck", "Foresight", "PreferenceCheck", "Restriction"]


class CrossCheck(Protocol):
    """Mismatches between a declaration and what partners sent, as reasons: each sends the
    declaration to at least a documentary check. Runs in the lodgement's transaction."""

    def __call__(self, session: Session, declaration: Declaration, /) -> list[str]: ...


class Foresight(Protocol):
    """What a slow `Concern` does before the lodgement's transaction (the assistant weighs
    new descriptions): clearance calls it outside the transaction, so the database is not held
    while it thinks."""

    def __call__(self, declarations: Sequence[Declaration], /) -> None: ...


class Concern(Protocol):
    """Another room's doubts about a declaration (the assistant finds its code unlikely, its
    route passed a hub known for origin laundering), as reasons: each sends the declaration to
    at least a documentary check. Unlike a partner's contradiction, a doubt does not withdraw
    an AEO's benefit. Runs in the lodgement's transaction."""

    def __call__(self, session: Session, declaration: Declaration, /) -> list[str]: ...


class Restriction(Protocol):
    """Another room's prohibitions and restrictions that refuse a declaration outright (the
    green room: waste without the Basel data, a consent that does not cover it, a country's
    ban), and what a declaration it lets through takes of a limited allowance (a consent's
    kilograms). A refused declaration is not stored: the lodgement answers with the problems."""

    def concerns(self, declaration: Declaration, /) -> bool:
        """Whether there is anything to check (no I/O: asked of every declaration)."""
        ...

    def problems(self, session: Session, declaration: Declaration, on: date, /) -> list[Problem]:
        """Every problem, reading only (the check as one types, a lodgement's first pass)."""
        ...

    def reserve(
        self, session: Session, declaration: Declaration, number: str, on: date, /
    ) -> list[Problem]:
        """In the change's transaction: check again and take what the declaration `number`
        uses (replacing what it held before, for an amendment), or take nothing and say why."""
        ...

    def release(self, session: Session, number: str, /) -> None:
        """In the cancellation's transaction: give back what the declaration took."""
        ...

    def stopped(self, declaration: Declaration, problems: list[Problem], /) -> None:
        """A lodgement was refused for these problems (its own transaction: the count)."""
        ...
