"""The ASGI application a node process serves, built from its settings at start-up."""

from __future__ import annotations

import gc
import socket

from starlette.types import ASGIApp

from singlewindow.api.app import create_app
from singlewindow.core.config import Settings
from singlewindow.exchange.endpoint import with_as4_endpoint
from singlewindow.node import Node


def node_app() -> ASGIApp:
    """Uvicorn factory: `uvicorn --factory singlewindow.api.server:node_app`, on the settings
    of the process's environment (`Settings.from_env`, read here, once)."""
    return serve_node(Settings.from_env())


def serve_node(settings: Settings) -> ASGIApp:
    """The ASGI application of the node `settings` describe. In a network (the node has a
    gateway), `POST /as4` is answered in front of the FastAPI app."""
    node = Node.open(settings, with_sample=settings.sample)
    api = create_app(node)
    app: ASGIApp = with_as4_endpoint(api) if node.gateway is not None else api
    # Everything built so far (tariff book, nomenclature, models, libraries) lives as long as
    # the process: keep it out of the collector's scans, which otherwise cost latency spikes.
    gc.freeze()
    return app


def port_is_free(host: str, port: int) -> bool:
    """Whether a server could listen on `host:port` now: `serve` checks before it says it
    serves (uvicorn would print its failure after). As uvicorn binds: the first address
    `host` resolves to, with SO_REUSEADDR (a port in TIME_WAIT is free). False too when `host`
    is no address of this machine. Another process may still take the port in between."""
    try:
        family, kind, protocol, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        with socket.socket(family, kind, protocol) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError:  # in use, not ours, or not resolvable (socket.gaierror)
        return False
    return True
