"""The tariff router, in a small app of its own with a stand-in for authentication."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient

from singlewindow.access.model import Principal, Role
from singlewindow.api import deps
from singlewindow.core.db import Database
from singlewindow.core.errors import SingleWindowError
from singlewindow.tariff import services
from singlewindow.tariff.api import router

PRINCIPALS = {
    Role.ADMIN: Principal("root", Role.ADMIN),
    Role.OFFICER: Principal("officer", Role.OFFICER, office="VNHPH"),
    Role.TRADER: Principal("trader", Role.TRADER, party_id="0101234567"),
}
HEADER = "code,description,unit,valid_from,valid_to,mfn,atiga,vat,excise,reference_unit_value\n"


def make_client(database: Database, role: Role) -> TestClient:
    app = FastAPI()
    app.include_router(router)
    app.state.database = database
    app.dependency_overrides[deps.current_principal] = lambda: PRINCIPALS[role]

    @app.exception_handler(SingleWindowError)
    async def problem(_: Request, exc: SingleWindowError) -> JSONResponse:
        return JSONResponse(
            status_code=exc.status,
            content={
                "detail": exc.detail,
                "errors": [p.as_dict() for p in getattr(exc, "problems", [])],
            },
        )

    return TestClient(app)


@pytest.fixture
def vn(database: Database) -> Database:
    services.ensure_sample_schedule(database, "VN")
    return database


@pytest.fixture
def trader(vn: Database) -> Iterator[TestClient]:
    with make_client(vn, Role.TRADER) as client:
        yield client


@pytest.fixture
def admin(vn: Database) -> Iterator[TestClient]:
    with make_client(vn, Role.ADMIN) as client:
        yield client


def test_search_the_nomenclature(trader: TestClient) -> None:
    response = trader.get("/tariff/nomenclature", params={"q": "smartphones", "limit": 2})
    assert response.status_code == 200
    first = response.json()[0]
    assert (first["code"], first["dotted_code"]) == ("851713", "8517.13")
    assert [p["code"] for p in first["path"]] == ["85", "8517", "851713"]
    by_prefix = trader.get("/tariff/nomenclature", params={"prefix": "0901.1"}).json()
    assert [e["code"] for e in by_prefix] == ["090111", "090112"]


def test_one_nomenclature_entry_with_its_children(trader: TestClient) -> None:
    heading = trader.get("/tariff/nomenclature/0901").json()
    assert heading["level"] == 4
    assert heading["section_name"] == "Vegetable products"
    assert "090111" in [c["code"] for c in heading["children"]]
    missing = trader.get("/tariff/nomenclature/0999")
    assert missing.status_code == 404


def test_schedule_lines_are_paginated(trader: TestClient) -> None:
    page = trader.get("/tariff/schedules/VN/lines", params={"limit": 10, "offset": 5}).json()
    assert page["total"] >= 200
    assert (page["limit"], page["offset"], len(page["items"])) == (10, 5, 10)
    everything = trader.get("/tariff/schedules/VN/lines", params={"limit": 500}).json()
    assert [i["code"] for i in everything["items"][5:15]] == [i["code"] for i in page["items"]]


def test_schedule_search_by_words_prefix_and_date(trader: TestClient) -> None:
    coffee = trader.get(
        "/tariff/schedules/VN/lines", params={"q": "coffee not roasted", "on": "2025-01-01"}
    ).json()
    assert coffee["items"][0]["dotted_code"] == "0901.11.00"
    beer = trader.get("/tariff/schedules/VN/lines", params={"prefix": "2203"}).json()
    assert {i["code"][:4] for i in beer["items"]} == {"2203"}
    assert trader.get(
        "/tariff/schedules/VN/lines", params={"q": "coffee", "on": "2021-01-01"}
    ).json()["total"] == 0


def test_one_line_with_its_rates(trader: TestClient) -> None:
    line = trader.get("/tariff/schedules/VN/lines/8703.23.10", params={"on": "2025-01-01"}).json()
    assert line["quantity_unit"] == "u"
    assert line["mfn"]["kind"] == "ad_valorem"
    assert line["excise"]["text"].endswith("%")
    assert [p["code"] for p in line["path"]] == ["87", "8703", "870323"]
    assert trader.get("/tariff/schedules/VN/lines/24022090").json()["atiga"] is None
    assert trader.get("/tariff/schedules/VN/lines/01011100").status_code == 404
    assert trader.get("/tariff/schedules/XX/lines/09011100").status_code == 404


def test_an_admin_imports_a_schedule(admin: TestClient) -> None:
    body = HEADER + "0901.11.00,Coffee beans,kg,2022-01-01,,12%,0%,10%,,\n"
    response = admin.post(
        "/tariff/schedules/KH", content=body, headers={"content-type": "text/csv"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["inserted"] == 1
    assert admin.get("/tariff/schedules/KH/lines/09011100").json()["mfn"]["text"] == "12%"


def test_a_bad_schedule_answers_422_with_every_row_error(admin: TestClient) -> None:
    body = (
        HEADER
        + "0901.19.00,Coffee,kg,2022-01-01,,12%,0%,10%,,\n"
        + "0901.11.00,Coffee,kg,2022-01-01,,12 percent,0%,10%,,\n"
    )
    response = admin.post(
        "/tariff/schedules/VN", content=body, headers={"content-type": "text/csv"}
    )
    assert response.status_code == 422
    assert {e["path"] for e in response.json()["errors"]} == {"line.2.code", "line.3.mfn"}


@pytest.mark.parametrize("role", [Role.TRADER, Role.OFFICER])
def test_only_an_admin_may_import(vn: Database, role: Role) -> None:
    with make_client(vn, role) as client:
        response = client.post(
            "/tariff/schedules/VN", content=HEADER, headers={"content-type": "text/csv"}
        )
    assert response.status_code == 403


def test_the_openapi_schema_documents_the_csv_body(admin: TestClient) -> None:
    schema = admin.get("/openapi.json").json()
    body = schema["paths"]["/tariff/schedules/{country}"]["post"]["requestBody"]
    assert "text/csv" in body["content"]
