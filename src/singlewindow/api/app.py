"""The node's HTTP API: every room's router, and one mapping of errors to problem+json."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.telemetry import TelemetryConfig
from starlette.exceptions import HTTPException as StarletteHTTPException

from singlewindow import __version__
from singlewindow.access.api import router as access_router
from singlewindow.core.errors import SingleWindowError
from singlewindow.declarations.api import guarantees as guarantees_router
from singlewindow.declarations.api import pre_arrival as pre_arrival_router
from singlewindow.declarations.api import router as declarations_router
from singlewindow.exchange.api import router as exchange_router
from singlewindow.node import Node
from singlewindow.origin.api import router as origin_router
from singlewindow.risk.api import router as risk_router
from singlewindow.tariff.api import router as tariff_router

PROBLEM = "application/problem+json"


def problem(
    status: int,
    title: str,
    detail: str,
    errors: list[dict[str, str]] | None = None,
) -> JSONResponse:
    body: dict[str, object] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def _path(location: tuple[object, ...] | list[object]) -> str:
    parts = [str(p) for p in location]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    return ".".join(parts)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SingleWindowError)
    async def domain_error(_: Request, exc: SingleWindowError) -> JSONResponse:
        problems = getattr(exc, "problems", None)
        return problem(
            exc.status,
            exc.title,
            exc.detail,
            [p.as_dict() for p in problems] if problems is not None else None,
        )

    @app.exception_handler(RequestValidationError)
    async def malformed(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"path": _path(e["loc"]), "message": e["msg"]} for e in exc.errors()]
        detail = "; ".join(f"{e['path']}: {e['message']}" for e in errors)
        return problem(422, "Invalid input", detail, errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = str(exc.detail)
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no route {request.method} {request.url.path}"
        elif exc.status_code == 405:
            detail = f"{request.method} is not allowed on {request.url.path}"
        return problem(exc.status_code, "HTTP error", detail)


def _telemetry() -> TelemetryConfig:
    wanted = os.environ.get("SINGLEWINDOW_TELEMETRY", "") == "1"
    return {"tracing": wanted, "metrics": wanted, "logs": wanted}


def create_app(node: Node) -> FastAPI:
    """The API of one national node; in a network, it also runs the exchange workers for as
    long as it serves. The AS4 endpoint (`POST /as4`) is served in front of this app:
    `exchange.api.with_as4_endpoint`, as `server.node_app` does."""
    settings = node.settings

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        node.start()
        try:
            yield
        finally:
            node.stop()

    app = FastAPI(
        title=f"Single Window node {settings.country}",
        version=__version__,
        description="National customs single window: declarations, tariff, selectivity.",
        lifespan=lifespan,
        # OpenTelemetry costs a provider look-up on every request; operators who collect
        # traces and metrics switch it on (FASTAPI_OTEL_AUTO_CONFIGURE / an exporter).
        telemetry=_telemetry(),
    )
    app.state.node = node
    app.state.settings = settings
    app.state.database = node.database
    app.state.clearance = node.clearance
    app.state.exchange = node.gateway
    install_error_handlers(app)
    routers = [
        access_router,
        declarations_router,
        guarantees_router,
        pre_arrival_router,
        risk_router,
        tariff_router,
    ]
    if node.gateway is not None:
        routers += [exchange_router, origin_router]
    for router in routers:
        app.include_router(router)

    @app.get("/health", tags=["node"])
    def health() -> dict[str, str]:
        return {"status": "ok", "country": settings.country, "version": __version__}

    return app
