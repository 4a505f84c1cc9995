"""The origin router in a small app of its own: a real gateway, a stand-in for login."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from singlewindow.access.model import Principal, Role
from singlewindow.api import deps
from singlewindow.api.app import install_error_handlers
from singlewindow.core.db import Database
from singlewindow.origin.api import router
from singlewindow.origin.services import Origin

from .conftest import Network, kh_gateway_on

PRINCIPALS = {
    "issuer": Principal("kh-moc", Role.ISSUER),
    "admin": Principal("root", Role.ADMIN),
    "officer": Principal("officer", Role.OFFICER, office="KHPP01"),
    "exporter": Principal("exporter", Role.TRADER, party_id="KHEXP0042"),
    "stranger": Principal("stranger", Role.TRADER, party_id="KHOTHER01"),
}


def body(reference: str = "KH-2026-000777", **changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "reference": reference,
        "importing_country": "VN",
        "exporter": {"id": "KHEXP0042", "name": "Mondulkiri Coffee Co., Ltd.", "country": "KH"},
        "consignee": {"id": "VNTRADER0001", "name": "Saigon Coffee Importers JSC",
                      "country": "VN"},
        "items": [
            {
                "number": 1,
                "description": "Green robusta coffee beans, not roasted",
                "subheading": "0901.11",
                "origin_criterion": "rvc 40%",
                "quantity": "19200",
                "quantity_unit": "kg",
                "gross_mass": "19520",
                "fob_value": "42240.00",
                "currency": "USD",
                "invoice_number": "INV-1",
                "invoice_date": "2026-03-01",
            }
        ],
        "transport": "By truck via Bavet / Moc Bai",
    }
    document.update(changes)
    return document


@pytest.fixture
def app(network: Network, database: Database) -> FastAPI:
    app = FastAPI()
    app.include_router(router)
    app.state.database = database
    app.state.origin = Origin(database, "KH", kh_gateway_on(network, database))
    install_error_handlers(app)
    return app


def client(app: FastAPI, who: str) -> TestClient:
    app.dependency_overrides[deps.current_principal] = lambda: PRINCIPALS[who]
    return TestClient(app)


def test_an_issuer_issues_and_the_form_d_is_sent(app: FastAPI) -> None:
    response = client(app, "issuer").post("/origin/certificates", json=body())
    assert response.status_code == 201, response.text
    issued = response.json()
    assert issued["status"] == "sent" and issued["provenance"] == "issued"
    assert issued["partner"] == "VN-CUSTOMS" and issued["message_id"]
    item = issued["document"]["GoodsItem"][0]
    assert (item["ClassificationCode"], item["OriginCriterion"]) == ("090111", "RVC 40%")
    read = client(app, "officer").get("/origin/certificates/KH/KH-2026-000777")
    assert read.status_code == 200 and read.json()["id"] == issued["id"]


@pytest.mark.parametrize("who", ["officer", "exporter"])
def test_only_issuers_and_admins_issue(app: FastAPI, who: str) -> None:
    response = client(app, who).post("/origin/certificates", json=body())
    assert response.status_code == 403
    assert client(app, "admin").post("/origin/certificates", json=body()).status_code == 201


def test_problems_come_with_their_paths(app: FastAPI) -> None:
    issuer = client(app, "issuer")
    bad_criterion = body()
    bad_criterion["items"][0]["origin_criterion"] = "RVC 35%"
    response = issuer.post("/origin/certificates", json=bad_criterion)
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["path"] == "items.0.origin_criterion" and "below the ATIGA minimum" in error[
        "message"]
    bad_rules = body(importing_country="KH")
    bad_rules["items"][0]["subheading"] = "09011"
    response = issuer.post("/origin/certificates", json=bad_rules)
    assert response.status_code == 422
    paths = {e["path"] for e in response.json()["errors"]}
    assert paths == {"importing_country", "items.0.subheading"}


def test_a_reference_is_issued_once(app: FastAPI) -> None:
    issuer = client(app, "issuer")
    assert issuer.post("/origin/certificates", json=body()).status_code == 201
    again = issuer.post("/origin/certificates", json=body())
    assert again.status_code == 409 and "already been issued" in again.json()["detail"]


def test_listing_pages_and_filters(app: FastAPI) -> None:
    issuer = client(app, "issuer")
    for n in range(3):
        assert issuer.post("/origin/certificates", json=body(f"KH-2026-00{n}")).status_code == 201
    page = issuer.get("/origin/certificates", params={"limit": 2, "provenance": "issued"}).json()
    assert (page["total"], len(page["items"]), page["limit"]) == (3, 2, 2)
    assert issuer.get("/origin/certificates", params={"status": "accepted"}).json()["total"] == 0
    assert issuer.get("/origin/certificates", params={"provenance": "received"}).json()[
        "total"] == 0
    assert issuer.get("/origin/certificates", params={"status": "bogus"}).status_code == 422


def test_traders_see_only_certificates_naming_them(app: FastAPI) -> None:
    assert client(app, "issuer").post("/origin/certificates", json=body()).status_code == 201
    assert client(app, "exporter").get("/origin/certificates").json()["total"] == 1
    assert client(app, "stranger").get("/origin/certificates").json()["total"] == 0
    path = "/origin/certificates/KH/KH-2026-000777"
    assert client(app, "exporter").get(path).status_code == 200
    assert client(app, "stranger").get(path).status_code == 404


def test_an_unknown_certificate_is_not_found(app: FastAPI) -> None:
    response = client(app, "officer").get("/origin/certificates/KH/NOPE")
    assert response.status_code == 404
    assert response.json()["detail"] == "no e-Form D NOPE of KH at this node"
