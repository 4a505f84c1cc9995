"""Transit in a real browser: the Lao holder follows its movement (the itinerary drawn as a
route through the offices) and prints its transit accompanying document with the MRN as a
barcode; an officer sees the same movement with selectivity's reasons. The pages pass
axe-core; the screenshots of docs/screenshots/transit*.png are taken here."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from singlewindow.devnet.network import NodeProcess
from tests.web.conftest import node_alone
from tests.web.test_browser import _serious_violations, _shot

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def console_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    """Laos's node (a transit route's office of departure), in place of the console's
    Vietnamese one."""
    with node_alone("LA", tmp_path_factory.mktemp("browser-transit")) as node:
        yield node


@pytest.fixture
def movement(console_node: NodeProcess) -> dict[str, Any]:
    users = console_node.tokens()
    body = {
        "lrn": f"LA-BR-{datetime.now(UTC):%H%M%S%f}", "holder": users["trader_party"],
        "guarantee": users["transit_guarantee"], "access_code": users["access_code"],
        "departure_office": "LAVTE01", "transit_offices": ["THNKI01", "MYBKH01"],
        "destination_office": "SGWDL01", "routing": ["LA", "TH", "MY", "SG"],
        "transport": "LA 70-1234",
        "equipment": [{"number": "MSKU9070323", "seals": ["LA-88213", "LA-88214"]}],
        "items": [{"commodity_code": "09011100", "description": "Green robusta coffee beans",
                   "packages": 200, "gross_mass": "12480", "net_mass": "12000",
                   "value": "593400000"}],
        "time_limit": (datetime.now(UTC) + timedelta(days=3)).isoformat(),
    }
    answer = httpx.post(f"{console_node.api}/transit/movements", json=body, timeout=30,
                        headers={"Authorization": f"Bearer {users['trader']}"})
    assert answer.status_code == 201, answer.text
    lodged: dict[str, Any] = answer.json()
    return lodged



def test_the_holder_follows_its_movement_and_prints_its_document(
        page_as: Any, movement: dict[str, Any]) -> None:
    number = movement["mrn"]
    page = page_as("trader")
    page.goto("/transit")
    page.click(f"a:has-text('{number}')")
    expect(page.locator("#route li")).to_have_count(4)
    expect(page.locator("#route li[data-kind=departure]")).to_have_attribute("data-passed", "yes")
    expect(page.locator("#route li[data-office=THNKI01]")).to_have_attribute("data-passed", "no")
    assert "no risk rule hit" not in page.content()  # selectivity's reasons: officers only
    assert _serious_violations(page) == []
    _shot(page, "transit")
    page.goto(f"/transit/{number}/tad")
    expect(page.locator("#barcode svg")).to_be_visible()
    text = page.content()
    assert number in text and "LA-88213" in text
    assert movement["guarantee"] in text
    assert _serious_violations(page) == []
    _shot(page, "transit-tad")


def test_an_officer_sees_the_reasons_the_holder_does_not(
        page_as: Any, movement: dict[str, Any]) -> None:
    page = page_as("officer")
    page.goto(f"/transit/{movement['mrn']}")
    expect(page.locator("body")).to_contain_text("no risk rule hit")
    assert _serious_violations(page) == []
