"""The database: one per node. SQLite is the embedded default, PostgreSQL the production engine.

Each room maps its own tables on `Base`; `unit_of_work()` is the transaction a service runs
in: it commits when the block ends normally and rolls back on any exception, so a failed
use case leaves nothing half-written.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from decimal import Decimal
from pathlib import Path

import orjson
from sqlalchemy import JSON, Connection, Engine, MetaData, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import StaticPool

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# JSON documents: JSONB on PostgreSQL, JSON text on SQLite.
Document = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _tune_sqlite(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    # WAL lets readers run beside the writer; NORMAL sync is durable across process crashes
    # (what a node must survive) and fast enough for thousands of commits per second.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _json(value: object) -> str:
    return orjson.dumps(value, default=_exact).decode()


def _exact(value: object) -> str:
    """Decimals are stored as strings, so that no digit is lost on either engine."""
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        if url in ("sqlite://", "sqlite:///:memory:"):
            engine = create_engine(
                url,
                connect_args={"check_same_thread": False},
                poolclass=StaticPool,
                json_serializer=_json,
            )
        else:
            path = url.split("///", 1)[1]
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(
                url, connect_args={"check_same_thread": False}, json_serializer=_json
            )
        event.listen(engine, "connect", _tune_sqlite)
        return engine
    return create_engine(
        url, pool_size=10, max_overflow=20, pool_pre_ping=True, json_serializer=_json
    )


class Database:
    """An engine and its session factory; made at start-up and handed to whoever needs it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # SQLite lets one writer at a time in, and makes the others wait by sleeping and
        # retrying, which turns a busy second into long tails. Threads of one process take
        # turns here instead; PostgreSQL needs no such thing.
        self._turn: AbstractContextManager[object] = (
            threading.RLock() if url.startswith("sqlite") else nullcontext()
        )

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        with self._turn:
            session = self._sessions()
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
            finally:
                session.close()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A Core transaction, for hot paths that only run prepared statements: no ORM
        session to set up and tear down (commits at the end, rolls back on any exception)."""
        with self._turn, self.engine.begin() as connection:
            yield connection

    def session(self) -> Session:
        return self._sessions()

    def dispose(self) -> None:
        self.engine.dispose()
