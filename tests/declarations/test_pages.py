"""The clearance pages of the console: lodging through the form, following a declaration,
the officer's worklist, inspection and release; with the role checks and bad input."""

from __future__ import annotations

import re
from datetime import date
from types import SimpleNamespace

import pytest

from singlewindow.access import services as access
from singlewindow.access.model import Role
from singlewindow.declarations.prearrival import PreArrival
from singlewindow.risk import services as risk
from singlewindow.risk.model import Channel
from tests.builders import import_declaration
from tests.declarations.test_prearrival import acdd_for, message
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
    assert 'id="release-button"' not in page.text  # the inspection result comes first
    assert "needs the officer" in page.text
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


PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def _selected(node: NodeClient, lrn: str = "WEB-0001") -> str:
    """A declaration the office must inspect (a red rule on coffee), lodged through the form."""
    risk.create_rule(node.opened.database, risk.RuleDraft(
        name="Coffee from KH", channel=Channel.RED, valid_from=date(2026, 1, 1),
        criteria=[{"field": "commodity_code", "operator": "prefix", "value": "0901"}]), "admin")
    node.opened.clearance.selectivity.refresh()
    lodged = console_as(node, "trader").post_form("/declarations/new",
                                                   {**FORM, "lrn": lrn, "action": "lodge"})
    return str(lodged.headers["location"].rsplit("/", 1)[1])


def test_a_scanner_image_is_stored_with_the_declaration_and_shown_to_officers_only(
    node: NodeClient,
) -> None:
    number = _selected(node)
    officer = console_as(node, "officer")
    sent = officer.post_form(f"/declarations/{number}/attachments",
                             {"kind": "scanner_image", "scanner_id": "VN-NII-07"},
                             files={"file": ("xray.png", PNG, "image/png")})
    assert sent.status_code == 303
    page = officer.get(f"/declarations/{number}")
    assert "VN-NII-07" in page.text and "xray.png" in page.text
    url = re.search(rf'src="(/declarations/{number}/attachments/\w+)"', page.text)
    assert url, "the image is shown beside the result"
    image = officer.get(url.group(1))
    assert image.content == PNG and image.headers["content-type"] == "image/png"
    assert image.headers["x-content-type-options"] == "nosniff"
    # The API lists the same file, with its digest; the trader sees neither list nor image.
    listed = node.client.get(f"/declarations/{number}/attachments",
                             headers=node.as_("officer")).json()
    assert [a["scanner_id"] for a in listed] == ["VN-NII-07"]
    trader = console_as(node, "trader")
    assert trader.get(url.group(1)).status_code == 403
    assert "VN-NII-07" not in trader.get(f"/declarations/{number}").text
    assert node.client.get(f"/declarations/{number}/attachments",
                           headers=node.as_("trader")).status_code == 403


def test_an_attachment_of_the_wrong_type_size_or_without_its_scanner_is_refused(
    node: NodeClient,
) -> None:
    number = _selected(node)
    officer = console_as(node, "officer")
    path = f"/declarations/{number}/attachments"
    fake = officer.post_form(path, {"kind": "photo"},
                             files={"file": ("photo.png", b"MZ\x90\x00 not an image", "image/png")})
    assert fake.status_code == 422 and "not a JPEG, PNG or TIFF" in fake.text
    unnamed = officer.post_form(path, {"kind": "scanner_image", "scanner_id": ""},
                                files={"file": ("x.png", PNG, "image/png")})
    assert unnamed.status_code == 422 and "names the scanner" in unnamed.text
    huge = officer.post_form(path, {"kind": "photo"},
                             files={"file": ("big.png", PNG + bytes(9 * 1024 * 1024),
                                             "image/png")})
    assert huge.status_code == 413 and "limit" in huge.text
    over = node.client.post(path, headers=node.as_("officer"),
                            files={"file": ("big.png", PNG + bytes(8 * 1024 * 1024),
                                            "image/png")})
    assert over.status_code == 422 and "over the limit" in over.text
    assert node.client.get(path, headers=node.as_("officer")).json() == []


