from __future__ import annotations

from datetime import datetime

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
    disabled_at: datetime | None = Field(
        default=None, description="Since when the user is disabled; none of its tokens works"
    )


class UserCreated(UserRead):
    token: str = Field(
        description="The user's first API token; shown once, only its digest is kept"
    )


class TokenRead(BaseModel):
    token_id: str = Field(description="The token's public id: the first characters of its digest")
    username: str
    created_at: datetime
    expires_at: datetime = Field(description="From when the token is refused")
    revoked_at: datetime | None = None


class TokenIssued(BaseModel):
    token_id: str
    username: str
    expires_at: datetime = Field(description="From when the token is refused")
    token: str = Field(description="The new API token; shown once, only its digest is kept")
