"""Storage of the exchange room, by role: the outbox, the inbox and the message log.

- `exchange_outbox`: user messages waiting to be delivered (a work queue with claims).
- `exchange_inbox`: user messages received, waiting for their handler (duplicate
  elimination per sender: the primary key is (message id, sender), so a partner that learnt
  another's message id cannot make that partner's message look like a duplicate).
- `exchange_message_log`: the non-repudiation log, every message in both directions with the
  signed envelope as sent or received and the signal (receipt or ebMS error) that answered it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Index,
    Integer,
    LargeBinary,
    ScalarSelect,
    Select,
    String,
    Table,
    Text,
    and_,
    bindparam,
    case,
    func,
    insert,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from singlewindow.core.clock import as_utc
from singlewindow.core.db import Base, ChangeWatch, Prepared, UtcDateTime
from singlewindow.exchange.model import (
    CLAIMABLE,
    MAXIMUM_IDENTIFIER,
    REFUSED,
    Direction,
    InboxStatus,
    OutboxStatus,
    UserMessage,
    payload_digest,
)

ID = MAXIMUM_IDENTIFIER
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
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)

    __table_args__ = (Index("ix_exchange_outbox_due", "status", "next_attempt_at"),)


class InboxRow(Base):
    __tablename__ = "exchange_inbox"

    message_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    from_party: Mapped[str] = mapped_column(String(PARTY), primary_key=True)
    to_party: Mapped[str] = mapped_column(String(PARTY))
    service: Mapped[str] = mapped_column(String(URI))
    service_type: Mapped[str | None] = mapped_column(String(URI), nullable=True)
    action: Mapped[str] = mapped_column(String(URI))
    conversation_id: Mapped[str] = mapped_column(String(ID))
    ref_to_message_id: Mapped[str | None] = mapped_column(String(ID), nullable=True)
    message_timestamp: Mapped[datetime] = mapped_column(UtcDateTime())
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Copies of this message id refused since (EBMS:0004), counted for the statistics.
    duplicates: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    processed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)

    __table_args__ = (Index("ix_exchange_inbox_status", "status", "received_at"),)


class MessageLogRow(Base):
    __tablename__ = "exchange_message_log"

    message_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    direction: Mapped[str] = mapped_column(String(8), primary_key=True)
    # In the key: message ids are unique per sender only (outbound, the sender is us).
    from_party: Mapped[str] = mapped_column(String(PARTY), primary_key=True, index=True)
    to_party: Mapped[str] = mapped_column(String(PARTY), index=True)
    service: Mapped[str] = mapped_column(String(URI))
    action: Mapped[str] = mapped_column(String(URI), index=True)
    conversation_id: Mapped[str] = mapped_column(String(ID))
    ref_to_message_id: Mapped[str | None] = mapped_column(String(ID), nullable=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    message_timestamp: Mapped[datetime | None] = mapped_column(
        UtcDateTime(), nullable=True
    )
    payload_digest: Mapped[str] = mapped_column(String(64))
    encrypted: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    envelope: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    signal_id: Mapped[str | None] = mapped_column(String(ID), nullable=True)
    signal: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    error_code: Mapped[str | None] = mapped_column(String(16), nullable=True)
    error_detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


# A received message's key: (message id, sender).
InboxKey = tuple[str, str]


# --- outbox ------------------------------------------------------------------------------

# The mapped classes' tables (typed as the Table each is: the mapping types them as FromClause).
_OUTBOX = cast(Table, OutboxRow.__table__)
_INBOX = cast(Table, InboxRow.__table__)
_LOG = cast(Table, MessageLogRow.__table__)

_OUTBOX_KEYS = (
    "message_id", "to_party", "service", "service_type", "action", "conversation_id",
    "ref_to_message_id", "payload", "status", "attempts", "next_attempt_at", "created_at",
)
_ENQUEUE_OUTBOX = Prepared(insert(_OUTBOX), _OUTBOX_KEYS)
_OUTBOUND_LOG_KEYS = (
    "message_id", "direction", "from_party", "to_party", "service", "action",
    "conversation_id", "ref_to_message_id", "status", "payload_digest", "encrypted",
    "created_at", "updated_at",
)
_ENQUEUE_LOG = Prepared(insert(_LOG), _OUTBOUND_LOG_KEYS)


def enqueue(
    bind: Session | Connection, message: UserMessage, *, encrypted: bool, now: datetime
) -> None:
    """Insert an outbound message's outbox row (PENDING, due now) and log entry, in the
    caller's transaction (no ORM objects to build and flush for rows nobody reads back)."""
    connection = _connection(bind)
    _ENQUEUE_OUTBOX.execute(connection, dict(
        message_id=message.message_id, to_party=message.to_party, service=message.service,
        service_type=message.service_type, action=message.action,
        conversation_id=message.conversation_id, ref_to_message_id=message.ref_to_message_id,
        payload=message.payload, status=OutboxStatus.PENDING.value, attempts=0,
        next_attempt_at=now, created_at=now,
    ))
    _ENQUEUE_LOG.execute(connection, dict(
        message_id=message.message_id, direction=Direction.OUTBOUND.value,
        from_party=message.from_party, to_party=message.to_party, service=message.service,
        action=message.action, conversation_id=message.conversation_id,
        ref_to_message_id=message.ref_to_message_id, status=OutboxStatus.PENDING.value,
        payload_digest=payload_digest(message.payload), encrypted=encrypted,
        created_at=now, updated_at=now,
    ))


