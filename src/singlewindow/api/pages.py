"""Pagination: every list endpoint answers one page and the total."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel

T = TypeVar("T")


class Page(BaseModel, Generic[T]):  # noqa: UP046 (Python 3.11 has no PEP 695 generics)
    items: list[T]
    total: int
    limit: int
    offset: int
