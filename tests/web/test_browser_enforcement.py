"""Enforcement alerts in a real browser: a Vietnamese officer sets up a joint operation,
raises an alert for it through the form (criteria one a line, concealment methods), a
trader's matching declaration is lodged, and the alert's page and the operation's board then
show the hit. The pages pass axe-core; with SINGLEWINDOW_SCREENSHOTS=1 the screenshots
docs/screenshots/enforcement-*.png are taken here."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from singlewindow.devnet.network import NodeProcess
from tests.builders import as_json, import_declaration
from tests.web.test_browser import _serious_violations, _shot

pytestmark = pytest.mark.e2e




def test_an_officer_raises_an_alert_for_an_operation_and_sees_its_hit(
        page_as: Any, console_node: NodeProcess) -> None:
    officer = page_as("officer")
    officer.goto("/enforcement/operations")
    officer.fill("#f-code", "OP-MEKONG-26")
    officer.fill("#f-name", "Mekong Dragon")
    officer.fill("#f-ends_on", (date.today() + timedelta(days=30)).isoformat())
    assert _serious_violations(officer) == []
    officer.click("#operation-button")
    expect(officer.locator("h1")).to_contain_text("OP-MEKONG-26")

    officer.goto("/enforcement/alerts")
    officer.select_option("#f-category", "illicit_tobacco")
    officer.fill("#f-title", "Cigarettes under coffee sacks")
    officer.fill("#f-description", "Master cases of cigarettes under the top layer of sacks")
    officer.fill("#f-criteria", "commodity_code prefix 0901\norigin_country in KH, LA")
    officer.fill("#f-concealment", "under the top layer of sacks")
    officer.select_option("#f-operation", "OP-MEKONG-26")
    assert _serious_violations(officer) == []
    _shot(officer, "enforcement-raise")
    officer.click("#alert-button")
    expect(officer.locator("#alert-status")).to_have_attribute("data-status", "active")
    expect(officer.locator("#criteria")).to_contain_text("origin_country in KH, LA")

    token = console_node.tokens()["trader"]
    lodged = httpx.post(f"{console_node.api}/declarations", timeout=30,
                        json=as_json(import_declaration("BROWSER-ENF-1")),
                        headers={"Authorization": f"Bearer {token}"})
    assert lodged.status_code == 201, lodged.text
    number = lodged.json()["number"]
    officer.reload()
    expect(officer.locator(f"#hit-list tr[data-declaration='{number}']")).to_have_count(1)
    assert _serious_violations(officer) == []
    _shot(officer, "enforcement-alert")
    officer.goto("/enforcement/operations/OP-MEKONG-26")
    expect(officer.locator(f"#board-hits tr[data-declaration='{number}']")).to_have_count(1)
    assert _serious_violations(officer) == []
