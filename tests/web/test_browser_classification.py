"""The classification assistant in the declaration form, in a real browser: the trader types
a goods description, the five suggestions appear beside it as one types, a click on a
suggestion's national line fills the item's tariff code; without JavaScript, the "Suggest a
code" button shows the same suggestions. The form passes axe-core; the screenshot of
docs/screenshots/classification.png is taken here."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from singlewindow.devnet.network import NodeProcess
from tests.web.test_browser import _serious_violations, _shot

pytestmark = pytest.mark.e2e




def test_a_trader_types_a_description_and_a_suggestion_fills_the_code(page_as: Any) -> None:
    trader = page_as("trader")
    trader.goto("/declarations/new")
    code = trader.locator("#f-items-0-commodity_code")
    expect(code).to_have_value("")
    trader.locator("#f-items-0-description").press_sequentially(
        "Men's cotton crew neck T-shirt", delay=10)
    suggestions = trader.locator("#suggest-f-items-0-description ol.suggestions > li")
    expect(suggestions).to_have_count(5, timeout=15_000)
    expect(suggestions.first).to_contain_text("6109.10")
    expect(suggestions.first).to_contain_text("T-shirts")
    assert _serious_violations(trader) == []
    _shot(trader, "classification")
    suggestions.first.locator("button[data-fill-value='61091000']").click()
    expect(code).to_have_value("61091000")
    expect(trader.locator("#suggest-f-items-0-description ol.suggestions")).to_have_count(0)
    # The form's live check accepts the code filled in.
    expect(trader.locator("#err-items-0-commodity_code")).to_have_text("")


def test_an_empty_description_says_why(page_as: Any) -> None:
    trader = page_as("trader")
    trader.goto("/declarations/new")
    description = trader.locator("#f-items-0-description")
    description.press_sequentially("x", delay=10)
    description.press("Backspace")
    expect(trader.locator("#suggest-f-items-0-description")).to_contain_text(
        "the goods description is empty", timeout=15_000)


def test_without_javascript_the_suggest_button_shows_the_suggestions(
        browser: Any, console_node: NodeProcess) -> None:
    from singlewindow.devnet import sample

    context = browser.new_context(java_script_enabled=False, base_url=console_node.url)
    try:
        page = context.new_page()
        page.goto("/login")
        page.fill("#username", "trader")
        page.fill("#password", sample.console_users(console_node.home)["trader"]["password"])
        page.click("button[type=submit]:has-text('Log in')")
        page.goto("/declarations/new")
        page.fill("#f-items-0-description", "Wireless Bluetooth earbuds with charging case")
        page.click("#suggest-items-0")
        suggestions = page.locator("#suggest-f-items-0-description ol.suggestions > li")
        expect(suggestions).to_have_count(5)
        expect(page.locator("#f-items-0-description")).to_have_value(
            "Wireless Bluetooth earbuds with charging case")
        first = suggestions.first.locator("button[name=action]").first
        chosen = (first.get_attribute("value") or "").rsplit("-", 1)[1]
        first.click()
        expect(page.locator("#f-items-0-commodity_code")).to_have_value(chosen)
    finally:
        context.close()
