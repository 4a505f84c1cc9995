"""The assistant inside the declaration form, without a browser: the fragment htmx asks as
one types the description, the form's "Suggest a code" button that works without JavaScript
(and its suggestions' buttons that fill the code), an empty description that says why; the
roles and the CSRF token checked on the server."""

from __future__ import annotations

import re

from tests.declarations.test_pages import FORM
from tests.nodes import NodeClient
from tests.web.console import console_as, console_client

T_SHIRT = "Men's cotton crew neck T-shirt"
FRAGMENT = "/classification/suggest"


def _asked(description: str) -> dict[str, str]:
    return {"name": "items-0-description", "items-0-description": description,
            "field": "f-items-0-commodity_code"}


def _count(node: NodeClient) -> int:
    return int(node.client.get("/declarations", headers=node.as_("officer")).json()["total"])


def test_the_form_asks_the_assistant_beside_each_description(node: NodeClient) -> None:
    page = console_as(node, "trader").get("/declarations/new")
    assert page.status_code == 200
    assert 'hx-get="/classification/suggest"' in page.text
    assert 'hx-target="#suggest-f-items-0-description"' in page.text
    assert 'value="suggest-item-0" formaction="/declarations/new/suggest"' in page.text


def test_the_fragment_lists_five_suggestions_with_buttons_filling_the_code(
        node: NodeClient) -> None:
    answer = console_as(node, "trader").get(FRAGMENT, params=_asked(T_SHIRT))
    assert answer.status_code == 200, answer.text
    suggestions = re.findall(r"<li><strong>(\d{4}\.\d{2})</strong>", answer.text)
    assert len(suggestions) == 5 and suggestions[0] == "6109.10"
    assert "T-shirts, singlets and other vests" in answer.text
    assert re.search(r"\(\d+ %", answer.text), "each suggestion says its confidence"
    # 6109.10 has national lines in the sample schedule: each is a button filling the code.
    assert ('data-fill-target="f-items-0-commodity_code" data-fill-value="61091000"'
            in answer.text)
    assert 'type="button"' in answer.text and 'type="submit"' not in answer.text


def test_an_empty_description_gets_no_suggestion_and_says_why(node: NodeClient) -> None:
    trader = console_as(node, "trader")
    for empty in ("", "   "):
        answer = trader.get(FRAGMENT, params=_asked(empty))
        assert answer.status_code == 200
        assert "No suggestion:" in answer.text and "the goods description is empty" in answer.text
        assert "<li>" not in answer.text
    too_long = trader.get(FRAGMENT, params=_asked("cotton " * 200))
    assert "at most 1000 are ranked" in too_long.text


def test_a_field_name_not_of_the_form_is_not_read(node: NodeClient) -> None:
    answer = console_as(node, "trader").get(FRAGMENT, params={
        "name": "csrf_token", "csrf_token": T_SHIRT, "field": "x\" onclick=\"alert(1)"})
    assert "No suggestion:" in answer.text  # only an item's description is read
    fragment = console_as(node, "trader").get(FRAGMENT, params={
        "q": T_SHIRT, "field": "x\" onclick=\"alert(1)"})
    assert "onclick" not in fragment.text and 'data-fill-target=""' in fragment.text


def test_without_javascript_suggest_then_use_fills_the_code_and_lodges_nothing(
        node: NodeClient) -> None:
    trader = console_as(node, "trader")
    before = _count(node)
    typed = {**FORM, "items-0-commodity_code": "", "items-0-description": T_SHIRT}
    shown = trader.post_form("/declarations/new/suggest", {**typed, "action": "suggest-item-0"})
    assert shown.status_code == 200, shown.text
    assert 'value="Men&#39;s cotton crew neck T-shirt"' in shown.text  # what was typed, kept
    assert 'name="action" value="use-item-0-61091000"' in shown.text
    used = trader.post_form("/declarations/new/suggest",
                            {**typed, "action": "use-item-0-61091000"})
    assert used.status_code == 200
    assert re.search(r'name="items-0-commodity_code" value="61091000"', used.text)
    assert "use-item-0-" not in used.text  # the suggestions are gone once one is chosen
    assert _count(node) == before


def test_without_javascript_an_empty_description_says_why(node: NodeClient) -> None:
    trader = console_as(node, "trader")
    typed = {**FORM, "items-0-description": ""}
    shown = trader.post_form("/declarations/new/suggest", {**typed, "action": "suggest-item-0"})
    assert shown.status_code == 200
    assert "No suggestion:" in shown.text and "the goods description is empty" in shown.text


def test_roles_sessions_and_csrf_are_checked(node: NodeClient) -> None:
    anonymous = console_client(node)
    away = anonymous.get(FRAGMENT, params=_asked(T_SHIRT))
    assert away.status_code == 303 and away.headers["location"].startswith("/login?next=")
    officer = console_as(node, "officer")
    assert officer.get(FRAGMENT, params=_asked(T_SHIRT)).status_code == 200
    assert officer.post_form("/declarations/new/suggest",
                             {**FORM, "action": "suggest-item-0"}).status_code == 403
    trader = console_as(node, "trader")
    forged = trader.post("/declarations/new/suggest",
                         data={**FORM, "action": "suggest-item-0", "csrf_token": "forged"})
    assert forged.status_code == 403
