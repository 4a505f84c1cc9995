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

from singlewindow.core.transitions import Transitions
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


OUTBOX = Transitions(
    {
        OutboxStatus.PENDING: {OutboxStatus.SENDING},
        OutboxStatus.SENDING: {
            OutboxStatus.SENDING,  # reclaimed after its lease expired
            OutboxStatus.DELIVERED,
            OutboxStatus.FAILED,
            OutboxStatus.REJECTED,
            OutboxStatus.GAVE_UP,
        },
        OutboxStatus.FAILED: {OutboxStatus.SENDING},
        OutboxStatus.REJECTED: {OutboxStatus.PENDING},
        OutboxStatus.GAVE_UP: {OutboxStatus.PENDING},
        OutboxStatus.DELIVERED: set(),
    },
    refusal=MessageStateConflict,
    noun="an outbound message",
)

# Statuses a delivery worker may claim (SENDING only once its lease has run out).
CLAIMABLE = (OutboxStatus.PENDING, OutboxStatus.FAILED)


class InboxStatus(enum.StrEnum):
    RECEIVED = "received"
    PROCESSED = "processed"
    FAILED = "failed"


INBOX = Transitions(
    {
        InboxStatus.RECEIVED: {InboxStatus.PROCESSED, InboxStatus.FAILED},
        InboxStatus.FAILED: {InboxStatus.RECEIVED},
        InboxStatus.PROCESSED: set(),
    },
    refusal=MessageStateConflict,
    noun="an inbound message",
)


def attempt_outcome(
    *, delivered: bool, retry: bool, attempts: int, policy: RetryPolicy
) -> OutboxStatus:
    """Where a SENDING message goes after its `attempts`-th attempt: DELIVERED on a receipt,
    REJECTED on an ebMS error (no retry), GAVE_UP once the policy's attempts are spent,
    FAILED (retried later) otherwise."""
    if delivered:
        target = OutboxStatus.DELIVERED
    elif not retry:
        target = OutboxStatus.REJECTED
    elif policy.exhausted(attempts):
        target = OutboxStatus.GAVE_UP
    else:
        target = OutboxStatus.FAILED
    return OUTBOX.move(OutboxStatus.SENDING, target)


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
