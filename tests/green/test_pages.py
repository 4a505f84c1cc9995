"""The green console pages on Viet Nam's node: an officer records a consent through the form
(a bad one is refused on the page with its reasons, nothing recorded), sees its use shipment
by shipment and revokes it; an administrator sets a rule; a trader is not shown either page."""

from __future__ import annotations

from datetime import timedelta

from singlewindow.core.clock import utcnow
from tests.builders import as_json
from tests.green.builders import waste_import
from tests.nodes import NodeClient
from tests.web.console import console_as


def consent_form(**changes: str) -> dict[str, object]:
    today = utcnow().date()
    form = {"reference": "VN-2026-0042", "exporter": "KHRECYCLE01",
            "exporter_name": "Phnom Penh Plastics Recovery Co.", "importer": "VNTRADER0001",
            "importer_name": "", "basel_code": "Y48", "hs_code": "391590",
            "quantity": "10000", "valid_from": (today - timedelta(days=1)).isoformat(),
            "valid_to": (today + timedelta(days=60)).isoformat()}
    return form | changes


def test_an_officer_records_a_consent_sees_its_use_and_revokes_it(node: NodeClient) -> None:
    officer = console_as(node, "officer")
    bad = officer.post_form("/green/consents", consent_form(quantity="lots", hs_code="090111"))
    assert bad.status_code == 422
    assert "a number, e.g. 10000" in bad.text
    assert 'id="err-quantity">a number' in bad.text
    assert "No consent recorded yet." in bad.text
    wrong = officer.post_form("/green/consents", consent_form(hs_code="090111"))
    assert wrong.status_code == 422 and "is not a waste subheading" in wrong.text
    answer = officer.post_form("/green/consents", consent_form())
    assert answer.status_code == 303, answer.text
    lodged = node.client.post("/declarations", json=as_json(waste_import("LRN-P1", kg="2500")),
                              headers=node.as_("trader"))
    assert lodged.status_code == 201, lodged.text
    page = officer.get("/green/consents/VN-2026-0042").text
    assert f'data-declaration="{lodged.json()["number"]}"' in page
    assert '<dd id="used">2,500.000</dd>' in page and '<dd id="remaining">7,500.000</dd>' in page
    listed = officer.get("/green/consents").text
    assert 'data-reference="VN-2026-0042"' in listed and "2,500.000 / 10,000.000" in listed
    revoked = officer.post_form("/green/consents/VN-2026-0042/revoke",
                                {"reason": "licence withdrawn"})
    assert revoked.status_code == 303
    assert "licence withdrawn" in officer.get("/green/consents/VN-2026-0042").text


def test_an_administrator_sets_a_rule_and_an_officer_only_reads_them(node: NodeClient) -> None:
    admin, officer = console_as(node, "admin"), console_as(node, "officer")
    page = officer.get("/green/rules").text
    assert 'data-rule="sample-a3210-import-ban"' in page and 'data-sample="yes"' in page
    assert 'id="rule-form"' not in page
    assert officer.post_form("/green/rules", {"id": "x", "kind": "ban",
                                              "valid_from": "2026-01-01"}).status_code == 403
    bad = admin.post_form("/green/rules", {"id": "dirty", "kind": "max_contamination",
                                           "valid_from": "2026-01-01", "max_share": "2"})
    assert bad.status_code == 422 and 'id="err-max_share">a maximum contamination' in bad.text
    good = admin.post_form("/green/rules", {"id": "y49-ban", "kind": "ban", "direction": "import",
                                            "basel_code": "Y49", "valid_from": "2026-01-01"})
    assert good.status_code == 303, good.text
    assert 'data-rule="y49-ban"' in admin.get("/green/rules").text


def test_a_trader_is_not_shown_the_pages(node: NodeClient) -> None:
    trader = console_as(node, "trader")
    assert trader.get("/green/consents").status_code == 403
    assert 'href="/green/consents"' not in trader.get("/", follow_redirects=True).text
    menu = console_as(node, "officer").get("/green/rules").text
    assert 'href="/green/consents"' in menu and 'href="/green/rules"' in menu


WASTE_FORM = {
    "type": "IM", "lrn": "WEB-WASTE-1", "declarant_name": "Sample Trader Co.",
    "office": "VNHCM01", "export_country": "KH", "destination_country": "VN",
    "transport_mode": "1", "incoterm": "FCA", "invoice_currency": "USD",
    "freight": "600", "insurance": "0",
    "items-0-commodity_code": "39159000", "items-0-description": "Mixed plastic waste, baled",
    "items-0-origin_country": "KH", "items-0-quantity": "5000", "items-0-quantity_unit": "kg",
    "items-0-net_mass": "5000", "items-0-gross_mass": "5100", "items-0-invoice_amount": "750",
}


def test_the_declaration_form_takes_the_basel_data_and_shows_what_stops_it(
        node: NodeClient) -> None:
    trader = console_as(node, "trader")
    page = trader.get("/declarations/new").text
    assert 'name="items-0-basel_code"' in page and 'name="items-0-contamination_share"' in page
    stopped = trader.post_form("/declarations/new", {**WASTE_FORM, "action": "lodge"})
    assert stopped.status_code == 422
    assert "item 1: HS 391590 is waste: a Basel code is needed" in stopped.text
    # the form's check caught it before lodgement: nothing was stopped at lodgement
    officer = console_as(node, "officer")
    assert "No waste shipment stopped." in officer.get("/green/consents").text
    api = node.client.post("/declarations", json=as_json(waste_import("LRN-API-W1")),
                           headers=node.as_("trader"))
    assert api.status_code == 422
    officer_page = officer.get("/green/consents").text
    assert 'data-lrn="LRN-API-W1"' in officer_page
    assert "no consent VN-2026-0042 was recorded" in officer_page
    attested = {**WASTE_FORM, "items-0-basel_code": "B3011",
                "items-0-recycling_attestation": "ATT-2026-9",
                "items-0-contamination_share": "0.003", "action": "lodge"}
    lodged = trader.post_form("/declarations/new", attested)
    assert lodged.status_code == 303, lodged.text
