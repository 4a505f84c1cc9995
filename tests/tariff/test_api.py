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


def test_everything_that_applies_to_a_code_as_of_a_day(trader: TestClient) -> None:
    response = trader.get(
        "/tariff/schedules/VN/measures/0901.11.00", params={"origin": "JP", "on": "2024-12-31"}
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["code"], answer["origin"], answer["on"]) == ("09011100", "JP", "2024-12-31")
    assert answer["line"]["dotted_code"] == "0901.11.00"
    by_id = {m["id"]: m for m in answer["measures"]}
    rcep = by_id["VN-RCEP-09011100-2022"]
    assert rcep["duty"]["text"] == "10%" and rcep["agreement_name"].startswith("Regional")
    assert [t["code"] for t in rcep["conditions"][0]] == ["RCEP-CO", "ORIGIN-DECLARATION"]
    assert rcep["citation"].startswith("measure VN-RCEP-09011100-2022")
    after = trader.get(
        "/tariff/schedules/VN/measures/0901.11.00", params={"origin": "JP", "on": "2025-01-01"}
    ).json()
    assert "VN-RCEP-09011100-2025" in {m["id"] for m in after["measures"]}


def test_an_anti_dumping_duty_answers_for_its_producer_only(trader: TestClient) -> None:
    def ids(**params: str) -> set[str]:
        response = trader.get(
            "/tariff/schedules/VN/measures/72082500", params={"origin": "CN", **params}
        )
        assert response.status_code == 200, response.text
        return {m["id"] for m in response.json()["measures"]}

    assert "VN-AD-720825-C001" in ids(additional_code="C001", on="2025-06-01")
    assert not any(i.startswith("VN-AD") for i in ids(on="2025-06-01"))
    assert not any(i.startswith("VN-AD") for i in ids(additional_code="C001", on="2025-01-01"))


def test_a_bad_measure_question_is_a_4xx(trader: TestClient) -> None:
    url = "/tariff/schedules/VN/measures"
    assert trader.get(f"{url}/0999", params={"origin": "CN"}).status_code == 404
    assert trader.get(f"{url}/0901", params={"origin": "CHN"}).status_code == 422
    assert trader.get(f"{url}/0901", params={"origin": "XX"}).status_code == 422
    assert trader.get(f"{url}/0901").status_code == 422  # the origin is asked
    outside = trader.get("/tariff/schedules/FR/measures/0901", params={"origin": "CN"})
    assert outside.status_code == 404


def test_an_admin_imports_a_measure_file_and_reads_it_back(
    vn: Database, admin: TestClient
) -> None:
    file = {
        "areas": [{"id": "CN", "description": "China", "kind": "country"}],
        "measures": [
            {
                "id": "KH-BAN-3604",
                "type": "prohibition",
                "goods_code": "3604",
                "area": "CN",
                "valid_from": "2022-01-01",
            }
        ],
    }
    services.ensure_sample_schedule(vn, "KH")
    response = admin.post("/tariff/schedules/KH/measures", json=file)
    assert response.status_code == 200, response.text
    assert (response.json()["measures"], response.json()["areas"]) == (1, 1)
    stored = admin.get("/tariff/schedules/KH/measure-file").json()
    assert stored["measures"][0]["id"] == "KH-BAN-3604"
    answer = admin.get(
        "/tariff/schedules/KH/measures/3604.10", params={"origin": "CN", "on": "2025-01-01"}
    ).json()
    assert [m["nature"] for m in answer["measures"]] == ["prohibition"]
    replaced = admin.post("/tariff/schedules/KH/measures?replace=true", json={})
    assert replaced.json()["deleted"] == 2
    assert admin.get("/tariff/schedules/KH/measure-file").json()["measures"] == []


def test_a_bad_measure_file_answers_422_with_every_located_error(admin: TestClient) -> None:
    file = {
        "measures": [
            {"id": "M1", "type": "prohibition", "goods_code": "0999", "area": "1011",
             "valid_from": "2022-01-01"},
            {"id": "M2", "type": "anti_dumping", "goods_code": "7208", "area": "1011",
             "valid_from": "2022-01-01", "duty": "5 %%"},
        ],
    }
    response = admin.post("/tariff/schedules/VN/measures", json=file)
    assert response.status_code == 422
    # the rate that does not parse and the set's own check (the unknown code), at once
    assert {e["path"] for e in response.json()["errors"]} == {
        "measures.0.goods_code",
        "measures.1.duty",
    }
    file["measures"][1]["duty"] = "5%"
    response = admin.post("/tariff/schedules/VN/measures", json=file)
    assert {e["path"] for e in response.json()["errors"]} == {"measures.0.goods_code"}
    not_json = admin.post(
        "/tariff/schedules/VN/measures", content=b"{", headers={"content-type": "application/json"}
    )
    assert not_json.status_code == 422 and not_json.json()["errors"][0]["path"] == "file"
    # JSON, but not an object (the schema fuzzing found this one answering 500)
    for body in ('"\\udafd text"', "[]", "3", "null"):
        not_a_file = admin.post(
            "/tariff/schedules/VN/measures",
            content=body.encode(),
            headers={"content-type": "application/json"},
        )
        assert not_a_file.status_code == 422, (body, not_a_file.text)


@pytest.mark.parametrize("role", [Role.TRADER, Role.OFFICER])
def test_only_an_admin_may_import_measures(vn: Database, role: Role) -> None:
    with make_client(vn, role) as client:
        response = client.post("/tariff/schedules/VN/measures", json={})
    assert response.status_code == 403


def test_the_openapi_schema_documents_the_measure_file_body(admin: TestClient) -> None:
    schema = admin.get("/openapi.json").json()
    body = schema["paths"]["/tariff/schedules/{country}/measures"]["post"]["requestBody"]
    assert "application/json" in body["content"]
