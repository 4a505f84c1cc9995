"""The ASGI application a node process serves, built from the environment at start-up."""

from __future__ import annotations

import gc
import os

from fastapi import FastAPI

from singlewindow.api.app import create_app
from singlewindow.core.config import Settings
from singlewindow.node import Node


def node_app() -> FastAPI:
    """Uvicorn factory: `uvicorn --factory singlewindow.api.server:node_app`."""
    settings = Settings.from_env()
    node = Node.open(settings, with_sample=os.environ.get("SINGLEWINDOW_SAMPLE") == "1")
    app = create_app(node)
    # Everything built so far (tariff book, nomenclature, models, libraries) lives as long as
    # the process: keep it out of the collector's scans, which otherwise cost latency spikes.
    gc.freeze()
    return app
