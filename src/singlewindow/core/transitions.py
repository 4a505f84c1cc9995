"""A state machine as data: the statuses an aggregate may go to from each status.

Every room with a lifecycle declares one `Transitions` table next to its status enum and asks
it before it changes state, so that a refused move raises that room's `Conflict` with the
aggregate's own words ("CKH-2026-000123 is released: it cannot become cancelled").

    OUTBOX = Transitions(
        {PENDING: {SENDING}, SENDING: {DELIVERED, FAILED}, ...},
        refusal=MessageStateConflict,
        noun="an outbound message",
    )
    status = OUTBOX.move(row_status, SENDING)             # raises MessageStateConflict
    status = OUTBOX.move(row_status, SENDING, who="A12")  # "A12 is pending: ..."
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Generic, TypeVar

from singlewindow.core.errors import Conflict

S = TypeVar("S", bound=enum.Enum)


class Transitions(Generic[S]):
    """The allowed moves of one lifecycle; `move` refuses the others with the room's Conflict."""

    def __init__(
        self,
        table: Mapping[S, Iterable[S]],
        *,
        refusal: type[Conflict],
        noun: str,
    ) -> None:
        self.table: dict[S, frozenset[S]] = {state: frozenset(to) for state, to in table.items()}
        missing = {to for targets in self.table.values() for to in targets} - set(self.table)
        if missing:
            # Every status that can be reached must say where it may go (frozenset() if final).
            raise ValueError(f"statuses without a row in the table: {sorted(map(str, missing))}")
        self.refusal = refusal
        self.noun = noun

    def allows(self, current: S, wanted: S) -> bool:
        return wanted in self.table[current]

    def targets(self, current: S) -> frozenset[S]:
        return self.table[current]

    def move(self, current: S, wanted: S, *, who: str | None = None) -> S:
        """`wanted` if the table allows it from `current`; otherwise the room's Conflict."""
        if wanted not in self.table[current]:
            subject = who or self.noun
            raise self.refusal(
                f"{subject} is {_word(current)}: it cannot become {_word(wanted)}"
            )
        return wanted


def _word(state: enum.Enum) -> str:
    return str(state.value).replace("_", " ")
