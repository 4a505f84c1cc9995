"""The enforcement pages of the console: an officer raises an alert from the form, sees it
among those raised with the hit a matching lodgement made, withdraws it; records and shares a
seizure; sets up a joint operation and reads its board. A refusal of the room is shown on its
page (never a 500) and changes nothing; a trader finds no page and no menu entry."""

from __future__ import annotations

import re
from datetime import timedelta

from singlewindow.core.clock import utcnow
from tests.builders import TRADER, import_declaration
from tests.nodes import NodeClient
from tests.web.console import console_as

TODAY = utcnow().date()


def alert_form(**changes: object) -> dict[str, object]:
    form: dict[str, object] = {
        "category": "illicit_tobacco", "title": "Cigarettes under coffee",
        "description": "Master cases of cigarettes under coffee sacks",
        "criteria": "commodity_code prefix 0901\norigin_country in KH, LA",
        "concealment": "under the top layer of sacks\nfalse floor",
        "valid_from": TODAY.isoformat(), "valid_to": (TODAY + timedelta(days=30)).isoformat(),
        "channel": "red", "operation": ""}
    form.update(changes)
    return form


def test_an_officer_raises_an_alert_and_follows_its_hits(node: NodeClient) -> None:
    officer = console_as(node, "officer")
    answer = officer.post_form("/enforcement/alerts", alert_form())
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/enforcement/alerts/VN-ALERT-1"
    lodged = node.opened.clearance.lodge(import_declaration("PAGE-ENF-1"), TRADER)
    page = officer.get("/enforcement/alerts/VN-ALERT-1").text
    assert "commodity_code prefix 0901" in page and "origin_country in KH, LA" in page
    assert "false floor" in page
    assert f'data-declaration="{lodged.number}"' in page
    listed = officer.get("/enforcement/alerts").text
    raised = listed.split('id="raised-alerts"')[1]
    assert 'data-alert="VN-ALERT-1"' in raised and 'data-hits="1"' in raised
    withdrawn = officer.post_form("/enforcement/alerts/VN-ALERT-1/withdrawal",
                                  {"reason": "the ring was arrested"})
    assert withdrawn.status_code == 303
    assert 'data-status="withdrawn"' in officer.get("/enforcement/alerts/VN-ALERT-1").text
    again = officer.post_form("/enforcement/alerts/VN-ALERT-1/withdrawal", {"reason": "x"})
    assert again.status_code == 409 and 'id="refusal"' in again.text


def test_a_refused_alert_is_shown_on_the_form_and_nothing_is_kept(node: NodeClient) -> None:
    officer = console_as(node, "officer")
    unknown = officer.post_form("/enforcement/alerts", alert_form(
        criteria="smell eq strong"))
    assert unknown.status_code == 422
    assert re.search(r'id="refusal"[^>]*>[^<]*criteria\.0\.field', unknown.text), unknown.text
    assert "smell eq strong" in unknown.text  # what was typed is kept on the form
    outside = officer.post_form("/enforcement/alerts", alert_form(operation="OP-NOWHERE"))
    assert outside.status_code == 422 and "not a member of joint operation" in outside.text
    dates = officer.post_form("/enforcement/alerts", alert_form(valid_to="soon"))
    assert dates.status_code == 422
    assert "No alert raised here." in officer.get("/enforcement/alerts").text
    missing = officer.get("/enforcement/alerts/VN-ALERT-9")
    assert missing.status_code == 404


def test_seizures_and_a_joint_operations_board(node: NodeClient) -> None:
    officer = console_as(node, "officer")
    made = officer.post_form("/enforcement/operations", {
        "code": "OP-MEKONG-26", "name": "Mekong Dragon", "members": ["VN"],
        "starts_on": TODAY.isoformat(), "ends_on": (TODAY + timedelta(days=9)).isoformat()})
    assert made.status_code == 303, made.text
    raised = officer.post_form("/enforcement/alerts", alert_form(operation="OP-MEKONG-26"))
    assert raised.status_code == 303, raised.text
    lodged = node.opened.clearance.lodge(import_declaration("PAGE-ENF-2"), TRADER)
    seized = officer.post_form("/enforcement/seizures", {
        "goods": "Cigarettes", "hs_code": "240220", "quantity": "50000", "unit": "sticks",
        "concealment": "under the sacks", "declaration": lodged.number, "alert": "VN-ALERT-1"})
    assert seized.status_code == 303, seized.text
    bad = officer.post_form("/enforcement/seizures", {
        "goods": "Cigarettes", "hs_code": "24", "quantity": "lots", "unit": "sticks"})
    assert bad.status_code == 422 and 'id="refusal"' in bad.text
    board = officer.get("/enforcement/operations/OP-MEKONG-26").text
    assert 'data-alert="VN-ALERT-1"' in board
    assert f'data-declaration="{lodged.number}"' in board
    assert 'data-seizure="VN-SEIZURE-1"' in board
    shared = officer.post_form("/enforcement/seizures/VN-SEIZURE-1/share")
    assert shared.status_code == 303
    assert officer.get("/enforcement/operations/OP-NONE").status_code == 404


def test_traders_find_no_enforcement_page(node: NodeClient) -> None:
    trader = console_as(node, "trader")
    assert "/enforcement" not in trader.get("/declarations").text
    for path in ("/enforcement/alerts", "/enforcement/seizures", "/enforcement/operations"):
        assert trader.get(path).status_code in (302, 303, 403), path
    officer = console_as(node, "officer")
    menu = officer.get("/enforcement/alerts").text
    for path in ("/enforcement/alerts", "/enforcement/seizures", "/enforcement/operations"):
        assert f'href="{path}"' in menu
