"""The exchange room's domain: user messages, their outbox and inbox states, retry rules.

Standard library only. The outbox is a state machine:

    PENDING ──claim──▶ SENDING ──receipt──▶ DELIVERED
                          │ ├──ebMS error──▶ REJECTED ──requeue──▶ PENDING
                          │ └──too many attempts──▶ GAVE_UP ──requeue──▶ PENDING
                          └──no/invalid answer──▶ FAILED (retry at) ──claim──▶ SENDING

A SENDING message whose claim lease ran out (its worker died) may be claimed again.

The inbox: RECEIVED ──handler ok──▶ PROCESSED, RECEIVED ──handler raised──▶ FAILED, and a
FAILED message can be retried (FAILED → RECEIVED).
"""

from __future__ import annotations

import enum
import hashlib
import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from singlewindow.exchange.errors import MessageStateConflict

# The longest MessageId, ConversationId or RefToMessageId a node keeps (its id columns):
# the reader refuses a longer one with an ebMS error before it reaches the database.
MAXIMUM_IDENTIFIER = 255


# The log status of a verified message refused on receipt by a business rule of the network
# (a document issued by another party than its signer): kept as evidence, never processed.
REFUSED = "refused"


class Direction(enum.StrEnum):
    OUTBOUND = "outbound"
    INBOUND = "inbound"


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    DELIVERED = "delivered"
    FAILED = "failed"  # the last attempt failed; another is scheduled
    REJECTED = "rejected"  # the receiver answered with an ebMS error
    GAVE_UP = "gave_up"  # no receipt after the P-Mode's maximum number of attempts


OUTBOX_TRANSITIONS: dict[OutboxStatus, frozenset[OutboxStatus]] = {
    OutboxStatus.PENDING: frozenset({OutboxStatus.SENDING}),
    OutboxStatus.SENDING: frozenset(
        {
            OutboxStatus.SENDING,  # reclaimed after its lease expired
            OutboxStatus.DELIVERED,
            OutboxStatus.FAILED,
            OutboxStatus.REJECTED,
            OutboxStatus.GAVE_UP,
        }
    ),
    OutboxStatus.FAILED: frozenset({OutboxStatus.SENDING}),
    OutboxStatus.REJECTED: frozenset({OutboxStatus.PENDING}),
    OutboxStatus.GAVE_UP: frozenset({OutboxStatus.PENDING}),
    OutboxStatus.DELIVERED: frozenset(),
}

# Statuses a delivery worker may claim (SENDING only once its lease has run out).
CLAIMABLE = (OutboxStatus.PENDING, OutboxStatus.FAILED)


class InboxStatus(enum.StrEnum):
    RECEIVED = "received"
    PROCESSED = "processed"
    FAILED = "failed"


INBOX_TRANSITIONS: dict[InboxStatus, frozenset[InboxStatus]] = {
    InboxStatus.RECEIVED: frozenset({InboxStatus.PROCESSED, InboxStatus.FAILED}),
    InboxStatus.FAILED: frozenset({InboxStatus.RECEIVED}),
    InboxStatus.PROCESSED: frozenset(),
}


def check_outbox_transition(current: OutboxStatus, target: OutboxStatus) -> OutboxStatus:
    if target not in OUTBOX_TRANSITIONS[current]:
        raise MessageStateConflict(f"an outbound message cannot go from {current} to {target}")
    return target


def check_inbox_transition(current: InboxStatus, target: InboxStatus) -> InboxStatus:
    if target not in INBOX_TRANSITIONS[current]:
        raise MessageStateConflict(f"an inbound message cannot go from {current} to {target}")
    return target


@dataclass(frozen=True)
class UserMessage:
    """The envelope metadata of an ebMS 3.0 user message and its (decrypted) business document."""

    message_id: str
    timestamp: datetime
    from_party: str
    to_party: str
    service: str
    action: str
    conversation_id: str
    ref_to_message_id: str | None = None
    payload: bytes = b""
    service_type: str | None = None


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential back-off with full jitter, capped, for a bounded number of attempts."""

    first_delay: timedelta = timedelta(seconds=1)
    max_delay: timedelta = timedelta(minutes=5)
    max_attempts: int = 100
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def delay(self, attempt: int) -> timedelta:
        """The wait after the `attempt`-th failed attempt (1-based): up to first·2^(n-1), capped."""
        ceiling = min(
            self.max_delay.total_seconds(),
            self.first_delay.total_seconds() * (2 ** max(0, attempt - 1)),
        )
        # Half fixed, half random: spreads retries of many messages, never retries at once.
        return timedelta(seconds=ceiling / 2 + self.rng.uniform(0, ceiling / 2))

    def exhausted(self, attempts: int) -> bool:
        return attempts >= self.max_attempts


def within_window(timestamp: datetime, now: datetime, window: timedelta) -> bool:
    """A message is fresh when its timestamp is at most `window` old (or ahead, for clock skew)."""
    return abs(now - timestamp) <= window


def payload_digest(payload: bytes) -> str:
    """The SHA-256 of a business document, as the message log keeps it."""
    return hashlib.sha256(payload).hexdigest()


def new_message_id(party_id: str) -> str:
    """A fresh eb:MessageId of a message sent by `party_id`."""
    return f"{uuid.uuid4()}@{party_id}"
