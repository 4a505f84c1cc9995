"""The risk room's console pages: profiles created, listed and retired through the forms, the
policy changed by an admin only, the model registry with promotion refused by its gates; with
the role checks and bad input."""

from __future__ import annotations

import random
import re

from singlewindow.access.model import Principal, Role
from singlewindow.risk import services as risk
from singlewindow.risk.learning import services as learning
from singlewindow.risk.model import Channel, InspectionOutcome, Selection
from tests.nodes import NodeClient
from tests.web.console import console_as

from .conftest import FAST, History, days_ago, enough_history, subject

PROFILE = {
    "name": "Tobacco from anywhere", "description": "cigarettes are smuggled",
    "channel": "red", "valid_from": "2026-01-01", "valid_to": "",
    "criteria-0-field": "commodity_code", "criteria-0-operator": "prefix",
    "criteria-0-value": "2402",
    "criteria-1-field": "origin_country", "criteria-1-operator": "in",
    "criteria-1-value": "KH, TH",
    "criteria-2-field": "", "criteria-2-operator": "", "criteria-2-value": "",
}


def _api_rules(node: NodeClient) -> list[dict[str, object]]:
    answer = node.client.get("/risk/rules?limit=500", headers=node.as_("officer"))
    assert answer.status_code == 200
    items: list[dict[str, object]] = answer.json()["items"]
    return items


def test_a_profile_created_through_the_form_is_listed_on_the_page_and_by_the_api(
    node: NodeClient,
) -> None:
    officer = console_as(node, "officer")
    created = officer.post_form("/risk/profiles", PROFILE)
    assert created.status_code == 303, created.text
    assert created.headers["location"] == "/risk/profiles"
    page = officer.get("/risk/profiles")
    assert page.status_code == 200 and "Tobacco from anywhere" in page.text
    [rule] = [r for r in _api_rules(node) if r["name"] == "Tobacco from anywhere"]
    assert rule["status"] == "active" and rule["channel"] == "red"
    assert rule["created_by"] == "officer"
    assert rule["criteria"] == [
        {"field": "commodity_code", "operator": "prefix", "value": "2402"},
        {"field": "origin_country", "operator": "in", "value": ["KH", "TH"]},
    ]
    assert f'id="profile-{rule["id"]}"' in page.text


def test_a_profiles_hit_rate_is_its_findings_among_its_inspected_selections(
    node: NodeClient,
) -> None:
    officer = console_as(node, "officer")
    officer.post_form("/risk/profiles", PROFILE)
    [rule] = [r for r in _api_rules(node) if r["name"] == PROFILE["name"]]
    database = node.opened.database
    picked = Selection(Channel.RED, ("tobacco",), rule_ids=(str(rule["id"]),))
    outcomes = (InspectionOutcome.DISCREPANCY, InspectionOutcome.NO_DISCREPANCY,
                InspectionOutcome.NO_DISCREPANCY, InspectionOutcome.NO_DISCREPANCY, None)
    for n, outcome in enumerate(outcomes):
        with database.unit_of_work() as session:
            risk.record_selections(session, [(f"DEC-HIT-{n}", "declaration",
                                              subject(random.Random(n)), picked)])
            if outcome is not None:
                risk.record_outcome(session, f"DEC-HIT-{n}", outcome)
    row = re.search(rf'id="profile-{rule["id"]}">(.*?)</tr>',
                    officer.get("/risk/profiles").text, re.S)
    assert row is not None
    figures = re.findall(r'<td class="num">([^<]*)</td>', row.group(1))
    assert figures == ["5", "4", "1", "25.0 %"]


def test_a_bad_profile_shows_each_error_beside_its_field_keeps_the_form_and_stores_nothing(
    node: NodeClient,
) -> None:
    officer = console_as(node, "officer")
    before = len(_api_rules(node))
    bad = {**PROFILE, "name": "Bad dates", "valid_from": "2026-06-01", "valid_to": "2026-01-01",
           "criteria-1-operator": "gt"}  # origin_country is not a number
    answer = officer.post_form("/risk/profiles", bad)
    assert answer.status_code == 422
    assert re.search(r'id="err-valid_to">[^<]+<', answer.text)
    assert re.search(r'id="err-criteria-1-operator">[^<]+<', answer.text)
    assert re.search(r'id="err-name"></span>', answer.text)
    assert 'value="Bad dates"' in answer.text and 'value="KH, TH"' in answer.text
    # A blank row before a filled one: the error lands beside the row it is about.
    shifted = {**PROFILE, "criteria-0-field": "", "criteria-0-operator": "",
               "criteria-0-value": "", "criteria-1-field": "no_such_field"}
    answer = officer.post_form("/risk/profiles", shifted)
    assert answer.status_code == 422
    assert re.search(r'id="err-criteria-1-field">[^<]+<', answer.text)
    # The schema's own refusals (no date, no criterion) are shown too.
    empty = officer.post_form("/risk/profiles", {"name": "", "channel": "red"})
    assert empty.status_code == 422
    assert re.search(r'id="err-valid_from">[^<]+<', empty.text)
    assert len(_api_rules(node)) == before


