"""The inbox: what partners post to this node, verified, kept once, and handed to its handlers.

`receive` answers a posted message synchronously: refused (an ebMS error signal, nothing
stored, except a forged issuer's envelope kept in the message log as evidence) or kept, inbox
row and log entry with our receipt in one transaction, before the receipt is returned; a copy
of a message already received from the same sender is refused (duplicate elimination). The
inbox processor then hands each kept message to the handler registered for its (service,
action), the handler's work committing with the message's PROCESSED mark.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from as4.errors import BaseAS4ReceiptableError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from singlewindow.core.clock import as_utc
from singlewindow.core.db import Database
from singlewindow.exchange import receiving, refusals, repository, wire
from singlewindow.exchange.errors import MessageStateConflict, UnknownMessage
from singlewindow.exchange.model import (
    INBOX,
    Direction,
    InboxStatus,
    UserMessage,
    within_window,
)
from singlewindow.exchange.pki import NodeIdentity, TrustList
from singlewindow.exchange.pmode import ProcessingModes
from singlewindow.exchange.repository import InboxRow

log = logging.getLogger("singlewindow.exchange")


Handler = Callable[[Session, UserMessage], None]
# Reads the party id that issued a business document from its payload: the party the
# document speaks for (an ACDD's export customs, an e-Form D's issuing authority's node).
# None when the payload names no issuer of its own (an answer to our document) or cannot be
# read (the handler then refuses it in its own words); it must not raise.
IssuerReader = Callable[[bytes], str | None]
# A capability's check of a document on receipt, against what this node holds (may read the
# database): why it cannot be taken now, or None. Refused documents are answered with an ebMS
# error and logged; a check must not raise.
Admission = Callable[[UserMessage], str | None]


@dataclass(frozen=True)
class ReceiveResult:
    """The synchronous HTTP answer to a posted message: a receipt or an ebMS error signal."""

    status: int
    body: bytes
    headers: dict[str, str]
    accepted: bool
    error_code: str | None = None
    detail: str = ""


def names_no_issuer(payload: bytes) -> None:
    """The `IssuerReader` of a document that names no issuer of its own (e.g. an answer to
    one of our documents, which its handler checks against the partner it was sent to)."""
    return None


class Inbox:
    """The messages partners send to this node, from their receipt to their handling."""

    def __init__(
        self,
        database: Database,
        identity: NodeIdentity,
        trust_list: TrustList,
        pmode: ProcessingModes,
        clock: Callable[[], datetime],
    ) -> None:
        self.database = database
        self.identity = identity
        self.trust_list = trust_list
        self.pmode = pmode
        self.clock = clock
        self.handlers: dict[tuple[str, str], Handler] = {}
        self.issuers: dict[tuple[str, str], IssuerReader] = {}
        self.admissions: dict[tuple[str, str], Admission] = {}
        # Made once, used for every message: the library's party object (for error
        # signals) and the signing key and certificate as the writers use them.
        self._local_party = receiving.internal_party(identity)
        self._signer = wire.node_signer(identity)
        # Set when this process keeps a message: its inbox processors wake at once.
        self.wake = threading.Event()

    def register_handler(
        self,
        service: str,
        action: str,
        handler: Handler,
        *,
        issuer: IssuerReader,
        admit: Admission | None = None,
    ) -> None:
        """Have `handler(session, message)` process each received (service, action) message.

        `issuer(payload)` names the party that issued the document: a message whose document
        was issued by another party than its signer (or one the trust list says the signer
        speaks for) is refused on receipt, before it is stored or any handler runs. `admit`,
        when given, is the capability's own check on receipt (a message out of order).
        """
        self.handlers[(service, action)] = handler
        self.issuers[(service, action)] = issuer
        if admit is not None:
            self.admissions[(service, action)] = admit

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
                if isinstance(problem, refusals.IssuerNotSender | refusals.NotAdmitted):
                    # A trusted partner signed a document it may not issue, or one out of
                    # order: the signed envelope is the evidence, kept in the log (nothing
                    # else is stored).
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
        return self._issuer_refusal(message) or self._admission_refusal(message)

    def _admission_refusal(self, message: UserMessage) -> refusals.NotAdmitted | None:
        admit = self.admissions.get((message.service, message.action))
        if admit is None:
            return None
        try:
            why_not = admit(message)
        except Exception as exc:  # a check that breaks its contract refuses, not passes
            log.exception("admission check of %s / %s failed", message.service, message.action)
            why_not = f"the document cannot be checked: {type(exc).__name__}"
        return None if why_not is None else refusals.NotAdmitted(detail=why_not[:500])

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
                message,
                repository.Evidence(inbound.encrypted, inbound.envelope, signal),
                error_code=problem.error_code,
                error_detail=problem.detail,
                now=now,
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
                message,
                repository.Evidence(
                    inbound.encrypted, inbound.envelope, signal, inbound.signal_id
                ),
                now=now,
            )
        self.wake.set()
        return True

    def process(self, limit: int = 100) -> int:
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

    def _handle(self, session: Session, message: UserMessage) -> None:
        """Run the handler registered for the message's service and action, in `session`."""
        handler = self.handlers.get((message.service, message.action))
        if handler is None:
            raise LookupError(
                f"no handler is registered for {message.service} / {message.action}"
            )
        handler(session, message)

    def _process_batch(self, ids: Sequence[repository.InboxKey]) -> int:
        now = self.clock()
        with self.database.unit_of_work() as session:
            messages = repository.take_received(session, ids, now)
            for message in messages:
                self._handle(session, message)
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
                self._handle(session, message)
                repository.set_inbound_log_statuses(
                    session, [key], InboxStatus.PROCESSED.value, now
                )
            return 1
        except Exception as exc:  # the handler's failure is recorded, not propagated
            log.warning("handler failed for %s from %s: %s", message_id, from_party, exc)
            with self.database.unit_of_work() as session:
                row = session.get(InboxRow, key)
                if row is not None and row.status == InboxStatus.RECEIVED.value:
                    row.status = INBOX.move(
                        InboxStatus.RECEIVED, InboxStatus.FAILED, who=message_id
                    ).value
                    row.attempts += 1
                    row.last_error = f"{type(exc).__name__}: {exc}"
                    repository.set_log_status(
                        session, message_id, Direction.INBOUND, InboxStatus.FAILED.value, now,
                        from_party=from_party,
                    )
            return 0

    def retry(self, message_id: str, from_party: str | None = None) -> None:
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
            row.status = INBOX.move(
                InboxStatus(row.status), InboxStatus.RECEIVED, who=message_id
            ).value
            repository.set_log_status(
                session, message_id, Direction.INBOUND, InboxStatus.RECEIVED.value,
                self.clock(), from_party=row.from_party,
            )
