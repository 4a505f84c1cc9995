"""Wiring done once at start-up: settings → database (migrated) → what the delivery layers use."""

from __future__ import annotations

from singlewindow.core.config import Settings
from singlewindow.core.db import Database
from singlewindow.core.migrate import upgrade


def open_database(settings: Settings) -> Database:
    """The node's database, migrated to the latest schema."""
    database = Database(settings.database_url)
    upgrade(database)
    return database
