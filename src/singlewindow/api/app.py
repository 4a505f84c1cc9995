"""The node's HTTP API: every room's router, and one mapping of errors to problem+json."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from types import ModuleType

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.telemetry import TelemetryConfig
from starlette.exceptions import HTTPException as StarletteHTTPException

import singlewindow
from singlewindow import __version__
from singlewindow.access.api import router as access_router
from singlewindow.aeo.api import router as aeo_router
from singlewindow.api.middleware import (
    MAXIMUM_BODY,
    BodyLimit,
    BodyTooLarge,
    ServerErrorProblem,
    too_large_problem,
)
from singlewindow.classification.api import router as classification_router
from singlewindow.core.errors import SingleWindowError
from singlewindow.core.paths import API, API_DOCS, OPENAPI
from singlewindow.declarations.api import guarantees as guarantees_router
from singlewindow.declarations.api import payments as payments_router
from singlewindow.declarations.api import pre_arrival as pre_arrival_router
from singlewindow.declarations.api import representations as representations_router
from singlewindow.declarations.api import router as declarations_router
from singlewindow.declarations.attachments import MOST_BYTES as MOST_ATTACHMENT_BYTES
from singlewindow.ecommerce.api import MANIFEST_BODY, MANIFEST_PATH
from singlewindow.ecommerce.api import router as ecommerce_router
from singlewindow.enforcement.api import router as enforcement_router
from singlewindow.exchange.api import router as exchange_router
from singlewindow.green.api import router as green_router
from singlewindow.node import Node
from singlewindow.origin.api import router as origin_router
from singlewindow.reference.api import router as reference_router
from singlewindow.risk.api import router as risk_router
from singlewindow.tariff.api import router as tariff_router
from singlewindow.transhipment.api import router as transhipment_router
from singlewindow.transit.api import router as transit_router
from singlewindow.web import pages as shell_pages
from singlewindow.web.app import console_error, error_page, install_console, is_console
from singlewindow.web.session import LoginRequired

PROBLEM = "application/problem+json"

SWAGGER_UI = Path(__file__).parent / "static" / "swagger-ui"
"""Swagger UI's files, served by the node itself (no CDN: a node may run offline)."""

ATTACHMENT_BODY = MOST_ATTACHMENT_BYTES + 64 * 1024
LARGER_BODIES: Mapping[str, int] = {
    # A national tariff schedule as CSV (10,000+ lines with their history) is a few MiB.
    f"{API}/tariff/schedules/": 32 * 1024 * 1024,
    "/tariff/import": 32 * 1024 * 1024,  # the same schedule, uploaded in the console
    # An inspection photo or scanner image, with its form's fields (API and console).
    f"{API}/declarations/*/attachments": ATTACHMENT_BODY,
    "/declarations/*/attachments": ATTACHMENT_BODY,
    # A manifest of e-commerce parcels: 10,000 parcels as JSON lines are about 3 MiB.
    f"{API}{MANIFEST_PATH}": MANIFEST_BODY,
}
"""Path prefixes whose request bodies may exceed `middleware.MAXIMUM_BODY`."""


