"""Schema management: Alembic migrations create and upgrade every table of a node, whose
tables every room maps in its own repository module."""

from __future__ import annotations

import importlib
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData

from singlewindow.core.db import Base, Database

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"

# Each room maps its tables in its own repository module; named here, not imported, so that
# core depends on no room: `metadata()` loads them when Alembic (or a test) needs them all.
ROOMS_WITH_TABLES = (
    "singlewindow.access.repository",
    "singlewindow.tariff.repository",
    "singlewindow.declarations.repository",
    "singlewindow.risk.repository",
    "singlewindow.risk.learning.repository",
    "singlewindow.exchange.repository",
    "singlewindow.origin.repository",
    "singlewindow.reference.repository",
    "singlewindow.jobs.repository",
    "singlewindow.transit.repository",
    "singlewindow.aeo.repository",
    "singlewindow.classification.repository",
    "singlewindow.green.repository",
    "singlewindow.enforcement.repository",
    "singlewindow.transhipment.repository",
    "singlewindow.ecommerce.repository",
)


def load_all_tables() -> None:
    for module in ROOMS_WITH_TABLES:
        importlib.import_module(module)


def metadata() -> MetaData:
    """Every room's tables, so that `Base.metadata` (and so Alembic) sees the whole node."""
    load_all_tables()
    return Base.metadata


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
