"""Facts clearance tells the other rooms (published on the node's `core.events.EventBus`, in
the transaction of the change they announce).

    DeclarationLodged     a declaration was numbered, assessed and channelled
                          (the ACDD record it cites is linked; the e-Form D it cites answered)
    DeclarationReleased   its goods were released, by an officer or by rule
                          (a released export goes to its destination as an ACDD)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from singlewindow.core.events import Event
from singlewindow.declarations.model import Declaration


@dataclass(frozen=True)
class DeclarationLodged(Event):
    number: str
    declaration: Declaration


@dataclass(frozen=True)
class DeclarationReleased(Event):
    number: str
    declaration: Declaration
    released_at: datetime
    released_by: str | None
