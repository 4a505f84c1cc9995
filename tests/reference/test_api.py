"""The reference router over a real database, in a small app with the node's error handlers
and a stand-in for authentication (no header: the real check, which answers 401)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from singlewindow.access.model import Principal, Role
from singlewindow.api import deps
from singlewindow.api.app import install_error_handlers
from singlewindow.core.config import Settings
from singlewindow.core.db import Database
from singlewindow.reference import services
from singlewindow.reference.api import router

PRINCIPALS = {
    Role.ADMIN: Principal("root", Role.ADMIN),
    Role.TRADER: Principal("trader", Role.TRADER, party_id="0101234567"),
}
DANANG = {
    "name": "Da Nang, Tien Sa seaport",
    "kind": "seaport",
    "procedures": ["import", "export"],
    "valid_from": "2026-01-01",
}
WEEK_10 = [
    {"currency": "USD", "rate": "25412", "valid_from": "2026-03-02", "valid_to": "2026-03-08"},
    {"currency": "EUR", "rate": 27690.5, "valid_from": "2026-03-02", "valid_to": "2026-03-08"},
]


def make_client(database: Database, role: Role | None) -> TestClient:
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(router)
    app.state.database = database
    app.state.settings = Settings(country="VN", database_url=database.url)
    if role is not None:
        app.dependency_overrides[deps.current_principal] = lambda: PRINCIPALS[role]
    return TestClient(app)


@pytest.fixture
def vn(database: Database) -> Database:
    services.ensure_sample_reference(database, "VN")
    return database


@pytest.fixture
def trader(vn: Database) -> Iterator[TestClient]:
    with make_client(vn, Role.TRADER) as client:
        yield client


@pytest.fixture
def admin(vn: Database) -> Iterator[TestClient]:
    with make_client(vn, Role.ADMIN) as client:
        yield client


def paths(response_json: dict[str, object]) -> list[str]:
    return [e["path"] for e in response_json["errors"]]  # type: ignore[attr-defined, index]


def test_the_register_says_its_entries_are_samples(trader: TestClient) -> None:
    answer = trader.get("/offices", params={"procedure": "transit", "on": "2026-03-04"})
    assert answer.status_code == 200
    body = answer.json()
    assert body["country"] == "VN" and body["sample"] is True
    assert "SAMPLE" in body["notice"]
    codes = [o["code"] for o in body["items"]]
    assert "VNHCM01" in codes and "VNHPH01" not in codes  # Hai Phong handles no transit
    assert body["total"] == len(codes)
    one = trader.get("/offices/VNHAN01").json()
    assert (one["kind"], one["procedures"], one["sample"]) == (
        "airport",
        ["export", "import", "transit"],
        True,
    )


def test_an_unknown_office_is_not_found(trader: TestClient) -> None:
    answer = trader.get("/offices/VNXXX99")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    assert "VNXXX99" in answer.json()["detail"]


def test_reading_needs_an_authenticated_caller(vn: Database) -> None:
    with make_client(vn, None) as anonymous:
        assert anonymous.get("/offices").status_code == 401
        assert anonymous.get("/exchange-rates/USD").status_code == 401


def test_only_an_administrator_maintains_the_register(
    trader: TestClient, admin: TestClient
) -> None:
    assert trader.put("/offices/VNDNG01", json=DANANG).status_code == 403
    created = admin.put("/offices/VNDNG01", json=DANANG)
    assert created.status_code == 201
    assert created.json()["sample"] is False
    closed = admin.put("/offices/VNDNG01", json={**DANANG, "valid_to": "2026-06-30"})
    assert closed.status_code == 200
    assert trader.get("/offices/VNDNG01").json()["valid_to"] == "2026-06-30"
    listed = trader.get("/offices", params={"on": "2026-07-01"}).json()
    assert "VNDNG01" not in [o["code"] for o in listed["items"]]


@pytest.mark.parametrize(
    ("code", "body", "where"),
    [
        ("THBKK01", DANANG, ["code"]),  # another country's office
        ("VN-DNG", DANANG, ["code"]),
        ("VNDNG01", {**DANANG, "procedures": []}, ["procedures"]),
        ("VNDNG01", {**DANANG, "procedures": ["smuggling"]}, ["procedures.0"]),
        ("VNDNG01", {**DANANG, "kind": "spaceport"}, ["kind"]),
        ("VNDNG01", {**DANANG, "name": "Tien Sa\u0000"}, ["name"]),
        ("VNDNG01", {**DANANG, "name": "x" * 121}, ["name"]),
        ("VNDNG01", {**DANANG, "valid_to": "2025-01-01"}, ["valid_to"]),
        ("VNDNG01", {**DANANG, "officer": "me"}, ["officer"]),
    ],
)
def test_a_bad_office_entry_is_refused_with_its_path(
    admin: TestClient, code: str, body: dict[str, object], where: list[str]
) -> None:
    answer = admin.put(f"/offices/{code}", json=body)
    assert answer.status_code == 422, answer.text
    assert paths(answer.json()) == where
    assert admin.get(f"/offices/{code}").status_code == 404


def test_the_rate_of_a_currency_on_a_day(trader: TestClient) -> None:
    answer = trader.get("/exchange-rates/usd", params={"on": "2026-03-04"})
    assert answer.status_code == 200
    body = answer.json()
    assert (body["currency"], body["national_currency"], body["rate"]) == ("USD", "VND", "25400")
    assert body["sample"] is True and "SAMPLE" in body["notice"]
    assert trader.get("/exchange-rates/USD", params={"on": "2028-01-01"}).status_code == 404
    assert trader.get("/exchange-rates/GBP").status_code == 404


def test_the_rate_table_filtered_by_currency_and_day(trader: TestClient) -> None:
    table = trader.get("/exchange-rates").json()
    assert table["national_currency"] == "VND" and table["sample"] is True
    assert table["total"] == 15
    usd = trader.get("/exchange-rates", params={"currency": "USD", "on": "2026-03-04"}).json()
    assert [(r["currency"], r["rate"]) for r in usd["items"]] == [("USD", "25400")]
    none = trader.get("/exchange-rates", params={"on": "2030-01-01"}).json()
    assert none["items"] == [] and none["sample"] is False
    bad = trader.get("/exchange-rates", params={"currency": "DOLLARS"})
    assert bad.status_code == 422 and paths(bad.json()) == ["currency"]


def test_an_administrator_publishes_rates_that_replace_the_samples(
    trader: TestClient, admin: TestClient
) -> None:
    assert trader.post("/exchange-rates", json=WEEK_10).status_code == 403
    answer = admin.post("/exchange-rates", json=WEEK_10)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert (report["inserted"], report["unchanged"], report["samples_replaced"]) == (2, 0, 2)
    usd = trader.get("/exchange-rates/USD", params={"on": "2026-03-04"}).json()
    assert (usd["rate"], usd["sample"], usd["notice"]) == ("25412", False, None)
    eur = trader.get("/exchange-rates/EUR", params={"on": "2026-03-08"}).json()
    assert eur["rate"] == "27690.5"
    again = admin.post("/exchange-rates", json=WEEK_10).json()
    assert (again["inserted"], again["unchanged"]) == (0, 2)


def test_an_overlapping_load_is_a_conflict_and_loads_nothing(admin: TestClient) -> None:
    admin.post("/exchange-rates", json=WEEK_10[:1])
    before = admin.get("/exchange-rates").json()
    later = {"currency": "THB", "rate": "716", "valid_from": "2026-03-02", "valid_to": "2026-03-08"}
    cheaper = {**WEEK_10[0], "rate": "0.0001", "valid_from": "2026-03-05"}
    answer = admin.post("/exchange-rates", json=[later, cheaper])
    assert answer.status_code == 409
    assert answer.headers["content-type"] == "application/problem+json"
    assert paths(answer.json()) == ["1.valid_from"]
    assert "overlaps the published rate 25412" in answer.json()["detail"]
    assert admin.get("/exchange-rates").json() == before


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"rate": "0"}, "rate"),
        ({"rate": -5}, "rate"),
        ({"rate": "NaN"}, "rate"),
        ({"rate": 1e300}, "rate"),
        ({"rate": "0.0000000000001"}, "rate"),
        ({"currency": "usd"}, "currency"),
        ({"currency": "XYZ"}, "currency"),
        ({"currency": "VND", "rate": "2"}, "rate"),
        ({"valid_to": "2026-03-01"}, "valid_to"),
        ({"valid_to": None}, "valid_to"),
        ({"per": 100}, "per"),
    ],
)
def test_a_bad_rate_is_refused_with_its_path(
    admin: TestClient, row: dict[str, object], field: str
) -> None:
    before = admin.get("/exchange-rates").json()
    answer = admin.post("/exchange-rates", json=[WEEK_10[1], {**WEEK_10[0], **row}])
    assert answer.status_code == 422, answer.text
    assert paths(answer.json()) == [f"1.{field}"]  # the second row, and nothing of the first
    assert admin.get("/exchange-rates").json() == before


def test_an_empty_or_malformed_table_is_refused(admin: TestClient) -> None:
    assert admin.post("/exchange-rates", json=[]).status_code == 422
    assert admin.post("/exchange-rates", json={"USD": 25400}).status_code == 422
    malformed = admin.post(
        "/exchange-rates", content=b"[{", headers={"content-type": "application/json"}
    )
    assert malformed.status_code == 422
