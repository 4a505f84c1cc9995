"""Where things are on a node, the same on every node: clients (the command line, the
demonstration traffic, partners' tooling) build their URLs from these.

    /api/v1/...          the JSON API (its schema at /api/v1/openapi.json)
    /api/docs            its interactive documentation, served from the package
    /as4                 the AS4 endpoint partners' gateways post to
    /                    the web console: /login, /, /declarations, /worklist, /dashboard,
                         /network, ... (web/ and each room's pages.py); /static its files
"""

from __future__ import annotations

API = "/api/v1"
API_DOCS = "/api/docs"
OPENAPI = f"{API}/openapi.json"
AS4 = "/as4"


def api_url(node_url: str) -> str:
    """The base URL of a node's JSON API, from the node's own (`http://host:port`)."""
    return node_url.rstrip("/") + API
