"""The console in tests: a browser-less client logged in as a sample user of a test node.

`console_as(node, "officer")` logs in through the login form, as a browser would, and keeps
the session cookie; `.csrf` is the session's token, for the forms it posts."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from singlewindow.devnet import sample
from tests.nodes import NodeClient

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class ConsoleClient(TestClient):
    csrf: str = ""

    def refresh_csrf(self, page: str = "/login") -> str:
        found = CSRF.search(self.get(page).text)
        assert found, f"no CSRF token on {page}"
        self.csrf = found.group(1)
        return self.csrf

    def post_form(self, path: str, data: dict[str, object] | None = None, **kwargs: object):  # type: ignore[no-untyped-def]
        """A form post with the session's CSRF token, as the page's form sends it."""
        return self.post(path, data={"csrf_token": self.csrf, **(data or {})}, **kwargs)  # type: ignore[arg-type]


def console_client(node: NodeClient) -> ConsoleClient:
    """A client of the node's console, not logged in (redirects are not followed)."""
    return ConsoleClient(node.client.app, base_url="http://testserver", follow_redirects=False)


def password_of(node: NodeClient, username: str) -> str:
    accounts = sample.console_users(node.opened.settings.home)
    return accounts[username]["password"]


def console_as(node: NodeClient, username: str) -> ConsoleClient:
    """A console client logged in as the sample user `username` (trader, officer, issuer,
    admin, manager)."""
    client = console_client(node)
    client.refresh_csrf()
    answer = client.post_form("/login", {"username": username,
                                         "password": password_of(node, username)})
    assert answer.status_code == 303, answer.text
    client.refresh_csrf("/login")
    return client
