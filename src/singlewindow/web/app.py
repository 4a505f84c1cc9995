"""The console in the node's app: sessions, static files, every room's pages, error pages.

The console has the root of the node (`/login`, `/`, `/declarations`, ...); the JSON API is
under `/api/v1` and the AS4 endpoint at `/as4`, and neither sees a session: a session cookie
never authorises an API call (the API takes bearer tokens only, so CSRF cannot reach it).
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import Receive, Scope, Send

from singlewindow.core.config import Settings
from singlewindow.core.errors import SingleWindowError
from singlewindow.core.paths import API, API_DOCS, AS4
from singlewindow.web.menu import MenuEntry
from singlewindow.web.session import COOKIE, IDLE_TIMEOUT, CsrfChecked, LoginRequired, console_key
from singlewindow.web.texts import render

STATIC = Path(__file__).parent / "static"


def is_console(request: Request) -> bool:
    """Whether a request is the console's: `ConsoleSessions` gave it a session (it does on
    console paths only; routers mounted in other apps, as tests do, get none)."""
    return "session" in request.scope


class ConsoleSessions(SessionMiddleware):
    """Starlette's signed-cookie sessions, for console paths only (the API's hot path reads
    no cookie)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and not path.startswith((API, API_DOCS, AS4, "/static")):
            await super().__call__(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def error_page(request: Request, status: int, title: str, detail: str) -> Response:
    return render(request, "web/error.html", {"status": status, "title": title,
                                              "detail": detail}, status_code=status)


def console_error(request: Request, exc: Exception) -> Response:
    """The console's answer to an error a page did not handle itself."""
    if isinstance(exc, LoginRequired):
        if request.headers.get("HX-Request"):  # htmx follows no redirect: tell it to go
            return Response(status_code=204, headers={"HX-Redirect": exc.location})
        return RedirectResponse(exc.location, status_code=303)
    if isinstance(exc, SingleWindowError):
        return error_page(request, exc.status, exc.title, exc.detail)
    return error_page(request, 500, "Server error", "the node could not answer this page")


def install_console(app: FastAPI, settings: Settings, pages: list[ModuleType]) -> None:
    """Mount the console: `pages` are the rooms' `pages` modules, each with a `router` and
    a `MENU` of `MenuEntry`s; every route of theirs checks the CSRF token of a POST."""
    app.add_middleware(
        ConsoleSessions,
        secret_key=console_key(settings.home),
        session_cookie=COOKIE,
        max_age=IDLE_TIMEOUT,
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    menu: list[MenuEntry] = []
    for module in pages:
        app.include_router(module.router, dependencies=[CsrfChecked], include_in_schema=False)
        menu.extend(getattr(module, "MENU", ()))
    app.state.console_menu = sorted(menu, key=lambda e: e.order)
