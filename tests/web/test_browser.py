"""The console in a real browser: a trader lodges through the form (an error shown and mended
on the way), an officer inspects and releases, roles and CSRF hold, the main pages pass
axe-core, and the screenshots of docs/screenshots/ are taken here."""

from __future__ import annotations

import os
import random
import struct
import zlib
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from singlewindow.devnet.traffic import Traffic, _items

pytestmark = pytest.mark.e2e

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _shot(page: Any, name: str) -> None:
    if os.environ.get("SINGLEWINDOW_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _serious_violations(page: Any) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run()")
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])})" for v in result["violations"]
            if v["impact"] in ("serious", "critical")]


def _fill_declaration(page: Any, lrn: str) -> None:
    values = {
        "#f-lrn": lrn, "#f-declarant_name": "Sample Trader Co.", "#f-office": "VNHCM01",
        "#f-export_country": "KH", "#f-destination_country": "VN", "#f-transport_mode": "3",
        "#f-incoterm": "FCA", "#f-invoice_currency": "USD", "#f-freight": "120",
        "#f-items-0-description": "Green coffee beans", "#f-items-0-origin_country": "KH",
        "#f-items-0-quantity": "1000", "#f-items-0-quantity_unit": "kg",
        "#f-items-0-net_mass": "1000", "#f-items-0-gross_mass": "1050",
        "#f-items-0-invoice_amount": "4000",
    }
    for selector, value in values.items():
        page.fill(selector, value)


def test_a_wrong_password_is_refused_then_the_right_one_lands_home(
    browser: Any, console_node: Any, page_as: Any
) -> None:
    context = browser.new_context(base_url=console_node.url)
    page = context.new_page()
    page.goto("/declarations")
    assert "/login" in page.url
    _shot(page, "login")
    page.fill("#username", "trader")
    page.fill("#password", "not-the-password")
    page.click("button[type=submit]:has-text('Log in')")
    assert "Wrong username or password" in page.inner_text("#login-error")
    context.close()
    home = page_as("trader")
    assert home.url.endswith("/declarations")


def test_a_trader_lodges_mending_a_field_error_and_sees_channel_and_duties(page_as: Any) -> None:
    page = page_as("trader")
    page.goto("/declarations/new")
    _fill_declaration(page, "BROWSER-0001")
    page.fill("#f-items-0-commodity_code", "0901")  # too short: the live check says so
    page.wait_for_function(
        "document.getElementById('err-items-0-commodity_code').textContent.trim() !== ''")
    _shot(page, "lodge-form")
    page.fill("#f-items-0-commodity_code", "09011100")
    page.wait_for_function(
        "document.getElementById('err-items-0-commodity_code').textContent.trim() === ''")
    page.click("#lodge-button")
    page.wait_for_selector("#channel")
    assert page.inner_text("#channel").strip() in ("green", "yellow", "red")
    assert "VND" in page.inner_text("#assessed")
    _shot(page, "declaration")
    page.goto("/declarations")
    assert "BROWSER-0001" in page.content()
    _shot(page, "declarations")


def test_an_officer_sees_the_worklist_and_a_trader_is_refused_it(page_as: Any) -> None:
    officer = page_as("officer")
    assert officer.url.endswith("/worklist")
    _shot(officer, "worklist")
    trader = page_as("trader")
    answer = trader.goto("/worklist")
    assert answer.status == 403
    assert "officer" in trader.inner_text("main")


def test_a_post_without_its_csrf_token_is_refused(page_as: Any) -> None:
    trader = page_as("trader")
    answer = trader.request.post("/declarations/new", form={"lrn": "FORGED", "action": "lodge"})
    assert answer.status == 403
    trader.goto("/declarations")
    assert "FORGED" not in trader.content()


def test_the_dashboard_and_network_pages_render(page_as: Any) -> None:
    manager = page_as("manager")
    assert manager.url.endswith("/dashboard")
    manager.wait_for_selector("#per-day-chart canvas")
    _shot(manager, "dashboard")
    manager.goto("/network")
    assert "Network" in manager.inner_text("h1")


@pytest.mark.parametrize(("role", "path"), [
    ("trader", "/declarations/new"), ("trader", "/declarations"), ("officer", "/worklist"),
    ("manager", "/dashboard"), ("manager", "/network"),
])
def test_main_pages_have_no_serious_accessibility_violation(
    page_as: Any, role: str, path: str
) -> None:
    page = page_as(role)
    page.goto(path)
    assert _serious_violations(page) == []


def test_the_login_page_has_no_serious_accessibility_violation(
    browser: Any, console_node: Any
) -> None:
    context = browser.new_context(base_url=console_node.url)
    page = context.new_page()
    page.goto("/login")
    assert _serious_violations(page) == []
    context.close()