def problem(
    status: int,
    title: str,
    detail: str,
    errors: list[dict[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, object] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _path(location: tuple[object, ...] | list[object]) -> str:
    parts = [str(p) for p in location]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    return ".".join(parts)


def _where(document: str, offset: int) -> str:
    """A character offset in a document, in words: line and column, as an editor counts."""
    line = document.count("\n", 0, offset) + 1
    column = offset - (document.rfind("\n", 0, offset) + 1) + 1
    return f"line {line}, column {column} (character {offset})"


def _validation_problems(exc: RequestValidationError) -> list[dict[str, str]]:
    problems = []
    for error in exc.errors():
        location = error["loc"]
        if error["type"] == "json_invalid":
            # FastAPI puts the character offset where a path belongs: ("body", 123).
            offset = location[-1] if isinstance(location[-1], int) else 0
            document = exc.body if isinstance(exc.body, str) else ""
            reason = (error.get("ctx") or {}).get("error", "JSON decode error")
            message = f"the body is not valid JSON: {reason} at {_where(document, offset)}"
            problems.append({"path": "", "message": message})
        else:
            problems.append({"path": _path(location), "message": error["msg"]})
    return problems


def install_error_handlers(app: FastAPI) -> None:
    """Errors as problem+json on the API; as pages on the console (`web.app.console_error`)."""

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        return console_error(request, exc)

    @app.exception_handler(SingleWindowError)
    async def domain_error(request: Request, exc: SingleWindowError) -> Response:
        if is_console(request):
            return console_error(request, exc)
        problems = getattr(exc, "problems", None)
        return problem(
            exc.status,
            exc.title,
            exc.detail,
            [p.as_dict() for p in problems] if problems is not None else None,
        )

    @app.exception_handler(RequestValidationError)
    async def malformed(request: Request, exc: RequestValidationError) -> Response:
        errors = _validation_problems(exc)
        detail = "; ".join(f"{e['path']}: {e['message']}" if e["path"] else e["message"]
                           for e in errors)
        if is_console(request):
            return error_page(request, 422, "Invalid input", detail)
        return problem(422, "Invalid input", detail, errors)

    @app.exception_handler(BodyTooLarge)
    async def too_large(_: Request, exc: BodyTooLarge) -> JSONResponse:
        return JSONResponse(too_large_problem(exc.limit), status_code=413, media_type=PROBLEM,
                            headers=exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        detail = str(exc.detail)
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no route {request.method} {request.url.path}"
        elif exc.status_code == 405:
            detail = f"{request.method} is not allowed on {request.url.path}"
        if is_console(request):
            return error_page(request, exc.status_code, "HTTP error", detail)
        return problem(exc.status_code, "HTTP error", detail, headers=exc.headers)


def _telemetry(wanted: bool) -> TelemetryConfig:
    return {"tracing": wanted, "metrics": wanted, "logs": wanted}


def install_docs(app: FastAPI, path: str = API_DOCS) -> None:
    """Swagger UI at `path`, its files served from the package under `path`/swagger-ui."""
    assets = f"{path}/swagger-ui"
    app.mount(assets, StaticFiles(directory=SWAGGER_UI), name="swagger-ui")

    @app.get(path, include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or OPENAPI,
            title=f"{app.title} — API",
            swagger_js_url=f"{assets}/swagger-ui-bundle.js",
            swagger_css_url=f"{assets}/swagger-ui.css",
            swagger_favicon_url=f"{assets}/favicon-32x32.png",
            # Swagger UI's default sends the schema to validator.swagger.io for a badge.
            swagger_ui_parameters={"validatorUrl": None},
        )


def console_pages() -> list[ModuleType]:
    """Every room's console pages (`web.app.install_console`): the shell's, then each room's
    `pages` module, found by its file, so that a room adds its pages in its own folder."""
    pages: list[ModuleType] = [shell_pages]
    package = Path(singlewindow.__file__).parent
    for room in sorted(p.parent.name for p in package.glob("*/pages.py")):
        if room not in ("web", "api"):
            pages.append(importlib.import_module(f"singlewindow.{room}.pages"))
    return pages


def create_app(node: Node) -> FastAPI:
    """The API of one national node; in a network, it also runs the exchange workers for as
    long as it serves. The AS4 endpoint (`POST /as4`) is served in front of this app:
    `exchange.endpoint.with_as4_endpoint`, as `server.serve_node` does."""
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
        telemetry=_telemetry(settings.telemetry),
        # Swagger UI from the package (see `install_docs`); no ReDoc, which would be a
        # second bundle to vendor for the same page.
        docs_url=None,
        redoc_url=None,
        openapi_url=OPENAPI,
    )
    app.state.node = node
    app.state.settings = settings
    app.state.database = node.database
    app.state.clearance = node.clearance
    app.state.exchange = node.gateway
    app.state.origin = node.origin
    install_error_handlers(app)
    install_docs(app)
    # Added last is outermost: errors of the body limit itself are caught too.
    app.add_middleware(BodyLimit, maximum=MAXIMUM_BODY, larger=LARGER_BODIES)
    app.add_middleware(ServerErrorProblem)
    routers = [
        access_router,
        declarations_router,
        guarantees_router,
        payments_router,
        representations_router,
        pre_arrival_router,
        reference_router,
        risk_router,
        tariff_router,
        transit_router,
        aeo_router,
        classification_router,
        transhipment_router,
        enforcement_router,
        green_router,
        ecommerce_router,
    ]
    if node.gateway is not None:
        routers += [exchange_router, origin_router]
    # The JSON API under /api/v1, so that the console can have the root (core/paths.py).
    for router in routers:
        app.include_router(router, prefix=API)
    # After the API: a request is matched against the routes in order, router by router
    # (FastAPI looks into every included router, whatever its prefix), and the API's are
    # the ones partners' systems and the traffic call many times a second.
    install_console(app, settings, console_pages())

    @app.get(f"{API}/health", tags=["node"])
    def health() -> dict[str, str]:
        """Whether the node serves, its country and version; no token needed (for probes)."""
        return {"status": "ok", "country": settings.country, "version": __version__}

    return app
