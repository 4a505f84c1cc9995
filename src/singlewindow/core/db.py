"""The database: one per node. SQLite is the embedded default, PostgreSQL the production engine.

Each room maps its own tables on `Base`; `unit_of_work()` is the transaction a service runs
in: it commits when the block ends normally and rolls back on any exception, so a failed
use case leaves nothing half-written.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar, cast

import orjson
from sqlalchemy import (
    JSON,
    Connection,
    DateTime,
    Engine,
    MetaData,
    Numeric,
    String,
    TypeDecorator,
    create_engine,
    event,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import StaticPool
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.selectable import Select

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# JSON documents: JSONB on PostgreSQL, JSON text on SQLite.
Document = JSON().with_variant(JSONB(), "postgresql")
# Money: duties, payments, guarantees (four decimals, so that no minor unit is lost).
Amount = Numeric(20, 4)


class utc_day(FunctionElement[Any]):  # noqa: N801 (an SQL function's name)
    """The UTC day of a stored `UtcDateTime` as text 'YYYY-MM-DD', grouped on in SQL: the
    leading characters of SQLite's stored text (no date parsing per row), the day in UTC on
    PostgreSQL (whatever the session's time zone)."""

    inherit_cache = True
    type = String()


@compiles(utc_day, "sqlite")
def _utc_day_sqlite(element: utc_day, compiler: SQLCompiler, **kw: Any) -> str:
    return f"substr({compiler.process(element.clauses, **kw)}, 1, 10)"


@compiles(utc_day, "postgresql")
def _utc_day_postgresql(element: utc_day, compiler: SQLCompiler, **kw: Any) -> str:
    moment = compiler.process(element.clauses, **kw)
    return f"to_char(({moment}) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"


class UtcDateTime(TypeDecorator[datetime]):
    """A moment, stored in UTC and read back timezone-aware in UTC on either engine.

    SQLite keeps `DateTime(timezone=True)` as text without an offset: it writes an aware
    value's wall time as it is (so 09:00+07:00 would read back as 09:00) and reads back
    naive datetimes, which the API would then give without their offset. Stored naive
    values are ours, written in UTC; a naive value given to a query is taken as UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(
        self, value: datetime | None, dialect: Dialect
    ) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


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


def _private_sqlite_file(path: Path) -> None:
    """Create the database file 0600 (in a 0700 directory, if it makes one) before SQLite
    does, which would make it 0644: declarations, parties and token digests are for the
    node's own user. SQLite gives its -wal and -shm files the database file's mode. Files
    of ours left readable by others (made before this) are closed too."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    for each in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            status = each.stat()
        except FileNotFoundError:
            continue
        if status.st_uid == os.getuid() and status.st_mode & 0o077:
            each.chmod(0o600)


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
            _private_sqlite_file(Path(url.split("///", 1)[1]))
            engine = create_engine(
                url, connect_args={"check_same_thread": False}, json_serializer=_json
            )
        event.listen(engine, "connect", _tune_sqlite)
        return engine
    return create_engine(
        url, pool_size=10, max_overflow=20, pool_pre_ping=True, json_serializer=_json
    )


T = TypeVar("T")


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
        # SQLite: since writers take turns anyway, Core transactions reuse one kept
        # connection (no pool check-out and reset per transaction on the hot paths).
        self._keep_writer = url.startswith("sqlite") and not isinstance(
            self.engine.pool, StaticPool
        )
        self._writer: Connection | None = None
        self._writer_busy = False
        # What this process keeps in memory for this database (token cache, selectivity,
        # tariff books): kept here rather than in module-level maps so that it lives exactly
        # as long as the database object (a map keyed by the database whose values point back
        # at it would keep both, and their connection pools, for ever).
        self._kept: dict[str, Any] = {}
        self._kept_lock = threading.Lock()

    def kept(self, key: str, make: Callable[[], T]) -> T:
        """What this process keeps for this database under `key`, made by `make` at first."""
        with self._kept_lock:
            if key not in self._kept:
                self._kept[key] = make()
            return cast(T, self._kept[key])

    def keep(self, key: str, value: T) -> T:
        """Keep `value` under `key` in place of what was kept (the node wires its own)."""
        with self._kept_lock:
            self._kept[key] = value
        return value

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """A session in one transaction, committed at the end (rolled back on any exception).

        On SQLite it holds the process's turn at the database for its whole length. A lock of
        the process's own (a cache's) is therefore taken after the turn, never held while
        waiting for it: `with database.unit_of_work() as session, self._lock:`. The other
        order deadlocks with a thread inside a unit of work that asks the cache."""
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
        with self._turn:
            if not self._keep_writer or self._writer_busy:  # nested: a connection of its own
                with self.engine.begin() as connection:
                    yield connection
                return
            if self._writer is None or self._writer.closed:
                self._writer = self.engine.connect()
            writer = self._writer
            self._writer_busy = True
            try:
                with writer.begin():
                    yield writer
            finally:
                self._writer_busy = False

    def session(self) -> Session:
        return self._sessions()

    def watch(self) -> ChangeWatch:
        """A connection of its own for a poller, which tells whether anything may have
        been committed since its last look (see `ChangeWatch`)."""
        return ChangeWatch(self)

    def dispose(self) -> None:
        with self._turn:
            if self._writer is not None:
                self._writer.close()
                self._writer = None
        self.engine.dispose()


class ChangeWatch:
    """A poller's own connection, and whether another connection may have committed since
    its last look.

    SQLite: `PRAGMA data_version` on this connection changes whenever another connection,
    in this process or another, commits to the file; reading it costs microseconds, so an
    idle poller skips its queries while nothing changes. PostgreSQL and in-memory SQLite
    (whose connections are all one) cannot tell: every look answers "maybe".

    The connection is in autocommit (one statement is one round trip, no transaction held
    open between looks), and `read()` runs a `Prepared` statement: with the caches cold
    after a sleep, SQLAlchemy's work per execution costs a poller more than the query.
    """

    def __init__(self, database: Database) -> None:
        self.database = database
        self._connection: Connection | None = None
        self._version: int | None = None
        self._versioned = database.url.startswith("sqlite") and not isinstance(
            database.engine.pool, StaticPool
        )

    @property
    def connection(self) -> Connection:
        if self._connection is None:
            self._connection = self.database.engine.connect().execution_options(
                isolation_level="AUTOCOMMIT"
            )
        return self._connection

    def changed(self) -> bool:
        """Whether another connection may have committed since the last call (the first
        call: yes). Call it before reading, so that a commit made meanwhile shows next time."""
        if not self._versioned:
            return True
        try:
            cursor = driver_connection(self.connection).execute("PRAGMA data_version")
            version = int(cursor.fetchone()[0])
        except BaseException:
            self.forget()
            raise
        changed, self._version = version != self._version, version
        return changed

    def read(self, statement: Prepared) -> Sequence[Any] | None:
        """The first row of a prepared select (None if none)."""
        try:
            rows = statement.rows(self.connection, {})
        except BaseException:
            self.forget()
            raise
        return rows[0] if rows else None

    def forget(self) -> None:
        """Make the next `changed()` say yes, and start again on a new connection (after
        a failed read: the connection may be broken, and what was missed is unknown)."""
        self._version = None
        self.close()

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            finally:
                self._connection = None


def driver_connection(connection: Connection) -> Any:
    """The DBAPI connection under a SQLAlchemy connection (in its transaction, if any)."""
    return connection.connection.dbapi_connection


# What a prepared statement may be: a SELECT, or an INSERT, UPDATE or DELETE.
Statement = Select[Any] | UpdateBase


class Prepared:
    """A Core statement compiled once per dialect and run through the driver directly.

    For hot paths that run the same statement all the time: there, SQLAlchemy's work per
    execution (cache look-up, execution context, result set-up) costs more than the
    database's. What reaches the database is what SQLAlchemy would send: the same SQL, the
    parameters through their types' bind processors (SQLite: datetimes as text), literal
    values as compiled, and the rows through the result processors; the driver's errors are
    raised as SQLAlchemy's (`IntegrityError`, …). It runs on a `Connection`, in its
    transaction. Not for statements with expanding (IN) parameters or column defaults to
    fill in: give every value.
    """

    def __init__(self, statement: Statement, keys: Sequence[str] | None = None) -> None:
        """`keys`: an INSERT's columns (all given on every execution)."""
        self.statement = statement
        self.keys = list(keys) if keys is not None else None
        self._plans: dict[str, _Plan] = {}

    def _plan(self, connection: Connection) -> _Plan:
        dialect = connection.dialect
        plan = self._plans.get(dialect.name)
        if plan is None:
            plan = self._plans[dialect.name] = _Plan(self.statement, dialect, self.keys)
        return plan

    def execute(self, connection: Connection, parameters: Mapping[str, Any]) -> int:
        """Run it once; the number of rows it changed."""
        plan = self._plan(connection)
        values = plan.bind(parameters)
        with _driver_errors(connection, plan, values) as cursor:
            cursor.execute(plan.sql, values)
            return int(cursor.rowcount)

    def executemany(
        self, connection: Connection, parameters: Sequence[Mapping[str, Any]]
    ) -> int:
        """Run it for each set of parameters; the number of rows changed in all."""
        plan = self._plan(connection)
        values = [plan.bind(each) for each in parameters]
        with _driver_errors(connection, plan, values) as cursor:
            cursor.executemany(plan.sql, values)
            return int(cursor.rowcount)

    def rows(self, connection: Connection, parameters: Mapping[str, Any]) -> list[list[Any]]:
        """Run it once and fetch what it returns (a select, or RETURNING)."""
        plan = self._plan(connection)
        values = plan.bind(parameters)
        with _driver_errors(connection, plan, values) as cursor:
            cursor.execute(plan.sql, values)
            fetched = cursor.fetchall()
        convert = plan.results
        return [
            [
                value if processor is None or value is None else processor(value)
                for processor, value in zip(convert, row, strict=True)
            ]
            for row in fetched
        ]


class _Plan:
    """A statement compiled for one dialect, with its parameters' and columns' processors."""

    def __init__(
        self, statement: Statement, dialect: Dialect, keys: list[str] | None
    ) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=keys)
        assert isinstance(compiled, SQLCompiler)
        if compiled.literal_execute_params or compiled.post_compile_params:
            raise ValueError("a prepared statement takes no IN lists (expanding parameters)")
        self.sql = compiled.string
        self.positions = compiled.positiontup  # None: the driver takes named parameters
        # What each bound name of the SQL takes: the caller's value of its key, processed
        # by its type; failing that, for a literal of the statement, its value (processed
        # once, here). An INSERT's columns are all required: no defaults are filled in.
        self.slots: list[tuple[str, str, Callable[[Any], Any] | None]] = []
        self.literals: dict[str, Any] = {}
        for bind, name in compiled.bind_names.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            self.slots.append((name, bind.key, processor))
            if not bind.required and (keys is None or bind.key not in keys):
                value = bind.effective_value
                self.literals[name] = (
                    processor(value) if processor is not None and value is not None else value
                )
        columns = getattr(statement, "exported_columns", ())
        self.results: list[Callable[[Any], Any] | None] = [
            _result_processor(column.type, dialect) for column in columns
        ]

    def bind(self, parameters: Mapping[str, Any]) -> Any:
        values = dict(self.literals)
        for name, key, processor in self.slots:
            if key in parameters:
                value = parameters[key]
                values[name] = (
                    processor(value) if processor is not None and value is not None else value
                )
            elif name not in values:
                raise KeyError(f"no value for the parameter {key!r}")
        if self.positions is None:
            return values
        return [values[name] for name in self.positions]


