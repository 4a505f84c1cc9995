"""Transhipment in a real browser: Saigon's officer finds a consignment by its bill of lading
and reads its legs with the origin each recorded; the administrator lists a laundering hub
through the form. The pages pass axe-core; the screenshots of
docs/screenshots/transhipment*.png are taken here."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from singlewindow.devnet.network import NodeProcess
from tests.transhipment.builders import arrival_body, departure_body
from tests.web.conftest import node_alone
from tests.web.test_browser import _serious_violations, _shot

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def console_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    """Viet Nam's node (in place of the console's plain one) with a consignment through
    Saigon recorded."""
    with node_alone("VN", tmp_path_factory.mktemp("browser-transhipment")) as node:
        headers = {"Authorization": f"Bearer {node.tokens()['officer']}"}
        for path, body in (("/transhipment/arrivals", arrival_body(port="VNSGN")),
                           ("/transhipment/departures",
                            departure_body(port="VNSGN", to_port="KHKOS"))):
            answer = httpx.post(f"{node.api}{path}", json=body, headers=headers, timeout=30)
            assert answer.status_code == 201, answer.text
        yield node



def test_an_officer_finds_a_consignment_by_its_bill_of_lading_and_reads_its_legs(
        page_as: Any) -> None:
    officer = page_as("officer")
    officer.goto("/transhipment")
    assert _serious_violations(officer) == []
    officer.fill("#q", "MSKU7788990011")
    officer.click("#consignment-search button[type=submit]")
    expect(officer.locator("#legs > li")).to_have_count(2)
    expect(officer.locator("#legs > li[data-leg='1'] h2")).to_contain_text("CNSHA → VNSGN")
    expect(officer.locator("td[data-origin='CN']")).to_have_count(2)
    assert _serious_violations(officer) == []
    _shot(officer, "transhipment-legs")


def test_the_administrator_lists_a_laundering_hub(page_as: Any) -> None:
    admin = page_as("admin")
    admin.goto("/transhipment/hubs")
    expect(admin.locator("[data-sample=yes]").first).to_be_visible()
    assert _serious_violations(admin) == []
    admin.fill("#port", "SGSIN")
    admin.fill("#hs_prefix", "8507")
    admin.fill("#listed_from", "2026-06-01")
    admin.fill("#note", "Lithium-ion cells re-declared at transhipment")
    admin.click("#listing-form button[type=submit]")
    expect(admin.locator("#listings")).to_contain_text("Lithium-ion cells re-declared")
    _shot(admin, "transhipment-hubs")
