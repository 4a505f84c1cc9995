"""The exchange room's domain: outbox and inbox state machines, the retry policy."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from singlewindow.exchange.errors import MessageStateConflict
from singlewindow.exchange.model import (
    CLAIMABLE,
    INBOX,
    OUTBOX,
    InboxStatus,
    OutboxStatus,
    RetryPolicy,
    within_window,
)

ALLOWED_OUTBOX = {
    (OutboxStatus.PENDING, OutboxStatus.SENDING),
    (OutboxStatus.SENDING, OutboxStatus.SENDING),
    (OutboxStatus.SENDING, OutboxStatus.DELIVERED),
    (OutboxStatus.SENDING, OutboxStatus.FAILED),
    (OutboxStatus.SENDING, OutboxStatus.REJECTED),
    (OutboxStatus.SENDING, OutboxStatus.GAVE_UP),
    (OutboxStatus.FAILED, OutboxStatus.SENDING),
    (OutboxStatus.REJECTED, OutboxStatus.PENDING),
    (OutboxStatus.GAVE_UP, OutboxStatus.PENDING),
}
ALLOWED_INBOX = {
    (InboxStatus.RECEIVED, InboxStatus.PROCESSED),
    (InboxStatus.RECEIVED, InboxStatus.FAILED),
    (InboxStatus.FAILED, InboxStatus.RECEIVED),
}


@pytest.mark.parametrize("current", list(OutboxStatus))
@pytest.mark.parametrize("target", list(OutboxStatus))
def test_outbox_transitions(current: OutboxStatus, target: OutboxStatus) -> None:
    if (current, target) in ALLOWED_OUTBOX:
        assert OUTBOX.move(current, target) is target
    else:
        with pytest.raises(MessageStateConflict):
            OUTBOX.move(current, target)


@pytest.mark.parametrize("current", list(InboxStatus))
@pytest.mark.parametrize("target", list(InboxStatus))
def test_inbox_transitions(current: InboxStatus, target: InboxStatus) -> None:
    if (current, target) in ALLOWED_INBOX:
        assert INBOX.move(current, target) is target
    else:
        with pytest.raises(MessageStateConflict):
            INBOX.move(current, target)


def test_every_state_has_its_row_and_delivered_is_final() -> None:
    assert set(OUTBOX.table) == set(OutboxStatus)
    assert set(INBOX.table) == set(InboxStatus)
    assert OUTBOX.table[OutboxStatus.DELIVERED] == frozenset()
    assert INBOX.table[InboxStatus.PROCESSED] == frozenset()
    # Workers claim new and failed messages only; SENDING only once its lease ran out.
    assert set(CLAIMABLE) == {OutboxStatus.PENDING, OutboxStatus.FAILED}


def test_retry_back_off_doubles_within_half_to_full_ceiling() -> None:
    policy = RetryPolicy(
        first_delay=timedelta(seconds=1), max_delay=timedelta(seconds=60), rng=random.Random(7)
    )
    for attempt, ceiling in [(1, 1), (2, 2), (3, 4), (4, 8), (6, 32), (7, 60), (30, 60)]:
        for _ in range(50):
            delay = policy.delay(attempt).total_seconds()
            assert ceiling / 2 <= delay <= ceiling, (attempt, delay)


def test_retry_back_off_is_jittered() -> None:
    policy = RetryPolicy(first_delay=timedelta(seconds=10), rng=random.Random(1))
    delays = {policy.delay(5) for _ in range(20)}
    assert len(delays) > 1  # many messages failing at once do not retry at once


def test_retry_attempt_zero_waits_like_the_first() -> None:
    policy = RetryPolicy(first_delay=timedelta(seconds=2), rng=random.Random(3))
    assert timedelta(seconds=1) <= policy.delay(0) <= timedelta(seconds=2)


def test_retry_exhaustion() -> None:
    policy = RetryPolicy(max_attempts=3)
    assert not policy.exhausted(1)
    assert not policy.exhausted(2)
    assert policy.exhausted(3)
    assert policy.exhausted(4)


def test_replay_window_both_ways() -> None:
    now = datetime(2026, 1, 1, 12, tzinfo=UTC)
    window = timedelta(minutes=15)
    assert within_window(now - timedelta(minutes=15), now, window)
    assert within_window(now + timedelta(minutes=5), now, window)  # clock skew
    assert not within_window(now - timedelta(minutes=15, seconds=1), now, window)
    assert not within_window(now + timedelta(minutes=16), now, window)