class Evidence(NamedTuple):
    """What a received message is kept with in the log: the SOAP envelope exactly as received
    and the signal that answered it (our receipt, with its id, or an error signal)."""

    encrypted: bool
    envelope: bytes
    signal: bytes
    signal_id: str | None = None  # None for the library's error signal: kept, its id not read


def _inbound_log(
    message: UserMessage, evidence: Evidence, status: str, now: datetime,
    error_code: str | None = None, error_detail: str | None = None,
) -> dict[str, object]:
    return dict(
        message_id=message.message_id, direction=Direction.INBOUND.value,
        from_party=message.from_party, to_party=message.to_party, service=message.service,
        action=message.action, conversation_id=message.conversation_id,
        ref_to_message_id=message.ref_to_message_id, status=status,
        message_timestamp=message.timestamp, payload_digest=payload_digest(message.payload),
        encrypted=evidence.encrypted, envelope=evidence.envelope,
        signal_id=evidence.signal_id, signal=evidence.signal,
        error_code=error_code, error_detail=error_detail, created_at=now, updated_at=now,
    )


_INBOX_KEYS = (
    "message_id", "from_party", "to_party", "service", "service_type", "action",
    "conversation_id", "ref_to_message_id", "message_timestamp", "payload", "status",
    "attempts", "last_error", "duplicates", "received_at", "processed_at",
)
_KEEP_INBOX = Prepared(insert(_INBOX), _INBOX_KEYS)
_INBOUND_LOG_KEYS = (
    "message_id", "direction", "from_party", "to_party", "service", "action",
    "conversation_id", "ref_to_message_id", "status", "message_timestamp", "payload_digest",
    "encrypted", "envelope", "signal_id", "signal", "error_code", "error_detail",
    "created_at", "updated_at",
)
_KEEP_LOG = Prepared(insert(_LOG), _INBOUND_LOG_KEYS)


def keep_received(
    connection: Connection, message: UserMessage, evidence: Evidence, *, now: datetime
) -> None:
    """Insert a received message's inbox row (RECEIVED) and log entry; `IntegrityError` when
    its sender sent that id before (the inbox's primary key)."""
    _KEEP_INBOX.execute(connection, dict(
        message_id=message.message_id, from_party=message.from_party,
        to_party=message.to_party, service=message.service,
        service_type=message.service_type, action=message.action,
        conversation_id=message.conversation_id, ref_to_message_id=message.ref_to_message_id,
        message_timestamp=message.timestamp, payload=message.payload,
        status=InboxStatus.RECEIVED.value, attempts=0, last_error=None, duplicates=0,
        received_at=now, processed_at=None,
    ))
    _KEEP_LOG.execute(connection, _inbound_log(message, evidence, InboxStatus.RECEIVED.value, now))


def keep_refused(
    connection: Connection,
    message: UserMessage,
    evidence: Evidence,
    *,
    error_code: str,
    error_detail: str,
    now: datetime,
) -> None:
    """Insert the log entry (status refused) of a verified message refused on receipt (no
    inbox row: nothing of it is processed); the same refusal twice is one entry."""
    log = _inbound_log(message, evidence, REFUSED, now, error_code, error_detail)
    try:
        with connection.begin_nested():
            _KEEP_LOG.execute(connection, log)
    except IntegrityError:
        pass


