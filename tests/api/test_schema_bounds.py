"""What the OpenAPI schema promises holds: bounded paging, typed amounts, strict numbers,
timestamps with their offset."""

import re

import pytest

from singlewindow.core.paths import API
from singlewindow.exchange import pki
from singlewindow.exchange.api import router as exchange_router
from singlewindow.exchange.pmode import ProcessingModes
from singlewindow.exchange.services import Gateway
from singlewindow.origin.api import router as origin_router
from singlewindow.origin.services import Origin
from tests.builders import as_json, import_declaration

# Every list route, with a role allowed to read it.
LIST_ROUTES = {
    "/declarations": "officer",
    "/refunds": "officer",
    "/guarantees": "trader",
    "/representations": "trader",
    "/users": "admin",
    "/risk/rules": "officer",
    "/tariff/schedules/VN/lines": "trader",
    "/transit/movements": "trader",
    "/aeo/operators": "officer",
    "/aeo/partners/VN/operators": "officer",
    "/ecommerce/manifests": "officer",
    "/ecommerce/held": "officer",
    "/green/consents": "officer",
    "/green/shipments": "officer",
    "/transhipment/consignments": "officer",
}
# Paged within one record: checked for their bound, not fetched (the record must exist).
RECORD_LIST_ROUTES = {"/ecommerce/manifests/{manifest_id}/parcels"}
# Served by a node on a network only.
NETWORK_LIST_ROUTES = {"/origin/certificates": "officer", "/exchange/messages": "officer"}


@pytest.fixture
def network_node(node, database, tmp_path):
    """The test node with a gateway of its own (no partners yet) and the network's routes."""
    ca = pki.init_ca(tmp_path / "ca")
    identity = pki.issue_node(ca, "VN-CUSTOMS", "VN", tmp_path / "vn")
    app = node.client.app
    app.state.exchange = Gateway(
        database, identity, pki.TrustList([]), ProcessingModes.from_dict({"partners": {}})
    )
    app.state.origin = Origin(database, "VN", app.state.exchange)
    app.include_router(exchange_router, prefix=API)
    app.include_router(origin_router, prefix=API)
    app.openapi_schema = None
    return node


def test_every_paged_route_bounds_its_offset_and_is_checked_here(network_node):
    spec = network_node.client.get("openapi.json").json()
    offsets = {
        re.sub(r"\{country\}", "VN", path.removeprefix(API)): parameter["schema"]
        for path, operations in spec["paths"].items()
        for parameter in operations.get("get", {}).get("parameters", [])
        if parameter["name"] == "offset"
    }
    assert all(schema.get("maximum", 2**63) < 2**63 for schema in offsets.values()), offsets
    # /pre-arrival answers 404 off a network, before its parameters are read.
    assert set(offsets) == (set(LIST_ROUTES) | set(NETWORK_LIST_ROUTES) | RECORD_LIST_ROUTES
                            | {"/pre-arrival"})


@pytest.mark.parametrize("route", sorted(LIST_ROUTES))
def test_an_offset_past_the_databases_integers_is_refused_not_a_server_error(node, route):
    who = node.as_(LIST_ROUTES[route])
    answer = node.client.get(route, params={"offset": 2**63}, headers=who)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert any("offset" in e["path"] for e in answer.json()["errors"])
    assert node.client.get(route, params={"offset": 10_000_000}, headers=who).status_code == 200


@pytest.mark.parametrize("route", sorted(NETWORK_LIST_ROUTES))
def test_a_networked_nodes_lists_bound_their_offset_too(network_node, route):
    who = network_node.as_(NETWORK_LIST_ROUTES[route])
    answer = network_node.client.get(route, params={"offset": 2**63}, headers=who)
    assert answer.status_code == 422, answer.text
    assert any("offset" in e["path"] for e in answer.json()["errors"])
    answer = network_node.client.get(route, params={"offset": 10_000_000}, headers=who)
    assert answer.status_code == 200, answer.text


def _resolve(spec, schema):
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _request_schema(spec, path, method="post"):
    body = spec["paths"][API + path][method]["requestBody"]["content"]["application/json"]["schema"]
    return _resolve(spec, body)