def test_an_officer_disables_and_retires_a_profile_and_a_retired_one_stays_retired(
    node: NodeClient,
) -> None:
    officer = console_as(node, "officer")
    officer.post_form("/risk/profiles", PROFILE)
    [rule] = [r for r in _api_rules(node) if r["name"] == PROFILE["name"]]
    path = f"/risk/profiles/{rule['id']}/status"
    assert officer.post_form(path, {"status": "disabled"}).status_code == 303
    assert risk.get_rule(node.opened.database, str(rule["id"])).rule.status.value == "disabled"
    retired = officer.post_form(path, {"status": "retired"})
    assert retired.status_code == 303 and retired.headers["location"] == "/risk/profiles"
    [after] = [r for r in _api_rules(node) if r["id"] == rule["id"]]
    assert after["status"] == "retired"
    page = officer.get("/risk/profiles?status=retired")
    assert f'id="profile-{rule["id"]}"' in page.text
    assert officer.post_form(path, {"status": "active"}).status_code == 409
    assert officer.post_form(path, {"status": "nonsense"}).status_code == 422


def test_traders_get_403_and_managers_cannot_post(node: NodeClient) -> None:
    trader = console_as(node, "trader")
    for path in ("/risk/profiles", "/risk/policy", "/risk/models"):
        assert trader.get(path).status_code == 403
    assert trader.post_form("/risk/profiles", PROFILE).status_code == 403
    # An officer's form without the session's token is refused too.
    officer = console_as(node, "officer")
    assert officer.post("/risk/profiles", data=PROFILE).status_code == 403
    manager = console_as(node, "manager")
    before = len(_api_rules(node))
    assert manager.post_form("/risk/profiles", PROFILE).status_code == 403
    assert manager.post_form("/risk/policy", {"random_share": "0.5"}).status_code == 403
    assert len(_api_rules(node)) == before
    # The menu shows the risk pages to officers only, not to traders.
    assert 'href="/risk/profiles"' in console_as(node, "officer").get("/risk/policy").text
    assert 'href="/risk/profiles"' not in trader.get("/declarations").text


def test_the_policy_is_shown_to_officers_and_changed_by_admins_only(node: NodeClient) -> None:
    officer = console_as(node, "officer")
    page = officer.get("/risk/policy")
    assert page.status_code == 200 and 'data-figure="red_rate"' in page.text
    assert 'id="policy-form"' not in page.text
    assert officer.post_form("/risk/policy", {"random_share": "0.5"}).status_code == 403
    admin = console_as(node, "admin")
    form = {"random_share": "0.1", "random_channel": "red", "red_rate": "0.03",
            "yellow_rate": "0.04", "aeo_factor": "0.5", "aeo_random_share": "0.01"}
    changed = admin.post_form("/risk/policy", form)
    assert changed.status_code == 303, changed.text
    policy = node.client.get("/risk/policy", headers=node.as_("officer")).json()
    assert policy == {"random_share": 0.1, "random_channel": "red", "red_rate": 0.03,
                      "yellow_rate": 0.04, "aeo_factor": 0.5, "aeo_random_share": 0.01}
    # Out of range, not a number, rates adding to more than 1: beside each field, unchanged.
    bad = admin.post_form("/risk/policy", {**form, "random_share": "2", "aeo_factor": "half"})
    assert bad.status_code == 422
    assert re.search(r'id="err-random_share">[^<]+<', bad.text)
    assert re.search(r'id="err-aeo_factor">[^<]+<', bad.text)
    assert 'value="half"' in bad.text
    over = admin.post_form("/risk/policy", {**form, "red_rate": "0.6", "yellow_rate": "0.6"})
    assert over.status_code == 422 and re.search(r'id="err-yellow_rate">[^<]+<', over.text)
    above = admin.post_form("/risk/policy", {**form, "aeo_random_share": "0.2"})
    assert above.status_code == 422
    assert re.search(r'id="err-aeo_random_share">[^<]+<', above.text)
    green = admin.post_form("/risk/policy", {**form, "random_channel": "green"})
    assert green.status_code == 422 and re.search(r'id="err-random_channel">[^<]+<', green.text)
    assert node.client.get("/risk/policy", headers=node.as_("officer")).json() == policy


