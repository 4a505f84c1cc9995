"""What the API does with input no route should see: bodies over the limit, invalid JSON,
numbers out of any range, failures nothing handled; and `serve` on a busy port."""

from __future__ import annotations

import asyncio
import decimal
import json
import logging
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from singlewindow.api.middleware import MAXIMUM_BODY
from singlewindow.api.server import port_is_free
from singlewindow.core.paths import API
from tests.builders import as_json, import_declaration

PROBLEM = "application/problem+json"
LIMIT_SAID = f"the request body is larger than the limit of {MAXIMUM_BODY} bytes (1 MiB)"


def declaration_text(lrn: str = "LRN-PLATFORM-1") -> str:
    return json.dumps(as_json(import_declaration(lrn)))


def stored(node) -> int:  # type: ignore[no-untyped-def]
    listed = node.client.get("/declarations", headers=node.as_("admin"))
    return int(listed.json()["total"])


def assert_too_large(answer: httpx.Response) -> None:
    assert answer.status_code == 413
    assert answer.headers["content-type"] == PROBLEM
    assert answer.headers["connection"] == "close"
    body = answer.json()
    assert body["detail"] == LIMIT_SAID and body["limit"] == MAXIMUM_BODY
    assert body["errors"] == [{"path": "", "message": LIMIT_SAID}]


# --- Body size, through the TestClient ---------------------------------------------------


def test_a_declared_length_over_the_limit_is_refused_unread(node) -> None:  # type: ignore[no-untyped-def]
    pulled: list[int] = []

    def body() -> Iterator[bytes]:
        for _ in range(10):  # 10 MiB
            pulled.append(1)
            yield b" " * MAXIMUM_BODY

    answer = node.client.post(
        "/declarations", content=body(),
        headers={**node.as_("trader"), "content-type": "application/json",
                 "content-length": str(10 * MAXIMUM_BODY)},
    )
    assert_too_large(answer)
    assert pulled == []
    assert stored(node) == 0