def _result_processor(type_: Any, dialect: Dialect) -> Callable[[Any], Any] | None:
    impl = type_.dialect_impl(dialect)
    if dialect.name == "postgresql" and isinstance(impl, Numeric):
        # psycopg's Numeric picks its processor by the column's type code, which only a run
        # cursor knows; the driver gives numeric columns as Decimal already.
        return None if impl.asdecimal else float
    return cast(Callable[[Any], Any] | None, impl.result_processor(dialect, None))


@contextmanager
def _driver_errors(connection: Connection, plan: _Plan, values: Any) -> Iterator[Any]:
    """A driver cursor on the connection; the driver's errors raised as SQLAlchemy's (a
    lost connection is invalidated, as SQLAlchemy would)."""
    dialect = connection.dialect
    cursor = driver_connection(connection).cursor()
    try:
        yield cursor
    except dialect.loaded_dbapi.Error as error:
        lost = dialect.is_disconnect(error, driver_connection(connection), cursor)
        if lost:
            connection.invalidate(error)
        raise DBAPIError.instance(
            plan.sql, values, error, dialect.loaded_dbapi.Error,
            connection_invalidated=lost, dialect=dialect,
        ) from error
    finally:
        cursor.close()  # SQLite: ends the statement, so no read snapshot stays open
