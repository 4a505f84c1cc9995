from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Query

from singlewindow.access import services
from singlewindow.access.schemas import (
    TokenIssued,
    TokenRead,
    UserCreate,
    UserCreated,
    UserRead,
)
from singlewindow.api.deps import AdminDep, DatabaseDep, PrincipalDep
from singlewindow.api.pages import Page
from singlewindow.core.fields import Limit, Offset

router = APIRouter(tags=["access"])


@router.get("/me", response_model=UserRead)
def who_am_i(principal: PrincipalDep) -> UserRead:
    """The caller as the node knows it: username, role, and the party or office it acts for."""
    return UserRead.model_validate(principal, from_attributes=True)


@router.post("/users", response_model=UserCreated, status_code=201)
def create_user(body: UserCreate, database: DatabaseDep, _: AdminDep) -> UserCreated:
    """Create a user (admin) with its role, and its party (a trader) or office (an
    officer); its first token is in this answer only."""
    token = services.create_user(database, body.username, body.role, body.party_id, body.office)
    return UserCreated(**body.model_dump(), token=token)


@router.get("/users", response_model=Page[UserRead])
def list_users(
    database: DatabaseDep,
    _: AdminDep,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[UserRead]:
    """The node's users, a page at a time (admin)."""
    users, total = services.list_users(database, limit, offset)
    items = [UserRead.model_validate(u, from_attributes=True) for u in users]
    return Page[UserRead](items=items, total=total, limit=limit, offset=offset)


@router.post("/users/{username}/disabling", response_model=UserRead)
def disable_user(username: str, database: DatabaseDep, _: AdminDep) -> UserRead:
    """Disable a user (admin): none of its tokens works until it is enabled again. The
    node's last enabled admin cannot be disabled."""
    account = services.disable_user(database, username)
    return UserRead.model_validate(account, from_attributes=True)


@router.post("/users/{username}/enabling", response_model=UserRead)
def enable_user(username: str, database: DatabaseDep, _: AdminDep) -> UserRead:
    """Enable a disabled user (admin); its tokens that were not revoked work again."""
    account = services.enable_user(database, username)
    return UserRead.model_validate(account, from_attributes=True)


@router.get("/users/{username}/tokens", response_model=list[TokenRead])
def list_tokens(username: str, database: DatabaseDep, _: AdminDep) -> list[TokenRead]:
    """A user's tokens by id, revoked ones included (admin); the tokens themselves are
    never shown again."""
    tokens = services.list_tokens(database, username)
    return [TokenRead.model_validate(t, from_attributes=True) for t in tokens]


@router.post("/users/{username}/tokens", response_model=TokenIssued, status_code=201)
def issue_token(
    username: str,
    database: DatabaseDep,
    _: AdminDep,
    days: int | None = Query(
        None, ge=1, le=3650, description="How many days the token works (by default 90)"
    ),
) -> TokenIssued:
    """Issue a new token to an enabled user (admin); it is in this answer only, and works
    until its `expires_at`."""
    lifetime = timedelta(days=days) if days is not None else None
    token, issued = services.new_token(database, username, lifetime)
    return TokenIssued(token_id=issued.token_id, username=username, token=token,
                       expires_at=issued.expires_at)


@router.post("/tokens/{token_id}/revocation", response_model=TokenRead)
def revoke_token(token_id: str, database: DatabaseDep, _: AdminDep) -> TokenRead:
    """Revoke a token by its id (admin), as `GET /users/{username}/tokens` lists it; it
    never works again."""
    token = services.revoke_token_id(database, token_id)
    return TokenRead.model_validate(token, from_attributes=True)
