def rule(**changes):
    return {
        "name": "Rubber from unusual origin",
        "criteria": [
            {"field": "commodity_code", "operator": "prefix", "value": "4001"},
            {"field": "origin_country", "operator": "not_in", "value": ["TH", "MY", "ID", "VN"]},
        ],
        "channel": "yellow",
        "valid_from": "2026-01-01",
    } | changes


def test_officers_create_enable_disable_and_retire_rules(node):
    created = node.client.post("/risk/rules", json=rule(), headers=node.as_("officer"))
    assert created.status_code == 201, created.text
    rule_id = created.json()["id"]
    assert created.json()["status"] == "active" and created.json()["hit_rate"] is None
    for status in ("disabled", "active", "retired"):
        changed = node.client.patch(f"/risk/rules/{rule_id}", json={"status": status},
                                    headers=node.as_("officer"))
        assert changed.json()["status"] == status
    revived = node.client.patch(f"/risk/rules/{rule_id}", json={"status": "active"},
                                headers=node.as_("officer"))
    assert revived.status_code == 409
    retired = node.client.get("/risk/rules?status=retired", headers=node.as_("officer"))
    assert [r["id"] for r in retired.json()["items"]] == [rule_id]


def test_a_bad_rule_gets_every_error(node):
    bad = rule(criteria=[{"field": "colour", "operator": "eq", "value": "red"},
                         {"field": "quantity", "operator": "gt", "value": "lots"},
                         {"field": "office", "operator": "gt", "value": "3"}],
               valid_to="2025-01-01")
    response = node.client.post("/risk/rules", json=bad, headers=node.as_("officer"))
    assert response.status_code == 422
    paths = {e["path"] for e in response.json()["errors"]}
    assert paths == {"criteria.0.field", "criteria.1.value", "criteria.2.operator", "valid_to"}


def test_traders_cannot_see_or_change_rules(node):
    assert node.client.get("/risk/rules", headers=node.as_("trader")).status_code == 403
    assert node.client.post("/risk/rules", json=rule(),
                            headers=node.as_("trader")).status_code == 403


def test_the_policy_is_set_by_admins(node):
    assert node.client.put("/risk/policy", json={"random_share": 0.05},
                           headers=node.as_("officer")).status_code == 403
    updated = node.client.put("/risk/policy", json={"random_share": 0.05, "random_channel": "red"},
                              headers=node.as_("admin"))
    assert updated.status_code == 200
    read = node.client.get("/risk/policy", headers=node.as_("officer")).json()
    assert read == {"random_share": 0.05, "random_channel": "red"}
    assert node.client.put("/risk/policy", json={"random_share": 2},
                           headers=node.as_("admin")).status_code == 422


def test_unknown_rule_is_404(node):
    assert node.client.get("/risk/rules/nope", headers=node.as_("officer")).status_code == 404
