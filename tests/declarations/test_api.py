"""Every declaration route, for every role, through the real API on a real database."""

from dataclasses import replace
from decimal import Decimal

from singlewindow.access.model import Role
from tests.builders import COFFEE, as_json, import_declaration


def lodge(node, lrn="LRN-API-1", **changes):
    body = as_json(import_declaration(lrn, **changes))
    return node.client.post("/declarations", json=body, headers=node.as_("trader"))


def test_lodgement_answers_number_duties_and_channel(node):
    response = lodge(node)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "channelled" and body["channel"] == "green"
    # The trader learns what the channel asks of it, never why customs chose it.
    assert body["reasons"] is None and "released once the duties are paid" in body["requirement"]
    as_officer = node.client.get(f"/declarations/{body['number']}", headers=node.as_("officer"))
    assert as_officer.json()["reasons"]
    assert body["payment_notice"]["amount"] == body["settlement"]["outstanding"]
    duties = body["assessment"]["items"][0]["duties"]
    assert [d["tax"] for d in duties] == ["import_duty", "vat"]
    assert all(d["formula"] and d["base"] for d in duties)
    assert body["settlement"]["outstanding"] == body["settlement"]["assessed"]


def test_a_malformed_declaration_gets_422_with_every_error_and_nothing_is_stored(node):
    bad = as_json(import_declaration(invoice_currency="EURO", export_country="XX"))
    bad["items"][0]["quantity"] = "-3"
    bad["items"][0]["commodity_code"] = "99999999"
    response = node.client.post("/declarations", json=bad, headers=node.as_("trader"))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    paths = {e["path"] for e in response.json()["errors"]}
    assert {"invoice_currency", "export_country", "items.0.quantity",
            "items.0.commodity_code"} <= paths
    listed = node.client.get("/declarations", headers=node.as_("admin")).json()
    assert listed["total"] == 0


def test_a_wrongly_typed_field_gets_422_with_its_path(node):
    body = as_json(import_declaration())
    body["items"][0]["net_mass"] = "heavy"
    body["surprise"] = 1
    response = node.client.post("/declarations", json=body, headers=node.as_("trader"))
    assert response.status_code == 422
    paths = {e["path"] for e in response.json()["errors"]}
    assert {"items.0.net_mass", "surprise"} <= paths


def test_a_preference_claim_without_proof_is_refused(node):
    response = lodge(node, preference="ATIGA", proof_of_origin=None)
    assert response.status_code == 422
    assert response.json()["errors"][0]["path"] == "proof_of_origin"


def test_authentication_and_roles(node):
    body = as_json(import_declaration())
    assert node.client.post("/declarations", json=body).status_code == 401
    bad = {"Authorization": "Bearer not-a-token"}
    assert node.client.get("/declarations", headers=bad).status_code == 401
    response = node.client.post("/declarations", json=body, headers=node.as_("officer"))
    assert response.status_code == 403
    assert "trader" in response.json()["detail"]


def test_a_trader_sees_only_its_own(node):
    number = lodge(node).json()["number"]
    other = node.client.post("/users", json={"username": "t2", "role": "trader",
                                             "party_id": "VNOTHER01"},
                             headers=node.as_("admin")).json()["token"]
    headers = {"Authorization": f"Bearer {other}"}
    assert node.client.get(f"/declarations/{number}", headers=headers).status_code == 404
    assert node.client.get("/declarations", headers=headers).json()["total"] == 0
    mine = node.client.get("/declarations", headers=node.as_("trader")).json()
    assert mine["items"][0]["number"] == number


def test_an_officer_works_its_office(node):
    number = lodge(node).json()["number"]
    assert node.client.get(f"/declarations/{number}",
                           headers=node.as_("officer")).status_code == 200
    other = node.client.post("/users", json={"username": "o2", "role": "officer",
                                             "office": "VNHAN01"},
                             headers=node.as_("admin")).json()["token"]
    assert node.client.get(f"/declarations/{number}",
                           headers={"Authorization": f"Bearer {other}"}).status_code == 404


def test_red_flow_inspection_payment_release(node):
    phones = as_json(import_declaration("LRN-CIG"))
    phones["items"][0] |= {"commodity_code": "24022090", "description": "Cigarettes",
                           "quantity": "200", "quantity_unit": "1000u", "net_mass": "220",
                           "gross_mass": "260",
                           # tobacco is a licensed import in the sample tariff
                           "documents": [{"code": "IMPORT-LICENCE", "reference": "TL-1"}]}
    created = node.client.post("/declarations", json=phones, headers=node.as_("trader"))
    assert created.status_code == 201, created.text
    body = created.json()
    number = body["number"]
    seen = node.client.get(f"/declarations/{number}", headers=node.as_("officer")).json()
    assert body["channel"] == "red" and "Cigarettes" in seen["reasons"][0]
    excise = [d for d in body["assessment"]["items"][0]["duties"] if d["tax"] == "excise"]
    assert excise and Decimal(excise[0]["amount"]) > 0
    trader_inspects = node.client.post(f"/declarations/{number}/inspection",
                                       json={"outcome": "no_discrepancy"},
                                       headers=node.as_("trader"))
    assert trader_inspects.status_code == 403
    too_early = node.client.post(f"/declarations/{number}/release", headers=node.as_("officer"))
    assert too_early.status_code == 409
    inspected = node.client.post(f"/declarations/{number}/inspection",
                                 json={"outcome": "no_discrepancy", "findings": "as declared"},
                                 headers=node.as_("officer"))
    assert inspected.json()["status"] == "inspected"
    notice = inspected.json()["payment_notice"]
    payment = {"notice": notice["reference"], "amount": notice["amount"], "currency": "VND",
               "bank_reference": "VCB-2026-1"}
    on_the_trader_s_word = node.client.post("/payments", json=payment,
                                            headers=node.as_("trader"))
    assert on_the_trader_s_word.status_code == 403
    paid = node.client.post("/payments", json=payment, headers=node.as_("bank"))
    assert paid.status_code == 201, paid.text
    assert paid.json()["status"] == "released"
    assert paid.json()["released_by"].startswith("rule: inspection result recorded")
    events = node.client.get(f"/declarations/{number}/events", headers=node.as_("officer"))
    assert [e["kind"] for e in events.json()][-3:] == ["inspected", "paid", "released"]
    rules = node.client.get("/risk/rules", headers=node.as_("officer")).json()["items"]
    cigarettes = next(r for r in rules if r["name"].startswith("Cigarettes"))
    assert (cigarettes["selections"], cigarettes["inspected"], cigarettes["findings"]) == (1, 1, 0)


