"""Duplicate counting and the traffic statistics, in the service and over HTTP."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from singlewindow.access.model import Principal, Role
from singlewindow.api import deps
from singlewindow.api.app import install_error_handlers
from singlewindow.exchange import api, refusals
from singlewindow.exchange.services import Gateway
from singlewindow.exchange.workers import OutboxDeliveryWorker

from .conftest import ACTION, DOCUMENT, SERVICE, VN


def post_once(sender: Gateway, receiver: Gateway) -> tuple[bytes, dict[str, str]]:
    """Deliver the sender's pending messages, keeping the last raw request posted."""
    posted: list[tuple[bytes, dict[str, str]]] = []

    def handle(request: httpx.Request) -> httpx.Response:
        body, headers = request.read(), dict(request.headers)
        posted.append((body, headers))
        result = receiver.receive(body, headers)
        return httpx.Response(result.status, content=result.body, headers=result.headers)

    client = httpx.Client(transport=httpx.MockTransport(handle))
    worker = OutboxDeliveryWorker(sender, client=client)
    try:
        worker.run_once()
    finally:
        worker.close()
    return posted[-1]


def test_a_replayed_message_is_refused_and_counted(
    kh_gateway: Gateway, vn_gateway: Gateway
) -> None:
    with kh_gateway.database.unit_of_work() as session:
        kh_gateway.send(session, VN, SERVICE, ACTION, DOCUMENT)
    body, headers = post_once(kh_gateway, vn_gateway)
    assert vn_gateway.statistics()["duplicates_dropped"] == 0

    again = vn_gateway.receive(body, headers)
    assert not again.accepted and again.status == 400
    assert again.error_code == refusals.DuplicateMessage.error_code == "EBMS:0004"
    assert refusals.DUPLICATE_MARK in again.detail
    vn_gateway.receive(body, headers)
    assert vn_gateway.statistics() == {
        "sent": 0, "delivered": 0, "pending": 0,
        "received": 1, "duplicates_dropped": 2, "failed_inbound": 0,
    }
    assert kh_gateway.statistics() == {
        "sent": 1, "delivered": 1, "pending": 0,
        "received": 0, "duplicates_dropped": 0, "failed_inbound": 0,
    }
    with kh_gateway.database.unit_of_work() as session:
        kh_gateway.send(session, VN, SERVICE, ACTION, b"<later/>")
    assert kh_gateway.statistics()["pending"] == 1


def test_the_statistics_route_is_for_officers(kh_gateway: Gateway) -> None:
    with kh_gateway.database.unit_of_work() as session:
        kh_gateway.send(session, VN, SERVICE, ACTION, DOCUMENT)
    app = FastAPI()
    install_error_handlers(app)
    app.state.exchange = kh_gateway
    app.include_router(api.router)
    with TestClient(app) as client:
        assert client.get("/exchange/statistics").status_code == 401
        app.dependency_overrides[deps.current_principal] = lambda: Principal(
            "o", Role.OFFICER, office="X"
        )
        answer = client.get("/exchange/statistics")
        assert answer.status_code == 200
        assert answer.json() == {
            "sent": 1, "delivered": 0, "pending": 1,
            "received": 0, "duplicates_dropped": 0, "failed_inbound": 0,
        }
        app.dependency_overrides[deps.current_principal] = lambda: Principal(
            "t", Role.TRADER, party_id="KHEXP0042"
        )
        assert client.get("/exchange/statistics").status_code == 403
