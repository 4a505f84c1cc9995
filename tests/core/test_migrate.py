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


def test_the_goods_of_declarations_already_lodged_are_filled_in_by_the_migration(node):
    """declarations_0005 backfills the goods table from the stored declarations (downgraded
    past it and upgraded again on a node that holds one)."""
    from alembic import command
    from sqlalchemy import select

    from singlewindow.core.migrate import alembic_config, upgrade
    from singlewindow.declarations.repository import DeclarationGoodsRow
    from tests.builders import TRADER, import_declaration

    lodged = node.opened.clearance.lodge(import_declaration("MIGRATED-1"), TRADER)
    database = node.opened.database
    config = alembic_config(database.url)
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "declarations_0004")
    upgrade(database)
    with database.unit_of_work() as session:
        goods = session.scalars(select(DeclarationGoodsRow)).all()
    assert [(g.sequence, g.commodity_code) for g in goods] == [
        (item.sequence, item.commodity_code) for item in lodged.declaration.items]
    assert all(g.customs_value > 0 and g.office == "VNHCM01" for g in goods)
