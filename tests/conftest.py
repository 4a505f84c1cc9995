"""Shared fixtures: a real database for every test, SQLite always and PostgreSQL when
SINGLEWINDOW_TEST_DATABASE_URL points at one (CI sets it)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from singlewindow.core.db import Database
from singlewindow.core.migrate import metadata, upgrade

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
