"""FastAPI dependencies shared by every room's router: the database and the caller."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, ParamSpec, TypeVar

from fastapi import Depends, Request, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from singlewindow.access import services as access
from singlewindow.access.model import Principal, Role
from singlewindow.core.config import Settings
from singlewindow.core.db import Database
from singlewindow.core.errors import Forbidden, Unauthenticated

# Dependencies are `async def` so that FastAPI runs them on the event loop: they are
# cheap (the token check is a dictionary look-up once a token is known), and a sync
# dependency costs a hop through the thread pool on every request.


async def get_database(request: Request) -> Database:
    return request.app.state.database


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


# Declares the scheme in the OpenAPI schema (Swagger UI's Authorize button) on every
# operation that depends on `current_principal`. `auto_error=False`: a missing or non-bearer
# header is ours to answer, as a 401 problem+json like every other error.
bearer = HTTPBearer(
    scheme_name="bearer",
    description="A node user's API token: `Authorization: Bearer <token>`.",
    auto_error=False,
)


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
) -> Principal:
    """The caller, from `Authorization: Bearer <token>`."""
    if credentials is None:
        raise Unauthenticated("send a bearer token in the Authorization header")
    return access.authenticate(request.app.state.database, credentials.credentials)


def require_role(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    async def check(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
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


P = ParamSpec("P")
R = TypeVar("R")


async def run_service(
    database: Database, use_case: Callable[P, R], *args: P.args, **kwargs: P.kwargs
) -> R:
    """Run a use case from an `async` route. SQLite work is short and its writers take turns
    anyway, so it runs on the event loop, sparing a thread hand-off per request; on
    PostgreSQL a use case waits on the network, so it runs in the thread pool."""
    if database.engine.dialect.name == "sqlite":
        return use_case(*args, **kwargs)
    return await run_in_threadpool(use_case, *args, **kwargs)
