"""The shell's own pages: login, logout, each role's home, the language."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from singlewindow.access import services as access
from singlewindow.access.errors import AccountLocked, LoginRefused
from singlewindow.access.model import Role
from singlewindow.web import session
from singlewindow.web.menu import N_
from singlewindow.web.session import UserDep
from singlewindow.web.texts import gettext_of, languages, render

router = APIRouter()

HOMES = {
    Role.TRADER: "/declarations",
    Role.OFFICER: "/worklist",
    Role.ADMIN: "/admin/users",
    Role.ISSUER: "/certificates",
    Role.MANAGER: "/dashboard",
    Role.BANK: "/declarations",
}
"""Each role's home: the page it works in most."""

# The roles as the layout shows them (by their value), for the catalogue.
ROLE_WORDS = (N_("trader"), N_("officer"), N_("admin"), N_("issuer"), N_("manager"),
              N_("bank"))


def _safe_next(target: str | None) -> str:
    """Only a path of this node: a login link cannot send the user elsewhere."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    return render(request, "web/login.html", {"next": _safe_next(next), "username": ""})


@router.post("/login")
async def login(
    request: Request,
    # No length limit here: a wrong length gets the same answer as a wrong password.
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    _ = gettext_of(request).gettext
    try:
        # Argon2 takes a tenth of a second: off the event loop.
        principal = await run_in_threadpool(access.login, request.app.state.database,
                                            username, password)
    except AccountLocked as locked:
        error = _("Too many failed logins: this account is locked until {until} (UTC).").format(
            until=locked.until.strftime("%Y-%m-%d %H:%M"))
    except LoginRefused:
        error = _("Wrong username or password, or the account is disabled.")
    else:
        session.start(request, principal)
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "web/login.html",
                  {"next": _safe_next(next), "username": username, "error": error},
                  status_code=401)


@router.post("/logout")
def logout(request: Request) -> Response:
    session.end(request)
    return RedirectResponse("/login", status_code=303)


@router.get("/")
def home(principal: UserDep) -> Response:
    return RedirectResponse(HOMES.get(principal.role, "/declarations"), status_code=303)


@router.post("/language")
def choose_language(
    request: Request,
    lang: Annotated[str, Form(max_length=8)],
    back: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    if lang in languages():
        request.session["lang"] = lang
    return RedirectResponse(_safe_next(back), status_code=303)

