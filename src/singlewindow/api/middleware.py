"""Raw ASGI middleware around the node's JSON API, inside Starlette's ServerErrorMiddleware:

    ServerErrorMiddleware (Starlette's, last resort)
    └── ServerErrorProblem   an exception nothing handled: logged, problem+json 500
        └── BodyLimit        a body over the route's limit: 413 problem+json
            └── FastAPI's exception handlers and router

Raw ASGI rather than Starlette's `BaseHTTPMiddleware`, which costs a task and a memory
stream per request: lodgement is measured at 300+ per second over HTTP. `POST /as4` never
gets here: `exchange.endpoint.AS4Endpoint` answers it in front of the app, with its own limit.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

MAXIMUM_BODY = 1024 * 1024
"""Bytes a request body may have unless its route is given more (`BodyLimit(larger=...)`):
a declaration of a thousand goods items is well under it."""

PROBLEM = b"application/problem+json"


def _bytes(size: int) -> str:
    if size >= 1024 * 1024 and size % (1024 * 1024) == 0:
        return f"{size} bytes ({size // (1024 * 1024)} MiB)"
    if size >= 1024 and size % 1024 == 0:
        return f"{size} bytes ({size // 1024} KiB)"
    return f"{size} bytes"


def too_large_problem(limit: int) -> dict[str, object]:
    """The problem+json body of a 413: it says the limit, so a client can split its upload."""
    message = f"the request body is larger than the limit of {_bytes(limit)}"
    return {
        "type": "about:blank",
        "title": "Body too large",
        "status": 413,
        "detail": message,
        "limit": limit,
        "errors": [{"path": "", "message": message}],
    }


class BodyTooLarge(HTTPException):
    """A body with no Content-Length (chunked) grew past `limit` while the app read it.

    Raised from `receive`; an `HTTPException` because FastAPI re-raises those from its body
    parsing (anything else there becomes a 400 "error parsing the body"), so the app's handler
    answers it; `BodyLimit` answers it itself if it reaches that far unanswered."""

    def __init__(self, limit: int) -> None:
        # Close the connection: the rest of the body is not read.
        super().__init__(413, str(too_large_problem(limit)["detail"]), {"connection": "close"})
        self.limit = limit


async def _answer(send: Send, status: int, body: dict[str, object], close: bool) -> None:
    content = json.dumps(body).encode()
    headers = [(b"content-type", PROBLEM), (b"content-length", str(len(content)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": content})


class _ResponseWatch:
    """A `send` that remembers whether the response has started: once it has, an error can
    only be re-raised, not answered."""

    def __init__(self, send: Send) -> None:
        self.send = send
        self.started = False

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
        await self.send(message)


class BodyLimit:
    """Refuses a request body over its route's limit with 413 problem+json saying the limit.

    A declared Content-Length over the limit is refused before the app runs and before any
    of the body is read; within it, the server reads no more than declared, so the body is
    passed on uncounted (the common case costs one scan of the headers). A body without a
    Content-Length is counted as the app reads it and refused once past the limit.

    `larger` gives path prefixes a larger limit (the longest matching prefix wins), e.g.
    `{"/tariff/schedules/": 32 * 1024 * 1024}` for a national tariff schedule as CSV; a `*`
    in a prefix stands for one path segment (`/declarations/*/attachments`).
    """

    def __init__(
        self, app: ASGIApp, maximum: int = MAXIMUM_BODY, larger: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.maximum = maximum
        self.larger = [
            (re.compile("/".join(re.escape(part) if part != "*" else "[^/]+"
                                 for part in prefix.split("/"))), limit)
            for prefix, limit in sorted((larger or {}).items(), key=lambda e: -len(e[0]))
        ]

    def limit(self, path: str) -> int:
        for prefix, limit in self.larger:
            if prefix.match(path):
                return limit
        return self.maximum

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit(scope["path"]) if self.larger else self.maximum
        declared: int | None = None
        chunked = False
        for name, value in scope["headers"]:  # names are lower-case in ASGI
            if name == b"content-length" and value.isdigit():
                declared = int(value)
            elif name == b"transfer-encoding":
                chunked = True  # it wins over a Content-Length (RFC 9112, 6.3)
        if declared is not None and declared > limit:
            await _answer(send, 413, too_large_problem(limit), close=True)
            return
        if declared is not None and not chunked:
            await self.app(scope, receive, send)
            return
        await self._counted(limit, scope, receive, send)

    async def _counted(self, limit: int, scope: Scope, receive: Receive, send: Send) -> None:
        received = 0
        watching = _ResponseWatch(send)

        async def counting() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        try:
            await self.app(scope, counting, watching)
        except BodyTooLarge:
            if watching.started:
                raise
            await _answer(send, 413, too_large_problem(limit), close=True)


class ServerErrorProblem:
    """An exception no handler took: logged with its traceback, answered as a problem+json 500
    that says nothing of it (no traceback, no message: they can name tables and data).

    Inside Starlette's ServerErrorMiddleware, so the exception ends here: logged once, not
    again by the server. Once a response has started it can only be re-raised (the server
    then drops the connection)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        watching = _ResponseWatch(send)
        try:
            await self.app(scope, receive, watching)
        except Exception:
            if watching.started:
                raise
            log.exception("%s %s failed", scope["method"], scope["path"])
            await _answer(send, 500, _SERVER_ERROR, close=False)


_SERVER_ERROR: dict[str, object] = {
    "type": "about:blank",
    "title": "Internal error",
    "status": 500,
    "detail": "the node failed to handle this request; the failure is logged for its operators",
}
