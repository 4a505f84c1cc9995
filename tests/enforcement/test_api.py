"""The enforcement API of Viet Nam's node (its sample users, off a network): officers raise
and withdraw alerts, read them with their hits, record seizures and set up joint operations;
bad input is refused with what is wrong and where, and changes nothing; traders see nothing
of it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from singlewindow.core.clock import utcnow
from tests.builders import as_json, import_declaration
from tests.nodes import NodeClient

TODAY = utcnow().date()
ALERTS = "/enforcement/alerts"


def alert(**changes: Any) -> dict[str, Any]:
    return {
        "category": "illicit_tobacco", "title": "Cigarettes declared as coffee",
        "description": "Cartons of cigarettes under coffee sacks from Cambodia",
        "criteria": [{"field": "commodity_code", "operator": "prefix", "value": "0901"},
                     {"field": "origin_country", "operator": "in", "value": ["KH", "LA"]}],
        "concealment": ["under the top layer of sacks"],
        "valid_from": TODAY.isoformat(), "valid_to": (TODAY + timedelta(days=30)).isoformat(),
        "channel": "red", **changes}


def count(node: NodeClient) -> int:
    return len(node.client.get(ALERTS, headers=node.as_("officer")).json())


def test_an_officer_raises_an_alert_and_the_next_matching_lodgement_is_a_hit(
        node: NodeClient) -> None:
    raised = node.client.post(ALERTS, json=alert(), headers=node.as_("officer"))
    assert raised.status_code == 201, raised.text
    body = raised.json()
    assert body["id"] == "VN-ALERT-1" and body["status"] == "active" and body["raised_here"]
    lodged = node.client.post("/declarations", json=as_json(import_declaration("ENF-API-1")),
                              headers=node.as_("trader"))
    assert lodged.status_code == 201, lodged.text
    number = lodged.json()["number"]
    seen = node.client.get(f"{ALERTS}/VN-ALERT-1", headers=node.as_("officer")).json()
    assert [(h["declaration"], h["channel"]) for h in seen["hits"]] == [(number, "red")]
    hits = node.client.get("/enforcement/hits", params={"alert": "VN-ALERT-1"},
                           headers=node.as_("officer")).json()
    assert [h["declaration"] for h in hits] == [number]
    # A seizure on it, led by the alert.
    seized = node.client.post("/enforcement/seizures", json={
        "goods": "Cigarettes", "hs_code": "240220", "quantity": "50000", "unit": "sticks",
        "concealment": "under the top layer of sacks", "declaration": number,
        "alert": "VN-ALERT-1"}, headers=node.as_("officer"))
    assert seized.status_code == 201, seized.text
    assert seized.json()["id"] == "VN-SEIZURE-1"
    withdrawn = node.client.post(f"{ALERTS}/VN-ALERT-1/withdrawal",
                                 json={"reason": "the ring was arrested"},
                                 headers=node.as_("officer"))
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    again = node.client.post(f"{ALERTS}/VN-ALERT-1/withdrawal", json={"reason": "again"},
                             headers=node.as_("officer"))
    assert again.status_code == 409 and "withdrawn" in again.json()["detail"]


def test_criteria_with_an_unknown_field_are_refused_naming_it(node: NodeClient) -> None:
    refused = node.client.post(ALERTS, json=alert(criteria=[
        {"field": "commodity_code", "operator": "prefix", "value": "2402"},
        {"field": "smell", "operator": "eq", "value": "strong"}]), headers=node.as_("officer"))
    assert refused.status_code == 422
    errors = refused.json()["errors"]
    assert [e["path"] for e in errors] == ["criteria.1.field"]
    assert "'smell'" in errors[0]["message"]
    assert count(node) == 0


def test_an_alert_naming_an_operation_the_node_is_not_in_is_refused(node: NodeClient) -> None:
    refused = node.client.post(ALERTS, json=alert(operation="OP-ELSEWHERE"),
                               headers=node.as_("officer"))
    assert refused.status_code == 422
    assert refused.json()["errors"] == [{
        "path": "operation", "message": "this node is not a member of joint operation "
                                        "OP-ELSEWHERE"}]
    assert count(node) == 0


def test_bad_alerts_are_refused_with_every_problem(node: NodeClient) -> None:
    bounded = node.client.post(ALERTS, json=alert(title="x" * 201, category="arms",
                                                  criteria=[]), headers=node.as_("officer"))
    assert bounded.status_code == 422
    assert {e["path"].split(".")[0] for e in bounded.json()["errors"]} >= {
        "title", "category", "criteria"}
    dated = node.client.post(ALERTS, json=alert(
        channel="green", valid_to=(TODAY - timedelta(days=1)).isoformat()),
        headers=node.as_("officer"))
    assert dated.status_code == 422
    assert {e["path"] for e in dated.json()["errors"]} == {"valid_to", "channel"}
    unknown = node.client.get(f"{ALERTS}/VN-ALERT-99", headers=node.as_("officer"))
    assert unknown.status_code == 404
    assert count(node) == 0


def test_traders_never_see_alerts_or_criteria(node: NodeClient) -> None:
    node.client.post(ALERTS, json=alert(), headers=node.as_("officer"))
    for path in (ALERTS, f"{ALERTS}/VN-ALERT-1", "/enforcement/hits", "/enforcement/seizures",
                 "/enforcement/operations"):
        seen = node.client.get(path, headers=node.as_("trader"))
        assert seen.status_code == 403, path
        assert "0901" not in seen.text
    raised = node.client.post(ALERTS, json=alert(), headers=node.as_("trader"))
    assert raised.status_code == 403
    lodged = node.client.post("/declarations", json=as_json(import_declaration("ENF-API-2")),
                              headers=node.as_("trader"))
    assert lodged.status_code == 201
    own = node.client.get(f"/declarations/{lodged.json()['number']}",
                          headers=node.as_("trader"))
    assert own.status_code == 200
    assert "VN-ALERT-1" not in own.text and "0901" not in str(own.json().get("selection", ""))


def test_a_joint_operation_and_its_board(node: NodeClient) -> None:
    created = node.client.post("/enforcement/operations", json={
        "code": "OP-MEKONG-26", "name": "Mekong Dragon", "members": ["VN"],
        "starts_on": TODAY.isoformat(), "ends_on": (TODAY + timedelta(days=60)).isoformat()},
        headers=node.as_("officer"))
    assert created.status_code == 201, created.text
    assert created.json()["coordinator"] == "VN"
    raised = node.client.post(ALERTS, json=alert(operation="OP-MEKONG-26"),
                              headers=node.as_("officer"))
    assert raised.status_code == 201, raised.text
    board = node.client.get("/enforcement/operations/OP-MEKONG-26",
                            headers=node.as_("officer")).json()
    assert [a["id"] for a in board["alerts"]] == ["VN-ALERT-1"]
    twice = node.client.post("/enforcement/operations", json={
        "code": "OP-MEKONG-26", "name": "again", "members": ["VN"],
        "starts_on": TODAY.isoformat(), "ends_on": TODAY.isoformat()},
        headers=node.as_("officer"))
    assert twice.status_code == 409
