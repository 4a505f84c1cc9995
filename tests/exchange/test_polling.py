"""The workers' idle polls: cheap while nothing changes, yet they notice what another process
enqueued and what became due with time alone (a retry, a lease that ran out)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta

import httpx
import pytest

from singlewindow.core.clock import utcnow
from singlewindow.core.db import Database
from singlewindow.exchange import repository, sending
from singlewindow.exchange.model import OutboxStatus
from singlewindow.exchange.repository import InboxRow, OutboxRow
from singlewindow.exchange.sending import Attempt
from singlewindow.exchange.services import Gateway, names_no_issuer
from singlewindow.exchange.workers import InboxProcessor, OutboxDeliveryWorker

from .conftest import ACTION, DOCUMENT, SERVICE, VN, Network, pmode_for, transport_to, trust


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sender(network: Network, database: Database, clock: Clock) -> Gateway:
    return Gateway(database, network.kh, trust(network.vn), pmode_for(VN), clock=clock)


@pytest.fixture
def other_process(database: Database) -> Iterator[Database]:
    """The same database through an engine of its own, as another process would have it."""
    other = Database(database.url)
    yield other
    other.dispose()


@pytest.fixture
def probes(monkeypatch: pytest.MonkeyPatch) -> list[datetime | None]:
    """The due-probes the outbox worker runs, with what each found."""
    found: list[datetime | None] = []
    probe = repository.next_due

    def counted(reader):  # type: ignore[no-untyped-def]
        found.append(probe(reader))
        return found[-1]

    monkeypatch.setattr(repository, "next_due", counted)
    return found


def worker_for(gateway: Gateway, answer: Callable[[httpx.Request], httpx.Response]) -> (
    OutboxDeliveryWorker
):
    return OutboxDeliveryWorker(gateway, client=httpx.Client(transport=httpx.MockTransport(answer)))


def down(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused")


def enqueue(gateway: Gateway, database: Database | None = None) -> str:
    with (database or gateway.database).unit_of_work() as session:
        return gateway.send(session, VN, SERVICE, ACTION, DOCUMENT)


def test_an_idle_poll_probes_only_after_a_commit_elsewhere(
    sender: Gateway, other_process: Database, probes: list[datetime | None]
) -> None:
    worker = worker_for(sender, down)
    try:
        assert worker.claim(8) == [] and probes == [None]
        for _ in range(5):
            assert worker.claim(8) == []
        sqlite = sender.database.engine.dialect.name == "sqlite"
        # SQLite tells that nothing was committed: no probe; PostgreSQL cannot: one a poll.
        assert len(probes) == (1 if sqlite else 6)
        message_id = enqueue(sender, other_process)  # another engine: like another process
        [claimed] = worker.claim(8)
        assert claimed.message_id == message_id and claimed.attempts == 1
        assert claimed.payload == DOCUMENT and claimed.to_party == VN
    finally:
        worker.close()


def test_a_retry_becomes_due_without_any_write(
    sender: Gateway, clock: Clock, probes: list[datetime | None]
) -> None:
    message_id = enqueue(sender)
    worker = worker_for(sender, down)
    try:
        assert worker.run_once() == 1  # refused: FAILED, retried after a back-off
        with sender.database.unit_of_work() as session:
            row = session.get(OutboxRow, message_id)
            assert row is not None and row.status == OutboxStatus.FAILED
        assert worker.claim(8) == []
        retry_at = probes[-1]
        assert retry_at is not None and retry_at > clock.now
        looked = len(probes)
        assert worker.claim(8) == []
        if sender.database.engine.dialect.name == "sqlite":
            assert len(probes) == looked  # nothing committed, not due yet: no probe
        clock.now = retry_at  # time alone makes it due
        [again] = worker.claim(8)
        assert again.message_id == message_id and again.attempts == 2
    finally:
        worker.close()


def test_a_claim_whose_lease_ran_out_is_claimed_again_without_any_write(
    sender: Gateway, clock: Clock
) -> None:
    message_id = enqueue(sender)
    lease = timedelta(seconds=60)
    with sender.database.transaction() as connection:
        [dead] = repository.claim_due(connection, "dead-worker", clock.now, lease, 8)
    worker = worker_for(sender, down)
    try:
        assert worker.claim(8) == []  # still leased
        clock.now += lease + timedelta(seconds=1)
        [claimed] = worker.claim(8)
        assert claimed.message_id == dead.message_id == message_id and claimed.attempts == 2
    finally:
        worker.close()


def test_a_worker_is_woken_by_a_send_in_its_process(sender: Gateway) -> None:
    sender.outbox_event.clear()
    enqueue(sender)
    assert sender.outbox_event.is_set()


def test_a_batch_with_a_lost_claim_records_the_others(sender: Gateway, clock: Clock) -> None:
    ids = []
    for _ in range(3):
        ids.append(enqueue(sender))
        clock.now += timedelta(milliseconds=1)
    lease = timedelta(seconds=60)
    with sender.database.transaction() as connection:
        claimed = repository.claim_due(connection, "w1", clock.now, lease, 8)
    assert [row.message_id for row in claimed] == ids  # the oldest first
    # w1's lease on the second runs out and w2 takes it.
    with sender.database.unit_of_work() as session:
        row = session.get(OutboxRow, ids[1])
        assert row is not None
        row.claimed_until = clock.now - timedelta(seconds=1)
    with sender.database.transaction() as connection:
        [taken] = repository.claim_due(connection, "w2", clock.now, lease, 8)
    assert taken.message_id == ids[1]
    ok = sending.SignalVerdict(delivered=True, retry=False, receipt_id="r@VN")
    outcomes = sender.record_attempts(
        "w1", [Attempt(message_id, 1, None, ok, b"<receipt/>") for message_id in ids]
    )
    assert outcomes == [OutboxStatus.DELIVERED, None, OutboxStatus.DELIVERED]
    statuses = {entry.message_id: entry.status for entry in sender.list_messages()[0]}
    assert statuses == {ids[0]: "delivered", ids[1]: "pending", ids[2]: "delivered"}
    with sender.database.unit_of_work() as session:
        row = session.get(OutboxRow, ids[1])
        assert row is not None and row.status == OutboxStatus.SENDING
        assert row.claimed_by == "w2" and row.attempts == 2


def test_the_inbox_processor_handles_what_another_process_stored(
    network: Network, sender: Gateway, database: Database, other_process: Database
) -> None:
    handled: list[str] = []
    receiver = Gateway(database, network.vn, trust(network.kh), pmode_for(network.kh.party_id))
    receiver.register_handler(
        SERVICE, ACTION, lambda session, message: handled.append(message.message_id),
        issuer=names_no_issuer,
    )
    # Another process of the receiving node (its own engine) keeps the message.
    elsewhere = Gateway(
        other_process, network.vn, trust(network.kh), pmode_for(network.kh.party_id)
    )
    processor = InboxProcessor(receiver, linger=0)
    try:
        assert processor.run_once() == 0
        message_id = enqueue(sender)
        courier = OutboxDeliveryWorker(
            sender, client=httpx.Client(transport=transport_to(elsewhere))
        )
        try:
            assert courier.run_once() == 1
        finally:
            courier.close()
        assert processor.run_once() == 1 and handled == [message_id]
        looks: list[int] = []
        process = receiver.process_inbox

        def counted(limit: int = 100) -> int:
            looks.append(limit)
            return process(limit)

        receiver.process_inbox = counted  # type: ignore[method-assign]
        assert processor.run_once() == 0  # its own commit: one more look
        assert processor.run_once() == 0 and processor.run_once() == 0
        sqlite = database.engine.dialect.name == "sqlite"
        assert len(looks) == (1 if sqlite else 3)  # SQLite tells that nothing changed
        with database.unit_of_work() as session:
            row = session.get(InboxRow, (message_id, network.kh.party_id))
            assert row is not None and row.status == "processed" and row.attempts == 1
    finally:
        processor.close()


def test_the_running_worker_records_outcomes_together(
    network: Network, sender: Gateway, receiver_db: Database
) -> None:
    receiver = Gateway(receiver_db, network.vn, trust(network.kh), pmode_for(network.kh.party_id))
    batches: list[int] = []
    record = sender.record_attempts

    def counted(worker: str, attempts: Sequence[Attempt]) -> list[OutboxStatus | None]:
        batches.append(len(attempts))
        return record(worker, attempts)

    sender.record_attempts = counted  # type: ignore[method-assign]
    worker = OutboxDeliveryWorker(
        sender, record_delay=0.2, client=httpx.Client(transport=transport_to(receiver))
    )
    worker.start()
    try:
        with sender.database.unit_of_work() as session:
            for _ in range(12):
                sender.send(session, VN, SERVICE, ACTION, DOCUMENT)
        deadline = time.monotonic() + 30
        while sender.statistics()["delivered"] < 12 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        worker.stop()
    assert sender.statistics()["delivered"] == 12 and sum(batches) == 12
    assert len(batches) < 12  # outcomes that ended close together share a transaction
