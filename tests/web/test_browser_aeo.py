"""The AEO programme in a real browser: the Vietnamese trader applies for AEO status through
its form, an officer validates the application (a finding per criterion, an on-site visit)
and grants it, and the trader's page then shows the authorisation granted. The pages pass
axe-core; the screenshots of docs/screenshots/aeo*.png are taken here."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from singlewindow.devnet.network import NodeProcess
from tests.web.test_browser import _serious_violations, _shot

pytestmark = pytest.mark.e2e

CRITERIA = ("compliance_record", "records_management", "financial_solvency", "safety_security")




def test_a_trader_applies_an_officer_validates_and_grants_and_the_trader_sees_it(
        page_as: Any, console_node: NodeProcess) -> None:
    trader = page_as("trader")
    trader.goto("/aeo")
    expect(trader.locator("#f-operator")).to_have_attribute("readonly", "")
    operator = trader.locator("#f-operator").input_value()
    assert operator == console_node.tokens()["trader_party"]
    trader.fill("#f-name", "Saigon Coffee Export JSC")
    trader.fill("#f-address", "12 Ton Duc Thang, District 1, Ho Chi Minh City")
    trader.check("input[name=types][value=importer_exporter]")
    trader.fill("#f-site_name_0", "Cat Lai warehouse")
    trader.fill("#f-site_address_0", "Cat Lai port, Thu Duc")
    for criterion in CRITERIA:
        trader.fill(f"#f-sa_{criterion}", f"Our {criterion.replace('_', ' ')}, as documented")
    trader.check("#f-consent")
    assert _serious_violations(trader) == []
    _shot(trader, "aeo-apply")
    trader.click("#apply-button")
    submitted = trader.locator("section.application[data-status=submitted]")
    expect(submitted).to_have_count(1)
    number = submitted.get_attribute("data-number")
    assert number

    officer = page_as("officer")
    officer.goto("/aeo/applications")
    officer.click(f"a:has-text('{number}')")
    officer.click("#start-button")
    expect(officer.locator("#status")).to_have_attribute("data-status", "validating")
    expect(officer.locator("#grant-button")).to_be_disabled()
    expect(officer.locator("#missing-for-grant")).to_contain_text("no on-site visit")
    for criterion in CRITERIA:
        form = officer.locator(f"#finding-{criterion}")
        form.locator("input[name=met][value=yes]").check()
        form.locator("textarea[name=note]").fill(f"{criterion.replace('_', ' ')}: checked")
        form.locator("button[type=submit]").click()
        expect(officer.locator(f"tr[data-criterion={criterion}]")).to_have_attribute(
            "data-met", "yes")
    officer.select_option("#f-site", "Cat Lai warehouse")
    officer.fill("#f-visit_note", "fenced yard, CCTV, containers sealed")
    officer.click("#visit-button")
    expect(officer.locator("#visit-list li[data-site='Cat Lai warehouse']")).to_have_count(1)
    expect(officer.locator("#missing-for-grant")).to_have_count(0)
    expect(officer.locator("#grant-button")).to_be_enabled()
    assert _serious_violations(officer) == []
    _shot(officer, "aeo-validation")
    officer.fill("#f-reason", "every criterion met, the warehouse visited")
    officer.click("#grant-button")
    expect(officer.locator("#status")).to_have_attribute("data-status", "granted")
    officer.goto("/aeo/register")
    expect(officer.locator(f"#register tr[data-operator={operator}] [data-status]")
           ).to_have_attribute("data-status", "granted")
    assert _serious_violations(officer) == []

    trader.goto("/aeo")
    expect(trader.locator("#aeo-status")).to_have_attribute("data-status", "granted")
    expect(trader.locator(f"section[data-number='{number}']")).to_have_attribute(
        "data-status", "granted")
    expect(trader.locator("#history li[data-change=granted]")).to_have_count(1)
    expect(trader.locator("body")).to_contain_text("safety security: checked")
    assert _serious_violations(trader) == []
    _shot(trader, "aeo")
