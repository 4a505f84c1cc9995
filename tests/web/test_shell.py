"""The console's shell: login, sessions, CSRF, logout, roles and the language."""

from __future__ import annotations

from pathlib import Path

from singlewindow.access import services as access
from singlewindow.devnet import sample
from tests.nodes import NodeClient
from tests.web.console import console_as, console_client, password_of


def test_no_session_is_sent_to_login_with_the_page_it_asked_for(node: NodeClient) -> None:
    client = console_client(node)
    answer = client.get("/declarations?status=released")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/declarations%3Fstatus%3Dreleased"


def test_login_sets_an_httponly_samesite_cookie_and_lands_on_the_roles_home(
    node: NodeClient,
) -> None:
    client = console_client(node)
    client.refresh_csrf()
    answer = client.post_form("/login", {"username": "officer",
                                         "password": password_of(node, "officer")})
    assert answer.status_code == 303
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert client.get("/").headers["location"] == "/worklist"


def test_a_wrong_password_is_refused_with_the_same_words_as_an_unknown_user(
    node: NodeClient,
) -> None:
    client = console_client(node)
    client.refresh_csrf()
    wrong = client.post_form("/login", {"username": "trader", "password": "not-the-password"})
    nobody = client.post_form("/login", {"username": "nobody", "password": "not-the-password"})
    assert wrong.status_code == nobody.status_code == 401
    words = "Wrong username or password"
    assert words in wrong.text and words in nobody.text
    assert client.get("/declarations").status_code == 303  # still not logged in


def test_repeated_failures_lock_the_account_and_the_page_says_until_when(
    node: NodeClient,
) -> None:
    client = console_client(node)
    client.refresh_csrf()
    for _ in range(5):
        client.post_form("/login", {"username": "manager", "password": "wrong-password-1"})
    locked = client.post_form("/login", {"username": "manager",
                                         "password": password_of(node, "manager")})
    assert locked.status_code == 401 and "locked until" in locked.text


def test_a_login_form_without_its_csrf_token_is_refused(node: NodeClient) -> None:
    client = console_client(node)
    answer = client.post("/login", data={"username": "trader",
                                         "password": password_of(node, "trader")})
    assert answer.status_code == 403 and "security token" in answer.text


def test_a_login_link_cannot_send_the_user_to_another_site(node: NodeClient) -> None:
    client = console_client(node)
    client.refresh_csrf()
    answer = client.post_form("/login", {"username": "trader", "next": "//evil.example/x",
                                         "password": password_of(node, "trader")})
    assert answer.headers["location"] == "/"


def test_logout_ends_the_session(node: NodeClient) -> None:
    trader = console_as(node, "trader")
    assert trader.get("/declarations").status_code == 200
    assert trader.post_form("/logout").status_code == 303
    assert trader.get("/declarations").status_code == 303


def test_disabling_a_user_ends_its_console_session_at_once(node: NodeClient) -> None:
    trader = console_as(node, "trader")
    access.disable_user(node.opened.database, "trader")
    assert trader.get("/declarations").status_code == 303


def test_a_session_cookie_never_authorises_an_api_call(node: NodeClient) -> None:
    trader = console_as(node, "trader")
    assert trader.get("/api/v1/declarations").status_code == 401


def test_the_sample_accounts_file_names_every_console_role(node: NodeClient) -> None:
    accounts = sample.console_users(node.opened.settings.home)
    assert sorted(accounts) == sorted(sample.CONSOLE_USERS)
    for role, account in accounts.items():
        assert access.login(node.opened.database, account["username"], account["password"])
        assert role == account["username"]


def test_the_trader_pages_speak_vietnamese_when_chosen(node: NodeClient) -> None:
    trader = console_as(node, "trader")
    trader.post_form("/language", {"lang": "vi", "back": "/declarations/new"})
    page = trader.get("/declarations/new")
    assert 'lang="vi"' in page.text and "Khai báo" in page.text


TRADER_PAGES = ("web/templates/", "declarations/templates/new.html",
                "declarations/templates/list.html", "declarations/templates/detail.html",
                "declarations/templates/versions.html", "declarations/templates/guarantee",
                "tariff/templates/lookup.html", "declarations/pages.py",
                "transit/templates/list.html", "transit/templates/detail.html",
                "transit/templates/route.html", "transit/templates/tad.html",
                "transit/templates/guarantee.html", "transit/pages.py",
                "aeo/templates/status.html", "aeo/templates/findings.html",
                "aeo/templates/message.html", "aeo/pages.py")


def test_every_text_of_the_trader_pages_has_its_vietnamese_translation(tmp_path: Path) -> None:
    """Extracted from the sources now (as `pybabel extract` does with babel.cfg), so that a
    text added to a trader page and left out of the catalogue fails here."""
    from babel.messages.frontend import CommandLineInterface
    from babel.messages.pofile import read_po

    import singlewindow

    root = Path(singlewindow.__file__).parents[2]
    template = tmp_path / "messages.pot"
    CommandLineInterface().run(["pybabel", "-q", "extract", "-F", str(root / "babel.cfg"),
                                "-k", "N_", "-o", str(template), str(root)])
    with template.open("rb") as pot:
        texts = read_po(pot)
    catalogue = Path(singlewindow.__file__).parent / "web/locale/vi/LC_MESSAGES/messages.po"
    with catalogue.open("rb") as po:
        translated = {m.id for m in read_po(po) if m.id and m.string}
    on_trader_pages = {m.id for m in texts if m.id
                       and any(page in where for where, _ in m.locations for page in TRADER_PAGES)}
    assert sorted(on_trader_pages - translated) == []
