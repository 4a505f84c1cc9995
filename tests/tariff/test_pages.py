"""The lodge form's tariff look-up: by code and by words, from this node's schedule."""

from __future__ import annotations

from tests.nodes import NodeClient
from tests.web.console import console_as, console_client


def test_the_lookup_finds_lines_by_code_and_by_words(node: NodeClient) -> None:
    trader = console_as(node, "trader")
    by_code = trader.get("/tariff/lookup?q=0901.11&field=f-items-0-commodity_code")
    assert 'data-fill-value="09011100"' in by_code.text
    assert 'data-fill-target="f-items-0-commodity_code"' in by_code.text
    by_words = trader.get("/tariff/lookup", params={"name": "items-0-commodity_code",
                                                     "items-0-commodity_code": "coffee"})
    assert 'data-fill-value="0901' in by_words.text
    nothing = trader.get("/tariff/lookup?q=zzzzqqq")
    assert "No tariff line matches" in nothing.text


def test_the_lookup_refuses_bad_input_and_strangers(node: NodeClient) -> None:
    trader = console_as(node, "trader")
    assert trader.get("/tariff/lookup", params={"q": "x" * 101}).status_code == 422
    odd = trader.get("/tariff/lookup", params={"q": "coffee", "field": "a\"><script>"})
    assert "<script>" not in odd.text and 'data-fill-target=""' in odd.text
    assert console_client(node).get("/tariff/lookup?q=coffee").status_code == 303
