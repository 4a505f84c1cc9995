"""The e-commerce API of Viet Nam's node (its sample users): manifests as JSON lines and CSV,
per-parcel results, what a platform sees and what officers see, the manifest's own size limit
enforced before the body is read, bad manifests as 422 problem+json with line numbers."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from singlewindow.api.app import create_app
from singlewindow.api.middleware import MAXIMUM_BODY
from singlewindow.core.config import Settings
from singlewindow.core.paths import API
from singlewindow.ecommerce.api import MANIFEST_BODY
from tests.ecommerce.builders import JSONL, as_csv, jsonl, parcel
from tests.nodes import NodeClient

MANIFESTS = "/ecommerce/manifests"


def upload(node: NodeClient, body: bytes, content_type: str = JSONL,
           who: str = "trader") -> Any:
    return node.client.post(MANIFESTS, content=body,
                            headers={**node.as_(who), "content-type": content_type})


def test_a_platform_uploads_jsonl_and_reads_each_parcel_s_result(node: NodeClient) -> None:
    answer = upload(node, jsonl([parcel(1), "{oops", parcel(3, value="100")]))
    assert answer.status_code == 201, answer.text
    manifest = answer.json()
    assert manifest["parcels"] == 2 and manifest["format"] == "jsonl"
    assert manifest["rejected"][0]["line"] == 2
    assert manifest["rejected"][0]["errors"][0]["path"] == "lines.2"
    parcels = node.client.get(f"{MANIFESTS}/{manifest['id']}/parcels",
                              headers=node.as_("trader")).json()
    assert parcels["total"] == 2
    first = parcels["items"][0]
    # The sample seller is unknown to customs: held, the documents named, the reason not.
    assert first["status"] == "held_documents" and first["documents"]
    assert first["reasons"] is None and first["rule_ids"] is None
    held = node.client.get("/ecommerce/held", headers=node.as_("officer")).json()
    assert held["total"] == 2 and any("unknown" in r for r in held["items"][0]["reasons"])
    assert node.client.get("/ecommerce/held", headers=node.as_("trader")).status_code == 403
    followed = node.client.get("/ecommerce/parcels", params={"order_reference": "ORD-000003"},
                               headers=node.as_("trader")).json()
    assert followed[0]["value_national"] == "2540000" and followed[0]["reasons"] is None
    decided = node.client.post(f"/ecommerce/parcels/{first['id']}/decision",
                               json={"decision": "documents_accepted", "note": "invoice"},
                               headers=node.as_("officer"))
    assert decided.status_code == 200 and decided.json()["status"] == "released"
    again = node.client.post(f"/ecommerce/parcels/{first['id']}/decision",
                             json={"decision": "found"}, headers=node.as_("officer"))
    assert again.status_code == 409
    due = node.client.get("/ecommerce/due", headers=node.as_("trader")).json()
    assert due["parcels"] == 2 and due["currency"] == "VND"


def test_a_csv_manifest_with_a_bad_currency_rejects_that_line(node: NodeClient) -> None:
    body = as_csv([parcel(1), parcel(2, currency="DOLLAR"), parcel(3, origin="EU")])
    answer = upload(node, body, "text/csv")
    assert answer.status_code == 201, answer.text
    rejected = {r["line"]: r["errors"][0]["path"] for r in answer.json()["rejected"]}
    assert rejected == {3: "lines.3.currency", 4: "lines.4.origin"}  # the header is line 1


def test_a_manifest_without_a_valid_parcel_is_a_422_with_line_numbers(
        node: NodeClient) -> None:
    answer = upload(node, jsonl([parcel(1, quantity="many"), parcel(2, origin="Mars")]))
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    paths = [e["path"] for e in answer.json()["errors"]]
    assert paths == ["lines.1.quantity", "lines.2.origin"]
    listed = node.client.get(MANIFESTS, headers=node.as_("trader")).json()
    assert listed["total"] == 0
    wrong_type = upload(node, jsonl([parcel(1)]), "application/json")
    assert wrong_type.status_code == 422 and "content-type" in wrong_type.text
    assert upload(node, jsonl([parcel(1)]), who="officer").status_code == 403


def test_the_manifest_limit_is_enforced_before_the_body_is_read(node: NodeClient) -> None:
    """A declared Content-Length over 20 MiB is refused without a byte of the body read; a
    chunked body is counted as it streams. Other routes keep the node's 1 MiB."""
    app = create_app(node.opened)
    read: list[int] = []

    async def receive() -> dict[str, Any]:
        read.append(1)
        return {"type": "http.request", "body": b"", "more_body": False}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    token = node.users.trader
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": f"{API}{MANIFESTS}", "raw_path": f"{API}{MANIFESTS}".encode(),
        "query_string": b"", "root_path": "", "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
        "headers": [(b"host", b"testserver"), (b"content-type", JSONL.encode()),
                    (b"authorization", f"Bearer {token}".encode()),
                    (b"content-length", str(MANIFEST_BODY + 1).encode())],
    }
    asyncio.run(app(scope, receive, send))  # type: ignore[arg-type]
    assert sent[0]["status"] == 413 and read == []

    def chunks() -> Any:
        piece = b" " * (1024 * 1024)
        for _ in range(21):
            yield piece

    streamed = node.client.post(MANIFESTS, content=chunks(),
                                headers={**node.as_("trader"), "content-type": JSONL})
    assert streamed.status_code == 413 and streamed.json()["limit"] == MANIFEST_BODY
    # Within the manifest's limit, over the node's default: read.
    big = jsonl(parcel(n, description="x" * 400) for n in range(3000))
    assert MAXIMUM_BODY < len(big) < MANIFEST_BODY
    assert upload(node, big).status_code == 201
    other = node.client.post("/ecommerce/de-minimis", content=b" " * (MAXIMUM_BODY + 1),
                             headers={**node.as_("admin"), "content-type": "application/json"})
    assert other.status_code == 413


def test_the_admin_sets_de_minimis_and_others_may_not(node: NodeClient) -> None:
    rule = {"currency": "VND", "duty_threshold": "500000", "vat_threshold": "0",
            "flat_duty_percent": "8", "standard_vat_percent": "10",
            "valid_from": "2026-01-01"}
    assert node.client.post("/ecommerce/de-minimis", json=rule,
                            headers=node.as_("trader")).status_code == 403
    made = node.client.post("/ecommerce/de-minimis", json=rule, headers=node.as_("admin"))
    assert made.status_code == 201, made.text
    assert made.json()["sample"] is False
    wrong = node.client.post("/ecommerce/de-minimis", json=rule | {"currency": "USD",
                                                                   "flat_duty_percent": "120"},
                             headers=node.as_("admin"))
    assert wrong.status_code == 422
    rules = node.client.get("/ecommerce/de-minimis", headers=node.as_("trader")).json()
    assert [r["sample"] for r in rules] == [True, False]


def test_the_node_asks_the_assistant_s_doubts_only_when_told(node: NodeClient,
                                                              tmp_path: Path) -> None:
    assert node.opened.ecommerce.code_doubts is None  # the default: not asked
    assert Settings.from_env({"SINGLEWINDOW_ECOMMERCE_DOUBTS": "1"},
                             home=tmp_path).ecommerce_code_doubts
    assert not Settings.from_env({}, home=tmp_path).ecommerce_code_doubts
