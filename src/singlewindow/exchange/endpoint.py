"""`POST /as4`, the access point's receive endpoint: a raw ASGI app in front of the node's.

Not token-authenticated, since the message signature is the authentication: `Gateway.receive`
checks it. See `AS4Endpoint` for why it is not a FastAPI route.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, ThreadPoolExecutor

from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

from singlewindow.exchange.receiving import MAXIMUM_PAYLOAD
from singlewindow.exchange.services import Gateway, ReceiveResult

log = logging.getLogger("singlewindow.exchange")

# The largest body accepted: the largest payload, and room for the MIME parts around it.
MAXIMUM_BODY = MAXIMUM_PAYLOAD + 1024 * 1024

# Requests from one source address read or waiting for the receive thread at once: a
# partner's delivery workers post at most 8 each (`DeliveryWorker.concurrency`), a node
# runs a few. Beyond it an address is answered 503 at once, so a flood from one address
# cannot queue up the one receive thread for everyone else.
MAXIMUM_IN_FLIGHT = 32

# A synchronous body handler: (body, headers with lower-case names) -> the answer.
Handler = Callable[[bytes, dict[str, str]], ReceiveResult]

_TEXT = (b"content-type", b"text/plain; charset=utf-8")


class AS4Endpoint:
    """ASGI app in front of the node's FastAPI app: answers `POST /as4` itself, passes
    every other request (other paths and methods, lifespan, websockets) on unchanged.

    Why: `/as4` needs none of FastAPI's machinery (the signed message is the only thing to
    check, and `Gateway.receive` checks it). As a FastAPI route it paid for dependency and
    response-model work; as a plain Starlette route still for the middleware stack and the
    router, ~10-15 % of the receiving node's CPU. The gateway is looked up per request in
    `app.state.exchange`: without one, `/as4` is left to the app (404: no exchange router).
    `handlers` serve more paths the same way (the test node's baseline).

    The work runs on `threads` threads of the endpoint's own (one by default): it is CPU
    under one GIL, and each more thread only adds contention for it (measured: with the
    event loop's default pool of six, a received message cost the node ~20 % more CPU).
    """

    def __init__(
        self,
        app: Starlette,
        path: str = "/as4",
        handlers: Mapping[str, Handler] | None = None,
        threads: int = 1,
    ) -> None:
        self.app = app
        self.path = path
        self.handlers = dict(handlers or {})
        self.pool = ThreadPoolExecutor(threads, thread_name_prefix="as4-receive")
        # Requests in flight per source address; touched only on the event loop.
        self.in_flight: dict[str, int] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            handler: Handler | None
            if path == self.path:
                gateway: Gateway | None = getattr(self.app.state, "exchange", None)
                handler = gateway.receive if gateway is not None else None
            else:
                handler = self.handlers.get(path)
            if handler is not None:
                await self._serve_within_limit(handler, scope, receive, send)
                return
        await self.app(scope, receive, send)


    async def _serve_within_limit(
        self, handler: Handler, scope: Scope, receive: Receive, send: Send
    ) -> None:
        client = scope.get("client")
        address = client[0] if client else ""
        if self.in_flight.get(address, 0) >= MAXIMUM_IN_FLIGHT:
            log.warning("%s has %d requests in flight: answered 503", address, MAXIMUM_IN_FLIGHT)
            await _answer(send, 503, [_TEXT, (b"retry-after", b"1"), (b"connection", b"close")],
                          b"Too many requests in flight from this address")
            return
        self.in_flight[address] = self.in_flight.get(address, 0) + 1
        try:
            await _serve(handler, self.pool, scope, receive, send)
        finally:
            left = self.in_flight[address] - 1
            if left:
                self.in_flight[address] = left
            else:
                del self.in_flight[address]


def with_as4_endpoint(
    app: Starlette, path: str = "/as4", handlers: Mapping[str, Handler] | None = None
) -> AS4Endpoint:
    """`app` with `POST /as4` answered in front of it (see `AS4Endpoint`)."""
    return AS4Endpoint(app, path, handlers)


async def _serve(
    handler: Handler, pool: Executor, scope: Scope, receive: Receive, send: Send
) -> None:
    """One POST: read the body (at most `MAXIMUM_BODY`), run `handler` on the
    endpoint's thread (a plain future: cheaper than anyio's `run_in_threadpool`), answer."""
    if scope["method"] != "POST":
        await _answer(send, 405, [(b"allow", b"POST"), _TEXT], b"Method Not Allowed")
        return
    headers: dict[str, str] = {}
    for name, value in scope["headers"]:  # names are lower-case in ASGI
        # The first of repeated headers wins, as in `dict(request.headers)` (Starlette).
        headers.setdefault(name.decode("latin-1"), value.decode("latin-1"))
    declared = headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > MAXIMUM_BODY:
        await _too_large(send)
        return
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return  # the client is gone: nobody to answer
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > MAXIMUM_BODY:
            await _too_large(send)
            return
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    try:
        result = await asyncio.get_running_loop().run_in_executor(pool, handler, body, headers)
        start = {
            "type": "http.response.start",
            "status": result.status,
            "headers": [
                (name.lower().encode("latin-1"), value.encode("latin-1"))
                for name, value in result.headers.items()
                if name.lower() != "content-length"
            ] + [(b"content-length", str(len(result.body)).encode())],
        }
    except Exception:
        log.exception("%s %s failed", scope["method"], scope["path"])
        await _answer(send, 500, [_TEXT], b"Internal Server Error")
        return
    await send(start)
    await send({"type": "http.response.body", "body": result.body})


async def _too_large(send: Send) -> None:
    # Close the connection: the rest of the body is not read, the server would skip it.
    body = b"Request body larger than %d bytes" % MAXIMUM_BODY
    await _answer(send, 413, [_TEXT, (b"connection", b"close")], body)


async def _answer(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [*headers, (b"content-length", str(len(body)).encode())],
    })
    await send({"type": "http.response.body", "body": body})
