"""Send, deliver, receive, process and look up, between two in-process gateways."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from singlewindow.core.clock import as_utc
from singlewindow.exchange import refusals, sending
from singlewindow.exchange.errors import NotAllowedByPMode, UnknownMessage
from singlewindow.exchange.model import Direction, InboxStatus, OutboxStatus, UserMessage
from singlewindow.exchange.repository import InboxRow, OutboxRow
from singlewindow.exchange.services import Gateway, names_no_issuer
from singlewindow.exchange.workers import OutboxDeliveryWorker

from .conftest import ACTION, DOCUMENT, KH, SERVICE, VN, transport_to


def deliver_all(sender: Gateway, receiver: Gateway) -> int:
    worker = OutboxDeliveryWorker(sender, client=httpx.Client(transport=transport_to(receiver)))
    try:
        return worker.run_once()
    finally:
        worker.close()


def test_send_enqueues_in_the_callers_transaction(kh_gateway: Gateway) -> None:
    with kh_gateway.database.unit_of_work() as session:
        message_id = kh_gateway.send(session, VN, SERVICE, ACTION, DOCUMENT, "conv-1")
    with kh_gateway.database.unit_of_work() as session:
        row = session.get(OutboxRow, message_id)
        assert row is not None and row.status == OutboxStatus.PENDING
    [entry] = kh_gateway.get_message(message_id)
    assert entry.direction == Direction.OUTBOUND and entry.status == "pending"


def test_a_rolled_back_transaction_sends_nothing(kh_gateway: Gateway) -> None:
    with pytest.raises(RuntimeError), kh_gateway.database.unit_of_work() as session:
        kh_gateway.send(session, VN, SERVICE, ACTION, DOCUMENT)
        raise RuntimeError("the business change failed")
    assert kh_gateway.list_messages()[1] == 0


def test_send_refuses_what_no_pmode_allows(kh_gateway: Gateway) -> None:
    with kh_gateway.database.unit_of_work() as session:
        with pytest.raises(NotAllowedByPMode):
            kh_gateway.send(session, VN, SERVICE, "Seizure", DOCUMENT)
        with pytest.raises(NotAllowedByPMode):
            kh_gateway.send(session, "XX-UNKNOWN", SERVICE, ACTION, DOCUMENT)


def test_delivery_receipt_and_handler(kh_gateway: Gateway, vn_gateway: Gateway) -> None:
    seen: list[UserMessage] = []
    vn_gateway.register_handler(
        SERVICE, ACTION, lambda session, message: seen.append(message), issuer=names_no_issuer
    )
    with kh_gateway.database.unit_of_work() as session:
        first = kh_gateway.send(session, VN, SERVICE, ACTION, DOCUMENT, "conv-1")
        second = kh_gateway.send(session, VN, SERVICE, ACTION, b"<two/>", "conv-1", ref_to=first)
    assert deliver_all(kh_gateway, vn_gateway) == 2

    outbound, _ = kh_gateway.list_messages(direction=Direction.OUTBOUND)
    sent = {row.message_id: row for row in outbound}
    assert sent[first].status == OutboxStatus.DELIVERED
    assert sent[first].signal and sent[first].envelope and sent[first].signal_id
    assert vn_gateway.process_inbox() == 2
    assert [m.message_id for m in seen] == [first, second] or {m.message_id for m in seen} == {
        first,
        second,
    }
    by_id = {m.message_id: m for m in seen}
    assert by_id[first].payload == DOCUMENT and by_id[first].from_party == KH
    assert by_id[second].ref_to_message_id == first
    assert by_id[second].conversation_id == "conv-1"
    [received] = vn_gateway.get_message(first)
    assert received.direction == Direction.INBOUND and received.status == InboxStatus.PROCESSED
    assert received.encrypted is True


def test_signed_only_pmode(network, database, receiver_db) -> None:  # type: ignore[no-untyped-def]
    from .conftest import pmode_for, trust

    kh = Gateway(database, network.kh, trust(network.vn), pmode_for(VN, encrypt=False))
    vn = Gateway(receiver_db, network.vn, trust(network.kh), pmode_for(KH, encrypt=False))
    with kh.database.unit_of_work() as session:
        message_id = kh.send(session, VN, SERVICE, ACTION, DOCUMENT)
    deliver_all(kh, vn)
    [entry] = vn.get_message(message_id)
    assert entry.encrypted is False and entry.status == "received"


def test_unreachable_partner_is_retried_with_backoff(kh_gateway: Gateway) -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    with kh_gateway.database.unit_of_work() as session:
        message_id = kh_gateway.send(session, VN, SERVICE, ACTION, DOCUMENT)
    worker = OutboxDeliveryWorker(
        kh_gateway, client=httpx.Client(transport=httpx.MockTransport(down))
    )
    assert worker.run_once() == 1
    assert worker.run_once() == 0  # not due yet: back-off
    worker.close()
    with kh_gateway.database.unit_of_work() as session:
        row = session.get(OutboxRow, message_id)
        assert row is not None
        assert row.status == OutboxStatus.FAILED and row.attempts == 1
        assert "ConnectError" in (row.last_error or "")


def test_lost_receipt_then_retry_is_delivered_once(
    kh_gateway: Gateway, vn_gateway: Gateway
) -> None:
    """The receiver kept the message but its receipt was lost: the retry is a duplicate."""
    calls = {"n": 0}

    def lossy(request: httpx.Request) -> httpx.Response:
        result = vn_gateway.receive(request.read(), dict(request.headers))
        calls["n"] += 1
        if calls["n"] == 1:
            raise httpx.ReadTimeout("receipt lost")
        return httpx.Response(result.status, content=result.body, headers=result.headers)

    with kh_gateway.database.unit_of_work() as session:
        message_id = kh_gateway.send(session, VN, SERVICE, ACTION, DOCUMENT)
    worker = OutboxDeliveryWorker(
        kh_gateway, client=httpx.Client(transport=httpx.MockTransport(lossy))
    )
    worker.run_once()
    with kh_gateway.database.unit_of_work() as session:
        row = session.get(OutboxRow, message_id)
        assert row is not None and row.status == OutboxStatus.FAILED
        row.next_attempt_at = row.created_at  # due now
    worker.run_once()
    worker.close()
    [entry] = kh_gateway.get_message(message_id)
    assert entry.status == OutboxStatus.DELIVERED
    assert entry.error_detail and refusals.DUPLICATE_MARK in entry.error_detail
    with vn_gateway.database.unit_of_work() as session:
        assert len(session.scalars(select(InboxRow)).all()) == 1


def test_rejected_message_is_not_retried_and_can_be_requeued(  # type: ignore[no-untyped-def]
    network, database, receiver_db
) -> None:
    from .conftest import pmode_for, trust

    kh = Gateway(database, network.kh, trust(network.vn), pmode_for(VN))
    # The receiver accepts only FormD from KH.
    vn_pmode = pmode_for(KH)
    vn = Gateway(receiver_db, network.vn, trust(network.kh), vn_pmode)
    vn.pmode = type(vn_pmode).from_dict(
        {"partners": {KH: {"receive": [{"service": SERVICE, "action": "FormD"}]}}}
    )
    with kh.database.unit_of_work() as session:
        message_id = kh.send(session, VN, SERVICE, ACTION, DOCUMENT)
    deliver_all(kh, vn)
    [entry] = kh.get_message(message_id)
    assert entry.status == OutboxStatus.REJECTED and entry.error_code == "EBMS:0010"
    kh.requeue(message_id)
    assert kh.get_message(message_id)[0].status == OutboxStatus.PENDING


def test_handler_failure_is_recorded_and_retryable(
    kh_gateway: Gateway, vn_gateway: Gateway
) -> None:
    def broken(session, message):  # type: ignore[no-untyped-def]
        raise ValueError("cannot score this consignment")

    vn_gateway.register_handler(SERVICE, ACTION, broken, issuer=names_no_issuer)
    with kh_gateway.database.unit_of_work() as session:
        message_id = kh_gateway.send(session, VN, SERVICE, ACTION, DOCUMENT)
    deliver_all(kh_gateway, vn_gateway)
    assert vn_gateway.process_inbox() == 0
    with vn_gateway.database.unit_of_work() as session:
        row = session.get(InboxRow, (message_id, KH))
        assert row is not None and row.status == InboxStatus.FAILED
        assert "cannot score" in (row.last_error or "")
    vn_gateway.register_handler(
        SERVICE, ACTION, lambda session, message: None, issuer=names_no_issuer
    )
    vn_gateway.retry_inbox(message_id)
    assert vn_gateway.process_inbox() == 1


def test_list_and_lookup(kh_gateway: Gateway) -> None:
    with kh_gateway.database.unit_of_work() as session:
        for action in (ACTION, ACTION, "FormD"):
            kh_gateway.send(session, VN, SERVICE, action, DOCUMENT)
    rows, total = kh_gateway.list_messages(action="FormD")
    assert total == 1 and rows[0].action == "FormD"
    assert kh_gateway.list_messages(party=VN, limit=2)[1] == 3
    assert len(kh_gateway.list_messages(party=VN, limit=2)[0]) == 2
    assert kh_gateway.list_messages(status="delivered")[1] == 0
    with pytest.raises(UnknownMessage):
        kh_gateway.get_message("nope@nowhere")


def test_claims_do_not_overlap(kh_gateway: Gateway) -> None:
    from datetime import timedelta

    from singlewindow.exchange import repository

    with kh_gateway.database.unit_of_work() as session:
        for _ in range(5):
            kh_gateway.send(session, VN, SERVICE, ACTION, DOCUMENT)
    now = kh_gateway.clock()
    with kh_gateway.database.unit_of_work() as session:
        first = repository.claim_due(session, "w1", now, timedelta(seconds=60), 3)
    with kh_gateway.database.unit_of_work() as session:
        second = repository.claim_due(session, "w2", now, timedelta(seconds=60), 10)
    assert len(first) == 3 and len(second) == 2
    assert not {r.message_id for r in first} & {r.message_id for r in second}
    # A dead worker's lease runs out and its messages are claimed again.
    with kh_gateway.database.unit_of_work() as session:
        again = repository.claim_due(
            session, "w3", now + timedelta(seconds=61), timedelta(seconds=60), 10
        )
    assert len(again) == 5 and all(r.attempts == 2 for r in again)


def test_a_lost_claim_is_not_overwritten_and_a_batch_records_at_once(
    kh_gateway: Gateway,
) -> None:
    from datetime import timedelta

    from singlewindow.exchange import repository
    from singlewindow.exchange.sending import Attempt

    with kh_gateway.database.unit_of_work() as session:
        ids = [kh_gateway.send(session, VN, SERVICE, ACTION, DOCUMENT) for _ in range(3)]
    now = kh_gateway.clock()
    with kh_gateway.database.unit_of_work() as session:
        claimed = repository.claim_due(session, "w1", now, timedelta(seconds=60), 10)
    assert len(claimed) == 3
    ok = sending.SignalVerdict(delivered=True, retry=False, receipt_id="r@VN")
    down = sending.SignalVerdict(delivered=False, retry=True, detail="ConnectError")
    # Another worker's outcome for w1's claims changes nothing.
    assert kh_gateway.record_attempts("w2", [Attempt(ids[0], 1, None, ok, None)]) == [None]
    outcomes = kh_gateway.record_attempts(
        "w1",
        [
            Attempt(ids[0], 1, None, ok, b"<receipt/>"),
            Attempt(ids[1], 1, None, down, None),
            Attempt(ids[2], 1000, None, down, None),  # the P-Mode's last attempt
        ],
    )
    assert outcomes == [OutboxStatus.DELIVERED, OutboxStatus.FAILED, OutboxStatus.GAVE_UP]
    with kh_gateway.database.unit_of_work() as session:
        rows = {i: session.get(OutboxRow, i) for i in ids}
        assert all(row is not None and row.claimed_by is None for row in rows.values())
        failed = rows[ids[1]]
        assert failed is not None and failed.last_error == "ConnectError"
        assert as_utc(failed.next_attempt_at) > now
    [delivered] = kh_gateway.get_message(ids[0])
    assert delivered.status == "delivered" and delivered.signal == b"<receipt/>"
    assert delivered.signal_id == "r@VN"
    [failed_entry] = kh_gateway.get_message(ids[1])
    assert failed_entry.status == "failed" and failed_entry.error_detail == "ConnectError"
    # Recorded once: a second outcome for the same attempt finds no claim.
    assert kh_gateway.record_attempts("w1", [Attempt(ids[0], 1, None, down, None)]) == [None]


def test_one_failing_handler_in_a_batch_fails_alone(
    kh_gateway: Gateway, vn_gateway: Gateway
) -> None:
    handled: list[bytes] = []

    def picky(session, message):  # type: ignore[no-untyped-def]
        if message.payload == b"<bad/>":
            raise ValueError("cannot read this one")
        handled.append(message.payload)

    vn_gateway.register_handler(SERVICE, ACTION, picky, issuer=names_no_issuer)
    with kh_gateway.database.unit_of_work() as session:
        for payload in (b"<one/>", b"<bad/>", b"<three/>"):
            kh_gateway.send(session, VN, SERVICE, ACTION, payload)
    assert deliver_all(kh_gateway, vn_gateway) == 3
    assert vn_gateway.process_inbox() == 2
    assert sorted(handled[-2:]) == [b"<one/>", b"<three/>"]  # the batch ran, then one by one
    with vn_gateway.database.unit_of_work() as session:
        statuses = sorted(row.status for row in session.scalars(select(InboxRow)))
    assert statuses == ["failed", "processed", "processed"]
    assert vn_gateway.process_inbox() == 0  # nothing processed twice


def test_the_default_http_pool_reports_an_unreachable_partner(  # type: ignore[no-untyped-def]
    network, database
) -> None:
    """Without a given client the worker posts with urllib3; a refused connection is a retry."""
    from .conftest import pmode_for, trust

    sender = Gateway(
        database, network.kh, trust(network.vn, endpoint="http://127.0.0.1:1/as4"), pmode_for(VN)
    )
    with sender.database.unit_of_work() as session:
        message_id = sender.send(session, VN, SERVICE, ACTION, DOCUMENT)
    worker = OutboxDeliveryWorker(sender, timeout=5.0)
    try:
        assert worker.http is not None and worker.run_once() == 1
    finally:
        worker.close()
    with sender.database.unit_of_work() as session:
        row = session.get(OutboxRow, message_id)
        assert row is not None and row.status == OutboxStatus.FAILED and row.attempts == 1
        assert "Connection" in (row.last_error or ""), row.last_error
