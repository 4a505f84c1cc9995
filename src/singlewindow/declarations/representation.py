"""Use cases of representation: who may declare for an importer or exporter.

A declarant acts for another party only under a representation registered by an officer or
by the represented party itself (EU UCC art. 18-19: direct or indirect, with its validity).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, or_, select

from singlewindow.access.model import Principal, Role
from singlewindow.core.clock import utcnow
from singlewindow.core.db import Database
from singlewindow.core.errors import NotFound, Problem
from singlewindow.core.ids import new_id
from singlewindow.declarations.errors import DeclarationConflict, InvalidDeclaration, NotYours
from singlewindow.declarations.lifecycle import RepresentationKind
from singlewindow.declarations.repository import RepresentationRow


class UnknownRepresentation(NotFound):
    pass


@dataclass(frozen=True)
class RegisteredRepresentation:
    id: str
    declarant_id: str
    represented_id: str
    kind: RepresentationKind
    valid_from: date
    valid_to: date | None
    recorded_by: str
    recorded_at: datetime
    revoked_on: date | None


def _may_record(actor: Principal, represented_id: str) -> bool:
    """An officer, or the represented party itself (never the representative alone)."""
    if actor.role in (Role.OFFICER, Role.ADMIN):
        return True
    return actor.role is Role.TRADER and actor.party_id == represented_id


class Representations:
    def __init__(self, database: Database) -> None:
        self.database = database

    def register(
        self,
        declarant_id: str,
        represented_id: str,
        kind: RepresentationKind,
        valid_from: date,
        valid_to: date | None,
        actor: Principal,
    ) -> RegisteredRepresentation:
        if not _may_record(actor, represented_id):
            raise NotYours(
                "a representation is registered by the represented party or by an officer"
            )
        problems = []
        for path, value in (("declarant_id", declarant_id), ("represented_id", represented_id)):
            if not value.strip() or len(value) > 35:
                problems.append(Problem(path, "a party identifier is 1 to 35 characters"))
        if declarant_id == represented_id:
            problems.append(Problem("declarant_id", "a party does not represent itself"))
        if valid_to is not None and valid_to < valid_from:
            problems.append(Problem("valid_to", "the validity ends before it starts"))
        if problems:
            raise InvalidDeclaration(problems)
        with self.database.unit_of_work() as session:
            row = RepresentationRow(
                id=new_id(),
                declarant_id=declarant_id,
                represented_id=represented_id,
                kind=kind.value,
                valid_from=valid_from,
                valid_to=valid_to,
                recorded_by=actor.username,
                recorded_at=utcnow(),
            )
            session.add(row)
            return _view(row)

    def revoke(self, representation_id: str, actor: Principal) -> RegisteredRepresentation:
        """Ends a representation from today: later lodgements are refused."""
        with self.database.unit_of_work() as session:
            row = session.get(RepresentationRow, representation_id, with_for_update=True)
            if row is None or not (
                _may_record(actor, row.represented_id) or _party_of(actor, row)
            ):
                raise UnknownRepresentation(f"no representation {representation_id}")
            if not _may_record(actor, row.represented_id):
                raise NotYours("a representation is revoked by the represented party or an officer")
            if row.revoked_on is not None:
                raise DeclarationConflict(
                    f"representation {representation_id} was revoked on {row.revoked_on}"
                )
            row.revoked_on = utcnow().date()
            row.revoked_by = actor.username
            return _view(row)

    def list(
        self, reader: Principal, limit: int = 50, offset: int = 0
    ) -> tuple[list[RegisteredRepresentation], int]:
        """Officers see all; a trader those it gives or holds."""
        conditions = []
        if reader.role not in (Role.OFFICER, Role.ADMIN):
            conditions.append(
                or_(
                    RepresentationRow.declarant_id == reader.party_id,
                    RepresentationRow.represented_id == reader.party_id,
                )
            )
        with self.database.unit_of_work() as session:
            rows = session.scalars(
                select(RepresentationRow)
                .where(*conditions)
                .order_by(RepresentationRow.recorded_at.desc(), RepresentationRow.id)
                .limit(limit)
                .offset(offset)
            ).all()
            total = session.scalar(
                select(func.count()).select_from(RepresentationRow).where(*conditions)
            )
            return [_view(r) for r in rows], total or 0


def _party_of(actor: Principal, row: RepresentationRow) -> bool:
    return actor.party_id is not None and actor.party_id in (row.declarant_id, row.represented_id)


def _view(row: RepresentationRow) -> RegisteredRepresentation:
    return RegisteredRepresentation(
        row.id,
        row.declarant_id,
        row.represented_id,
        RepresentationKind(row.kind),
        row.valid_from,
        row.valid_to,
        row.recorded_by,
        row.recorded_at,
        row.revoked_on,
    )
