"""Alembic migrations build exactly the schema the rooms map, on both engines."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from singlewindow.core.migrate import metadata


def test_migrations_match_the_models(database):
    with database.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata())
    assert differences == []


def test_upgrading_twice_changes_nothing(database):
    from singlewindow.core.migrate import upgrade

    upgrade(database)
    with database.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), metadata()) == []
