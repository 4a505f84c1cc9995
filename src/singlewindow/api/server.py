"""The ASGI application a node process serves, built from the environment at start-up."""

from __future__ import annotations

import os

from fastapi import FastAPI

from singlewindow import sample
from singlewindow.api.app import create_app
from singlewindow.bootstrap import open_database
from singlewindow.core.config import Settings
from singlewindow.tariff.services import ensure_sample_schedule


def node_app() -> FastAPI:
    """Uvicorn factory: `uvicorn --factory singlewindow.api.server:node_app`."""
    settings = Settings.from_env()
    database = open_database(settings)
    if os.environ.get("SINGLEWINDOW_SAMPLE") == "1":
        sample.load(database, settings.country, settings.home)
    else:
        ensure_sample_schedule(database, settings.country)
    return create_app(settings, database)