class OutboxClaim(NamedTuple):
    """A claimed outbound message: what a delivery needs, read by the claim itself (a plain
    tuple: nobody changes it through the ORM)."""

    message_id: str
    to_party: str
    service: str
    service_type: str | None
    action: str
    conversation_id: str
    ref_to_message_id: str | None
    payload: bytes
    attempts: int  # counting the attempt this claim is for
    next_attempt_at: datetime


_NOW = bindparam("now", type_=UtcDateTime())
_DUE_NOW = or_(
    and_(
        or_(*(_OUTBOX.c.status == status.value for status in CLAIMABLE)),
        _OUTBOX.c.next_attempt_at <= _NOW,
    ),
    and_(_OUTBOX.c.status == OutboxStatus.SENDING.value, _OUTBOX.c.claimed_until < _NOW),
)
_CLAIM_VALUES = dict(
    status=OutboxStatus.SENDING.value,
    claimed_by=bindparam("m_worker"),
    claimed_until=bindparam("until", type_=UtcDateTime()),
    attempts=_OUTBOX.c.attempts + 1,
)
_CLAIMED = [_OUTBOX.c[name] for name in OutboxClaim._fields]
# SQLite's claim: one `UPDATE … WHERE message_id IN (SELECT … LIMIT n) RETURNING …`, atomic
# under SQLite's single writer (a select-then-update would race between processes).
_CLAIM_SQLITE = Prepared(
    update(_OUTBOX)
    .where(
        _OUTBOX.c.message_id.in_(
            select(_OUTBOX.c.message_id)
            .where(_DUE_NOW)
            .order_by(_OUTBOX.c.next_attempt_at)
            .limit(bindparam("limit", type_=Integer))
            .scalar_subquery()
        )
    )
    .values(**_CLAIM_VALUES)
    .returning(*_CLAIMED)
)
# PostgreSQL's: the due rows locked (skipping those another worker has locked) in a CTE,
# which PostgreSQL runs once (a locking CTE is never inlined), then updated and returned:
# one round trip, and workers never wait for each other.
_CLAIMABLE_POSTGRESQL = (
    select(_OUTBOX.c.message_id)
    .where(_DUE_NOW)
    .order_by(_OUTBOX.c.next_attempt_at)
    .limit(bindparam("limit", type_=Integer))
    .with_for_update(skip_locked=True)
    .cte("claimable")
)
_CLAIM_POSTGRESQL = Prepared(
    update(_OUTBOX)
    .where(_OUTBOX.c.message_id == _CLAIMABLE_POSTGRESQL.c.message_id)
    .values(**_CLAIM_VALUES)
    .returning(*_CLAIMED)
)


def claim_due(
    bind: Session | Connection, worker: str, now: datetime, lease: timedelta, limit: int
) -> list[OutboxClaim]:
    """Claim up to `limit` due messages for `worker`, safely beside other workers/processes,
    in one statement; the oldest due first.

    PostgreSQL: the rows are locked `FOR UPDATE SKIP LOCKED`, so workers never wait for each
    other. SQLite: one `UPDATE … WHERE message_id IN (SELECT …) RETURNING`, atomic under
    SQLite's single writer (a select-then-update would race between processes).
    """
    connection = _connection(bind)
    statement = (
        _CLAIM_POSTGRESQL if connection.dialect.name == "postgresql" else _CLAIM_SQLITE
    )
    claimed = statement.rows(
        connection, {"now": now, "m_worker": worker, "until": now + lease, "limit": limit}
    )
    rows = [OutboxClaim(*row) for row in claimed]
    rows.sort(key=_attempt_time)
    return rows


def _attempt_time(row: OutboxClaim) -> datetime:
    return row.next_attempt_at


def _first(
    status: OutboxStatus, column: ColumnElement[datetime | None]
) -> ScalarSelect[datetime | None]:
    # One index look-up on (status, next_attempt_at), or a scan of the few SENDING rows.
    return (
        select(column)
        .where(_OUTBOX.c.status == status.value, column.is_not(None))
        .order_by(column)
        .limit(1)
        .scalar_subquery()
    )