def _png() -> bytes:
    """A valid 2×2 RGB PNG, made here (signature, IHDR, IDAT, IEND with their CRCs)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    rows = b"".join(b"\x00" + b"\x0b\x4f\x8a" * 2 for _ in range(2))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def _red_rule_on_coffee(node: Any) -> None:
    """A rule that sends coffee (0901) to the red channel, through the node's API."""
    officer = node.tokens()["officer"]
    created = httpx.post(f"{node.api}/risk/rules", headers={"Authorization": f"Bearer {officer}"},
                         json={"name": "Coffee: browser inspection", "channel": "red",
                               "valid_from": "2026-01-01", "criteria": [
                                   {"field": "commodity_code", "operator": "prefix",
                                    "value": "0901"}]}, timeout=10)
    assert created.status_code == 201, created.text


def test_an_officer_attaches_a_scanner_image_records_the_inspection_and_releases(
    console_node: Any, page_as: Any
) -> None:
    _red_rule_on_coffee(console_node)
    trader = page_as("trader")
    trader.goto("/declarations/new")
    _fill_declaration(trader, "BROWSER-INSPECT")
    trader.fill("#f-items-0-commodity_code", "09011100")
    trader.click("#lodge-button")
    trader.wait_for_selector("#channel")
    assert trader.inner_text("#channel").strip() == "red"
    number = trader.url.rsplit("/", 1)[1]

    officer = page_as("officer")
    officer.goto("/worklist")
    officer.click(f"a:has-text('{number}')")
    officer.wait_for_url(f"**/declarations/{number}")
    assert "Coffee: browser inspection" in officer.inner_text("#reasons")
    officer.select_option("#attach-kind", "scanner_image")
    officer.fill("#attach-scanner", "VN-NII-07")
    officer.set_input_files("#attach-file", files=[
        {"name": "xray.png", "mimeType": "image/png", "buffer": _png()}])
    officer.click("#attachment-form button[type=submit]")
    officer.wait_for_url(f"**/declarations/{number}*")
    image = officer.locator("ul.attachments img")
    expect(image).to_have_count(1)
    assert image.get_attribute("src").startswith(f"/declarations/{number}/attachments/")
    assert image.evaluate("img => img.complete && img.naturalWidth") == 2  # the browser drew it
    assert "VN-NII-07" in officer.inner_text("ul.attachments")

    officer.select_option("#attach-kind", "photo")
    officer.set_input_files("#attach-file", files=[
        {"name": "notes.png", "mimeType": "image/png", "buffer": b"just some notes, not an image"}])
    officer.click("#attachment-form button[type=submit]")
    expect(officer.locator("#err-file")).to_contain_text("not a JPEG, PNG or TIFF")
    officer.goto(f"/declarations/{number}")
    expect(officer.locator("ul.attachments li")).to_have_count(1)  # the text file not stored

    officer.select_option("#outcome", "no_discrepancy")
    officer.fill("#findings", "Scanner image matches the declared coffee; seals intact.")
    officer.click("#inspection-form button[type=submit]")
    expect(officer.locator("#status")).to_have_text("inspected")
    _shot(officer, "inspection")
    # Released only once the duties are paid or secured: the officer's page says what still
    # blocks the release; the trader secures them against its guarantee and the node
    # releases by rule at once (the inspection result is recorded).
    expect(officer.locator("#release-button")).to_have_count(0)
    expect(officer.locator("#release-blocked")).to_contain_text("neither paid nor secured")
    trader.goto(f"/declarations/{number}")
    trader.fill("#guarantee", "VNGUA0001")
    trader.click("#secure-button")
    expect(trader.locator("#status")).to_have_text("released")
    assert Decimal(trader.inner_text("#outstanding").replace(",", "")) == 0
    officer.reload()
    expect(officer.locator("#status")).to_have_text("released")
    expect(officer.locator("#release-button")).to_have_count(0)
    expect(officer.locator("ul.attachments img")).to_have_count(1)


def test_the_network_page_counts_the_partners_messages_as_traffic_runs(
    network: Any, network_page_as: Any
) -> None:
    officer = network_page_as("VN", "officer")
    officer.goto("/network")
    recent = officer.locator("#traffic [data-partner=KH][data-figure=recent]")
    expect(recent).to_have_text("0")  # nothing exchanged yet
    officer.evaluate("window.notReloaded = true")
    # Cambodia releases an export of coffee to Viet Nam (its ACDD goes to Viet Nam before
    # arrival) and issues its e-Form D: AS4 messages from KH to VN.
    traffic = Traffic([node.account() for node in network.values()], seed=5)
    try:
        exporter, importer = traffic.party("KH", "exporter"), traffic.party("VN", "importer")
        items = _items(random.Random(1), "KH")[:1]
        export = traffic.export(1, "KH", "VN", exporter, importer, items)
        certificate = traffic.certify(1, "KH", "VN", exporter, importer, items, flawed=False)
        traffic.wait_for_documents("VN", "KH", export["number"], certificate, timeout=60)
    finally:
        traffic.close()
    # The page polls /network/traffic every 3 s: the figure changes without a reload.
    expect(recent).not_to_have_text("0", timeout=20_000)
    assert int(recent.inner_text()) >= 2  # the ACDD and the e-Form D at least
    assert officer.evaluate("window.notReloaded") is True
    assert officer.url.endswith("/network")
    _shot(officer, "network")
