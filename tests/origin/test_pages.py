"""The certificates of origin in the console: the issuing authority issues an e-Form D through
the form and follows the importing country's answer; the role checks and bad input.

`pair` is Viet Nam's node on the database under test and Cambodia's on its own SQLite, both
on a network (keys, trust lists and P-Modes as `devnet.network.provision` makes them); what
one queues is carried to the other in process (`carry`), so the test decides when."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from singlewindow.core.db import Database
from tests.nodes import NodeClient
from tests.pair import FORM, Pair, open_pair
from tests.web.console import console_as


@pytest.fixture
def pair(database: Database, tmp_path: Path) -> Iterator[Pair]:
    yield from open_pair(database, tmp_path)


def _issued(node: NodeClient) -> int:
    answer = node.client.get("/origin/certificates?provenance=issued", headers=node.as_("officer"))
    assert answer.status_code == 200, answer.text
    return int(answer.json()["total"])


def test_the_issuer_issues_through_the_form_and_sees_it_listed_and_sent(pair: Pair) -> None:
    issuer = console_as(pair.vn, "issuer")
    assert 'name="items-0-subheading"' in issuer.get("/certificates/new").text
    issued = issuer.post_form("/certificates/new", {**FORM, "action": "issue"})
    assert issued.status_code == 303, issued.text
    assert issued.headers["location"] == "/certificates/VN-2026-WEB-001"
    page = issuer.get(issued.headers["location"])
    assert page.status_code == 200
    assert 'data-status="sent"' in page.text
    assert "Black pepper, neither crushed nor ground" in page.text
    assert "Phnom Penh Spice Trading Co., Ltd." in page.text
    listed = issuer.get("/certificates")
    assert "VN-2026-WEB-001" in listed.text and 'data-status="sent"' in listed.text
    assert "VN-2026-WEB-001" in issuer.get("/certificates?status=sent").text
    assert "VN-2026-WEB-001" not in issuer.get("/certificates?status=rejected").text


def test_the_issuer_sees_the_importing_countrys_rejection_with_its_reasons(pair: Pair) -> None:
    issuer = console_as(pair.vn, "issuer")
    assert issuer.post_form("/certificates/new", {**FORM, "action": "issue"}).status_code == 303
    assert pair.carry(pair.vn, pair.kh) == 1
    kh_origin = pair.kh.opened.origin
    assert kh_origin is not None
    with pair.kh.opened.database.unit_of_work() as session:
        kh_origin.answer(session, "VN-2026-WEB-001", False,
                         ["the consignee KHIMP0007 is not registered with Cambodia's customs"],
                         issuing_country="VN")
    assert pair.carry(pair.kh, pair.vn) == 1
    page = issuer.get("/certificates/VN-2026-WEB-001")
    assert 'data-status="rejected"' in page.text
    assert re.search(r'id="reasons">\s*<li>the consignee KHIMP0007 is not registered', page.text)
    rejected = issuer.get("/certificates?status=rejected")
    assert "VN-2026-WEB-001" in rejected.text and "is not registered" in rejected.text
    # Cambodia's officer reads the received one, named by its issuing country.
    officer = console_as(pair.kh, "officer")
    received = officer.get("/certificates?provenance=received")
    assert "issuing_country=VN&amp;provenance=received" in received.text
    one = officer.get("/certificates/VN-2026-WEB-001?issuing_country=VN&provenance=received")
    assert one.status_code == 200 and 'data-status="rejected"' in one.text


def test_a_form_with_errors_shows_each_beside_its_field_keeps_what_was_typed_stores_nothing(
    pair: Pair,
) -> None:
    issuer = console_as(pair.vn, "issuer")
    before = _issued(pair.vn)
    bad = {**FORM, "items-0-quantity": "lots", "consignee-name": ""}
    answer = issuer.post_form("/certificates/new", {**bad, "action": "issue"})
    assert answer.status_code == 422
    assert re.search(r'id="err-items-0-quantity">[^<]+</span>', answer.text)
    assert re.search(r'id="err-consignee-name">[^<]+</span>', answer.text)
    assert 'id="err-reference"></span>' in answer.text
    assert 'value="Black pepper, neither crushed nor ground"' in answer.text  # kept
    # The service's own rules, beside their fields too: an exporter outside Viet Nam.
    foreign = issuer.post_form("/certificates/new", {**FORM, "exporter-country": "TH",
                                                     "action": "issue"})
    assert foreign.status_code == 422
    assert re.search(r'id="err-exporter-country">[^<]+</span>', foreign.text)
    assert _issued(pair.vn) == before


def test_goods_items_are_added_and_removed_without_issuing(pair: Pair) -> None:
    issuer = console_as(pair.vn, "issuer")
    added = issuer.post_form("/certificates/new", {**FORM, "action": "add-item"})
    assert added.status_code == 200 and 'name="items-1-subheading"' in added.text
    removed = issuer.post_form("/certificates/new", {**FORM, "items-1-description": "x",
                                                     "action": "remove-item-0"})
    assert 'name="items-1-subheading"' not in removed.text and 'value="x"' in removed.text
    assert _issued(pair.vn) == 0


def test_a_reference_issued_twice_is_refused_beside_the_reference(pair: Pair) -> None:
    issuer = console_as(pair.vn, "issuer")
    assert issuer.post_form("/certificates/new", {**FORM, "action": "issue"}).status_code == 303
    again = issuer.post_form("/certificates/new", {**FORM, "action": "issue"})
    assert again.status_code == 409
    assert re.search(r'id="err-reference">[^<]*already been issued', again.text)
    assert _issued(pair.vn) == 1


def test_traders_get_403_and_managers_cannot_issue(pair: Pair) -> None:
    trader = console_as(pair.vn, "trader")
    for path in ("/certificates", "/certificates/new", "/certificates/VN-2026-WEB-001"):
        assert trader.get(path).status_code == 403
    manager = console_as(pair.vn, "manager")
    assert manager.post_form("/certificates/new", {**FORM, "action": "issue"}).status_code == 403
    assert _issued(pair.vn) == 0
    # Officers read the list (the API lets them read certificates); they do not issue.
    officer = console_as(pair.vn, "officer")
    assert officer.get("/certificates").status_code == 200
    assert officer.get("/certificates/new").status_code == 403


def test_the_menu_offers_the_issuer_its_pages(pair: Pair) -> None:
    home = console_as(pair.vn, "issuer").get("/certificates")
    assert 'href="/certificates/new"' in home.text and 'href="/certificates"' in home.text
    assert 'href="/certificates/new"' not in console_as(pair.vn, "officer").get("/").text


def test_a_standalone_node_says_it_cannot_send_and_stores_nothing(node: NodeClient) -> None:
    issuer = console_as(node, "issuer")
    assert "not on a network" in issuer.get("/certificates/new").text
    assert "not on a network" in issuer.get("/certificates").text
    refused = issuer.post_form("/certificates/new", {**FORM, "action": "issue"})
    assert refused.status_code == 409 and "not on a network" in refused.text
    assert issuer.get("/certificates/VN-2026-WEB-001").status_code == 404
