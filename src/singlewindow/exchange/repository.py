"""Storage of the exchange room, by role: the outbox, the inbox and the message log.

- `exchange_outbox`: user messages waiting to be delivered (a work queue with claims).
- `exchange_inbox`: user messages received, waiting for their handler (duplicate
  elimination by message id: the primary key).
- `exchange_message_log`: the non-repudiation log, every message in both directions with the
  signed envelope as sent or received and the signal (receipt or ebMS error) that answered it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import (
    Boolean,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    and_,
    bindparam,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Session, mapped_column

from singlewindow.core.db import Base
from singlewindow.exchange.model import CLAIMABLE, Direction, InboxStatus, OutboxStatus

ID = 255
PARTY = 128
URI = 255


class OutboxRow(Base):
    __tablename__ = "exchange_outbox"

    message_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    to_party: Mapped[str] = mapped_column(String(PARTY))
    service: Mapped[str] = mapped_column(String(URI))
    service_type: Mapped[str | None] = mapped_column(String(URI), nullable=True)
    action: Mapped[str] = mapped_column(String(URI))
    conversation_id: Mapped[str] = mapped_column(String(ID))
    ref_to_message_id: Mapped[str | None] = mapped_column(String(ID), nullable=True)
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    __table_args__ = (Index("ix_exchange_outbox_due", "status", "next_attempt_at"),)


class InboxRow(Base):
    __tablename__ = "exchange_inbox"

    message_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    from_party: Mapped[str] = mapped_column(String(PARTY))
    to_party: Mapped[str] = mapped_column(String(PARTY))
    service: Mapped[str] = mapped_column(String(URI))
    service_type: Mapped[str | None] = mapped_column(String(URI), nullable=True)
    action: Mapped[str] = mapped_column(String(URI))
    conversation_id: Mapped[str] = mapped_column(String(ID))
    ref_to_message_id: Mapped[str | None] = mapped_column(String(ID), nullable=True)
    message_timestamp: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    __table_args__ = (Index("ix_exchange_inbox_status", "status", "received_at"),)


class MessageLogRow(Base):
    __tablename__ = "exchange_message_log"

    message_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    direction: Mapped[str] = mapped_column(String(8), primary_key=True)
    from_party: Mapped[str] = mapped_column(String(PARTY), index=True)
    to_party: Mapped[str] = mapped_column(String(PARTY), index=True)
    service: Mapped[str] = mapped_column(String(URI))
    action: Mapped[str] = mapped_column(String(URI), index=True)
    conversation_id: Mapped[str] = mapped_column(String(ID))
    ref_to_message_id: Mapped[str | None] = mapped_column(String(ID), nullable=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    message_timestamp: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    payload_digest: Mapped[str] = mapped_column(String(64))
    encrypted: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    envelope: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    signal_id: Mapped[str | None] = mapped_column(String(ID), nullable=True)
    signal: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    error_code: Mapped[str | None] = mapped_column(String(16), nullable=True)
    error_detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# --- outbox ------------------------------------------------------------------------------


def _due(now: datetime):  # type: ignore[no-untyped-def]
    return or_(
        and_(OutboxRow.status.in_([s.value for s in CLAIMABLE]), OutboxRow.next_attempt_at <= now),
        and_(OutboxRow.status == OutboxStatus.SENDING.value, OutboxRow.claimed_until < now),
    )


_NOW = bindparam("now", type_=DateTime(timezone=True))
# Two index range look-ups on (status, next_attempt_at), built once; no scan of the
# delivered messages, however many the outbox keeps.
_DUE_PROBES = (
    select(OutboxRow.message_id)
    .where(
        OutboxRow.status.in_([s.value for s in CLAIMABLE]), OutboxRow.next_attempt_at <= _NOW
    )
    .limit(1),
    select(OutboxRow.message_id)
    .where(OutboxRow.status == OutboxStatus.SENDING.value, OutboxRow.claimed_until < _NOW)
    .limit(1),
)


def any_due(session: Session | Connection, now: datetime) -> bool:
    """Whether a claim would find work: a read, so an idle worker polls without locking."""
    return any(
        session.execute(probe, {"now": now}).first() is not None for probe in _DUE_PROBES
    )


def claim_due(
    session: Session, worker: str, now: datetime, lease: timedelta, limit: int
) -> list[OutboxRow]:
    """Claim up to `limit` due messages for `worker`, safely beside other workers/processes.

    PostgreSQL: `SELECT … FOR UPDATE SKIP LOCKED`, so workers never wait for each other.
    SQLite: one `UPDATE … WHERE message_id IN (SELECT …) RETURNING`, atomic under SQLite's
    single writer (a select-then-update would race between processes).
    """
    due = _due(now)
    candidates = (
        select(OutboxRow.message_id).where(due).order_by(OutboxRow.next_attempt_at).limit(limit)
    )
    claim = {
        "status": OutboxStatus.SENDING.value,
        "claimed_by": worker,
        "claimed_until": now + lease,
        "attempts": OutboxRow.attempts + 1,
    }
    if session.get_bind().dialect.name == "postgresql":
        ids = list(session.scalars(candidates.with_for_update(skip_locked=True)))
        if not ids:
            return []
        session.execute(
            update(OutboxRow)
            .where(OutboxRow.message_id.in_(ids))
            .values(**claim)
            .execution_options(synchronize_session=False)
        )
    else:
        ids = list(
            session.scalars(
                update(OutboxRow)
                .where(OutboxRow.message_id.in_(candidates.scalar_subquery()))
                .values(**claim)
                .returning(OutboxRow.message_id)
                .execution_options(synchronize_session=False)
            )
        )
        if not ids:
            return []
    rows = session.scalars(
        select(OutboxRow)
        .where(OutboxRow.message_id.in_(ids))
        .execution_options(populate_existing=True)
    )
    return sorted(rows, key=lambda row: row.next_attempt_at)


def update_claimed(
    session: Session, message_id: str, worker: str, values: dict[str, object]
) -> bool:
    """Apply `values` to a message `worker` still holds (SENDING, claimed by it); False if not.

    A single UPDATE: on SQLite the write lock is taken by the first statement of the
    transaction (no read-then-write upgrade that could fail under concurrent writers).
    """
    result = session.execute(
        update(OutboxRow)
        .where(
            OutboxRow.message_id == message_id,
            OutboxRow.claimed_by == worker,
            OutboxRow.status == OutboxStatus.SENDING.value,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def claimed_row(session: Session, message_id: str, worker: str) -> OutboxRow | None:
    """The row if `worker` still holds its claim (locked on PostgreSQL), else None."""
    row = session.scalars(
        select(OutboxRow)
        .where(
            OutboxRow.message_id == message_id,
            OutboxRow.claimed_by == worker,
            OutboxRow.status == OutboxStatus.SENDING.value,
        )
        .with_for_update()
    ).first()
    return row


# --- inbox -------------------------------------------------------------------------------


def inbox_ids(session: Session, status: InboxStatus, limit: int) -> list[str]:
    return list(
        session.scalars(
            select(InboxRow.message_id)
            .where(InboxRow.status == status.value)
            .order_by(InboxRow.received_at)
            .limit(limit)
        )
    )


def take_inbox_row(session: Session, message_id: str, now: datetime) -> InboxRow | None:
    """Mark a RECEIVED message PROCESSED, atomically: only one processor wins it.

    The change commits with the handler's work, or rolls back with it.
    """
    result = session.execute(
        update(InboxRow)
        .where(InboxRow.message_id == message_id, InboxRow.status == InboxStatus.RECEIVED.value)
        .values(
            status=InboxStatus.PROCESSED.value,
            processed_at=now,
            attempts=InboxRow.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return session.get(InboxRow, message_id, populate_existing=True)


def take_inbox_rows(session: Session, ids: Sequence[str], now: datetime) -> list[InboxRow]:
    """Mark the still RECEIVED ones of `ids` PROCESSED in one statement and return them.

    Like `take_inbox_row`, for a batch: the change commits with the handlers' work.
    """
    taken = list(
        session.scalars(
            update(InboxRow)
            .where(
                InboxRow.message_id.in_(list(ids)),
                InboxRow.status == InboxStatus.RECEIVED.value,
            )
            .values(
                status=InboxStatus.PROCESSED.value,
                processed_at=now,
                attempts=InboxRow.attempts + 1,
            )
            .returning(InboxRow.message_id)
            .execution_options(synchronize_session=False)
        )
    )
    if not taken:
        return []
    rows = session.scalars(
        select(InboxRow)
        .where(InboxRow.message_id.in_(taken))
        .execution_options(populate_existing=True)
    )
    return sorted(rows, key=lambda row: (row.received_at, row.message_id))


# --- message log -------------------------------------------------------------------------


def log_entry(session: Session, message_id: str, direction: Direction) -> MessageLogRow | None:
    return session.get(MessageLogRow, (message_id, direction.value))


def set_log_status(
    session: Session, message_id: str, direction: Direction, status: str, now: datetime
) -> None:
    session.execute(
        update(MessageLogRow)
        .where(
            MessageLogRow.message_id == message_id,
            MessageLogRow.direction == direction.value,
        )
        .values(status=status, updated_at=now)
        .execution_options(synchronize_session=False)
    )


def set_log_statuses(
    session: Session, ids: Sequence[str], direction: Direction, status: str, now: datetime
) -> None:
    if not ids:
        return
    session.execute(
        update(MessageLogRow)
        .where(
            MessageLogRow.message_id.in_(list(ids)),
            MessageLogRow.direction == direction.value,
        )
        .values(status=status, updated_at=now)
        .execution_options(synchronize_session=False)
    )


def update_log(
    session: Session, message_id: str, direction: Direction, values: dict[str, object]
) -> None:
    session.execute(
        update(MessageLogRow)
        .where(
            MessageLogRow.message_id == message_id,
            MessageLogRow.direction == direction.value,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def find_log(
    session: Session,
    *,
    party: str | None = None,
    action: str | None = None,
    status: str | None = None,
    direction: Direction | None = None,
    conversation_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[Sequence[MessageLogRow], int]:
    conditions = []
    if party:
        conditions.append(or_(MessageLogRow.from_party == party, MessageLogRow.to_party == party))
    if action:
        conditions.append(MessageLogRow.action == action)
    if status:
        conditions.append(MessageLogRow.status == status)
    if direction:
        conditions.append(MessageLogRow.direction == direction.value)
    if conversation_id:
        conditions.append(MessageLogRow.conversation_id == conversation_id)
    query = select(MessageLogRow).where(*conditions)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(MessageLogRow.created_at.desc(), MessageLogRow.message_id)
        .limit(limit)
        .offset(offset)
    ).all()
    return rows, total
