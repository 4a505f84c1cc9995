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
    # Copies of this message id refused since (EBMS:0004), counted for the statistics.
    duplicates: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
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
_OUTBOX = OutboxRow.__table__
# SQLite's claim: one `UPDATE … WHERE message_id IN (SELECT … LIMIT n) RETURNING *`, atomic
# under SQLite's single writer (a select-then-update would race between processes).
_CLAIM_SQLITE = (
    update(_OUTBOX)
    .where(
        _OUTBOX.c.message_id.in_(
            select(_OUTBOX.c.message_id)
            .where(
                or_(
                    and_(
                        _OUTBOX.c.status.in_([s.value for s in CLAIMABLE]),
                        _OUTBOX.c.next_attempt_at <= _NOW,
                    ),
                    and_(
                        _OUTBOX.c.status == OutboxStatus.SENDING.value,
                        _OUTBOX.c.claimed_until < _NOW,
                    ),
                )
            )
            .order_by(_OUTBOX.c.next_attempt_at)
            .limit(bindparam("limit", type_=Integer))
            .scalar_subquery()
        )
    )
    .values(
        status=OutboxStatus.SENDING.value,
        claimed_by=bindparam("m_worker"),
        claimed_until=bindparam("until", type_=DateTime(timezone=True)),
        attempts=_OUTBOX.c.attempts + 1,
    )
    .returning(*_OUTBOX.c)
)
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
    if session.get_bind().dialect.name != "postgresql":
        # Built once: the due messages claimed and returned in one statement.
        claimed = session.connection().execute(
            _CLAIM_SQLITE,
            {"now": now, "m_worker": worker, "until": now + lease, "limit": limit},
        )
        return sorted(
            (OutboxRow(**row._mapping) for row in claimed), key=lambda row: row.next_attempt_at
        )
    candidates = (
        select(OutboxRow.message_id)
        .where(_due(now))
        .order_by(OutboxRow.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = list(session.scalars(candidates))
    if not ids:
        return []
    session.execute(
        update(OutboxRow)
        .where(OutboxRow.message_id.in_(ids))
        .values(
            status=OutboxStatus.SENDING.value,
            claimed_by=worker,
            claimed_until=now + lease,
            attempts=OutboxRow.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    rows = session.scalars(
        select(OutboxRow)
        .where(OutboxRow.message_id.in_(ids))
        .execution_options(populate_existing=True)
    )
    return sorted(rows, key=lambda row: row.next_attempt_at)


_LOG = MessageLogRow.__table__
_CLAIM_HELD = and_(
    _OUTBOX.c.message_id == bindparam("m_id"),
    _OUTBOX.c.claimed_by == bindparam("m_worker"),
    _OUTBOX.c.status == OutboxStatus.SENDING.value,
)
# Core statements built once (their compiled form is cached): what an attempt writes.
_RECORD_DELIVERED = (
    update(_OUTBOX)
    .where(_CLAIM_HELD)
    .values(
        status=bindparam("status"), claimed_by=None, claimed_until=None,
        delivered_at=bindparam("delivered_at"), last_error=bindparam("last_error"),
    )
)
_RECORD_NOT_DELIVERED = (
    update(_OUTBOX)
    .where(_CLAIM_HELD)
    .values(
        status=bindparam("status"), claimed_by=None, claimed_until=None,
        next_attempt_at=bindparam("next_attempt_at"), last_error=bindparam("last_error"),
    )
)
_LOG_KEY = and_(
    _LOG.c.message_id == bindparam("m_id"), _LOG.c.direction == bindparam("m_direction")
)
_LOG_STATUS = (
    update(_LOG)
    .where(_LOG_KEY)
    .values(
        status=bindparam("status"), updated_at=bindparam("updated_at"),
        error_code=bindparam("error_code"), error_detail=bindparam("error_detail"),
    )
)
_LOG_EVIDENCE = (
    update(_LOG)
    .where(_LOG_KEY)
    .values(
        status=bindparam("status"), updated_at=bindparam("updated_at"),
        error_code=bindparam("error_code"), error_detail=bindparam("error_detail"),
        envelope=func.coalesce(bindparam("envelope", type_=LargeBinary), _LOG.c.envelope),
        message_timestamp=func.coalesce(
            bindparam("message_timestamp", type_=DateTime(timezone=True)),
            _LOG.c.message_timestamp,
        ),
        signal=func.coalesce(bindparam("signal", type_=LargeBinary), _LOG.c.signal),
        signal_id=func.coalesce(bindparam("signal_id", type_=String(ID)), _LOG.c.signal_id),
    )
)


def record_outcome(
    session: Session,
    message_id: str,
    worker: str,
    status: OutboxStatus,
    *,
    now: datetime,
    next_attempt_at: datetime | None,
    last_error: str | None,
) -> bool:
    """Close `worker`'s claim on a message with `status`; False if it no longer holds it.

    A single UPDATE: on SQLite the write lock is taken by the first statement of the
    transaction (no read-then-write upgrade that could fail under concurrent writers).
    """
    params: dict[str, object] = {
        "m_id": message_id, "m_worker": worker, "status": status.value, "last_error": last_error,
    }
    if status is OutboxStatus.DELIVERED:
        statement, params["delivered_at"] = _RECORD_DELIVERED, now
    else:
        statement, params["next_attempt_at"] = _RECORD_NOT_DELIVERED, next_attempt_at
    result = session.connection().execute(statement, params)
    return bool(result.rowcount == 1)


def log_outcome_params(
    message_id: str,
    direction: Direction,
    *,
    status: str,
    now: datetime,
    error_code: str | None,
    error_detail: str | None,
    evidence: dict[str, object] | None = None,
) -> dict[str, object]:
    """The parameters of a log entry's outcome for `record_log_outcomes`: its status and
    error; with `evidence` (envelope, message_timestamp, signal, signal_id: None keeps what is
    there) for a final outcome."""
    params: dict[str, object] = {
        "m_id": message_id, "m_direction": direction.value, "status": status,
        "updated_at": now, "error_code": error_code, "error_detail": error_detail,
    }
    if evidence is not None:
        params.update(
            {key: evidence.get(key) for key in ("envelope", "message_timestamp", "signal",
                                                  "signal_id")}
        )
    return params


def record_log_outcomes(session: Session, outcomes: Sequence[dict[str, object]]) -> None:
    """Write the outcomes made by `log_outcome_params`: one executemany per statement."""
    with_evidence = [params for params in outcomes if "envelope" in params]
    status_only = [params for params in outcomes if "envelope" not in params]
    connection = session.connection()
    if with_evidence:
        connection.execute(_LOG_EVIDENCE, with_evidence)
    if status_only:
        connection.execute(_LOG_STATUS, status_only)


def record_log_outcome(
    session: Session,
    message_id: str,
    direction: Direction,
    *,
    status: str,
    now: datetime,
    error_code: str | None,
    error_detail: str | None,
    evidence: dict[str, object] | None = None,
) -> None:
    """Set one log entry's status and error (and evidence); see `log_outcome_params`."""
    record_log_outcomes(
        session,
        [log_outcome_params(
            message_id, direction, status=status, now=now, error_code=error_code,
            error_detail=error_detail, evidence=evidence,
        )],
    )


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


_INBOX = InboxRow.__table__
_TAKE_INBOX = (
    update(_INBOX)
    .where(
        _INBOX.c.message_id.in_(bindparam("ids", expanding=True)),
        _INBOX.c.status == InboxStatus.RECEIVED.value,
    )
    .values(
        status=InboxStatus.PROCESSED.value,
        processed_at=bindparam("now"),
        attempts=_INBOX.c.attempts + 1,
    )
    .returning(_INBOX.c.message_id)
)
_INBOX_ROWS = (
    select(InboxRow)
    .where(InboxRow.message_id.in_(bindparam("ids", expanding=True)))
    .execution_options(populate_existing=True)
)


def take_inbox_rows(session: Session, ids: Sequence[str], now: datetime) -> list[InboxRow]:
    """Mark the still RECEIVED ones of `ids` PROCESSED in one statement and return them.

    Like `take_inbox_row`, for a batch: the change commits with the handlers' work.
    """
    taken = list(session.connection().scalars(_TAKE_INBOX, {"ids": list(ids), "now": now}))
    if not taken:
        return []
    rows = session.scalars(_INBOX_ROWS, {"ids": taken})
    return sorted(rows, key=lambda row: (row.received_at, row.message_id))


_COUNT_DUPLICATE = (
    update(_INBOX)
    .where(_INBOX.c.message_id == bindparam("m_id"))
    .values(duplicates=_INBOX.c.duplicates + 1)
)


def count_duplicate(session: Session, message_id: str) -> None:
    """One more refused copy of the received message `message_id`."""
    session.connection().execute(_COUNT_DUPLICATE, {"m_id": message_id})


def statistics(session: Session) -> dict[str, int]:
    """The exchange counters (see `Gateway.statistics`): the message log's entries counted
    by direction and status, and the inbox's duplicate counters summed."""
    counts: dict[tuple[str, str], int] = {
        (direction, status): int(count)
        for direction, status, count in session.execute(
            select(MessageLogRow.direction, MessageLogRow.status, func.count()).group_by(
                MessageLogRow.direction, MessageLogRow.status
            )
        )
    }
    outbound = Direction.OUTBOUND.value
    inbound = Direction.INBOUND.value
    sent = sum(n for (direction, _), n in counts.items() if direction == outbound)
    delivered = counts.get((outbound, OutboxStatus.DELIVERED.value), 0)
    duplicates = session.scalar(select(func.coalesce(func.sum(InboxRow.duplicates), 0)))
    return {
        "sent": sent,
        "delivered": delivered,
        "pending": sent - delivered,
        "received": sum(n for (direction, _), n in counts.items() if direction == inbound),
        "duplicates_dropped": int(duplicates or 0),
        "failed_inbound": counts.get((inbound, InboxStatus.FAILED.value), 0),
    }


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


_LOG_STATUSES = (
    update(_LOG)
    .where(
        _LOG.c.message_id.in_(bindparam("ids", expanding=True)),
        _LOG.c.direction == bindparam("m_direction"),
    )
    .values(status=bindparam("status"), updated_at=bindparam("updated_at"))
)


def set_log_statuses(
    session: Session, ids: Sequence[str], direction: Direction, status: str, now: datetime
) -> None:
    if not ids:
        return
    session.connection().execute(
        _LOG_STATUSES,
        {"ids": list(ids), "m_direction": direction.value, "status": status, "updated_at": now},
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
