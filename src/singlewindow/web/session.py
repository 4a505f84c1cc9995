"""The console's sessions: who is logged in, for how long, and the token every form carries.

A session is a signed cookie (itsdangerous, through Starlette's `SessionMiddleware`):
HttpOnly, SameSite=Lax, re-signed on every answer, so that its age is the time since the user
last did something (the idle timeout). It holds the username, when the user logged in (a
session ends after `LONGEST_SESSION` however busy), the CSRF token and the language. The
user's account is read again on every page: a user disabled by an admin is logged out at once.
"""

from __future__ import annotations

import hmac
import os
import secrets
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request

from singlewindow.access import services as access
from singlewindow.access.model import Principal, Role
from singlewindow.core.db import Database
from singlewindow.core.errors import Forbidden

IDLE_TIMEOUT = 30 * 60
"""Seconds without a request after which a session ends (the cookie's signature expires)."""

LONGEST_SESSION = 12 * 60 * 60
"""Seconds after login after which a session ends, busy or not (one working day)."""

COOKIE = "sw_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"  # htmx sends the token in this header (layout.html: hx-headers)

KEY_FILE = "console.key"


def console_key(home: Path) -> str:
    """The key that signs session cookies: made once per node home and kept there (0600), so
    that every worker of a node, and a restart, accept the same sessions."""
    path = home / KEY_FILE
    home.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text().strip()
        if key:
            return key
        # A worker that lost the race may read the file before the winner wrote it.
        time.sleep(0.1)
        return path.read_text().strip()
    with os.fdopen(fd, "w") as out:
        key = secrets.token_urlsafe(48)
        out.write(key)
    return key


class LoginRequired(Exception):
    """No session, or one that ended: the console answers with a redirect to /login."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path

    @property
    def location(self) -> str:
        return f"/login?next={quote(self.next_path, safe='/')}"


class CsrfRefused(Forbidden):
    title = "Form refused"


def start(request: Request, principal: Principal) -> None:
    """A new session for `principal`: whatever session the browser had is dropped (no
    fixation), with a fresh CSRF token."""
    language = request.session.get("lang")
    request.session.clear()
    request.session.update({
        "user": principal.username,
        "at": int(time.time()),
        CSRF_FIELD: secrets.token_urlsafe(32),
    })
    if language:
        request.session["lang"] = language


def end(request: Request) -> None:
    request.session.clear()


def csrf_token(request: Request) -> str:
    """The session's CSRF token (one is made for an anonymous session too: the login form)."""
    token = request.session.get(CSRF_FIELD)
    if not token:
        token = secrets.token_urlsafe(32)
        request.session[CSRF_FIELD] = token
    return str(token)


async def check_csrf(request: Request) -> None:
    """Every state-changing request of the console carries the session's token, in the form
    field `csrf_token` or the `X-CSRF-Token` header; anything else is refused (403)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    expected = request.session.get(CSRF_FIELD)
    given = request.headers.get(CSRF_HEADER)
    if given is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not expected or not given or not hmac.compare_digest(str(expected), given):
        raise CsrfRefused("the form's security token is missing or stale; reload the page "
                          "and send it again")


def _database(request: Request) -> Database:
    return request.app.state.database


async def page_user(request: Request) -> Principal:
    """The logged-in user of a console page, or LoginRequired."""
    username = request.session.get("user")
    started = request.session.get("at", 0)
    if not isinstance(username, str) or time.time() - float(started) > LONGEST_SESSION:
        request.session.pop("user", None)
        raise LoginRequired(_next(request))
    principal = access.console_principal(_database(request), username)
    if principal is None:  # disabled or removed since it logged in
        end(request)
        raise LoginRequired(_next(request))
    request.state.principal = principal
    return principal


def _next(request: Request) -> str:
    path = request.url.path
    if request.method != "GET":
        return "/"
    return path + (f"?{request.url.query}" if request.url.query else "")


def page_role(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """A console page or action for these roles only; others get the 403 page."""

    async def check(principal: Annotated[Principal, Depends(page_user)]) -> Principal:
        if principal.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise Forbidden(f"this page is for the role {allowed}; you are signed in as "
                            f"{principal.username} ({principal.role.value})")
        return principal

    return check


UserDep = Annotated[Principal, Depends(page_user)]
TraderPage = Annotated[Principal, Depends(page_role(Role.TRADER))]
OfficerPage = Annotated[Principal, Depends(page_role(Role.OFFICER, Role.ADMIN))]
AdminPage = Annotated[Principal, Depends(page_role(Role.ADMIN))]
IssuerPage = Annotated[Principal, Depends(page_role(Role.ISSUER))]
ManagerPage = Annotated[Principal, Depends(page_role(Role.MANAGER, Role.ADMIN))]
CsrfChecked = Depends(check_csrf)