# When each kind of claimable message next becomes due, in one statement: a PENDING or
# FAILED message at its next_attempt_at, a SENDING one when its claim's lease runs out.
_NEXT_DUE = Prepared(
    cast(
        "Select[Any]",
        select(
            *(_first(status, _OUTBOX.c.next_attempt_at) for status in CLAIMABLE),
            _first(OutboxStatus.SENDING, _OUTBOX.c.claimed_until),
        ),
    )
)


def next_due(reader: ChangeWatch | Connection) -> datetime | None:
    """The earliest moment a claim will find work (in the past: it would now), or None when
    no message waits at all: a read, so an idle worker polls without locking."""
    row = (
        reader.read(_NEXT_DUE) if isinstance(reader, ChangeWatch)
        else _NEXT_DUE.rows(reader, {})[0]
    )
    moments = [as_utc(moment) for moment in row or () if moment is not None]
    return min(moments) if moments else None


_CLAIM_HELD = and_(
    _OUTBOX.c.message_id == bindparam("m_id"),
    _OUTBOX.c.claimed_by == bindparam("m_worker"),
    _OUTBOX.c.status == OutboxStatus.SENDING.value,
)
# What an attempt writes, prepared once. One statement for every outcome (a value left None
# keeps the column), so that a batch of outcomes is one executemany.
_RECORD = Prepared(
    update(_OUTBOX)
    .where(_CLAIM_HELD)
    .values(
        status=bindparam("status"), claimed_by=None, claimed_until=None,
        delivered_at=func.coalesce(
            bindparam("delivered_at", type_=UtcDateTime()), _OUTBOX.c.delivered_at
        ),
        next_attempt_at=func.coalesce(
            bindparam("next_attempt_at", type_=UtcDateTime()),
            _OUTBOX.c.next_attempt_at,
        ),
        last_error=bindparam("last_error", type_=Text),
    )
)
_LOG_KEY = and_(
    _LOG.c.message_id == bindparam("m_id"), _LOG.c.direction == bindparam("m_direction")
)
_LOG_STATUS = Prepared(
    update(_LOG)
    .where(_LOG_KEY)
    .values(
        status=bindparam("status"), updated_at=bindparam("updated_at"),
        error_code=bindparam("error_code"), error_detail=bindparam("error_detail"),
    )
)
_LOG_EVIDENCE = Prepared(
    update(_LOG)
    .where(_LOG_KEY)
    .values(
        status=bindparam("status"), updated_at=bindparam("updated_at"),
        error_code=bindparam("error_code"), error_detail=bindparam("error_detail"),
        envelope=func.coalesce(bindparam("envelope", type_=LargeBinary), _LOG.c.envelope),
        message_timestamp=func.coalesce(
            bindparam("message_timestamp", type_=UtcDateTime()),
            _LOG.c.message_timestamp,
        ),
        signal=func.coalesce(bindparam("signal", type_=LargeBinary), _LOG.c.signal),
        signal_id=func.coalesce(bindparam("signal_id", type_=String(ID)), _LOG.c.signal_id),
    )
)


class Outcome(NamedTuple):
    """How a delivery attempt ended, to be written on its outbox row."""

    message_id: str
    status: OutboxStatus
    next_attempt_at: datetime | None  # when not delivered: the next attempt's time
    last_error: str | None


class LostClaim(Exception):
    """A worker no longer holds the claim of a message it records an outcome for."""


def _record_params(worker: str, outcome: Outcome, now: datetime) -> dict[str, object]:
    delivered = outcome.status is OutboxStatus.DELIVERED
    return {
        "m_id": outcome.message_id, "m_worker": worker, "status": outcome.status.value,
        "delivered_at": now if delivered else None,
        "next_attempt_at": None if delivered else outcome.next_attempt_at,
        "last_error": outcome.last_error,
    }


def record_outcome(
    bind: Session | Connection, worker: str, outcome: Outcome, *, now: datetime
) -> bool:
    """Close `worker`'s claim on a message with its outcome; False if it no longer holds it.

    A single UPDATE: on SQLite the write lock is taken by the first statement of the
    transaction (no read-then-write upgrade that could fail under concurrent writers).
    """
    return _RECORD.execute(_connection(bind), _record_params(worker, outcome, now)) == 1


