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
    assert read == {"random_share": 0.05, "random_channel": "red", "red_rate": 0.02,
                    "yellow_rate": 0.05, "aeo_factor": 0.5, "aeo_random_share": 0.005}
    rates = {"random_share": 0.01, "red_rate": 0.03, "yellow_rate": 0.08, "aeo_factor": 0.25,
             "aeo_random_share": 0.002}
    assert node.client.put("/risk/policy", json=rates,
                           headers=node.as_("admin")).status_code == 200
    assert node.client.get("/risk/policy", headers=node.as_("officer")).json() == rates | {
        "random_channel": "yellow"}
    too_much = {"random_share": 0.0, "red_rate": 0.6, "yellow_rate": 0.6}
    assert node.client.put("/risk/policy", json=too_much,
                           headers=node.as_("admin")).status_code == 422
    assert node.client.put("/risk/policy", json={"random_share": 2},
                           headers=node.as_("admin")).status_code == 422
    # An AEO is not checked more than others, and never not at all while others are.
    for aeo_share in (0.02, 0.0, 1.5):
        refused = node.client.put("/risk/policy",
                                  json={"random_share": 0.01, "aeo_random_share": aeo_share},
                                  headers=node.as_("admin"))
        assert refused.status_code == 422
        assert "aeo_random_share" in {e["path"] for e in refused.json()["errors"]}
    # Omitted: the usual AEO share, or everyone's when that is lower.
    low = node.client.put("/risk/policy", json={"random_share": 0.001},
                          headers=node.as_("admin"))
    assert low.status_code == 200 and low.json()["aeo_random_share"] == 0.001


def test_unknown_rule_is_404(node):
    assert node.client.get("/risk/rules/nope", headers=node.as_("officer")).status_code == 404


def test_models_comparison_promotion_and_drift(node, database):
    import random
    from datetime import timedelta

    from singlewindow.risk.learning import services as learning

    from .conftest import FAST, History, days_ago, enough_history

    history = History(database, random.Random(5))
    enough_history(history, days=100, end=32)
    first = learning.train_candidate(database, **FAST)
    assert node.client.get("/risk/models", headers=node.as_("trader")).status_code == 403
    listed = node.client.get("/risk/models", headers=node.as_("officer"))
    assert listed.status_code == 200
    assert [(m["version"], m["status"], m["calibrated"]) for m in listed.json()] == [
        (first.version, "candidate", True)]
    path = f"/risk/models/{first.version}/promotion"
    assert node.client.post(path, headers=node.as_("officer")).status_code == 403
    assert node.client.post(path, headers=node.as_("admin")).status_code == 409  # not compared
    assert node.client.get(f"/risk/models/{first.version}/comparison",
                           headers=node.as_("officer")).status_code == 200
    promoted = node.client.post(path, headers=node.as_("admin"))
    assert promoted.status_code == 200 and promoted.json()["promoted_by"]
    assert promoted.json()["status"] == "in_service"

    history.flow(1200, days_ago(30), inspected=0.6, spacing=timedelta(days=28) / 1200)
    second = learning.train_candidate(database, **FAST)
    refused = node.client.post(f"/risk/models/{second.version}/promotion",
                               headers=node.as_("admin"))
    assert refused.status_code == 409  # not compared yet
    compared = node.client.get(f"/risk/models/{second.version}/comparison",
                               headers=node.as_("officer"))
    assert compared.status_code == 200, compared.text
    report = compared.json()
    assert report["in_service"] == first.version and report["candidate_metrics"]["n"] > 0
    assert node.client.post(f"/risk/models/{second.version}/promotion",
                            headers=node.as_("admin")).status_code == 200
    assert node.client.get("/risk/models/99/comparison",
                           headers=node.as_("officer")).status_code == 404

    learning.backfill(database, since=days_ago(110).date())
    drift = node.client.get("/risk/drift", headers=node.as_("officer"))
    assert drift.status_code == 200
    assert drift.json()["version"] == second.version and drift.json()["weeks"]
    assert node.client.get("/risk/drift", headers=node.as_("trader")).status_code == 403
