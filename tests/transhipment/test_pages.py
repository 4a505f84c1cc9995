"""The transhipment pages of the console (Viet Nam's node, hub Saigon): officers find a
consignment by its transport document and read its legs with the origin each recorded; the
laundering hubs listed, samples marked; the administrator lists and ends one; traders never
see either; a refusal is shown on its page, never a 500."""

from __future__ import annotations

from tests.nodes import NodeClient
from tests.transhipment.builders import arrival_body, departure_body
from tests.web.console import console_as


def record_consignment(node: NodeClient) -> None:
    officer = node.as_("officer")
    assert node.client.post("/transhipment/arrivals", headers=officer,
                            json=arrival_body(port="VNSGN")).status_code == 201
    assert node.client.post("/transhipment/departures", headers=officer,
                            json=departure_body(port="VNSGN", to_port="KHKOS")).status_code == 201


def test_an_officer_finds_a_consignment_and_reads_its_legs(node: NodeClient) -> None:
    record_consignment(node)
    officer = console_as(node, "officer")
    listed = officer.get("/transhipment")
    assert listed.status_code == 200 and 'data-document="COSU6300012345"' in listed.text
    assert 'href="/transhipment/hubs"' in listed.text  # in the menu
    found = officer.get("/transhipment", params={"q": "msku7788990011"},
                        follow_redirects=False)
    assert found.status_code == 303
    assert found.headers["location"] == "/transhipment/consignments/MSKU7788990011"
    legs = officer.get(found.headers["location"])
    assert legs.status_code == 200
    assert "CNSHA → VNSGN" in legs.text and "VNSGN → KHKOS" in legs.text
    assert legs.text.count('data-origin="CN"') == 2
    unknown = officer.get("/transhipment", params={"q": "NOSUCH0001"})
    assert unknown.status_code == 404 and "No consignment or declaration NOSUCH0001" in (
        unknown.text)
    assert officer.get("/transhipment/consignments/NOSUCH0001").status_code == 404


def test_traders_see_neither_the_legs_nor_the_hubs(node: NodeClient) -> None:
    trader = console_as(node, "trader")
    own = trader.get("/declarations")
    assert own.status_code == 200 and 'href="/transhipment' not in own.text
    assert trader.get("/transhipment").status_code == 403
    assert trader.get("/transhipment/hubs").status_code == 403


def test_the_administrator_lists_and_ends_a_hub_and_a_bad_one_is_refused_on_the_page(
        node: NodeClient) -> None:
    officer, admin = console_as(node, "officer"), console_as(node, "admin")
    page = officer.get("/transhipment/hubs")
    assert page.status_code == 200 and 'data-sample="yes"' in page.text
    assert 'id="listing-form"' not in page.text
    assert officer.post_form("/transhipment/hubs", {"port": "SGSIN", "hs_prefix": "8507",
                                                    "listed_from": "2026-06-01"}
                             ).status_code == 403
    bad = admin.post_form("/transhipment/hubs", {"port": "SGSIN", "hs_prefix": "850",
                                                 "listed_from": "2026-06-01"})
    assert bad.status_code == 422 and "hs_prefix" in bad.text
    assert "8507" not in admin.get("/transhipment/hubs").text
    added = admin.post_form("/transhipment/hubs", {"port": "sgsin", "hs_prefix": "8507",
                                                   "listed_from": "2026-06-01",
                                                   "note": "lithium-ion cells"},
                            follow_redirects=False)
    assert added.status_code == 303
    listed = admin.get("/transhipment/hubs").text
    assert "lithium-ion cells" in listed
    listing = listed.split("lithium-ion cells")[0].rsplit('data-listing="', 1)[1].split('"')[0]
    ended = admin.post_form(f"/transhipment/hubs/{listing}/end",
                            {"listed_until": "2026-12-31"}, follow_redirects=False)
    assert ended.status_code == 303
    assert "2026-12-31" in admin.get("/transhipment/hubs").text
    assert admin.post_form("/transhipment/hubs/99999/end",
                           {"listed_until": "2026-12-31"}).status_code == 404
