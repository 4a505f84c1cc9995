"""Two real nodes on loopback; the receiver is killed with SIGKILL mid-traffic and restarted."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from singlewindow.core.db import Database
from singlewindow.exchange.model import InboxStatus, OutboxStatus
from singlewindow.exchange.repository import InboxRow, OutboxRow

sys.path.insert(0, str(Path(__file__).resolve().parent))
from twonodes import ACTION, SERVICE, make_network  # noqa: E402

pytestmark = pytest.mark.e2e

TOTAL = 300


def wait_for(predicate, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


def test_receiver_killed_during_traffic_every_message_delivered_once(tmp_path: Path) -> None:
    kh, vn, enqueuer = make_network(tmp_path)
    vn_db = Database(vn.database_url)
    kh.start()
    vn.start()
    try:
        sent: list[str] = []
        for batch in range(TOTAL // 10):
            with enqueuer.database.unit_of_work() as session:
                for i in range(10):
                    payload = f"<ACDD n='{batch * 10 + i}'/>".encode()
                    sent.append(enqueuer.send(session, vn.party_id, SERVICE, ACTION, payload))
            time.sleep(0.01)
            if batch == TOTAL // 30:
                vn.kill()  # mid-traffic
            if batch == 2 * TOTAL // 30:
                vn.start()

        def all_delivered() -> bool:
            with enqueuer.database.unit_of_work() as session:
                return (
                    session.scalar(
                        select(func.count()).where(OutboxRow.status == OutboxStatus.DELIVERED)
                    )
                    == TOTAL
                )

        assert wait_for(all_delivered, 120), "not every message was delivered"

        def all_processed() -> bool:
            with vn_db.unit_of_work() as session:
                return (
                    session.scalar(
                        select(func.count()).where(InboxRow.status == InboxStatus.PROCESSED)
                    )
                    == TOTAL
                )

        assert wait_for(all_processed, 60)
        with vn_db.unit_of_work() as session:
            received = session.scalars(select(InboxRow.message_id)).all()
        assert sorted(received) == sorted(sent)  # none lost, none twice (primary key)
        with enqueuer.database.unit_of_work() as session:
            retried = session.scalar(select(func.count()).where(OutboxRow.attempts > 1))
        assert retried and retried > 0  # the kill did interrupt traffic
    finally:
        kh.stop()
        vn.stop()
        vn_db.dispose()
        enqueuer.database.dispose()
