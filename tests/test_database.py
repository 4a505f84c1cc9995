"""The database's two kinds of transaction: all or nothing, on both engines."""

from __future__ import annotations

import pytest
from sqlalchemy import func, insert, select

from singlewindow.core.clock import utcnow
from singlewindow.core.db import Database
from singlewindow.exchange.repository import InboxRow

ROW = dict(
    message_id="m-1@KH", from_party="KH-CUSTOMS", to_party="VN-CUSTOMS", service="s",
    service_type=None, action="a", conversation_id="c", ref_to_message_id=None,
    payload=b"<x/>", status="received", attempts=0, last_error=None, duplicates=0,
)


def row() -> dict[str, object]:
    return {**ROW, "received_at": utcnow(), "message_timestamp": utcnow()}


def count(database: Database) -> int:
    with database.transaction() as connection:
        return int(connection.scalar(select(func.count()).select_from(InboxRow)) or 0)


def test_a_core_transaction_commits_when_its_block_ends(database: Database) -> None:
    with database.transaction() as connection:
        connection.execute(insert(InboxRow), row())
    assert count(database) == 1


def test_a_core_transaction_keeps_nothing_when_its_block_raises(database: Database) -> None:
    with pytest.raises(RuntimeError), database.transaction() as connection:
        connection.execute(insert(InboxRow), row())
        raise RuntimeError("the receipt could not be written")
    assert count(database) == 0
