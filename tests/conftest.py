"""Shared fixtures: a real database for every test, SQLite always and PostgreSQL when
SINGLEWINDOW_TEST_DATABASE_URL points at one (CI sets it)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from singlewindow.core.db import Database
from singlewindow.core.migrate import metadata, upgrade
from singlewindow.devnet.network import NodeProcess
from tests.nodes import NodeClient, open_node, worker_processes

POSTGRES_URL = os.environ.get("SINGLEWINDOW_TEST_DATABASE_URL")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for the whole run, migrated to head, dropped at the end."""
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL tests skipped: SINGLEWINDOW_TEST_DATABASE_URL is not set")
    server = make_url(POSTGRES_URL)
    name = f"singlewindow_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    database = Database(url)
    upgrade(database)
    database.dispose()
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _empty_postgres(database: Database) -> None:
    tables = ", ".join(f'"{t.name}"' for t in metadata().sorted_tables)
    with database.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path) -> Iterator[Database]:  # type: ignore[no-untyped-def]
    """A migrated, empty node database on each engine."""
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path}/node.db")
        upgrade(database)
    else:
        database = Database(request.getfixturevalue("postgres_url"))
        _empty_postgres(database)
    yield database
    database.dispose()


@pytest.fixture
def sqlite_database(tmp_path) -> Iterator[Database]:  # type: ignore[no-untyped-def]
    """SQLite only, for tests whose subject is not the engine."""
    database = Database(f"sqlite:///{tmp_path}/node.db")
    upgrade(database)
    yield database
    database.dispose()


@pytest.fixture
def node(database: Database, tmp_path: Path) -> Iterator[NodeClient]:
    """A Viet Nam node's API over a real database, with its sample users and rules; its
    connections are closed after the test."""
    opened = open_node(database, tmp_path)
    yield opened
    opened.opened.database.dispose()


# A Wednesday noon: a fixed "now" for tests whose data is laid out relative to it.
FROZEN_NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """The usual umask, which leaves new files readable by everyone unless the node says no."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.fixture
def two_workers(database: Database, tmp_path: Path) -> Iterator[tuple[NodeProcess, NodeProcess]]:
    """Two real node processes serving `database` (what each keeps in memory must follow a
    change made through the other)."""
    with worker_processes(database, tmp_path) as (one, two):
        yield one, two


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> datetime:
    """Stop the product's clock at `FROZEN_NOW`: every loaded module of ours that took
    `core.clock.utcnow` or `today` by name gets the frozen one. A history laid out relative to
    "now" then holds the same days, weekdays and held-out windows at whatever hour the suite
    runs (the learning tests' channel shares depended on it)."""
    import sys

    from singlewindow.core import clock

    real_utcnow, real_today = clock.utcnow, clock.today

    def utcnow() -> datetime:
        return FROZEN_NOW

    def today() -> date:
        return FROZEN_NOW.date()

    ours = (str(Path(clock.__file__).parents[1]), str(Path(__file__).parent))
    for module in list(sys.modules.values()):
        if not str(getattr(module, "__file__", None) or "").startswith(ours):
            continue
        if getattr(module, "utcnow", None) is real_utcnow:
            monkeypatch.setattr(module, "utcnow", utcnow)
        if getattr(module, "today", None) is real_today:
            monkeypatch.setattr(module, "today", today)
    return FROZEN_NOW