def test_a_discrepancy_takes_the_corrected_data_and_reassesses(node: NodeClient) -> None:
    number = _selected(node)
    officer = console_as(node, "officer")
    before = node.client.get(f"/declarations/{number}", headers=node.as_("officer")).json()
    path = f"/declarations/{number}/inspection"
    bad = officer.post_form(path, {"outcome": "discrepancy", "findings": "twice the weight",
                                   "corrected-0-invoice_amount": "eight thousand"})
    assert bad.status_code == 422 and 'id="err-corrected-0-invoice_amount"' in bad.text
    assert "eight thousand" in bad.text  # what was typed is kept
    unknown = officer.post_form(path, {"outcome": "discrepancy",
                                       "corrected-0-commodity_code": "99999999"})
    assert unknown.status_code == 422
    assert re.search(r'id="err-corrected-0-commodity_code">[^<]+<', unknown.text)
    after_errors = node.client.get(f"/declarations/{number}",
                                   headers=node.as_("officer")).json()
    assert after_errors["version"] == before["version"] and after_errors["status"] == "channelled"
    done = officer.post_form(path, {"outcome": "discrepancy", "findings": "twice the value",
                                    "corrected-0-invoice_amount": "8000"})
    assert done.status_code == 303
    after = node.client.get(f"/declarations/{number}", headers=node.as_("officer")).json()
    assert after["version"] == before["version"] + 1
    assert float(after["settlement"]["assessed"]) > float(before["settlement"]["assessed"])


def test_a_seizure_records_what_was_seized(node: NodeClient) -> None:
    number = _selected(node)
    officer = console_as(node, "officer")
    path = f"/declarations/{number}/inspection"
    missing = officer.post_form(path, {"outcome": "seizure", "seizure-goods": ""})
    assert missing.status_code == 422 and 'id="err-seizure-goods">' in missing.text
    done = officer.post_form(path, {
        "outcome": "seizure", "findings": "cigarettes behind the coffee sacks",
        "seizure-goods": "cigarettes", "seizure-quantity": "12000", "seizure-unit": "NAR",
        "seizure-concealment": "false wall of the container"})
    assert done.status_code == 303
    events = node.client.get(f"/declarations/{number}/events",
                             headers=node.as_("officer")).json()
    seized = [e for e in events if e["kind"] == "seized"][0]["detail"]
    assert seized["goods"] == "cigarettes" and seized["quantity"] == "12000"
    assert seized["concealment"] == "false wall of the container"


# --- amendment and versions compared -------------------------------------------------------

def _lodged(node: NodeClient, lrn: str = "WEB-0001") -> str:
    lodged = console_as(node, "trader").post_form("/declarations/new",
                                                   {**FORM, "lrn": lrn, "action": "lodge"})
    assert lodged.status_code == 303, lodged.text
    return str(lodged.headers["location"].rsplit("/", 1)[1])


def _version(node: NodeClient, number: str) -> int:
    return int(node.client.get(f"/declarations/{number}",
                               headers=node.as_("officer")).json()["version"])


def test_an_amendment_through_the_form_makes_version_2_and_the_versions_page_compares(
    node: NodeClient,
) -> None:
    number = _lodged(node)
    trader = console_as(node, "trader")
    page = trader.get(f"/declarations/{number}")
    assert 'id="amend-link"' in page.text
    form = trader.get(f"/declarations/{number}/amend")
    assert form.status_code == 200
    assert 'value="Green coffee beans"' in form.text  # the current version, pre-filled
    assert 'name="expected_version" value="1"' in form.text
    done = trader.post_form(f"/declarations/{number}/amend",
                            {**FORM, "expected_version": "1", "incoterm": "FOB",
                             "items-0-quantity": "900", "action": "amend"})
    assert done.status_code == 303, done.text
    assert _version(node, number) == 2
    versions = trader.get(f"/declarations/{number}/versions")
    assert versions.status_code == 200
    assert re.search(r'data-field="incoterm"><th scope="row">incoterm</th>'
                     r'<td><del>FCA</del></td><td><mark>FOB</mark>', versions.text)
    assert re.search(r'data-field="items-1-quantity">.*<del>1000</del>.*<mark>900</mark>',
                     versions.text)
    # The officer sees the same comparison.
    assert "<mark>FOB</mark>" in console_as(node, "officer").get(
        f"/declarations/{number}/versions").text


