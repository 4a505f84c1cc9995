"""Every room's tables, imported so that `Base.metadata` (and so Alembic) sees the whole node."""

from __future__ import annotations

import importlib

from singlewindow.core.db import Base

# Each room maps its tables in its own repository module.
ROOMS_WITH_TABLES = (
    "singlewindow.access.repository",
    "singlewindow.tariff.repository",
    "singlewindow.declarations.repository",
    "singlewindow.risk.repository",
    "singlewindow.risk.learning.repository",
    "singlewindow.exchange.repository",
    "singlewindow.origin.repository",
    "singlewindow.reference.repository",
)


def load_all_tables() -> None:
    for module in ROOMS_WITH_TABLES:
        importlib.import_module(module)


def metadata():  # type: ignore[no-untyped-def]
    load_all_tables()
    return Base.metadata
