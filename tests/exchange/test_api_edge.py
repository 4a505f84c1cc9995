"""The AS4 endpoint in front of the FastAPI app (`exchange.endpoint.AS4Endpoint`): what it answers
itself, and what it leaves to the app."""

from __future__ import annotations

import asyncio
import logging
import socket
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from singlewindow.api.app import install_error_handlers
from singlewindow.exchange import api, endpoint, pki, sending
from singlewindow.exchange.model import UserMessage
from singlewindow.exchange.services import Gateway, names_no_issuer

from .conftest import ACTION, DOCUMENT, SERVICE, Network
from .test_attacks import stored

sys.path.insert(0, str(Path(__file__).resolve().parent))
from twonodes import make_network  # noqa: E402

CHUNK = b"x" * (1024 * 1024)


def node(gateway: Gateway | None, received: list[str] | None = None) -> endpoint.AS4Endpoint:
    """A node's app as `server.node_app` builds it: FastAPI with its lifespan (the
    exchange workers), its error handlers, the exchange router and `/health`, the AS4
    endpoint in front."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if gateway is not None:
            gateway.start_workers()
        yield
        if gateway is not None:
            gateway.stop_workers()

    app = FastAPI(lifespan=lifespan)
    app.state.exchange = gateway
    install_error_handlers(app)
    if gateway is not None:
        app.include_router(api.router)
        if received is not None:

            def accept(_: Session, message: UserMessage) -> None:
                received.append(message.message_id)

            gateway.register_handler(SERVICE, ACTION, accept, issuer=names_no_issuer)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return endpoint.with_as4_endpoint(app)


def build(network: Network) -> sending.OutboundMessage:
    return sending.build_user_message(
        network.kh,
        pki.partner_from_certificate(network.vn.certificate, "http://vn.test/as4"),
        message_id=f"{uuid.uuid4()}@{network.kh.party_id}",
        conversation_id="conv-edge",
        service=SERVICE,
        action=ACTION,
        payload=DOCUMENT,
    )


def post(
    app: endpoint.AS4Endpoint,
    content: bytes | AsyncIterator[bytes],
    headers: dict[str, Any] | None = None,
) -> httpx.Response:
    """POST /as4 through httpx's ASGI transport: the body streamed chunk by chunk and the
    headers as raw bytes (the TestClient reads the body at once and re-encodes headers)."""

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://vn") as http:
            return await http.post("/as4", content=content, headers=headers)

    return asyncio.run(send())


@pytest.fixture
def client(vn_gateway: Gateway) -> Iterator[TestClient]:
    with TestClient(node(vn_gateway)) as client:
        yield client


def test_a_genuine_message_gets_its_receipt(network: Network, vn_gateway: Gateway) -> None:
    received: list[str] = []
    outbound = build(network)
    with TestClient(node(vn_gateway, received)) as client:  # the lifespan starts the workers
        response = client.post("/as4", content=outbound.body, headers=outbound.headers)
        assert response.status_code == 200, response.text
        assert sending.judge_signal(outbound, response.content).delivered
        assert response.headers["content-type"].startswith("application/soap+xml")
        deadline = time.monotonic() + 10
        while not received and time.monotonic() < deadline:
            time.sleep(0.05)
    assert received == [outbound.message_id]  # handed over by the inbox processor


def test_garbage_gets_the_gateways_error_signal(client: TestClient, vn_gateway: Gateway) -> None:
    response = client.post(
        "/as4", content=b"\x00\xffgarbage" * 10, headers={"content-type": "multipart/related"}
    )
    assert response.status_code == 400
    assert b"Error" in response.content
    assert stored(vn_gateway) == 0


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_only_post(client: TestClient, method: str) -> None:
    response = client.request(method, "/as4")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


def test_an_oversized_content_length_is_refused_unread(
    client: TestClient, vn_gateway: Gateway
) -> None:
    pulled: list[int] = []

    def body() -> Iterator[bytes]:
        for _ in range(100):
            pulled.append(1)
            yield CHUNK

    response = client.post(
        "/as4", content=body(), headers={"content-length": str(endpoint.MAXIMUM_BODY + 1)}
    )
    assert response.status_code == 413
    assert response.headers["connection"] == "close"
    assert pulled == []  # refused on the header, nothing read
    assert stored(vn_gateway) == 0


def test_a_streamed_body_is_refused_once_past_the_limit(vn_gateway: Gateway) -> None:
    pulled: list[int] = []

    async def body() -> AsyncIterator[bytes]:  # chunked: no Content-Length
        for _ in range(200):  # 200 MiB if read to the end
            pulled.append(1)
            yield CHUNK

    response = post(node(vn_gateway), body())
    assert response.status_code == 413
    assert len(pulled) == endpoint.MAXIMUM_BODY // len(CHUNK) + 1  # stopped at the limit
    assert stored(vn_gateway) == 0


def test_a_failing_receive_is_a_500_and_the_endpoint_serves_on(
    network: Network,
    vn_gateway: Gateway,
    client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(body: bytes, headers: object) -> None:
        raise RuntimeError("database on fire")

    with monkeypatch.context() as patch:
        patch.setattr(vn_gateway, "receive", broken)
        with caplog.at_level(logging.ERROR, "singlewindow.exchange"):
            response = client.post("/as4", content=b"anything")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/plain")
    assert b"fire" not in response.content
    assert any("database on fire" in (r.exc_text or "") for r in caplog.records)
    outbound = build(network)
    assert client.post("/as4", content=outbound.body, headers=outbound.headers).status_code == 200


def test_headers_reach_receive_as_strings(
    vn_gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[dict[str, str]] = []
    real = vn_gateway.receive

    def spy(body: bytes, headers: dict[str, str]):  # type: ignore[no-untyped-def]
        seen.append(headers)
        return real(body, headers)

    monkeypatch.setattr(vn_gateway, "receive", spy)
    headers = {"Content-Type": "text/plain", "X-Name": b"caf\xe9"}
    assert post(node(vn_gateway), b"x", headers).status_code == 400
    assert seen[0]["content-type"] == "text/plain"
    assert seen[0]["x-name"] == "caf\xe9"  # latin-1, as Starlette decodes


def test_everything_else_goes_to_the_app(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    assert client.post("/as4/").status_code == 404  # not the endpoint's path
    assert client.get("/exchange/statistics").status_code == 401  # the router's, with auth
    assert client.get("/nowhere").status_code == 404


def test_without_a_gateway_there_is_no_as4_endpoint() -> None:
    with TestClient(node(None)) as client:
        assert client.post("/as4", content=b"x").status_code == 404
        assert client.get("/health").status_code == 200


@pytest.mark.e2e
def test_over_real_http(tmp_path: Path) -> None:
    """A node process under uvicorn: an oversized upload is refused before its body is sent
    and the connection closed; the benchmark's baseline and the app's routes answer."""
    _, vn, _ = make_network(tmp_path)
    vn.start()
    try:
        with socket.create_connection(("127.0.0.1", vn.port), timeout=10) as sock:
            sock.sendall(
                b"POST /as4 HTTP/1.1\r\nHost: vn\r\nContent-Type: multipart/related\r\n"
                b"Content-Length: %d\r\n\r\n" % (endpoint.MAXIMUM_BODY + 1)
            )
            answer = b""
            while chunk := sock.recv(65536):  # until the server closes
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 413 ")
        assert b"connection: close" in answer.lower()
        with httpx.Client(base_url=vn.url) as http:
            echo = http.post("/bench/echo", content=b"y" * 5000)
            assert echo.status_code == 200 and echo.content == b"y" * 2048
            assert http.get("/as4").status_code == 405
            assert http.post("/as4", content=b"junk").status_code == 400
            assert http.get("/health").json() == {"party_id": vn.party_id}
    finally:
        vn.stop()
