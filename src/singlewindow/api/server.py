"""The ASGI application a node process serves, built from the environment at start-up."""

from __future__ import annotations

import gc
import os

from starlette.types import ASGIApp

from singlewindow.api.app import create_app
from singlewindow.core.config import Settings
from singlewindow.exchange.api import with_as4_endpoint
from singlewindow.node import Node


def node_app() -> ASGIApp:
    """Uvicorn factory: `uvicorn --factory singlewindow.api.server:node_app`. In a network
    (the node has a gateway), `POST /as4` is answered in front of the FastAPI app."""
    settings = Settings.from_env()
    node = Node.open(settings, with_sample=os.environ.get("SINGLEWINDOW_SAMPLE") == "1")
    api = create_app(node)
    app: ASGIApp = with_as4_endpoint(api) if node.gateway is not None else api
    # Everything built so far (tariff book, nomenclature, models, libraries) lives as long as
    # the process: keep it out of the collector's scans, which otherwise cost latency spikes.
    gc.freeze()
    return app
