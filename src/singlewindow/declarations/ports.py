"""What clearance asks other rooms while it decides (queries, not facts): each a typed port
that another room implements and the node wires at construction.

    PreferenceCheck   is the preference claimed for a goods item due?  (origin: the e-Form D)
    CrossCheck        what contradicts the declaration in what partners sent? (the ACDD)
    Concern           what does another room doubt about it? (an unlikely code, a route)
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session

from singlewindow.declarations.assessment import PreferenceCheck
from singlewindow.declarations.model import Declaration

__all__ = ["Concern", "CrossCheck", "PreferenceCheck"]


class CrossCheck(Protocol):
    """Mismatches between a declaration and what partners sent, as reasons: each sends the
    declaration to at least a documentary check. Runs in the lodgement's transaction."""

    def __call__(self, session: Session, declaration: Declaration, /) -> list[str]: ...


class Concern(Protocol):
    """Another room's doubts about a declaration (the assistant finds its code unlikely, its
    route passed a hub known for origin laundering), as reasons: each sends the declaration to
    at least a documentary check. Unlike a partner's contradiction, a doubt does not withdraw
    an AEO's benefit. Runs in the lodgement's transaction."""

    def __call__(self, session: Session, declaration: Declaration, /) -> list[str]: ...
