"""The outbox: what this node sends, in the caller's transaction, and what each delivery proved.

A capability enqueues a document with `send(session, ...)` inside its own unit of work, so
that a business change and the message announcing it commit together (the transactional
outbox); the delivery worker claims due messages, has them built here, posts them and hands
the attempts back to `record_attempts`; an officer may `requeue` a rejected or abandoned one.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import event
from sqlalchemy.orm import Session

from singlewindow.core.db import Database
from singlewindow.exchange import repository, sending, wire
from singlewindow.exchange.errors import NotAllowedByPMode, UnknownMessage
from singlewindow.exchange.model import (
    OUTBOX,
    Direction,
    OutboxStatus,
    UserMessage,
    attempt_outcome,
    new_message_id,
)
from singlewindow.exchange.pki import NodeIdentity, Partner, TrustList
from singlewindow.exchange.pmode import ProcessingModes
from singlewindow.exchange.repository import OutboxClaim, OutboxRow
from singlewindow.exchange.sending import Attempt


class Outbox:
    """The messages this node sends to its partners, from enqueueing to their proof."""

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
        # The signing key and certificate as the writers use them, made once.
        self._signer = wire.node_signer(identity)
        # Set when this process commits a message: its delivery workers wake at once.
        self.wake = threading.Event()

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
        message = UserMessage(
            message_id=message_id or new_message_id(self.identity.party_id),
            timestamp=now,
            from_party=self.identity.party_id,
            to_party=to_party,
            service=service,
            service_type=leg.service_type,
            action=action,
            conversation_id=conversation_id or str(uuid.uuid4()),
            ref_to_message_id=ref_to,
            payload=payload,
        )
        repository.enqueue(session, message, encrypted=mode.encrypt if mode else True, now=now)
        if not event.contains(session, "after_commit", self._wake_outbox):
            event.listen(session, "after_commit", self._wake_outbox, once=True)
        return message.message_id

    def _wake_outbox(self, _session: Session) -> None:
        self.wake.set()

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
            target = attempt_outcome(
                delivered=verdict.delivered, retry=verdict.retry, attempts=tries,
                policy=self.pmode.retry,
            )
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
            row.status = OUTBOX.move(
                OutboxStatus(row.status), OutboxStatus.PENDING, who=message_id
            ).value
            row.next_attempt_at = now
            row.attempts = 0
            repository.set_log_status(
                session, message_id, Direction.OUTBOUND, OutboxStatus.PENDING.value, now
            )
