"""Schema management: Alembic migrations create and upgrade every table of a node."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from singlewindow.core.db import Database

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(database: Database) -> None:
    """Bring the node's database to the latest schema (idempotent)."""
    config = alembic_config(database.url)
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        # Each room owns a branch of migrations (its own label), so upgrade every head.
        command.upgrade(config, "heads")
