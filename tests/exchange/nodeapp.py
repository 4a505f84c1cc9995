"""A minimal node for end-to-end tests and the benchmark: the AS4 endpoint, the exchange
router and workers.

    SW_NODE_DIR=… SW_TRUST_LIST=… SW_PMODE=… SW_DATABASE_URL=… \
        python -m uvicorn --app-dir tests/exchange --factory nodeapp:create_app --port 8001
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path

import urllib3
from fastapi import FastAPI
from sqlalchemy.orm import Session

from singlewindow.core.db import Database
from singlewindow.core.migrate import upgrade
from singlewindow.exchange import Gateway, api, endpoint
from singlewindow.exchange.model import UserMessage
from singlewindow.exchange.pki import NodeIdentity, TrustList
from singlewindow.exchange.pmode import ProcessingModes
from singlewindow.exchange.services import ReceiveResult, names_no_issuer


def accept(session: Session, message: UserMessage) -> None:
    """The business side of the test node: nothing to do beyond being called once."""


def echo(body: bytes, headers: dict[str, str]) -> ReceiveResult:
    """The benchmark's baseline, `POST /bench/echo`: what `/as4` costs without the AS4 work
    (served the same way: the body read, a thread hop, an answer)."""
    return ReceiveResult(200, body[:2048], {"content-type": "application/octet-stream"}, True)


def create_app() -> endpoint.AS4Endpoint:
    database = Database(os.environ["SW_DATABASE_URL"])
    upgrade(database)
    pmode = ProcessingModes.load(Path(os.environ["SW_PMODE"]))
    gateway = Gateway(
        database,
        NodeIdentity.load(Path(os.environ["SW_NODE_DIR"])),
        TrustList.load(Path(os.environ["SW_TRUST_LIST"])),
        pmode,
    )
    for partner in pmode.partners.values():
        for leg in partner.receive:
            gateway.register_handler(leg.service, leg.action, accept, issuer=names_no_issuer)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Everything loaded at start-up lives as long as the process: keep it out of the
        # cyclic garbage collector's full passes (they otherwise cost ~1 ms per message).
        gc.collect()
        gc.freeze()
        gateway.start_workers()
        yield
        gateway.stop_workers()

    app = FastAPI(lifespan=lifespan)
    app.state.database = database
    app.state.exchange = gateway
    app.include_router(api.router)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"party_id": gateway.identity.party_id}

    @app.post("/bench/ping")
    def ping(url: str, count: int = 1000, size: int = 5000, concurrency: int = 8) -> dict:
        """POST `count` bodies of `size` bytes to `url` the way the delivery worker posts."""
        body = b"x" * size
        http = urllib3.PoolManager(maxsize=concurrency, retries=False, timeout=30.0)
        with ThreadPoolExecutor(concurrency) as pool:
            http.request("POST", url, body=body)  # connect
            start = time.perf_counter()
            statuses = list(pool.map(
                lambda _: http.request("POST", url, body=body, redirect=False).status,
                range(count),
            ))
            seconds = time.perf_counter() - start
        http.clear()
        return {"count": count, "seconds": seconds, "ok": statuses.count(200)}

    return endpoint.AS4Endpoint(app, handlers={"/bench/echo": echo})
