"""The admin's user pages: create, disable and enable, set a password, issue and revoke
tokens, as `singlewindow users …` does; with the checks a non-admin meets."""

from __future__ import annotations

import re

from singlewindow.access import services as access
from tests.nodes import NodeClient
from tests.web.console import console_as, console_client

NEW = {"username": "clerk-hanoi", "role": "officer", "office": "VNHAN01",
       "password": "a long passphrase 42"}


def _login(node: NodeClient, username: str, password: str) -> int:
    client = console_client(node)
    client.refresh_csrf()
    return int(client.post_form("/login", {"username": username, "password": password})
               .status_code)


def test_an_admin_creates_a_user_who_logs_in_and_whose_token_works(node: NodeClient) -> None:
    admin = console_as(node, "admin")
    made = admin.post_form("/admin/users", NEW)
    assert made.status_code == 201 and "shown only this once" in made.text
    token = re.search(r"<code>([\w-]{40,})</code>", made.text)
    assert token, "the first API token is shown once"
    assert node.client.get("/declarations", headers={
        "Authorization": f"Bearer {token.group(1)}"}).status_code == 200
    assert _login(node, "clerk-hanoi", NEW["password"]) == 303
    assert "clerk-hanoi" in admin.get("/admin/users").text
    assert token.group(1) not in admin.get("/admin/users/clerk-hanoi").text


def test_a_bad_user_form_keeps_what_was_typed_shows_each_error_and_creates_nothing(
    node: NodeClient,
) -> None:
    admin = console_as(node, "admin")
    before = len(access.all_users(node.opened.database))
    short = admin.post_form("/admin/users", {**NEW, "password": "short"})
    assert short.status_code == 422 and 'id="err-password">must be at least' in short.text
    assert 'value="clerk-hanoi"' in short.text
    no_office = admin.post_form("/admin/users", {**NEW, "office": ""})
    assert no_office.status_code == 422 and "customs office" in no_office.text
    no_role = admin.post_form("/admin/users", {**NEW, "role": "superuser"})
    assert no_role.status_code == 422 and "choose the user" in no_role.text
    taken = admin.post_form("/admin/users", {**NEW, "username": "officer"})
    assert taken.status_code == 422 and "already exists" in taken.text
    assert len(access.all_users(node.opened.database)) == before


def test_disabling_ends_sessions_and_tokens_and_the_last_admin_stays(node: NodeClient) -> None:
    admin = console_as(node, "admin")
    trader = console_as(node, "trader")
    assert trader.get("/declarations").status_code == 200
    assert admin.post_form("/admin/users/trader/disable").status_code == 303
    assert trader.get("/declarations").status_code == 303  # back to the login
    assert node.client.get("/declarations", headers=node.as_("trader")).status_code == 401
    assert admin.post_form("/admin/users/trader/enable").status_code == 303
    assert node.client.get("/declarations", headers=node.as_("trader")).status_code == 200
    last = admin.post_form("/admin/users/admin/disable")
    assert last.status_code == 409 and "admin" in last.text
    assert access.get_user(node.opened.database, "admin").disabled_at is None


def test_a_password_reset_clears_the_lock_and_tokens_are_issued_and_revoked(
    node: NodeClient,
) -> None:
    admin = console_as(node, "admin")
    for _ in range(6):
        _login(node, "officer", "wrong password!")
    bad = admin.post_form("/admin/users/officer/password", {"password": "officer"})
    assert bad.status_code == 422 and 'id="err-password">' in bad.text
    reset = admin.post_form("/admin/users/officer/password", {"password": "new passphrase 77"})
    assert reset.status_code == 200 and "lock are cleared" in reset.text
    assert _login(node, "officer", "new passphrase 77") == 303
    issued = admin.post_form("/admin/users/officer/tokens")
    token = re.search(r"<code>([\w-]{40,})</code>", issued.text)
    assert issued.status_code == 201 and token
    headers = {"Authorization": f"Bearer {token.group(1)}"}
    assert node.client.get("/declarations", headers=headers).status_code == 200
    token_id = access.token_id(token.group(1))
    assert admin.post_form(f"/admin/users/officer/tokens/{token_id}/revoke").status_code == 303
    assert node.client.get("/declarations", headers=headers).status_code == 401
    # A token of another user is not revoked through this user's page.
    other = access.token_id(access.issue_token(node.opened.database, "trader"))
    assert admin.post_form(f"/admin/users/officer/tokens/{other}/revoke").status_code == 404


def test_only_admins_manage_users(node: NodeClient) -> None:
    for role in ("trader", "officer", "manager", "issuer"):
        client = console_as(node, role)
        assert client.get("/admin/users").status_code == 403
        assert client.post_form("/admin/users", NEW).status_code == 403
        assert client.post_form("/admin/users/trader/disable").status_code == 403
    admin = console_as(node, "admin")
    forged = admin.post("/admin/users/trader/disable")  # no CSRF token
    assert forged.status_code == 403
    assert access.get_user(node.opened.database, "trader").disabled_at is None