def test_a_chunked_body_is_refused_once_it_grows_past_the_limit(node) -> None:  # type: ignore[no-untyped-def]
    pulled: list[int] = []
    text = declaration_text().encode()

    async def body() -> AsyncIterator[bytes]:  # no Content-Length: sent chunked
        yield text[:-1]
        for _ in range(40):  # 10 MiB of blanks inside the JSON object, if read to the end
            pulled.append(1)
            yield b" " * (MAXIMUM_BODY // 4)
        yield text[-1:]

    async def send() -> httpx.Response:
        # httpx's ASGI transport streams the body chunk by chunk (the TestClient reads it
        # all first).
        transport = httpx.ASGITransport(app=node.client.app)
        async with httpx.AsyncClient(transport=transport, base_url=f"http://node{API}") as http:
            return await http.post(
                "/declarations", content=body(),
                headers={**node.as_("trader"), "content-type": "application/json"},
            )

    assert_too_large(asyncio.run(send()))
    assert len(pulled) == 4  # 1 MiB read after the first chunk: past the limit, no further
    assert stored(node) == 0


def test_a_body_of_exactly_the_limit_is_read(node) -> None:  # type: ignore[no-untyped-def]
    text = declaration_text()
    padded = text + " " * (MAXIMUM_BODY - len(text))  # JSON allows trailing blanks
    answer = node.client.post(
        "/declarations", content=padded,
        headers={**node.as_("trader"), "content-type": "application/json"},
    )
    assert answer.status_code == 201, answer.text
    assert stored(node) == 1


def test_a_tariff_schedule_may_be_larger(node) -> None:  # type: ignore[no-untyped-def]
    # 2 MiB of CSV is read (and refused for what it says, not for its size).
    csv = "not,a,schedule\n" + "x,y,z\n" * (2 * MAXIMUM_BODY // 6)
    answer = node.client.post(
        "/tariff/schedules/KH", content=csv,
        headers={**node.as_("admin"), "content-type": "text/csv"},
    )
    assert answer.status_code == 422, answer.text


# --- Body size, over real HTTP -----------------------------------------------------------


@dataclass
class Served:
    host: str
    port: int

    def exchange(self, request: bytes) -> bytes:
        """Send `request` on a new connection and read the answer until the server closes."""
        with socket.create_connection((self.host, self.port), timeout=10) as connection:
            connection.sendall(request)
            answer = b""
            while chunk := connection.recv(65536):
                answer += chunk
        return answer


@pytest.fixture
def served(node) -> Iterator[Served]:  # type: ignore[no-untyped-def]
    """The node's app under uvicorn on a free loopback port, in a thread."""
    config = uvicorn.Config(node.client.app, host="127.0.0.1", port=0, log_level="warning",
                            lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield Served("127.0.0.1", port)
    server.should_exit = True
    thread.join(20)


def parse(answer: bytes) -> tuple[str, dict[str, str], dict[str, object]]:
    head, _, body = answer.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return status, headers, json.loads(body)


def check_real_413(answer: bytes) -> None:
    status, headers, body = parse(answer)
    assert status.startswith("HTTP/1.1 413 ")
    assert headers["content-type"] == PROBLEM and headers["connection"] == "close"
    assert body["detail"] == LIMIT_SAID


def test_over_http_a_declared_length_over_the_limit_is_refused_before_the_body(
    node, served: Served  # type: ignore[no-untyped-def]
) -> None:
    token = node.users.trader
    answer = served.exchange(
        b"POST /api/v1/declarations HTTP/1.1\r\nHost: node\r\nContent-Type: application/json\r\n"
        b"Authorization: Bearer %s\r\nContent-Length: %d\r\n\r\n"
        % (token.encode(), 10 * MAXIMUM_BODY)
    )  # the body is never sent: the answer comes on the headers alone
    check_real_413(answer)
    with httpx.Client(base_url=f"http://{served.host}:{served.port}{API}") as http:
        assert http.get("/health").status_code == 200  # and the node serves on
    assert stored(node) == 0


def test_over_http_a_chunked_body_is_refused_once_past_the_limit(
    node, served: Served  # type: ignore[no-untyped-def]
) -> None:
    token = node.users.trader
    text = declaration_text().encode()
    piece = b" " * (64 * 1024)
    chunks = [text[:-1]] + [piece] * (MAXIMUM_BODY // len(piece) + 1)
    # Exactly past the limit and no final chunk: everything sent is read before the
    # server answers and closes (unread bytes would turn its close into a reset).
    body = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks)
    answer = served.exchange(
        b"POST /api/v1/declarations HTTP/1.1\r\nHost: node\r\nContent-Type: application/json\r\n"
        b"Authorization: Bearer %s\r\nTransfer-Encoding: chunked\r\n\r\n%s"
        % (token.encode(), body)
    )
    check_real_413(answer)
    assert stored(node) == 0


def test_over_http_declarations_within_the_limit_are_lodged_sized_or_chunked(
    node, served: Served  # type: ignore[no-untyped-def]
) -> None:
    def chunked() -> Iterator[bytes]:  # an iterator: httpx sends it chunked
        yield declaration_text("LRN-CHUNKED").encode()

    headers = {**node.as_("trader"), "content-type": "application/json"}
    with httpx.Client(base_url=f"http://{served.host}:{served.port}{API}") as http:
        sized = http.post("/declarations", content=declaration_text(), headers=headers)
        assert sized.status_code == 201, sized.text
        streamed = http.post("/declarations", content=chunked(), headers=headers)
        assert streamed.status_code == 201, streamed.text
    assert stored(node) == 2


# --- Invalid JSON and numbers out of range -----------------------------------------------


def test_invalid_json_says_where_in_lines_and_columns(node) -> None:  # type: ignore[no-untyped-def]
    text = '{\n  "type": "IM",\n  "lrn": "LRN-1",,\n}'
    answer = node.client.post(
        "/declarations", content=text,
        headers={**node.as_("trader"), "content-type": "application/json"},
    )
    assert answer.status_code == 422
    assert answer.headers["content-type"] == PROBLEM
    message = ("the body is not valid JSON: Expecting property name enclosed in double quotes"
               " at line 3, column 18 (character 35)")
    assert answer.json()["errors"] == [{"path": "", "message": message}]
    assert answer.json()["detail"] == message
    assert text[35] == ","  # the second comma: where the reader stopped
    assert stored(node) == 0


def test_an_empty_json_body_says_so(node) -> None:  # type: ignore[no-untyped-def]
    answer = node.client.post(
        "/declarations", content="   ",
        headers={**node.as_("trader"), "content-type": "application/json"},
    )
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["path"] == ""
    assert "line 1, column 4" in answer.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    ("field", "number"),
    [(field, number)
     for field in ("invoice_amount", "quantity", "net_mass", "gross_mass")
     for number in ("1e400", "1e30", "-1e30", "1e-30")],
)
def test_numbers_out_of_any_range_are_refused(node, field: str, number: str) -> None:  # type: ignore[no-untyped-def]
    body = as_json(import_declaration("LRN-HUGE"))
    body["items"][0][field] = "__NUMBER__"
    text = json.dumps(body).replace('"__NUMBER__"', number)  # a JSON number, not a string
    answer = node.client.post(
        "/declarations", content=text,
        headers={**node.as_("trader"), "content-type": "application/json"},
    )
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == PROBLEM
    assert f"items.0.{field}" in {e["path"] for e in answer.json()["errors"]}
    assert stored(node) == 0


# --- Failures nothing handled ------------------------------------------------------------


@pytest.mark.parametrize(
    "failure",
    [RuntimeError("password=hunter2 in table secret_things"),
     decimal.InvalidOperation([decimal.InvalidOperation])],
)
def test_an_unexpected_failure_is_a_logged_500_problem_that_leaks_nothing(
    node, failure: Exception, caplog: pytest.LogCaptureFixture  # type: ignore[no-untyped-def]
) -> None:
    app: FastAPI = node.client.app  # type: ignore[assignment]

    @app.get(f"{API}/failing")
    def failing() -> None:
        raise failure

    with caplog.at_level(logging.ERROR, "singlewindow.api"):
        answer = node.client.get("/failing")
    assert answer.status_code == 500
    assert answer.headers["content-type"] == PROBLEM
    assert answer.json() == {
        "type": "about:blank", "title": "Internal error", "status": 500,
        "detail": "the node failed to handle this request; the failure is logged for its operators",
    }
    assert "hunter2" not in answer.text and "Traceback" not in answer.text
    [record] = [r for r in caplog.records if r.name == "singlewindow.api.middleware"]
    assert record.getMessage() == f"GET {API}/failing failed"
    assert type(failure).__name__ in (record.exc_text or "")
    assert node.client.get("/health").status_code == 200  # serves on


def test_the_401_is_unchanged_for_every_way_of_not_sending_a_token(node) -> None:  # type: ignore[no-untyped-def]
    for headers in [{}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer "},
                    {"Authorization": "Bearer"}]:
        answer = node.client.get("/me", headers=headers)
        assert answer.status_code == 401, headers
        assert answer.headers["content-type"] == PROBLEM
        assert answer.json()["detail"] == "send a bearer token in the Authorization header"
    assert node.client.get("/me", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert node.client.get("/me", headers=node.as_("trader")).status_code == 200
    # The scheme word is case-insensitive, as RFC 9110 has it.
    lower = {"Authorization": "bearer " + node.users.trader}
    assert node.client.get("/me", headers=lower).status_code == 200


# --- serve on a busy port ----------------------------------------------------------------


def test_a_port_in_use_is_not_free() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert not port_is_free("127.0.0.1", port)
        assert not port_is_free("localhost", port)
    assert port_is_free("127.0.0.1", port)


def test_a_host_that_is_not_this_machine_is_not_free() -> None:
    assert not port_is_free("host.invalid", 8000)  # RFC 2606: never resolves
    assert not port_is_free("192.0.2.1", 8000)  # TEST-NET-1: no address of ours


def test_the_port_of_a_serving_node_is_not_free(served: Served) -> None:
    assert not port_is_free(served.host, served.port)