def record_outcomes(
    bind: Session | Connection, worker: str, outcomes: Sequence[Outcome], *, now: datetime
) -> None:
    """Close `worker`'s claims on several messages in one executemany.

    Raises `LostClaim` when it no longer holds one of them: some outcomes were then written
    and others not, so the caller rolls its transaction back and records one by one
    (`record_outcome`), which tells which. Lost claims are rare (a lease that ran out).
    """
    if not outcomes:
        return
    changed = _RECORD.executemany(
        _connection(bind), [_record_params(worker, outcome, now) for outcome in outcomes]
    )
    if changed != len(outcomes):
        raise LostClaim(f"{len(outcomes) - changed} of {len(outcomes)} claims lost")


def _connection(bind: Session | Connection) -> Connection:
    """The connection to run Core statements on (a session's: in its transaction)."""
    return bind.connection() if isinstance(bind, Session) else bind


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


def record_log_outcomes(
    bind: Session | Connection, outcomes: Sequence[dict[str, object]]
) -> None:
    """Write the outcomes made by `log_outcome_params`: one executemany per statement."""
    with_evidence = [params for params in outcomes if "envelope" in params]
    status_only = [params for params in outcomes if "envelope" not in params]
    connection = _connection(bind)
    if with_evidence:
        _LOG_EVIDENCE.executemany(connection, with_evidence)
    if status_only:
        _LOG_STATUS.executemany(connection, status_only)


_INBOX_IDS = Prepared(
    select(_INBOX.c.message_id, _INBOX.c.from_party)
    .where(_INBOX.c.status == bindparam("status", type_=String))
    .order_by(_INBOX.c.received_at)
    .limit(bindparam("limit", type_=Integer))
)


def inbox_ids(bind: Session | Connection, status: InboxStatus, limit: int) -> list[InboxKey]:
    """The keys of up to `limit` inbox messages in `status`, the longest waiting first."""
    rows = _INBOX_IDS.rows(_connection(bind), {"status": status.value, "limit": limit})
    return [(message_id, from_party) for message_id, from_party in rows]


_TAKEN = (
    "message_id", "message_timestamp", "from_party", "to_party", "service", "service_type",
    "action", "conversation_id", "ref_to_message_id", "payload", "received_at",
)
_TAKE_INBOX = (
    update(_INBOX)
    .where(
        tuple_(_INBOX.c.message_id, _INBOX.c.from_party).in_(
            bindparam("keys", expanding=True)
        ),
        _INBOX.c.status == InboxStatus.RECEIVED.value,
    )
    .values(
        status=InboxStatus.PROCESSED.value,
        processed_at=bindparam("now", type_=UtcDateTime()),
        attempts=_INBOX.c.attempts + 1,
    )
    .returning(*(_INBOX.c[name] for name in _TAKEN))
)


def take_received(
    bind: Session | Connection, keys: Sequence[InboxKey], now: datetime
) -> list[UserMessage]:
    """Mark the still RECEIVED ones of `keys` PROCESSED and return them as messages for their
    handlers, the longest waiting first: one statement, and only one processor wins each.

    The change commits with the handlers' work, or rolls back with it.
    """
    taken = list(_connection(bind).execute(_TAKE_INBOX, {"keys": list(keys), "now": now}))
    taken.sort(key=lambda row: (row.received_at, row.message_id))
    return [
        UserMessage(
            message_id=row.message_id,
            timestamp=as_utc(row.message_timestamp),
            from_party=row.from_party,
            to_party=row.to_party,
            service=row.service,
            service_type=row.service_type,
            action=row.action,
            conversation_id=row.conversation_id,
            ref_to_message_id=row.ref_to_message_id,
            payload=row.payload,
        )
        for row in taken
    ]


_COUNT_DUPLICATE = (
    update(_INBOX)
    .where(_INBOX.c.message_id == bindparam("m_id"), _INBOX.c.from_party == bindparam("m_from"))
    .values(duplicates=_INBOX.c.duplicates + 1)
)


def count_duplicate(bind: Session | Connection, key: InboxKey) -> None:
    """One more refused copy of the received message `key` (message id, sender)."""
    message_id, from_party = key
    _connection(bind).execute(_COUNT_DUPLICATE, {"m_id": message_id, "m_from": from_party})


