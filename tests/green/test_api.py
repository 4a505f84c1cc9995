"""The green API of Viet Nam's node (its sample users): officers record consents, an
administrator sets rules, and every bad input of the issue is refused with its reason,
changing nothing: a waste code without a Basel code, a consent that does not exist, is
expired, is for other parties or is used up."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from singlewindow.core.clock import utcnow
from tests.builders import as_json
from tests.green.builders import waste_import

CONSENTS = "/green/consents"


def consent_body(**changes: Any) -> dict[str, Any]:
    today = utcnow().date()
    body = {
        "reference": "VN-2026-0042", "importing_country": "VN", "exporter": "KHRECYCLE01",
        "exporter_name": "Phnom Penh Plastics Recovery Co.", "importer": "VNTRADER0001",
        "importer_name": "Saigon Coffee Importers JSC", "basel_code": "Y48",
        "hs_code": "391590", "quantity": "10000",
        "valid_from": (today - timedelta(days=30)).isoformat(),
        "valid_to": (today + timedelta(days=180)).isoformat(),
    }
    return body | changes


def lodge(node, lrn: str, kg: str = "6000", **item: Any):
    body = as_json(waste_import(lrn, kg=kg, **item))
    return node.client.post("/declarations", json=body, headers=node.as_("trader"))


def declarations(node) -> int:
    listed = node.client.get("/declarations", headers=node.as_("admin"))
    return int(listed.json()["total"])


def figures(node) -> dict[str, int]:
    answer = node.client.get("/green/figures", headers=node.as_("officer"))
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def refused(answer) -> list[str]:
    assert answer.status_code == 422, answer.text
    return [p["message"] for p in answer.json()["errors"]]


def test_waste_without_consent_is_refused_until_one_is_recorded_and_then_until_used_up(node):
    before = declarations(node)
    assert refused(lodge(node, "LRN-G1", basel_code=None, waste_consent=None)) == [
        "item 1: HS 391590 is waste: a Basel code is needed"]
    assert refused(lodge(node, "LRN-G2")) == [
        "item 1: no consent VN-2026-0042 was recorded by VN's competent authority"]
    recorded = node.client.post(CONSENTS, json=consent_body(), headers=node.as_("officer"))
    assert recorded.status_code == 201, recorded.text
    assert recorded.json()["remaining"] == "10000.000"
    first = lodge(node, "LRN-G3", kg="6000")
    assert first.status_code == 201, first.text
    assert refused(lodge(node, "LRN-G4", kg="6000")) == [
        "item 1: consent VN-2026-0042 is used up: 4,000 kg left, 6,000 kg declared"]
    assert lodge(node, "LRN-G5", kg="4000").status_code == 201
    one = node.client.get(f"{CONSENTS}/VN-2026-0042", headers=node.as_("officer")).json()
    assert one["used"] == "10000.000" and len(one["uses"]) == 2
    assert one["uses"][0]["declaration"] == first.json()["number"]
    assert declarations(node) == before + 2
    assert figures(node) == {"waste_stopped": 3, "waste_passed": 2}
    stopped = node.client.get("/green/shipments", params={"outcome": "stopped"},
                              headers=node.as_("officer")).json()
    assert [s["lrn"] for s in stopped] == ["LRN-G4", "LRN-G2", "LRN-G1"]
    assert stopped[0]["problems"][0]["path"] == "items.0.waste_consent"
    passed = node.client.get("/green/shipments", params={"outcome": "passed"},
                             headers=node.as_("officer")).json()
    assert {s["declaration"] for s in passed} == {first.json()["number"],
                                                  one["uses"][1]["declaration"]}
    assert node.client.get("/green/shipments", headers=node.as_("trader")).status_code == 403


def test_an_expired_consent_and_one_for_other_parties_are_refused(node):
    today = utcnow().date()
    expired = consent_body(reference="VN-2026-0001",
                           valid_from=(today - timedelta(days=90)).isoformat(),
                           valid_to=(today - timedelta(days=1)).isoformat())
    others = consent_body(reference="VN-2026-0002", importer="VNOTHER0009")
    for body in (expired, others):
        answer = node.client.post(CONSENTS, json=body, headers=node.as_("officer"))
        assert answer.status_code == 201, answer.text
    before = declarations(node)
    assert refused(lodge(node, "LRN-E1", waste_consent="VN-2026-0001")) == [
        f"item 1: consent VN-2026-0001 expired on {today - timedelta(days=1)}"]
    assert refused(lodge(node, "LRN-E2", waste_consent="VN-2026-0002")) == [
        "item 1: consent VN-2026-0002 is for other parties (exporter KHRECYCLE01, importer"
        " VNOTHER0009)"]
    assert declarations(node) == before
    for reference in ("VN-2026-0001", "VN-2026-0002"):
        used = node.client.get(f"{CONSENTS}/{reference}", headers=node.as_("officer")).json()
        assert used["used"] == "0.000" and used["uses"] == []


def test_the_sample_rules_stop_hazardous_plastic_and_dirty_recyclables(node):
    listed = node.client.get("/green/rules", headers=node.as_("trader")).json()
    assert {r["id"] for r in listed} == {"sample-a3210-import-ban", "sample-b3011-contamination"}
    assert all(r["sample"] for r in listed)
    dirty = refused(lodge(node, "LRN-S1", basel_code="B3011", waste_consent=None,
                          recycling_attestation="ATT-1", contamination_share="0.02"))
    assert dirty == ["item 1: contamination 2 % is over VN's 0.5 % for B3011 imports (rule"
                     " sample-b3011-contamination, a sample)"]
    clean = lodge(node, "LRN-S2", basel_code="B3011", waste_consent=None,
                  recycling_attestation="ATT-1", contamination_share="0.004")
    assert clean.status_code == 201, clean.text


def test_an_administrator_sets_a_ban_which_stops_shipments_from_its_first_day(node):
    node.client.post(CONSENTS, json=consent_body(), headers=node.as_("officer"))
    today = utcnow().date().isoformat()
    rule = {"id": "y48-from-kh", "kind": "ban", "basel_code": "Y48", "origin": "KH",
            "valid_from": today, "note": "no mixed plastic waste from Cambodia"}
    assert node.client.post("/green/rules", json=rule,
                            headers=node.as_("officer")).status_code == 403
    answer = node.client.post("/green/rules", json=rule, headers=node.as_("admin"))
    assert answer.status_code == 201, answer.text
    assert refused(lodge(node, "LRN-R1")) == [
        f"item 1: banned in VN from {today}: Y48 from KH imports (rule y48-from-kh)"]
    again = node.client.post("/green/rules", json=rule, headers=node.as_("admin"))
    assert again.status_code == 422 and "exists already" in again.text


def test_bad_consents_and_rules_are_refused_with_their_reasons_and_nothing_is_recorded(node):
    def post(path, body, who="officer"):
        return node.client.post(path, json=body, headers=node.as_(who))

    assert post(CONSENTS, consent_body(quantity="-1")).status_code == 422
    assert post(CONSENTS, consent_body(reference="VN 42")).status_code == 422
    assert post(CONSENTS, consent_body(extra="x")).status_code == 422
    answer = post(CONSENTS, consent_body(basel_code="B3011", importing_country="TH"))
    assert {p["path"] for p in answer.json()["errors"]} == {"basel_code",
                                                              "importing_country"}
    assert post(CONSENTS, consent_body(), who="trader").status_code == 403
    assert node.client.get(CONSENTS, headers=node.as_("officer")).json() == []
    assert node.client.get(f"{CONSENTS}/VN-2026-9999",
                           headers=node.as_("officer")).status_code == 404
    rule = {"id": "bad", "kind": "max_contamination", "valid_from": "2026-01-01"}
    answer = post("/green/rules", rule, who="admin")
    assert answer.status_code == 422 and "max_share" in answer.text
    assert post("/green/rules", rule | {"max_share": "1.5"}, who="admin").status_code == 422


def test_a_consent_is_revoked_with_a_reason_and_then_takes_nothing(node):
    node.client.post(CONSENTS, json=consent_body(), headers=node.as_("officer"))
    path = f"{CONSENTS}/VN-2026-0042/revocation"
    assert node.client.post(path, json={"reason": ""},
                            headers=node.as_("officer")).status_code == 422
    answer = node.client.post(path, json={"reason": "licence withdrawn"},
                              headers=node.as_("officer"))
    assert answer.status_code == 200 and answer.json()["revoked"] is True
    assert refused(lodge(node, "LRN-V1")) == ["item 1: consent VN-2026-0042 was revoked"]
    assert node.client.post(path, json={"reason": "again"},
                            headers=node.as_("officer")).status_code == 409


def test_a_declaration_is_checked_without_being_lodged(node):
    body = as_json(waste_import("LRN-C1"))
    answer = node.client.post("/green/check", json=body, headers=node.as_("trader"))
    assert answer.status_code == 200, answer.text
    assert answer.json()["passes"] is False
    assert answer.json()["problems"][0]["path"] == "items.0.waste_consent"
    assert figures(node)["waste_stopped"] == 0
    bad = node.client.post("/declarations", json=as_json(waste_import("LRN-C2")) | {
        "items": [as_json(waste_import())["items"][0] | {"contamination_share": "2"}]},
        headers=node.as_("trader"))
    assert bad.status_code == 422 and "contamination_share" in bad.text
