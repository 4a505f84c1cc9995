"""Clearance integrity through the real API, as a trader, a broker, a bank and an officer
would meet it; and the lodgement schema under a property-based attack (no input is a 5xx,
a refused lodgement stores nothing)."""

from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.builders import as_json, import_declaration


def lodge(node, body: dict[str, Any], who: str = "trader"):
    return node.client.post("/declarations", json=body, headers=node.as_(who))


def total(node) -> int:
    return node.client.get("/declarations", headers=node.as_("admin")).json()["total"]


def test_traders_see_the_channel_and_what_it_asks_officers_see_why(node):
    body = as_json(import_declaration(preference="ATIGA", proof_of_origin="KH-FD-7"))
    created = lodge(node, body)
    assert created.status_code == 201, created.text
    answer = created.json()
    assert answer["channel"] == "yellow" and answer["reasons"] is None
    assert "documentary check" in answer["requirement"]
    number = answer["number"]
    trader_events = node.client.get(
        f"/declarations/{number}/events", headers=node.as_("trader")
    ).json()
    channelled = next(e for e in trader_events if e["kind"] == "channelled")
    assert channelled["detail"] == {"channel": "yellow"}
    officer = node.client.get(f"/declarations/{number}", headers=node.as_("officer")).json()
    assert any("cannot verify electronically" in r for r in officer["reasons"])
    officer_events = node.client.get(
        f"/declarations/{number}/events", headers=node.as_("officer")
    ).json()
    assert "score" in next(e for e in officer_events if e["kind"] == "channelled")["detail"]


def test_amounts_read_the_same_on_every_route(node):
    created = lodge(node, as_json(import_declaration())).json()
    read = node.client.get(f"/declarations/{created['number']}", headers=node.as_("trader"))
    listed = node.client.get("/declarations", headers=node.as_("trader")).json()["items"][0]
    assert created["settlement"] == read.json()["settlement"]
    assert "." not in str(created["settlement"]["assessed"])  # VND has no minor unit
    assert listed["duties"] == created["settlement"]["assessed"]


def test_a_bank_confirms_the_payment_the_trader_cannot(node):
    created = lodge(node, as_json(import_declaration())).json()
    notice = created["payment_notice"]
    by_notice = node.client.get(
        f"/payment-notices/{notice['reference']}", headers=node.as_("bank")
    )
    assert by_notice.json()["amount"] == notice["amount"]
    payment = {"notice": notice["reference"], "amount": "99999999999", "currency": "VND",
               "bank_reference": "VCB-1"}
    by_trader = node.client.post("/payments", json=payment, headers=node.as_("trader"))
    assert by_trader.status_code == 403
    half_dong = payment | {"amount": "0.5", "bank_reference": "VCB-0"}
    refused = node.client.post("/payments", json=half_dong, headers=node.as_("bank"))
    assert refused.status_code == 422 and "minor unit" in refused.json()["detail"]
    paid = node.client.post("/payments", json=payment, headers=node.as_("bank"))
    assert paid.status_code == 201, paid.text
    assert paid.json()["status"] == "released"
    assert paid.json()["released_by"].startswith("rule: green channel")
    again = node.client.post("/payments", json=payment, headers=node.as_("bank"))
    assert again.status_code == 409
    refunds = node.client.get("/refunds?status=pending", headers=node.as_("officer")).json()
    (credit,) = refunds["items"]
    expected = Decimal("99999999999") - Decimal(created["settlement"]["assessed"])
    assert Decimal(credit["amount"]) == expected
    decided = node.client.post(f"/refunds/{credit['id']}/decision",
                               json={"approve": True, "reason": "overpaid"},
                               headers=node.as_("officer"))
    assert decided.status_code == 200 and decided.json()["status"] == "refunded"
    assert node.client.get("/refunds", headers=node.as_("trader")).status_code == 403


