from __future__ import annotations

from fastapi import APIRouter, Query

from singlewindow.access import services
from singlewindow.access.schemas import UserCreate, UserCreated, UserRead
from singlewindow.api.deps import AdminDep, DatabaseDep, PrincipalDep
from singlewindow.api.pages import Page

router = APIRouter(tags=["access"])


@router.get("/me", response_model=UserRead)
def who_am_i(principal: PrincipalDep) -> UserRead:
    return UserRead.model_validate(principal, from_attributes=True)


@router.post("/users", response_model=UserCreated, status_code=201)
def create_user(body: UserCreate, database: DatabaseDep, _: AdminDep) -> UserCreated:
    token = services.create_user(database, body.username, body.role, body.party_id, body.office)
    return UserCreated(**body.model_dump(), token=token)


@router.get("/users", response_model=Page[UserRead])
def list_users(
    database: DatabaseDep,
    _: AdminDep,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> Page[UserRead]:
    users, total = services.list_users(database, limit, offset)
    items = [UserRead.model_validate(u, from_attributes=True) for u in users]
    return Page[UserRead](items=items, total=total, limit=limit, offset=offset)
