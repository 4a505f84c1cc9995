"""The API's own description: Swagger UI served from the package (a node may run offline),
and an OpenAPI schema that declares its bearer token and says what each operation does."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from singlewindow.access.api import router as access_router
from singlewindow.api.app import SWAGGER_UI, create_app
from singlewindow.core.config import Settings
from singlewindow.core.paths import API, API_DOCS, OPENAPI
from singlewindow.declarations import api as declarations_api
from singlewindow.exchange.api import router as exchange_router
from singlewindow.node import Node
from singlewindow.origin.api import router as origin_router
from singlewindow.reference.api import router as reference_router
from singlewindow.risk.api import router as risk_router
from singlewindow.tariff.api import router as tariff_router

ASSET_TYPES = {".js": "javascript", ".css": "text/css", ".png": "image/png"}


@pytest.fixture
def client(sqlite_database, tmp_path) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    settings = Settings(country="VN", database_url=sqlite_database.url, home=tmp_path)
    with TestClient(create_app(Node.open(settings))) as client:  # the whole node, from /
        yield client


def test_the_docs_page_loads_only_the_nodes_own_files(client: TestClient) -> None:
    page = client.get(API_DOCS)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    references = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    references += re.findall(r"url: '([^']+)'", page.text)  # the schema Swagger UI loads
    assert len(references) == 4  # stylesheet, icon, script, schema
    for url in references:
        assert url.startswith("/") and not url.startswith("//"), f"{url} is not the node's"
        answer = client.get(url)
        assert answer.status_code == 200, url
        expected = ASSET_TYPES.get(url[url.rfind(".") :], "application/json")
        assert expected in answer.headers["content-type"], (url, answer.headers["content-type"])
    assert "https://" not in page.text and "http://" not in page.text
    assert '"validatorUrl": null' in page.text  # no schema sent to validator.swagger.io


def test_the_served_files_are_the_vendored_ones(client: TestClient) -> None:
    bundle = client.get(f"{API_DOCS}/swagger-ui/swagger-ui-bundle.js")
    assert bundle.content == (SWAGGER_UI / "swagger-ui-bundle.js").read_bytes()
    assert "5.35.0" in (SWAGGER_UI / "README.md").read_text()
    assert (SWAGGER_UI / "LICENSE").read_text().lstrip().startswith("Apache License")


def test_redoc_is_not_offered(client: TestClient) -> None:
    # Its page would load a script from a CDN; Swagger UI at /api/docs is the one docs page.
    assert client.get("/redoc").status_code == 404


def test_the_schema_declares_the_bearer_token(client: TestClient) -> None:
    schema = client.get(OPENAPI).json()
    assert schema["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "A node user's API token: `Authorization: Bearer <token>`.",
    }


# Pre-arrival checks the node is on a network before the caller (declarations/api.py: the
# records dependency comes before the officer's), so a node alone answers 404 even without a
# token; it moves to 401 once the officer dependency comes first.
def test_operations_that_need_a_token_say_so_and_answer_401_without_one(
    client: TestClient,
) -> None:
    schema = client.get(OPENAPI).json()
    open_operations = []
    protected = 0
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if operation.get("security") != [{"bearer": []}]:
                open_operations.append(f"{method.upper()} {path}")
                continue
            protected += 1
            concrete = re.sub(r"\{[^}]+\}", "1", path)
            answer = client.request(method, concrete)
            assert answer.status_code == 401, f"{method.upper()} {path} needs no token"
            assert answer.json()["detail"] == "send a bearer token in the Authorization header"
    assert open_operations == [f"GET {API}/health"]
    assert protected >= 30


def test_exchange_and_origin_operations_carry_the_token_too() -> None:
    # A node outside a network has neither router, so they are checked on their own.
    app = FastAPI()
    app.include_router(exchange_router)
    app.include_router(origin_router)
    operations = [op for ops in app.openapi()["paths"].values() for op in ops.values()]
    assert operations
    assert all(op.get("security") == [{"bearer": []}] for op in operations)


def test_every_operation_says_what_it_does() -> None:
    routers = [access_router, risk_router, tariff_router, origin_router, exchange_router,
               reference_router, declarations_api.router, declarations_api.guarantees,
               declarations_api.pre_arrival, declarations_api.payments,
               declarations_api.representations]
    routes = [
        r for router in routers for r in router.routes
        if isinstance(r, APIRoute) and r.include_in_schema
    ]
    silent = {
        f"{r.endpoint.__module__}.{r.endpoint.__name__}"
        for r in routes
        if not (r.description or "").strip()
    }
    assert silent == set()
    assert len(routes) > 30
