"""The clearance pages of the console: lodging through the form, following a declaration,
the officer's worklist, inspection and release; with the role checks and bad input."""

from __future__ import annotations

import re
from datetime import date

from singlewindow.risk import services as risk
from singlewindow.risk.model import Channel
from tests.nodes import NodeClient
from tests.web.console import console_as, console_client

FORM = {
    "type": "IM", "lrn": "WEB-0001", "declarant_name": "Sample Trader Co.",
    "office": "VNHCM01", "export_country": "KH", "destination_country": "VN",
    "transport_mode": "3", "incoterm": "FCA", "invoice_currency": "USD",
    "freight": "120", "insurance": "15",
    "items-0-commodity_code": "09011100", "items-0-description": "Green coffee beans",
    "items-0-origin_country": "KH", "items-0-quantity": "1000", "items-0-quantity_unit": "kg",
    "items-0-net_mass": "1000", "items-0-gross_mass": "1050", "items-0-invoice_amount": "4000",
}


def _count(node: NodeClient) -> int:
    return int(node.client.get("/declarations", headers=node.as_("officer")).json()["total"])


def test_a_trader_lodges_through_the_form_and_sees_channel_and_duties(node: NodeClient) -> None:
    trader = console_as(node, "trader")
    lodged = trader.post_form("/declarations/new", {**FORM, "action": "lodge"})
    assert lodged.status_code == 303, lodged.text
    page = trader.get(lodged.headers["location"])
    assert page.status_code == 200
    assert 'id="channel"' in page.text and "WEB-0001" in page.text
    assert re.search(r'id="assessed">[0-9,.]+ VND', page.text)
    assert "Why it was selected" not in page.text  # traders never see risk reasons
    listed = trader.get("/declarations?status=channelled")
    assert lodged.headers["location"].rsplit("/", 1)[1] in listed.text or "released" in page.text


def test_a_form_with_errors_keeps_what_was_typed_shows_each_error_and_stores_nothing(
    node: NodeClient,
) -> None:
    trader = console_as(node, "trader")
    before = _count(node)
    bad = {**FORM, "items-0-commodity_code": "0901", "items-0-quantity": "-3"}
    answer = trader.post_form("/declarations/new", {**bad, "action": "lodge"})
    assert answer.status_code == 422
    assert 'id="err-items-0-quantity">' in answer.text
    assert not re.search(r'id="err-items-0-quantity"></span>', answer.text)
    assert 'value="Green coffee beans"' in answer.text  # kept
    assert _count(node) == before


def test_the_live_check_answers_every_fields_error_slot_out_of_band(node: NodeClient) -> None:
    trader = console_as(node, "trader")
    answer = trader.post_form("/declarations/new/check", {**FORM, "items-0-commodity_code": "99"})
    assert answer.status_code == 200
    slot = re.search(r'id="err-items-0-commodity_code" hx-swap-oob="true">([^<]*)<', answer.text)
    assert slot and slot.group(1).strip()
    ok = re.search(r'id="err-lrn" hx-swap-oob="true">([^<]*)<', answer.text)
    assert ok and ok.group(1) == ""


def test_goods_items_are_added_and_removed_without_storing(node: NodeClient) -> None:
    trader = console_as(node, "trader")
    before = _count(node)
    added = trader.post_form("/declarations/new", {**FORM, "action": "add-item"})
    assert 'name="items-1-commodity_code"' in added.text
    removed = trader.post_form("/declarations/new", {**FORM, "items-1-description": "x",
                                                     "action": "remove-item-0"})
    assert 'name="items-1-commodity_code"' not in removed.text
    assert 'value="x"' in removed.text  # the second item became the first
    assert _count(node) == before


def test_the_officer_works_the_worklist_inspects_and_releases(node: NodeClient) -> None:
    risk.create_rule(node.opened.database, risk.RuleDraft(
        name="Coffee from KH", channel=Channel.RED, valid_from=date(2026, 1, 1),
        criteria=[{"field": "commodity_code", "operator": "prefix", "value": "0901"}]), "admin")
    node.opened.clearance.selectivity.refresh()
    trader = console_as(node, "trader")
    lodged = trader.post_form("/declarations/new", {**FORM, "action": "lodge"})
    number = lodged.headers["location"].rsplit("/", 1)[1]
    officer = console_as(node, "officer")
    worklist = officer.get("/worklist")
    assert number in worklist.text and "Coffee from KH" in worklist.text
    page = officer.get(f"/declarations/{number}")
    assert 'id="inspection-form"' in page.text and "Coffee from KH" in page.text
    assert 'id="release-button"' in page.text
    missing = officer.post_form(f"/declarations/{number}/inspection", {"outcome": ""})
    assert missing.status_code == 422 and "choose the inspection" in missing.text
    done = officer.post_form(f"/declarations/{number}/inspection",
                             {"outcome": "no_discrepancy", "findings": "seals intact"})
    assert done.status_code == 303
    assert number not in officer.get("/worklist").text
    assert "inspected" in officer.get(f"/declarations/{number}").text
    # The trader can neither inspect nor release its own goods.
    assert trader.post_form(f"/declarations/{number}/release").status_code == 403


def test_roles_sessions_and_csrf_are_checked_on_the_server(node: NodeClient) -> None:
    trader = console_as(node, "trader")
    refused = trader.get("/worklist")
    assert refused.status_code == 403 and "officer" in refused.text
    assert console_as(node, "officer").get("/declarations/new").status_code == 403
    anonymous = console_client(node)
    away = anonymous.get("/declarations/new")
    assert away.status_code == 303 and away.headers["location"].startswith("/login?next=")
    before = _count(node)
    forged = trader.post("/declarations/new", data={**FORM, "action": "lodge"})  # no token
    assert forged.status_code == 403
    assert _count(node) == before