def test_amendment_versions_and_stale_copy(node):
    created = lodge(node).json()
    number = created["number"]
    amended_body = as_json(import_declaration(
        "LRN-API-1", items=(replace(COFFEE, invoice_amount=Decimal("50000.00")),)))
    amended = node.client.put(f"/declarations/{number}",
                              json=amended_body | {"expected_version": 1},
                              headers=node.as_("trader"))
    assert amended.status_code == 200 and amended.json()["version"] == 2
    stale = node.client.put(f"/declarations/{number}", json=amended_body | {"expected_version": 1},
                            headers=node.as_("trader"))
    assert stale.status_code == 409
    assert "version 2" in stale.json()["detail"]
    versions = node.client.get(f"/declarations/{number}/versions", headers=node.as_("trader"))
    assert [v["version"] for v in versions.json()] == [1, 2]


def test_guarantee_secures_and_releases(node):
    number = lodge(node).json()["number"]
    secured = node.client.post(f"/declarations/{number}/security",
                               json={"guarantee": "VNGUA0001"}, headers=node.as_("trader"))
    assert secured.status_code == 200 and secured.json()["status"] == "released"
    registered = node.client.post("/guarantees", json={"reference": "G-2", "holder_id": "X",
                                                       "amount": "1000"},
                                  headers=node.as_("officer"))
    assert registered.status_code == 201
    assert node.client.post("/guarantees", json={"reference": "G-3", "holder_id": "X",
                                                 "amount": "1000"},
                            headers=node.as_("trader")).status_code == 403


def test_cancellation(node):
    number = lodge(node).json()["number"]
    cancelled = node.client.post(f"/declarations/{number}/cancellation",
                                 json={"reason": "duplicate shipment"},
                                 headers=node.as_("trader"))
    assert cancelled.json()["status"] == "cancelled"
    again = node.client.post(f"/declarations/{number}/cancellation", json={"reason": "x"},
                             headers=node.as_("trader"))
    assert again.status_code == 409


def test_duplicate_lrn_is_a_conflict(node):
    assert lodge(node).status_code == 201
    second = lodge(node)
    assert second.status_code == 409 and "already lodged" in second.json()["detail"]


def test_pagination_of_lists(node):
    for n in range(3):
        assert lodge(node, f"LRN-P{n}").status_code == 201
    page = node.client.get("/declarations?limit=2&offset=2", headers=node.as_("admin")).json()
    assert page["total"] == 3 and len(page["items"]) == 1 and page["offset"] == 2
    assert node.client.get("/declarations?limit=0", headers=node.as_("admin")).status_code == 422


def test_unknown_routes_and_methods(node):
    missing = node.client.get("/no-such-thing", headers=node.as_("admin"))
    assert missing.status_code == 404 and "no route" in missing.json()["detail"]
    assert node.client.delete("/declarations", headers=node.as_("admin")).status_code == 405
    unknown = node.client.get("/declarations/VN26XXXX", headers=node.as_("admin"))
    assert unknown.status_code == 404


def test_users_are_managed_by_admins(node):
    made = node.client.post("/users", json={"username": "agent", "role": "trader",
                                            "party_id": "VNBROKER1"}, headers=node.as_("admin"))
    assert made.status_code == 201 and made.json()["token"]
    me = node.client.get("/me", headers={"Authorization": f"Bearer {made.json()['token']}"})
    assert me.json() | {"disabled_at": None} == {
        "username": "agent", "role": Role.TRADER.value, "party_id": "VNBROKER1",
        "office": None, "disabled_at": None}
    assert node.client.post("/users", json={"username": "x", "role": "admin"},
                            headers=node.as_("officer")).status_code == 403
    duplicate = node.client.post("/users", json={"username": "agent", "role": "trader",
                                                 "party_id": "P"}, headers=node.as_("admin"))
    assert duplicate.status_code == 409
    no_party = node.client.post("/users", json={"username": "t9", "role": "trader"},
                                headers=node.as_("admin"))
    assert no_party.status_code == 422 and no_party.json()["errors"][0]["path"] == "party_id"
    listed = node.client.get("/users?limit=2", headers=node.as_("admin")).json()
    assert listed["total"] == 9 and len(listed["items"]) == 2  # the sample's eight and agent


def test_openapi_schema_lists_the_routes(node):
    schema = node.client.get("/openapi.json").json()
    for path in ("/declarations", "/declarations/{number}/inspection", "/risk/rules",
                 "/tariff/nomenclature", "/users"):
        assert f"/api/v1{path}" in schema["paths"], path  # the JSON API is under /api/v1