def test_a_bad_amendment_keeps_version_1_and_shows_the_error_beside_its_field(
    node: NodeClient,
) -> None:
    number = _lodged(node)
    trader = console_as(node, "trader")
    bad = trader.post_form(f"/declarations/{number}/amend",
                           {**FORM, "expected_version": "1", "items-0-quantity": "-3",
                            "items-0-description": "Roasted beans", "action": "amend"})
    assert bad.status_code == 422
    assert re.search(r'id="err-items-0-quantity">[^<]+<', bad.text)
    assert 'value="Roasted beans"' in bad.text  # what was typed is kept
    unknown = trader.post_form(f"/declarations/{number}/amend",
                               {**FORM, "expected_version": "1",
                                "items-0-commodity_code": "99999999", "action": "amend"})
    assert unknown.status_code == 422
    assert re.search(r'id="err-items-0-commodity_code">[^<]+<', unknown.text)
    assert _version(node, number) == 1


def test_a_stale_amendment_says_someone_changed_it_meanwhile(node: NodeClient) -> None:
    number = _lodged(node)
    trader = console_as(node, "trader")
    first = trader.post_form(f"/declarations/{number}/amend",
                             {**FORM, "expected_version": "1", "incoterm": "FOB",
                              "action": "amend"})
    assert first.status_code == 303
    stale = trader.post_form(f"/declarations/{number}/amend",
                             {**FORM, "expected_version": "1", "incoterm": "EXW",
                              "action": "amend"})
    assert stale.status_code == 409 and 'id="stale"' in stale.text
    assert 'value="EXW"' in stale.text
    assert _version(node, number) == 2


def test_only_the_declarant_amends(node: NodeClient) -> None:
    number = _lodged(node)
    officer = console_as(node, "officer")
    assert officer.get(f"/declarations/{number}/amend").status_code == 403
    assert officer.post_form(f"/declarations/{number}/amend",
                             {**FORM, "expected_version": "1"}).status_code == 403
    assert 'id="amend-link"' not in officer.get(f"/declarations/{number}").text
    assert _version(node, number) == 1


def test_another_trader_can_neither_see_nor_amend_the_declaration(node: NodeClient) -> None:
    number = _lodged(node)
    password = "Another trader's long passphrase 42"
    access.create_user(node.opened.database, "trader2", Role.TRADER, party_id="VNTRADER0999",
                       password=password)
    other = console_client(node)
    other.refresh_csrf()
    assert other.post_form("/login", {"username": "trader2",
                                      "password": password}).status_code == 303
    other.refresh_csrf("/login")
    assert other.get(f"/declarations/{number}/amend").status_code == 404
    assert other.post_form(f"/declarations/{number}/amend",
                           {**FORM, "expected_version": "1", "incoterm": "FOB",
                            "action": "amend"}).status_code == 404
    assert other.get(f"/declarations/{number}/versions").status_code == 404
    assert other.post_form(f"/declarations/{number}/security",
                           {"guarantee": "VNGUA0001"}).status_code == 404
    assert _version(node, number) == 1


def test_a_selected_declaration_offers_no_amendment_and_refuses_one(node: NodeClient) -> None:
    number = _selected(node)
    trader = console_as(node, "trader")
    assert 'id="amend-link"' not in trader.get(f"/declarations/{number}").text
    form = trader.get(f"/declarations/{number}/amend")  # typed in by hand: the rule's reason
    assert form.status_code == 409 and "only an officer corrects" in form.text
    refused = trader.post_form(f"/declarations/{number}/amend",
                               {**FORM, "expected_version": "1", "incoterm": "FOB",
                                "action": "amend"})
    assert refused.status_code == 409 and "only an officer corrects" in refused.text
    assert _version(node, number) == 1


# --- what is owed: payments by banks, security against a guarantee --------------------------

def test_the_trader_secures_what_is_owed_against_its_guarantee(node: NodeClient) -> None:
    number = _lodged(node)
    trader = console_as(node, "trader")
    page = trader.get(f"/declarations/{number}")
    assert 'id="security-form"' in page.text and "VNGUA0001" in page.text  # its guarantee
    assert "cannot be reported here" in page.text
    wrong = trader.post_form(f"/declarations/{number}/security", {"guarantee": "VNGUA9999"})
    assert wrong.status_code == 422
    assert re.search(r'id="err-guarantee">no guarantee VNGUA9999[^<]*<', wrong.text)
    assert 'value="VNGUA9999"' in wrong.text
    blank = trader.post_form(f"/declarations/{number}/security", {"guarantee": ""})
    assert blank.status_code == 422 and re.search(r'id="err-guarantee">[^<]+<', blank.text)
    before = node.client.get(f"/declarations/{number}", headers=node.as_("officer")).json()
    assert float(before["settlement"]["secured"]) == 0
    done = trader.post_form(f"/declarations/{number}/security", {"guarantee": "VNGUA0001"})
    assert done.status_code == 303, done.text
    after = node.client.get(f"/declarations/{number}", headers=node.as_("officer")).json()
    assert after["settlement"]["outstanding"] in ("0", "0.00", 0)
    assert after["settlement"]["secured"] == before["settlement"]["outstanding"]
    assert 'id="security-form"' not in trader.get(f"/declarations/{number}").text
    # Nothing is left to secure: a second try says so beside the field.
    again = trader.post_form(f"/declarations/{number}/security", {"guarantee": "VNGUA0001"})
    assert again.status_code == 422 and "nothing is owed" in again.text


