from __future__ import annotations

from pydantic import BaseModel, Field

from singlewindow.access.model import Role


class UserCreate(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    role: Role
    party_id: str | None = Field(default=None, max_length=35)
    office: str | None = Field(default=None, max_length=8)


class UserRead(BaseModel):
    username: str
    role: Role
    party_id: str | None = None
    office: str | None = None


class UserCreated(UserRead):
    token: str = Field(
        description="The user's first API token; shown once, only its digest is kept"
    )