def test_a_broker_lodges_for_the_trader_only_under_its_representation(node):
    other = {"id": "VNTRADER0777", "name": "Da Nang Foods JSC", "country": "VN"}
    broker = {"id": node.users.broker_party, "name": "Brokers", "country": "VN"}
    body = as_json(import_declaration("LRN-BRK")) | {"declarant": broker, "importer": other,
                                                    "buyer": other}
    refused = lodge(node, body, "broker")
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["path"] == "declarant"
    assert total(node) == 0
    # Under the representation the sample trader gave it, the broker lodges for that trader.
    own = as_json(import_declaration("LRN-BRK2")) | {"declarant": broker}
    assert lodge(node, own, "broker").status_code == 201
    # The broker cannot give itself one.
    grant = {"declarant_id": broker["id"], "represented_id": other["id"], "kind": "direct",
             "valid_from": "2026-01-01"}
    assert node.client.post("/representations", json=grant,
                            headers=node.as_("broker")).status_code == 403
    assert node.client.post("/representations", json=grant,
                            headers=node.as_("officer")).status_code == 201
    assert lodge(node, body, "broker").status_code == 201


def test_unknown_office_and_a_rate_of_ones_own_are_refused(node):
    office = lodge(node, as_json(import_declaration(office="VNXXX99")))
    assert office.status_code == 422 and office.json()["errors"][0]["path"] == "office"
    rate = lodge(node, as_json(import_declaration(exchange_rate=Decimal("0.0001"))))
    assert rate.status_code == 422 and rate.json()["errors"][0]["path"] == "exchange_rate"
    assert "25400" in rate.json()["detail"]
    assert total(node) == 0


def test_guarantees_are_read_by_their_holder_and_officers(node):
    created = lodge(node, as_json(import_declaration())).json()
    secured = node.client.post(f"/declarations/{created['number']}/security",
                               json={"guarantee": "VNGUA0001"}, headers=node.as_("trader"))
    assert secured.json()["status"] == "released"
    mine = node.client.get("/guarantees/VNGUA0001", headers=node.as_("trader")).json()
    assert mine["uses"][0]["declaration"] == created["number"]
    assert Decimal(mine["in_use"]) == Decimal(created["settlement"]["assessed"])
    assert node.client.get("/guarantees", headers=node.as_("officer")).json()["total"] == 1
    assert node.client.get("/guarantees/VNGUA0001",
                           headers=node.as_("broker")).status_code == 404


def test_control_characters_and_oversized_fields_are_refused_and_nothing_is_stored(node):
    body = as_json(import_declaration())
    body["items"][0]["description"] = "Coffee\x00beans"
    nul = lodge(node, body)
    assert nul.status_code == 422
    assert nul.json()["errors"][0]["path"] == "items.0.description"
    body["items"][0]["description"] = "x" * 600
    long = lodge(node, body)
    assert long.status_code == 422 and long.json()["errors"][0]["path"] == "items.0.description"
    body["items"][0]["description"] = "x" * 1_200_000
    assert lodge(node, body).status_code == 413
    assert total(node) == 0


_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=60),
    st.sampled_from(["1e400", "-1e30", "NaN", "Infinity", "0.00001", "", "\x00", "VNXXX99"]),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
_FIELDS = [
    "lrn", "office", "export_country", "incoterm", "invoice_currency", "exchange_rate",
    "freight", "insurance", "preference", "proof_of_origin", "export_reference", "type",
    "transport_mode", "declarant", "importer", "items", "documents",
]
_ITEM_FIELDS = [
    "commodity_code", "description", "origin_country", "quantity", "quantity_unit",
    "net_mass", "gross_mass", "invoice_amount", "sequence",
]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    header=st.dictionaries(st.sampled_from(_FIELDS), _values, max_size=3),
    item=st.dictionaries(st.sampled_from(_ITEM_FIELDS), _values, max_size=3),
)
def test_no_lodgement_input_is_a_server_error_and_a_refused_one_stores_nothing(
    node, header, item
):
    body = as_json(import_declaration(f"LRN-H-{abs(hash((str(header), str(item))))}"))
    body["items"][0].update(item)
    body.update(header)
    before = total(node)
    response = lodge(node, body)
    assert response.status_code < 500, response.text
    if response.status_code != 201:
        assert response.headers["content-type"] == "application/problem+json"
        assert total(node) == before
    else:
        assert total(node) == before + 1