def _loose_decimals(spec, schema, path="", seen=None):
    """Properties typed "a number or any string" (pydantic's Decimal without a pattern)."""
    seen = set() if seen is None else seen
    if "$ref" in schema:
        name = schema["$ref"]
        if name in seen:
            return []
        seen.add(name)
        return _loose_decimals(spec, _resolve(spec, schema), path, seen)
    found = []
    alternatives = schema.get("anyOf", [])
    if {a.get("type") for a in alternatives} >= {"number", "string"} and not any(
        "pattern" in a for a in alternatives
    ):
        found.append(path)
    for name, inner in schema.get("properties", {}).items():
        found += _loose_decimals(spec, inner, f"{path}.{name}", seen)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            found += _loose_decimals(spec, schema[key], f"{path}.{key}", seen)
    for inner in alternatives:
        found += _loose_decimals(spec, inner, path, seen)
    return found


def test_amounts_of_a_declaration_are_decimal_strings_in_the_schema(node):
    spec = node.client.get("openapi.json").json()
    declaration = _request_schema(spec, "/declarations")
    item = _resolve(spec, declaration["properties"]["items"]["items"])
    amount = r"^-?\d{1,12}(\.\d{1,4})?$"
    for field in ("quantity", "net_mass", "gross_mass", "invoice_amount"):
        assert item["properties"][field]["type"] == "string"
        assert item["properties"][field]["pattern"] == amount
    assert declaration["properties"]["freight"]["pattern"] == amount
    rate = declaration["properties"]["exchange_rate"]["anyOf"][0]
    assert rate == {"type": "string", "pattern": r"^-?\d{1,10}(\.\d{1,8})?$"}
    payment = _request_schema(spec, "/payments")
    assert payment["properties"]["amount"]["pattern"] == r"^\d{1,14}(\.\d{1,4})?$"
    for path in ("/declarations", "/payments", "/guarantees"):
        assert _loose_decimals(spec, _request_schema(spec, path)) == [], path


def test_an_amount_the_schema_allows_is_accepted_and_one_it_does_not_is_refused(node):
    body = as_json(import_declaration("LRN-PATTERN"))
    body["items"][0]["invoice_amount"] = "1 000"
    refused = node.client.post("/declarations", json=body, headers=node.as_("trader"))
    assert refused.status_code == 422
    assert "items.0.invoice_amount" in {e["path"] for e in refused.json()["errors"]}
    body["items"][0]["invoice_amount"] = "45000.5"
    accepted = node.client.post("/declarations", json=body, headers=node.as_("trader"))
    assert accepted.status_code == 201, accepted.text


@pytest.mark.parametrize("value", [False, True, "0.5", None])
def test_the_selectivity_policy_takes_numbers_only(node, value):
    admin = node.as_("admin")
    before = node.client.get("/risk/policy", headers=admin).json()
    answer = node.client.put(
        "/risk/policy", json={"random_share": 0.05, "aeo_factor": value}, headers=admin
    )
    assert answer.status_code == 422, answer.text
    assert "aeo_factor" in {e["path"] for e in answer.json()["errors"]}
    assert node.client.get("/risk/policy", headers=admin).json() == before
    # A whole number is a number.
    answer = node.client.put("/risk/policy", json={"random_share": 0, "aeo_factor": 1},
                             headers=admin)
    assert answer.status_code == 200, answer.text
    assert answer.json()["aeo_factor"] == 1


def test_a_lodged_declarations_moments_carry_their_utc_offset(node):
    body = as_json(import_declaration("LRN-UTC"))
    lodged = node.client.post("/declarations", json=body, headers=node.as_("trader"))
    assert lodged.status_code == 201, lodged.text
    number = lodged.json()["number"]
    read = node.client.get(f"/declarations/{number}", headers=node.as_("trader")).json()
    assert read["lodged_at"].endswith(("Z", "+00:00")), read["lodged_at"]
    events = node.client.get(f"/declarations/{number}/events", headers=node.as_("trader")).json()
    assert events and all(e["at"].endswith(("Z", "+00:00")) for e in events), events


@pytest.mark.parametrize("method,path", [("get", "/risk/models/{v}/comparison"),
                                         ("post", "/risk/models/{v}/promotion")])
def test_a_model_version_past_the_databases_integers_is_refused_not_a_server_error(
    node, method, path
):
    # Found by the schema fuzzing on PostgreSQL: 7732910124501115904 overflowed the query.
    admin = node.as_("admin")
    answer = node.client.request(method, path.format(v=7732910124501115904), headers=admin)
    assert answer.status_code == 422, answer.text
    assert any(e["path"] == "version" for e in answer.json()["errors"]), answer.json()
    assert node.client.request(method, path.format(v=2**31 - 1), headers=admin).status_code == 404