def test_the_registry_lists_versions_and_refuses_a_promotion_naming_its_gates(
    node: NodeClient,
) -> None:
    officer = console_as(node, "officer")
    empty = officer.get("/risk/models")
    assert empty.status_code == 200 and "No model trained yet" in empty.text
    database = node.opened.database
    History(database, random.Random(8)).flow(20, days_ago(120), inspected=1.0)
    junk = learning.train_candidate(database, holdout_days=0, **FAST)
    page = officer.get("/risk/models?left=1&right=1")
    assert f'id="model-{junk.version}"' in page.text and "candidate" in page.text
    assert f'id="promote-{junk.version}"' not in page.text  # officers do not promote
    assert officer.post_form(f"/risk/models/{junk.version}/promotion").status_code == 403
    # Trained on everything: there is nothing later to compare it on.
    compared = officer.post_form(f"/risk/models/{junk.version}/comparison", {"days": "30"})
    assert compared.status_code == 409 and 'id="refusal"' in compared.text
    admin = console_as(node, "admin")
    assert f'id="promote-{junk.version}"' in admin.get("/risk/models").text
    refused = admin.post_form(f"/risk/models/{junk.version}/promotion")
    assert refused.status_code == 409 and "training gate" in refused.text
    assert [m["status"] for m in node.client.get(
        "/risk/models", headers=node.as_("officer")).json()] == ["candidate"]
    assert admin.post_form("/risk/models/99/promotion").status_code == 404


def test_a_candidate_compared_and_promoted_through_the_console_shows_in_service_and_drift(
    node: NodeClient,
) -> None:
    database = node.opened.database
    enough_history(History(database, random.Random(5)), days=100, end=32)
    candidate = learning.train_candidate(database, **FAST)
    officer = console_as(node, "officer")
    compared = officer.post_form(f"/risk/models/{candidate.version}/comparison", {"days": "30"})
    assert compared.status_code == 303, compared.text
    page = officer.get("/risk/models")
    assert "Wins the comparison" in page.text
    admin = console_as(node, "admin")
    promoted = admin.post_form(f"/risk/models/{candidate.version}/promotion")
    assert promoted.status_code == 303, promoted.text
    [model] = node.client.get("/risk/models", headers=node.as_("officer")).json()
    assert model["status"] == "in_service" and model["promoted_by"] == "admin"
    page = officer.get("/risk/models?weeks=20")
    assert re.search(r'data-status="in_service"', page.text)
    assert f"Model in service: v{candidate.version}" in page.text
    # Withdrawn by an admin with a reason (none: refused beside the field; officers cannot).
    assert 'id="rollback-form"' in admin.get("/risk/models").text
    assert officer.post_form("/risk/models/rollback", {"reason": "drift"}).status_code == 403
    blank = admin.post_form("/risk/models/rollback", {"reason": "  "})
    assert blank.status_code == 422 and re.search(r'id="err-reason">[^<]+<', blank.text)
    withdrawn = admin.post_form("/risk/models/rollback", {"reason": "hit rate fell"})
    assert withdrawn.status_code == 303, withdrawn.text
    [model] = node.client.get("/risk/models", headers=node.as_("officer")).json()
    assert model["status"] == "retired"
    again = admin.post_form("/risk/models/rollback", {"reason": "again"})
    assert again.status_code == 409 and 'id="refusal"' in again.text


def test_an_admin_trains_a_model_in_the_background_and_officers_may_not(
    node: NodeClient,
) -> None:
    officer = console_as(node, "officer")
    assert 'id="train-form"' not in officer.get("/risk/models").text
    assert officer.post_form("/risk/models/train", {"note": "mine"}).status_code == 403
    admin = console_as(node, "admin")
    page = admin.get("/risk/models")
    assert 'id="train-form"' in page.text and 'name="holdout_days"' in page.text
    bad = admin.post_form("/risk/models/train", {"until": "last week"})
    assert bad.status_code == 422 and re.search(r'id="err-until">[^<]+<', bad.text)
    submitted = admin.post_form("/risk/models/train",
                                {"note": "from the console", "until": "", "holdout_days": "0"})
    assert submitted.status_code == 303, submitted.text
    location = str(submitted.headers["location"])
    assert re.fullmatch(r"/jobs/[0-9a-f]+", location)
    job = node.opened.jobs.get(location.rsplit("/", 1)[1], Principal("admin", Role.ADMIN))
    assert job.kind == "risk-train" and job.requested_by == "admin"
    assert admin.get(location).status_code == 200
    assert officer.get(location).status_code == 404  # another user's job


def test_the_backfill_form_is_for_admins_and_needs_a_first_day(node: NodeClient) -> None:
    officer = console_as(node, "officer")
    assert officer.post_form("/risk/models/backfill",
                             {"since": "2026-11-01"}).status_code == 403
    admin = console_as(node, "admin")
    blank = admin.post_form("/risk/models/backfill", {"since": ""})
    assert blank.status_code == 422 and re.search(r'id="err-since">[^<]+<', blank.text)
    backwards = admin.post_form("/risk/models/backfill",
                                {"since": "2026-11-10", "before": "2026-11-01"})
    assert backwards.status_code == 422 and re.search(r'id="err-before">[^<]+<', backwards.text)
    submitted = admin.post_form("/risk/models/backfill", {"since": "2026-11-01"})
    assert submitted.status_code == 303, submitted.text
    assert re.fullmatch(r"/jobs/[0-9a-f]+", str(submitted.headers["location"]))
