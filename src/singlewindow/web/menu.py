"""The console's menu, and the values every page's layout needs.

Each room's `pages.py` declares its `MENU` entries beside its routes; `web.app` collects them,
so that a new room's pages appear in the menu of the roles they are for and no one else's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import Request

from singlewindow.access.model import Principal, Role
from singlewindow.web.session import CSRF_HEADER, csrf_token


def N_(text: str) -> str:  # noqa: N802 (gettext's name for "translated later")
    """Marks a text for the catalogue; the page translates it when it shows it."""
    return text


@dataclass(frozen=True)
class MenuEntry:
    path: str
    label: str  # English, marked with N_; translated in the layout
    roles: frozenset[Role]
    order: int = 50

    def for_(self, principal: Principal | None) -> bool:
        return principal is not None and principal.role in self.roles


def entry(path: str, label: str, *roles: Role, order: int = 50) -> MenuEntry:
    return MenuEntry(path, label, frozenset(roles), order)


def menu_of(request: Request) -> Sequence[MenuEntry]:
    return getattr(request.app.state, "console_menu", ())


def page_context(request: Request, language: str) -> dict[str, Any]:
    principal: Principal | None = getattr(request.state, "principal", None)
    return {
        "request": request,
        "user": principal,
        "menu": [e for e in menu_of(request) if e.for_(principal)],
        "csrf_token": csrf_token(request),
        "csrf_header": CSRF_HEADER,
        "language": language,
        "country": request.app.state.settings.country,
    }