def test_payments_confirmed_by_the_bank_are_listed_and_no_trader_reports_one(
    node: NodeClient,
) -> None:
    number = _lodged(node)
    notice = node.client.get(f"/declarations/{number}",
                             headers=node.as_("trader")).json()["payment_notice"]
    payment = {"notice": notice["reference"], "amount": notice["amount"], "currency": "VND",
               "bank_reference": "VCB-2026-77"}
    assert node.client.post("/payments", json=payment,
                            headers=node.as_("bank")).status_code == 201
    trader = console_as(node, "trader")
    page = trader.get(f"/declarations/{number}")
    assert 'id="payments"' in page.text and "VCB-2026-77" in page.text
    assert 'action="/payments"' not in page.text  # the console has no way to report one
    assert trader.post_form("/payments", payment).status_code in (403, 404, 405)



# --- pre-arrival records and guarantees --------------------------------------------------------

def test_a_trader_cannot_reach_the_pre_arrival_records(node: NodeClient) -> None:
    refused = console_as(node, "trader").get("/prearrival")
    assert refused.status_code == 403
    assert 'href="/prearrival"' not in console_as(node, "trader").get("/declarations").text


def test_a_standalone_node_says_it_receives_no_pre_arrival_data(node: NodeClient) -> None:
    page = console_as(node, "officer").get("/prearrival")
    assert page.status_code == 200 and 'id="standalone"' in page.text


def test_the_pre_arrival_page_lists_a_received_record_with_its_channel_and_reasons(
    node: NodeClient, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The node on a network: the receiver of ACDDs that tests/declarations/test_prearrival.py
    # drives, fed one export of Cambodia as the exchange would hand it over.
    records = PreArrival(node.opened.database, "VN")
    with node.opened.database.unit_of_work() as session:
        records.receive(session, message(acdd_for(import_declaration())))
    monkeypatch.setattr(node.opened, "network",
                        SimpleNamespace(pre_arrival=records, gateway=None, origin=None))
    officer = console_as(node, "officer")
    page = officer.get("/prearrival")
    assert page.status_code == 200
    assert 'data-reference="KH26KHPNH0000000017"' in page.text
    stored = records.get("KH", "KH26KHPNH0000000017")
    assert f"channel-{stored.channel}" in page.text
    assert all(reason in page.text for reason in stored.reasons)
    assert "not matched yet" in page.text
    assert 'href="/prearrival"' in page.text  # in the officer's menu
    unmatched = officer.get("/prearrival?matched=no")
    assert 'data-reference="KH26KHPNH0000000017"' in unmatched.text
    matched = officer.get("/prearrival?matched=yes")
    assert 'data-reference="KH26KHPNH0000000017"' not in matched.text
    other = "red" if stored.channel != "red" else "green"
    assert "KH26KHPNH0000000017" not in officer.get(f"/prearrival?channel={other}").text
    assert officer.get("/prearrival?matched=perhaps").status_code == 422


def test_guarantees_show_their_balance_to_officers_and_to_their_holder(
    node: NodeClient,
) -> None:
    officer = console_as(node, "officer").get("/guarantees")
    assert officer.status_code == 200 and 'data-reference="VNGUA0001"' in officer.text
    trader = console_as(node, "trader")
    assert 'data-reference="VNGUA0001"' in trader.get("/guarantees").text
    number = _lodged(node)
    assert trader.post_form(f"/declarations/{number}/security",
                            {"guarantee": "VNGUA0001"}).status_code == 303
    one = trader.get("/guarantees/VNGUA0001")
    assert one.status_code == 200 and number in one.text
    assert console_as(node, "issuer").get("/guarantees").status_code == 403
