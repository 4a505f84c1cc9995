"""Users in the console: the admin creates and disables users, sets their passwords and
issues and revokes their API tokens, through the same `access.services` as the command line
(`singlewindow users …`). A token is shown once, on the page that made it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from singlewindow.access import services as access
from singlewindow.access.model import Role
from singlewindow.core.errors import Conflict, Invalid
from singlewindow.core.fields import Offset
from singlewindow.web.menu import N_, entry
from singlewindow.web.session import AdminPage
from singlewindow.web.texts import render

router = APIRouter()

MENU = [entry("/admin/users", N_("Users"), Role.ADMIN, order=90)]

PAGE_SIZE = 50
USER_FIELDS = ("username", "role", "party_id", "office")

Text = Annotated[str, Form(max_length=200)]


def _users_page(request: Request, offset: int, typed: dict[str, str] | None = None,
                errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    users, total = access.list_users(request.app.state.database, PAGE_SIZE, offset)
    return render(request, "access/users.html", {
        "users": users, "total": total, "offset": offset, "page_size": PAGE_SIZE,
        "roles": list(Role), "typed": typed or {}, "errors": errors or {},
    }, status_code=status_code)


@router.get("/admin/users")
def users(request: Request, principal: AdminPage, offset: Offset = 0) -> Response:
    return _users_page(request, offset)


@router.post("/admin/users")
def create_user(
    request: Request,
    principal: AdminPage,
    username: Text = "",
    role: Text = "",
    party_id: Text = "",
    office: Text = "",
    password: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """A new user with its console password and first API token (shown once, here)."""
    typed = {"username": username.strip(), "role": role, "party_id": party_id.strip(),
             "office": office.strip()}
    try:
        chosen = Role(role)
    except ValueError:
        return _users_page(request, 0, typed, {"role": "choose the user's role"}, 422)
    try:
        token = access.create_user(request.app.state.database, typed["username"], chosen,
                                   typed["party_id"] or None, typed["office"] or None,
                                   password=password or None)
    except (Invalid, Conflict) as refused:
        problems = getattr(refused, "problems", None) or []
        errors = {p.path or "username": p.message for p in problems} or {
            "username": refused.detail}
        return _users_page(request, 0, typed, errors, 422)
    return _user_page(request, typed["username"], {"token": token}, status_code=201)


def _user_page(request: Request, username: str, shown: dict[str, Any] | None = None,
               errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    database = request.app.state.database
    return render(request, "access/user.html", {
        "account": access.get_user(database, username),
        "tokens": access.list_tokens(database, username),
        "shown": shown or {}, "errors": errors or {},
    }, status_code=status_code)


@router.get("/admin/users/{username}")
def user(request: Request, username: str, principal: AdminPage) -> Response:
    return _user_page(request, username)


def _back(username: str) -> RedirectResponse:
    return RedirectResponse(f"/admin/users/{username}", status_code=303)


def _refused(request: Request, username: str, refused: Invalid | Conflict,
             field: str) -> Response:
    problems = getattr(refused, "problems", None) or []
    errors = {field: "; ".join(p.message for p in problems) or refused.detail}
    status = 422 if isinstance(refused, Invalid) else 409
    return _user_page(request, username, errors=errors, status_code=status)


@router.post("/admin/users/{username}/disable")
def disable(request: Request, username: str, principal: AdminPage) -> Response:
    """Its sessions end at their next page and its tokens are refused (the last enabled
    admin cannot be disabled)."""
    try:
        access.disable_user(request.app.state.database, username)
    except Conflict as refused:
        return _refused(request, username, refused, "status")
    return _back(username)


@router.post("/admin/users/{username}/enable")
def enable(request: Request, username: str, principal: AdminPage) -> Response:
    try:
        access.enable_user(request.app.state.database, username)
    except Conflict as refused:
        return _refused(request, username, refused, "status")
    return _back(username)


@router.post("/admin/users/{username}/password")
def reset_password(
    request: Request,
    username: str,
    principal: AdminPage,
    password: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """The admin sets a new password (the user's failed logins and lock are cleared)."""
    try:
        access.set_password(request.app.state.database, username, password)
    except Invalid as refused:
        return _refused(request, username, refused, "password")
    return _user_page(request, username, {"password_set": True})


@router.post("/admin/users/{username}/tokens")
def issue_token(request: Request, username: str, principal: AdminPage) -> Response:
    token = access.issue_token(request.app.state.database, username)
    return _user_page(request, username, {"token": token}, status_code=201)


@router.post("/admin/users/{username}/tokens/{token_id}/revoke")
def revoke_token(request: Request, username: str, token_id: str,
                 principal: AdminPage) -> Response:
    database = request.app.state.database
    if token_id not in {t.token_id for t in access.list_tokens(database, username)}:
        return _user_page(request, username, errors={"tokens": f"{username} has no token "
                                                     f"{token_id[:64]}"}, status_code=404)
    try:
        access.revoke_token_id(database, token_id)
    except Conflict as refused:
        return _refused(request, username, refused, "tokens")
    return _back(username)


