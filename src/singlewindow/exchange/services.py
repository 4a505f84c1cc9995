"""Use cases of the exchange room: send, receive, deliver, process, look up.

A node makes one `Gateway` at start-up (`configure(...)`), mounts `exchange.api.router`, and
starts the workers. Capabilities register handlers for the (service, action) they receive
and call `send(session, ...)` inside their own unit of work, so that a business change and
the message announcing it commit together (the transactional outbox).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from as4.errors import BaseAS4ReceiptableError
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from singlewindow.core.clock import as_utc, utcnow
from singlewindow.core.db import Database
from singlewindow.exchange import receiving, refusals, repository, sending, wire
from singlewindow.exchange.errors import (
    MessageStateConflict,
    NotAllowedByPMode,
    UnknownMessage,
)
from singlewindow.exchange.model import (
    REFUSED,
    Direction,
    InboxStatus,
    OutboxStatus,
    UserMessage,
    check_inbox_transition,
    check_outbox_transition,
    within_window,
)
from singlewindow.exchange.pki import NodeIdentity, Partner, TrustList
from singlewindow.exchange.pmode import ProcessingModes
from singlewindow.exchange.repository import InboxRow, MessageLogRow, OutboxClaim, OutboxRow

log = logging.getLogger("singlewindow.exchange")


Handler = Callable[[Session, UserMessage], None]
# Reads the party id that issued a business document from its payload: the party the
# document speaks for (an ACDD's export customs, an e-Form D's issuing authority's node).
# None when the payload names no issuer of its own (an answer to our document) or cannot be
# read (the handler then refuses it in its own words); it must not raise.
IssuerReader = Callable[[bytes], str | None]


@dataclass(frozen=True)
class ReceiveResult:
    """The synchronous HTTP answer to a posted message: a receipt or an ebMS error signal."""

    status: int
    body: bytes
    headers: dict[str, str]
    accepted: bool
    error_code: str | None = None
    detail: str = ""


@dataclass(frozen=True)
class Attempt:
    """One delivery attempt of an outbound message, as the delivery worker saw it end."""

    message_id: str
    attempts: int  # the message's attempt count, as set by the claim this attempt ran under
    outbound: sending.OutboundMessage | None
    verdict: sending.SignalVerdict
    signal: bytes | None


def names_no_issuer(payload: bytes) -> None:
    """The `IssuerReader` of a document that names no issuer of its own (e.g. an answer to
    one of our documents, which its handler checks against the partner it was sent to)."""
    return None


def payload_digest(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def new_message_id(party_id: str) -> str:
    return f"{uuid.uuid4()}@{party_id}"


class Gateway:
    """This node's access point: its identity, its partners, its P-Modes and its database."""

    def __init__(
        self,
        database: Database,
        identity: NodeIdentity,
        trust_list: TrustList,
        pmode: ProcessingModes,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.database = database
        self.identity = identity
        self.trust_list = trust_list
        self.pmode = pmode
        self.clock = clock
        self.handlers: dict[tuple[str, str], Handler] = {}
        self.issuers: dict[tuple[str, str], IssuerReader] = {}
        self._workers: list = []  # type: ignore[type-arg]
        # Made once, used for every message: the library's party object, our policy, and
        # the signing key and certificate as the writers use them.
        self._local_party = receiving.internal_party(identity)
        self._signer = wire.node_signer(identity)
        # Wake-ups for the workers of this process (they also poll, for other processes).
        self.outbox_event = threading.Event()
        self.inbox_event = threading.Event()

    # --- handlers ------------------------------------------------------------------------

    def register_handler(
        self, service: str, action: str, handler: Handler, *, issuer: IssuerReader
    ) -> None:
        """Have `handler(session, message)` process each received (service, action) message.

        `issuer(payload)` names the party that issued the document: a message whose document
        was issued by another party than its signer (or one the trust list says the signer
        speaks for) is refused on receipt, before it is stored or any handler runs.
        """
        self.handlers[(service, action)] = handler
        self.issuers[(service, action)] = issuer

    # --- sending -------------------------------------------------------------------------

    def partner(self, party_id: str) -> Partner:
        partner = self.trust_list.get(party_id)
        if partner is None:
            raise NotAllowedByPMode(f"{party_id} is not on this node's trust list")
        return partner

    def endpoint(self, party_id: str) -> str:
        mode = self.pmode.partner(party_id)
        if mode is not None and mode.endpoint:
            return mode.endpoint
        return self.partner(party_id).endpoint

    def send(
        self,
        session: Session,
        to_party: str,
        service: str,
        action: str,
        payload: bytes,
        conversation_id: str | None = None,
        ref_to: str | None = None,
        message_id: str | None = None,
    ) -> str:
        """Enqueue a business document for `to_party`, in the caller's transaction."""
        self.partner(to_party)
        mode = self.pmode.partner(to_party)
        leg = mode.send_leg(service, action) if mode else None
        if leg is None:
            raise NotAllowedByPMode(
                f"no P-Mode lets this node send {service} / {action} to {to_party}"
            )
        now = self.clock()
        message_id = message_id or new_message_id(self.identity.party_id)
        conversation_id = conversation_id or str(uuid.uuid4())
        repository.enqueue(
            session,
            dict(
                message_id=message_id,
                to_party=to_party,
                service=service,
                service_type=leg.service_type,
                action=action,
                conversation_id=conversation_id,
                ref_to_message_id=ref_to,
                payload=payload,
                status=OutboxStatus.PENDING.value,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            ),
            dict(
                message_id=message_id,
                direction=Direction.OUTBOUND.value,
                from_party=self.identity.party_id,
                to_party=to_party,
                service=service,
                action=action,
                conversation_id=conversation_id,
                ref_to_message_id=ref_to,
                status=OutboxStatus.PENDING.value,
                payload_digest=payload_digest(payload),
                encrypted=mode.encrypt if mode else True,
                created_at=now,
                updated_at=now,
            ),
        )
        if not event.contains(session, "after_commit", self._wake_outbox):
            event.listen(session, "after_commit", self._wake_outbox, once=True)
        return message_id

    def _wake_outbox(self, _session: Session) -> None:
        self.outbox_event.set()

    def build(self, row: OutboxClaim) -> sending.OutboundMessage:
        mode = self.pmode.partner(row.to_party)
        return sending.build_user_message(
            self.identity,
            self.partner(row.to_party),
            signer=self._signer,
            message_id=row.message_id,
            conversation_id=row.conversation_id,
            service=row.service,
            service_type=row.service_type,
            action=row.action,
            payload=row.payload,
            ref_to_message_id=row.ref_to_message_id,
            encrypt=mode.encrypt if mode else True,
        )

    def record_attempts(
        self, worker: str, attempts: Sequence[Attempt]
    ) -> list[OutboxStatus | None]:
        """Write down what a batch of attempts proved, in one transaction.

        Each outcome applies only while `worker` still holds the message's claim (None for
        a message whose claim was lost meanwhile, e.g. its lease ran out and another worker
        took it).
        """
        now = self.clock()
        outcomes: list[repository.Outcome] = []
        log_outcomes: list[dict[str, object]] = []
        for attempt in attempts:
            tries = attempt.attempts
            verdict = attempt.verdict
            if verdict.delivered:
                target = OutboxStatus.DELIVERED
            elif not verdict.retry:
                target = OutboxStatus.REJECTED
            elif self.pmode.retry.exhausted(tries):
                target = OutboxStatus.GAVE_UP
            else:
                target = OutboxStatus.FAILED
            check_outbox_transition(OutboxStatus.SENDING, target)
            delivered = target is OutboxStatus.DELIVERED
            outcomes.append(
                repository.Outcome(
                    attempt.message_id,
                    target,
                    next_attempt_at=None if delivered else now + self.pmode.retry.delay(tries),
                    last_error=(verdict.detail or None) if delivered else verdict.detail,
                )
            )
            evidence: dict[str, object] | None = None
            if verdict.delivered or not verdict.retry:  # final: keep the evidence
                evidence = {}
                outbound = attempt.outbound
                if outbound is not None:
                    evidence["envelope"] = outbound.envelope
                    evidence["message_timestamp"] = outbound.timestamp
                if attempt.signal is not None:
                    evidence["signal"] = attempt.signal
                    evidence["signal_id"] = verdict.receipt_id
            log_outcomes.append(
                repository.log_outcome_params(
                    attempt.message_id, Direction.OUTBOUND, status=target.value,
                    now=now, error_code=verdict.error_code,
                    error_detail=verdict.detail or None, evidence=evidence,
                )
            )
        # Usually every claim is still held: the outcomes and their log entries are then
        # one executemany each. Otherwise that transaction rolls back, and one UPDATE per
        # message tells which claims were lost (their outcomes are dropped).
        held: list[bool] | None = None
        if len(outcomes) > 1:
            try:
                with self.database.transaction() as connection:
                    repository.record_outcomes(connection, worker, outcomes, now=now)
                    repository.record_log_outcomes(connection, log_outcomes)
                held = [True] * len(outcomes)
            except repository.LostClaim:
                held = None
        if held is None:
            with self.database.transaction() as connection:
                held = [
                    repository.record_outcome(connection, worker, outcome, now=now)
                    for outcome in outcomes
                ]
                repository.record_log_outcomes(
                    connection,
                    [params for params, kept in zip(log_outcomes, held, strict=True) if kept],
                )
        return [
            outcome.status if kept else None
            for outcome, kept in zip(outcomes, held, strict=True)
        ]

    def requeue(self, message_id: str) -> None:
        """Send a REJECTED or GAVE_UP message again (after fixing what made it fail)."""
        now = self.clock()
        with self.database.unit_of_work() as session:
            row = session.get(OutboxRow, message_id)
            if row is None:
                raise UnknownMessage(f"no outbound message {message_id}")
            row.status = check_outbox_transition(
                OutboxStatus(row.status), OutboxStatus.PENDING
            ).value
            row.next_attempt_at = now
            row.attempts = 0
            repository.set_log_status(
                session, message_id, Direction.OUTBOUND, OutboxStatus.PENDING.value, now
            )

    # --- receiving -----------------------------------------------------------------------

    def receive(self, body: bytes, headers: Mapping[str, str]) -> ReceiveResult:
        """Verify a posted user message, keep it, and answer with a receipt or an ebMS error.

        Nothing is stored for a refused message; a message is stored (inbox and log, with
        the receipt) in one transaction before the receipt is returned.
        """
        inbound = receiving.open_user_message(
            self.identity, self.trust_list, body, headers,
            local_party=self._local_party, signer=self._signer,
        )
        if inbound.read is not None and inbound.error is None:
            message = inbound.read.message
            problem = self._refusal(message, encrypted=inbound.read.encrypted)
            if problem is not None:
                inbound.refuse(problem)
                if isinstance(problem, refusals.IssuerNotSender):
                    # A trusted partner signed a document it may not issue: the signed
                    # envelope is the evidence, kept in the log (nothing else is stored).
                    self._log_refused(inbound, message, problem)
            else:
                _, signal = inbound.signal()
                try:
                    stored = self._store_received(inbound, message, signal)
                except IntegrityError:
                    stored = False
                if not stored:
                    self._count_duplicate((message.message_id, message.from_party))
                    inbound.refuse(self._duplicate(message))
        headers_out, signal = inbound.signal()
        error = inbound.error
        if error is not None:
            log.info(
                "refused message %r: %s %s",
                inbound.message_id,
                error.error_code,
                error.detail,
            )
            return ReceiveResult(400, signal, headers_out, False, error.error_code, error.detail)
        return ReceiveResult(200, signal, headers_out, True)

    def _refusal(
        self, message: UserMessage, *, encrypted: bool
    ) -> BaseAS4ReceiptableError | None:
        if message.to_party != self.identity.party_id:
            return refusals.NotAddressedHere(
                detail=f"eb:To names {message.to_party}, this access point is "
                f"{self.identity.party_id}"
            )
        mode = self.pmode.partner(message.from_party)
        if mode is None or not mode.may_receive_from_them(
            message.service, message.action, message.service_type
        ):
            return refusals.ProcessingModeMismatch(
                detail=f"no P-Mode lets {message.from_party} send "
                f"{message.service} / {message.action}"
            )
        if mode.encrypt and not encrypted:
            return refusals.EncryptionRequired()
        if not within_window(as_utc(message.timestamp), self.clock(), self.pmode.replay_window):
            return refusals.MessageExpired(
                detail=f"eb:Timestamp {message.timestamp.isoformat()} is outside the "
                f"{int(self.pmode.replay_window.total_seconds())} s replay window"
            )
        # Duplicates are caught by the inbox's primary key when storing.
        return self._issuer_refusal(message)

    def _issuer_refusal(self, message: UserMessage) -> refusals.IssuerNotSender | None:
        """The one check that a partner speaks only for itself, for every service and action:
        the document's issuing party must be the signer (eb:From, which the signature is
        bound to) or one the trust list says the signer speaks for."""
        reader = self.issuers.get((message.service, message.action))
        if reader is None:
            # No handler either (every registration names its reader): no business record
            # can come of it; it fails at processing, as a message nobody here handles.
            return None
        try:
            issuer = reader(message.payload)
        except Exception as exc:  # a reader that breaks its contract refuses, not passes
            return refusals.IssuerNotSender(
                detail=f"the issuing party of the document cannot be read: {exc}"
            )
        if issuer is None:
            return None
        sender = self.trust_list.get(message.from_party)
        if sender is not None and sender.may_issue_for(issuer):
            return None
        return refusals.IssuerNotSender(
            detail=f"the {message.action} document is issued by {issuer[:128]}, "
            f"but signed by {message.from_party}"
        )

    def _log_refused(
        self,
        inbound: receiving.InboundMessage,
        message: UserMessage,
        problem: BaseAS4ReceiptableError,
    ) -> None:
        now = self.clock()
        _, signal = inbound.signal()
        with self.database.transaction() as connection:
            repository.keep_refused(
                connection,
                dict(
                    message_id=message.message_id,
                    direction=Direction.INBOUND.value,
                    from_party=message.from_party,
                    to_party=message.to_party,
                    service=message.service,
                    action=message.action,
                    conversation_id=message.conversation_id,
                    ref_to_message_id=message.ref_to_message_id,
                    status=REFUSED,
                    message_timestamp=message.timestamp,
                    payload_digest=payload_digest(message.payload),
                    encrypted=inbound.encrypted,
                    envelope=inbound.envelope,
                    signal_id=None,  # the library's error signal: kept, its id not read
                    signal=signal,
                    error_code=problem.error_code,
                    error_detail=problem.detail,
                    created_at=now,
                    updated_at=now,
                ),
            )

    def _duplicate(self, message: UserMessage) -> refusals.DuplicateMessage:
        return refusals.DuplicateMessage(
            detail=f"{refusals.DUPLICATE_MARK}: {message.message_id} was already received "
            f"from {message.from_party}"
        )

    def _count_duplicate(self, key: repository.InboxKey) -> None:
        """Count a refused copy of an already received message on its inbox row."""
        with self.database.transaction() as connection:
            repository.count_duplicate(connection, key)

    def _store_received(
        self, inbound: receiving.InboundMessage, message: UserMessage, signal: bytes
    ) -> bool:
        """Keep the message and its receipt; False when the message id was received before.

        One short write transaction of two inserts; a duplicate message id violates the
        inbox's primary key (IntegrityError, handled by the caller).
        """
        now = self.clock()
        # Two prepared inserts (compiled once, run through the driver) in a Core transaction:
        # no ORM session is needed for two rows nobody reads back here.
        with self.database.transaction() as connection:
            repository.keep_received(
                connection,
                dict(
                    message_id=message.message_id,
                    from_party=message.from_party,
                    to_party=message.to_party,
                    service=message.service,
                    service_type=message.service_type,
                    action=message.action,
                    conversation_id=message.conversation_id,
                    ref_to_message_id=message.ref_to_message_id,
                    message_timestamp=message.timestamp,
                    payload=message.payload,
                    status=InboxStatus.RECEIVED.value,
                    attempts=0,
                    last_error=None,
                    duplicates=0,
                    received_at=now,
                    processed_at=None,
                ),
                dict(
                    message_id=message.message_id,
                    direction=Direction.INBOUND.value,
                    from_party=message.from_party,
                    to_party=message.to_party,
                    service=message.service,
                    action=message.action,
                    conversation_id=message.conversation_id,
                    ref_to_message_id=message.ref_to_message_id,
                    status=InboxStatus.RECEIVED.value,
                    message_timestamp=message.timestamp,
                    payload_digest=payload_digest(message.payload),
                    encrypted=inbound.encrypted,
                    envelope=inbound.envelope,
                    signal_id=inbound.signal_id,
                    signal=signal,
                    error_code=None,
                    error_detail=None,
                    created_at=now,
                    updated_at=now,
                ),
            )
        self.inbox_event.set()
        return True

    # --- inbox processing ----------------------------------------------------------------

    def process_inbox(self, limit: int = 100) -> int:
        """Hand received messages to their handlers.

        A batch is taken and handled in one transaction: each message is marked PROCESSED
        (only if still RECEIVED: one processor wins it) and its handler's work commits with
        that mark. If any handler of the batch raises, the whole batch rolls back and its
        messages are handled again one by one, each in its own transaction, so that only the
        failing message is marked FAILED (its handler's work never commits).
        """
        # A plain read first: an idle poll takes no write lock.
        with self.database.transaction() as connection:
            ids = repository.inbox_ids(connection, InboxStatus.RECEIVED, limit)
        if not ids:
            return 0
        if len(ids) > 1:
            try:
                return self._process_batch(ids)
            except Exception as exc:  # some handler failed: isolate it
                log.info("inbox batch of %d rolled back (%s); one by one", len(ids), exc)
        return sum(self._process_one(key) for key in ids)

    def _process_batch(self, ids: Sequence[repository.InboxKey]) -> int:
        now = self.clock()
        with self.database.unit_of_work() as session:
            messages = repository.take_received(session, ids, now)
            for message in messages:
                handler = self.handlers.get((message.service, message.action))
                if handler is None:
                    raise LookupError(
                        f"no handler is registered for {message.service} / {message.action}"
                    )
                handler(session, message)
            repository.set_inbound_log_statuses(
                session, [(message.message_id, message.from_party) for message in messages],
                InboxStatus.PROCESSED.value, now,
            )
            return len(messages)

    def _process_one(self, key: repository.InboxKey) -> int:
        now = self.clock()
        message_id, from_party = key
        try:
            with self.database.unit_of_work() as session:
                taken = repository.take_received(session, [key], now)
                if not taken:
                    return 0  # another processor has it
                [message] = taken
                handler = self.handlers.get((message.service, message.action))
                if handler is None:
                    raise LookupError(
                        f"no handler is registered for {message.service} / {message.action}"
                    )
                handler(session, message)
                repository.set_inbound_log_statuses(
                    session, [key], InboxStatus.PROCESSED.value, now
                )
            return 1
        except Exception as exc:  # the handler's failure is recorded, not propagated
            log.warning("handler failed for %s from %s: %s", message_id, from_party, exc)
            with self.database.unit_of_work() as session:
                row = session.get(InboxRow, key)
                if row is not None and row.status == InboxStatus.RECEIVED.value:
                    row.status = check_inbox_transition(
                        InboxStatus.RECEIVED, InboxStatus.FAILED
                    ).value
                    row.attempts += 1
                    row.last_error = f"{type(exc).__name__}: {exc}"
                    repository.set_log_status(
                        session, message_id, Direction.INBOUND, InboxStatus.FAILED.value, now,
                        from_party=from_party,
                    )
            return 0

    def retry_inbox(self, message_id: str, from_party: str | None = None) -> None:
        """Give a FAILED received message to its handler again (name its sender when two
        partners happened to use the same message id)."""
        with self.database.unit_of_work() as session:
            rows = repository.inbox_rows(session, message_id, from_party)
            if not rows:
                raise UnknownMessage(f"no inbound message {message_id}")
            if len(rows) > 1:
                raise MessageStateConflict(
                    f"{message_id} was received from {', '.join(r.from_party for r in rows)}; "
                    "name the sender"
                )
            [row] = rows
            row.status = check_inbox_transition(
                InboxStatus(row.status), InboxStatus.RECEIVED
            ).value
            repository.set_log_status(
                session, message_id, Direction.INBOUND, InboxStatus.RECEIVED.value,
                self.clock(), from_party=row.from_party,
            )

    # --- the non-repudiation log ---------------------------------------------------------

    def list_messages(
        self,
        *,
        party: str | None = None,
        action: str | None = None,
        status: str | None = None,
        direction: Direction | None = None,
        conversation_id: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[Sequence[MessageLogRow], int]:
        with self.database.unit_of_work() as session:
            return repository.find_log(
                session,
                party=party,
                action=action,
                status=status,
                direction=direction,
                conversation_id=conversation_id,
                limit=limit,
                offset=offset,
            )

    def statistics(self) -> dict[str, int]:
        """Counts of this node's traffic: sent, delivered, pending (outbound not yet
        delivered), received, duplicates_dropped (copies of received messages refused),
        failed_inbound (received messages whose handler failed)."""
        with self.database.unit_of_work() as session:
            return repository.statistics(session)

    def get_message(self, message_id: str) -> list[MessageLogRow]:
        """Every log entry of a message id (one per direction this node saw it in, and per
        sender: message ids are unique per sender only)."""
        with self.database.unit_of_work() as session:
            rows = repository.log_entries(session, message_id)
        if not rows:
            raise UnknownMessage(f"no message {message_id} in the message log")
        return rows

    # --- workers -------------------------------------------------------------------------

    def start_workers(self, *, delivery_workers: int = 1, inbox_processors: int = 1) -> None:
        from singlewindow.exchange.workers import InboxProcessor, OutboxDeliveryWorker

        for _ in range(delivery_workers):
            self._workers.append(OutboxDeliveryWorker(self))
        for _ in range(inbox_processors):
            self._workers.append(InboxProcessor(self))
        for worker in self._workers:
            worker.start()

    def stop_workers(self, timeout: float = 10.0) -> None:
        for worker in self._workers:
            worker.stop(timeout)
        self._workers.clear()




# --- the configured gateway, for capabilities that only need `send` and handlers ---------

_gateway: Gateway | None = None


def configure(
    database: Database,
    identity: NodeIdentity,
    trust_list: TrustList,
    pmode: ProcessingModes,
    **options: object,
) -> Gateway:
    """Make this node's gateway (once, at start-up) and make it the one `send` uses."""
    global _gateway
    _gateway = Gateway(database, identity, trust_list, pmode, **options)  # type: ignore[arg-type]
    return _gateway


def gateway() -> Gateway:
    if _gateway is None:
        raise RuntimeError("the exchange gateway is not configured; call exchange.configure()")
    return _gateway


def send(
    session: Session,
    to_party: str,
    service: str,
    action: str,
    payload: bytes,
    conversation_id: str | None = None,
    ref_to: str | None = None,
) -> str:
    """Enqueue a document for a partner in the caller's transaction; returns its message id."""
    return gateway().send(session, to_party, service, action, payload, conversation_id, ref_to)


def register_handler(
    service: str, action: str, handler: Handler, *, issuer: IssuerReader
) -> None:
    gateway().register_handler(service, action, handler, issuer=issuer)

