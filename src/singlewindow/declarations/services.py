"""Use cases of clearance: lodge, amend, correct, inspect, release, cancel, read.

`Clearance` is one object with its steps split by concept: lodgement
(`declarations.lodgement`: validation, valuation, duties and selectivity in one unit of work,
stored with its number or not at all), control up to release (`declarations.control`: each
step loads the declaration's state, asks the rules of `declarations.lifecycle` and saves what
they decided), what the steps share (`declarations.steps`), and reading here. Readers' shapes
are in `declarations.views`; payments, refunds and guarantees in `declarations.settlement`;
representations in `declarations.representation`.
"""

from __future__ import annotations

import builtins
from datetime import date, datetime

from sqlalchemy import select

from singlewindow.access.model import Principal
from singlewindow.declarations.control import Control
from singlewindow.declarations.lodgement import Lodgement
from singlewindow.declarations.model import Declaration, Status
from singlewindow.declarations.repository import (
    AEO_LAST,
    DeclarationRow,
    events_of,
    from_document,
    lodged_between,
    search,
    versions_of,
)
from singlewindow.declarations.steps import (
    SYSTEM,
    ClearanceSteps,
    PublishedReference,
    ReferenceBook,
    actor_kind,
    discharge_guarantees,
    may_see,
    released,
    visibility,
)
from singlewindow.declarations.views import DeclarationView, EventLogEntry, PaymentNotice
from singlewindow.risk.model import Channel

__all__ = [
    "SYSTEM",
    "Clearance",
    "ClearanceSteps",
    "DeclarationView",
    "EventLogEntry",
    "PaymentNotice",
    "PublishedReference",
    "ReferenceBook",
    "actor_kind",
    "discharge_guarantees",
    "may_see",
    "released",
]



class Clearance(Lodgement, Control):
    """The clearance use cases of one national node: lodgement (`declarations.lodgement`),
    control up to release (`declarations.control`) and reading."""

    def get(self, number: str, reader: Principal) -> DeclarationView:
        with self.database.unit_of_work() as session:
            return DeclarationView.of(self._visible(session, number, reader))

    def list(
        self,
        reader: Principal,
        status: Status | None = None,
        channel: Channel | None = None,
        limit: int = 50,
        offset: int = 0,
        lodged_from: date | None = None,
        lodged_to: date | None = None,
    ) -> tuple[list[DeclarationView], int]:
        """A page of what `reader` may see, by status, channel and lodgement dates (UTC days,
        both included)."""
        conditions = list(visibility(reader))
        conditions += lodged_between(lodged_from, lodged_to)
        if status is not None:
            conditions.append(DeclarationRow.status == status.value)
        if channel is not None:
            conditions.append(DeclarationRow.channel == channel.value)
        with self.database.unit_of_work() as session:
            rows, total = search(session, conditions, limit, offset)
            return [DeclarationView.of(r) for r in rows], total

    def worklist(self, officer: Principal, limit: int = 50) -> builtins.list[DeclarationView]:
        """The office's declarations selected for a check and not yet inspected: an AEO's
        with priority first, then the highest risk score (red before yellow at equal score),
        then the longest waiting; ranked in the worklist index (office, status, AEO, score)."""
        conditions = [
            *visibility(officer),
            DeclarationRow.status == Status.CHANNELLED.value,
            DeclarationRow.channel.in_([Channel.RED.value, Channel.YELLOW.value]),
        ]
        with self.database.unit_of_work() as session:
            rows = session.scalars(
                select(DeclarationRow).where(*conditions)
                .order_by(AEO_LAST, DeclarationRow.risk_score.desc(),
                          DeclarationRow.channel, DeclarationRow.lodged_at)
                .limit(limit)
            ).all()
            return [DeclarationView.of(row) for row in rows]

    def events(self, number: str, reader: Principal) -> builtins.list[EventLogEntry]:
        with self.database.unit_of_work() as session:
            row = self._visible(session, number, reader)
            return [
                EventLogEntry(e.at, e.actor, e.kind, e.detail)
                for e in events_of(session, row.id)
            ]

    def versions(
        self, number: str, reader: Principal
    ) -> builtins.list[tuple[int, Declaration, datetime]]:
        """Every earlier version, oldest first, then the current one."""
        with self.database.unit_of_work() as session:
            row = self._visible(session, number, reader)
            earlier = versions_of(session, row.id)
            result = [(v.version, from_document(v.data), v.recorded_at) for v in earlier]
            result.append((row.version, from_document(row.data), row.updated_at))
            return result