def inbox_rows(session: Session, message_id: str, from_party: str | None) -> list[InboxRow]:
    """The received messages of that id (from that sender, if named), locked for change."""
    query = select(InboxRow).where(InboxRow.message_id == message_id)
    if from_party is not None:
        query = query.where(InboxRow.from_party == from_party)
    return list(session.scalars(query.with_for_update()))


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
        "received": sum(
            n for (direction, status), n in counts.items()
            if direction == inbound and status != REFUSED
        ),
        "duplicates_dropped": int(duplicates or 0),
        "failed_inbound": counts.get((inbound, InboxStatus.FAILED.value), 0),
    }


# --- message log -------------------------------------------------------------------------


def log_entries(session: Session, message_id: str) -> list[MessageLogRow]:
    """Every log entry of a message id: one per direction and sender that used it."""
    return list(
        session.scalars(
            select(MessageLogRow)
            .where(MessageLogRow.message_id == message_id)
            .order_by(MessageLogRow.direction.desc(), MessageLogRow.from_party)
        )
    )


def set_log_status(
    session: Session,
    message_id: str,
    direction: Direction,
    status: str,
    now: datetime,
    from_party: str | None = None,
) -> None:
    """Set the status of a log entry (inbound: name the sender, message ids being unique
    per sender only)."""
    conditions = [
        MessageLogRow.message_id == message_id,
        MessageLogRow.direction == direction.value,
    ]
    if from_party is not None:
        conditions.append(MessageLogRow.from_party == from_party)
    session.execute(
        update(MessageLogRow)
        .where(*conditions)
        .values(status=status, updated_at=now)
        .execution_options(synchronize_session=False)
    )


_INBOUND_LOG_STATUSES = (
    update(_LOG)
    .where(
        tuple_(_LOG.c.message_id, _LOG.c.from_party).in_(bindparam("keys", expanding=True)),
        _LOG.c.direction == Direction.INBOUND.value,
    )
    .values(status=bindparam("status"), updated_at=bindparam("updated_at"))
)


def set_inbound_log_statuses(
    bind: Session | Connection, keys: Sequence[InboxKey], status: str, now: datetime
) -> None:
    """Set the status of the log entries of received messages `keys` (message id, sender)."""
    if not keys:
        return
    _connection(bind).execute(
        _INBOUND_LOG_STATUSES, {"keys": list(keys), "status": status, "updated_at": now}
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


def traffic_by_partner(session: Session, since: datetime) -> dict[str, dict[str, float]]:
    """Per partner party: messages exchanged since `since` (both ways), outbound pending
    and failed now, and the mean delivery lag in seconds of outbound messages delivered since
    `since` (from the log entry's creation to its last update, the receipt)."""
    outbound = Direction.OUTBOUND.value
    partner = case((MessageLogRow.direction == outbound, MessageLogRow.to_party),
                   else_=MessageLogRow.from_party)
    traffic: dict[str, dict[str, float]] = {}

    def of(party: str) -> dict[str, float]:
        return traffic.setdefault(party, {"recent": 0, "pending": 0, "failed": 0, "lag": 0.0})

    recent = session.execute(
        select(partner, func.count()).where(MessageLogRow.created_at >= since).group_by(partner)
    )
    for party, count in recent:
        of(str(party))["recent"] = int(str(count))
    delivered = OutboxStatus.DELIVERED.value
    for party, status, count in session.execute(
        select(MessageLogRow.to_party, MessageLogRow.status, func.count())
        .where(MessageLogRow.direction == outbound, MessageLogRow.status != delivered)
        .group_by(MessageLogRow.to_party, MessageLogRow.status)
    ):
        key = "failed" if status == OutboxStatus.FAILED.value else "pending"
        of(party)[key] += int(count)
    lags: dict[str, list[float]] = {}
    for party, created, updated in session.execute(
        select(MessageLogRow.to_party, MessageLogRow.created_at, MessageLogRow.updated_at)
        .where(MessageLogRow.direction == outbound, MessageLogRow.status == delivered,
               MessageLogRow.created_at >= since).limit(10_000)
    ):
        lags.setdefault(party, []).append((updated - created).total_seconds())
    for party, seconds in lags.items():
        of(party)["lag"] = sum(seconds) / len(seconds)
    return traffic
