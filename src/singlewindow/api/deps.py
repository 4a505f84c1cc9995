"""FastAPI dependencies shared by every room's router: the database and the caller."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request

from singlewindow.access.model import Principal, Role
from singlewindow.core.config import Settings
from singlewindow.core.db import Database
from singlewindow.core.errors import Forbidden, Unauthenticated


def get_database(request: Request) -> Database:
    return request.app.state.database


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def current_principal(request: Request) -> Principal:
    """The caller, from `Authorization: Bearer <token>`."""
    from singlewindow.access import services as access

    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("send a bearer token in the Authorization header")
    return access.authenticate(request.app.state.database, token.strip())


def require_role(*roles: Role) -> Callable[[Principal], Principal]:
    def check(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if principal.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise Forbidden(f"this action needs the role {allowed}; you are {principal.role.value}")
        return principal

    return check


DatabaseDep = Annotated[Database, Depends(get_database)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
PrincipalDep = Annotated[Principal, Depends(current_principal)]
AdminDep = Annotated[Principal, Depends(require_role(Role.ADMIN))]
OfficerDep = Annotated[Principal, Depends(require_role(Role.OFFICER, Role.ADMIN))]
