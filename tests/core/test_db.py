"""The database's two kinds of transaction: all or nothing, on both engines."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import bindparam, cast, func, insert, literal, select, update
from sqlalchemy.exc import IntegrityError

from singlewindow.core.clock import as_utc, utcnow
from singlewindow.core.db import Amount, Database, Prepared
from singlewindow.exchange.repository import InboxRow, MessageLogRow

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


def test_a_failed_transaction_leaves_the_next_one_working(database: Database) -> None:
    """On SQLite the Core transactions reuse one kept connection: a failure must not spoil it."""
    first = row()
    with database.transaction() as connection:
        connection.execute(insert(InboxRow), first)
    with pytest.raises(IntegrityError), database.transaction() as connection:
        connection.execute(insert(InboxRow), first)  # the same message id
    with database.transaction() as connection:
        connection.execute(insert(InboxRow), {**row(), "message_id": "m-2@KH"})
    assert count(database) == 2


def test_a_transaction_inside_another_has_a_connection_of_its_own(database: Database) -> None:
    with database.transaction() as outer:
        outer.execute(insert(InboxRow), row())
        with database.transaction() as inner:
            assert inner is not outer
            assert inner.scalar(select(func.count()).select_from(InboxRow)) == 0  # uncommitted
    assert count(database) == 1


def test_a_watch_tells_when_another_connection_committed(database: Database) -> None:
    watch = database.watch()
    try:
        assert watch.changed()  # the first look
        sqlite = database.engine.dialect.name == "sqlite"
        assert watch.changed() is not sqlite  # PostgreSQL cannot tell: always "maybe"
        with database.transaction() as connection:
            connection.execute(insert(InboxRow), row())
        assert watch.changed()
        assert watch.changed() is not sqlite
        watch.forget()
        assert watch.changed()
    finally:
        watch.close()


def test_a_watch_reads_through_the_driver_with_the_columns_types(database: Database) -> None:
    stored = row()
    with database.transaction() as connection:
        connection.execute(insert(InboxRow), stored)
    watch = database.watch()
    try:
        received = select(
            func.count(), func.max(InboxRow.received_at), func.max(InboxRow.message_id)
        ).where(InboxRow.status == "received")
        number, latest, message_id = watch.read(Prepared(received)) or ()
        assert number == 1 and message_id == stored["message_id"]
        assert isinstance(latest, datetime)
        assert as_utc(latest) == stored["received_at"]
        none = Prepared(select(InboxRow.message_id).where(InboxRow.status == "none"))
        assert watch.read(none) is None
    finally:
        watch.close()


LOG = MessageLogRow.__table__
LOG_ENTRY = dict(
    direction="inbound", from_party="KH-CUSTOMS", to_party="VN-CUSTOMS", service="s",
    action="a", conversation_id="c", ref_to_message_id=None, status="received",
    payload_digest="0" * 64, encrypted=True, envelope=b"<env/>\x00\xff", signal_id="r@VN",
    signal=b"<receipt/>", error_code=None, error_detail="d\u00e9tail",
)


def test_a_prepared_statement_stores_what_sqlalchemy_would(database: Database) -> None:
    """The driver gets the same SQL and the same processed parameters (SQLite: datetimes as
    text), so a row written either way reads back identical, byte for byte."""
    now = utcnow()
    entry = {**LOG_ENTRY, "message_timestamp": now, "created_at": now, "updated_at": now}
    prepared = Prepared(insert(LOG), list(entry) + ["message_id"])
    with database.transaction() as connection:
        connection.execute(insert(LOG), {**entry, "message_id": "by-sqlalchemy"})
        assert prepared.execute(connection, {**entry, "message_id": "prepared"}) == 1
    columns = [column for column in LOG.c if column.name != "message_id"]
    with database.engine.connect() as connection:
        # The stored values as the database has them, without SQLAlchemy's result types.
        raw = {
            message_id: values
            for message_id, *values in connection.exec_driver_sql(
                "SELECT message_id, " + ", ".join(column.name for column in columns)
                + " FROM exchange_message_log ORDER BY message_id"
            )
        }
    assert raw["prepared"] == raw["by-sqlalchemy"]


def test_a_prepared_statement_returns_what_sqlalchemy_would(database: Database) -> None:
    now = utcnow()
    with database.transaction() as connection:
        for message_id in ("m-1", "m-2"):
            connection.execute(
                insert(LOG),
                {**LOG_ENTRY, "message_id": message_id, "message_timestamp": now,
                 "created_at": now, "updated_at": now},
            )
    touch = (
        update(LOG)
        .where(LOG.c.message_id == bindparam("m_id"))
        .values(status=bindparam("status"), updated_at=bindparam("now"))
        .returning(LOG.c.message_id, LOG.c.updated_at, LOG.c.envelope, LOG.c.encrypted)
    )
    later = now + timedelta(seconds=1)
    with database.transaction() as connection:
        expected = connection.execute(touch, {"m_id": "m-1", "status": "x", "now": later}).all()
        got = Prepared(touch).rows(connection, {"m_id": "m-2", "status": "x", "now": later})
    [(_, *expected_values)] = expected
    [[message_id, *values]] = got
    assert message_id == "m-2" and values == expected_values
    assert as_utc(values[0]) == later and values[1] == LOG_ENTRY["envelope"]
    with database.transaction() as connection:
        changed = Prepared(update(LOG).values(status=bindparam("status"))).executemany(
            connection, [{"status": "y"}, {"status": "z"}]
        )
    assert changed == 4  # two rows, twice


def test_a_prepared_statement_reads_amounts_as_decimals(database: Database) -> None:
    """Money columns come back as exact Decimals on either engine (psycopg's processor
    for them needs a run cursor's type code, which a prepared statement has not got)."""
    amount = select(cast(literal("1234.5678"), Amount).label("amount"),
                    cast(literal(None), Amount).label("none"))
    with database.transaction() as connection:
        [[got, nothing]] = Prepared(amount).rows(connection, {})
    assert isinstance(got, Decimal) and got == Decimal("1234.5678") and nothing is None


def test_a_prepared_statement_raises_the_errors_sqlalchemy_would(database: Database) -> None:
    entry = {**LOG_ENTRY, "message_id": "m-1", "message_timestamp": utcnow(),
             "created_at": utcnow(), "updated_at": utcnow()}
    prepared = Prepared(insert(LOG), list(entry))
    with database.transaction() as connection:
        prepared.execute(connection, entry)
    with pytest.raises(IntegrityError), database.transaction() as connection:
        prepared.execute(connection, entry)  # the same key
    with database.transaction() as connection:  # and the connection still works
        prepared.execute(connection, {**entry, "message_id": "m-2"})
    with database.engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(LOG)) == 2
    missing = {key: value for key, value in entry.items() if key != "encrypted"}
    with pytest.raises(KeyError, match="encrypted"), database.transaction() as connection:
        prepared.execute(connection, {**missing, "message_id": "m-3"})  # no default filled in
    with pytest.raises(ValueError, match="IN lists"), database.transaction() as connection:
        Prepared(select(LOG.c.message_id).where(LOG.c.status.in_(["a", "b"]))).rows(
            connection, {}
        )


def test_utc_day_is_the_day_in_utc_whatever_the_sessions_time_zone(database) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from sqlalchemy import literal, select, text

    from singlewindow.core.db import UtcDateTime, utc_day

    evening = datetime(2026, 12, 1, 20, 30, tzinfo=UTC)  # already 2 December in Ha Noi
    with database.unit_of_work() as session:
        if database.url.startswith("postgresql"):
            session.execute(text("SET LOCAL TIME ZONE 'Asia/Ho_Chi_Minh'"))
        day = session.scalar(select(utc_day(literal(evening, UtcDateTime()))))
    assert day == "2026-12-01"
