"""E-commerce parcels in the traffic, played through the nodes' APIs: beside the trades, each
running node's sample trader, as an e-commerce platform, sends one manifest of low-value
parcels (JSON lines): most under the de minimis thresholds, some over, one order split into
two parcels to stay under them, and one malformed line. The node answers per parcel. Its
shops are unknown to customs at first, so a first small manifest is held for documents and
the node's sample officer accepts them (which gives the shops a record); their parcels of the
main manifest are then released unless a rule or the random share holds them. The split
order's shop is new, so its parcels stay held.

The counts are what the nodes answered: parcels accepted, released, held (for documents or
inspection, as the manifests left them) and rejected (the malformed lines), and the split
orders the nodes assessed as one."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from functools import partial
from typing import Any

from singlewindow.devnet.traffic import Desk, Traffic, TrafficError

SHOPS = 3
INTRODUCED = 5  # parcels of each shop whose documents an officer accepts first
PARCEL_COUNTS = ("parcels", "parcels_released", "parcels_held", "parcels_rejected",
                 "parcels_split")
GOODS = ("Phone case, silicone", "Wireless earbuds", "Cotton T-shirt", "Water bottle 750 ml",
         "Building blocks set", "LED desk lamp")


def parcels_of(traffic: Traffic, count: int) -> tuple[list[Callable[[], None]], tuple[str, ...]]:
    """One manifest job per running node (`traffic.run_traffic`'s riders), and its counts."""
    size = max(10, min(500, 20 * count))
    return [partial(send_manifest, traffic, country, size)
            for country in sorted(traffic.desks)], PARCEL_COUNTS


def lines(run: str, country: str, size: int) -> list[str]:
    rng = random.Random(f"{run}-{country}")
    out = []
    for n in range(size):
        out.append(json.dumps({
            "order_reference": f"{run}-{country}-{n:05d}",
            "seller": f"Shop {rng.randrange(SHOPS)}",
            "buyer": f"Buyer {rng.randrange(size)}",
            "description": rng.choice(GOODS),
            "quantity": rng.randint(1, 3),
            # Most under the sample thresholds (about 40 USD and up), a tenth over them.
            "value": f"{rng.uniform(60, 400) if n % 10 == 0 else rng.uniform(3, 30):.2f}",
            "currency": "USD",
            "origin": rng.choice(["CN", "KR", "JP"]),
            "transport_document": f"HAWB{country}{n:08d}",
            "courier": rng.choice(["Fast Post", "Asia Express"]),
        }))
    # One order of 70 USD split into two parcels of 35 (same buyer, seller and goods).
    for part in (1, 2):
        out.append(json.dumps({
            "order_reference": f"{run}-{country}-SPLIT-{part}", "seller": "Shop Split",
            "buyer": "Buyer Split", "description": "Smart watch", "quantity": 1,
            "value": "35.00", "currency": "USD", "origin": "CN",
            "transport_document": f"HAWB{country}SPLIT{part}"}))
    out.append('{"order_reference": "broken line"')  # the malformed one
    return out


def introduce(traffic: Traffic, desk: Desk, country: str) -> None:
    """The shops' first parcels, held for documents, accepted by the officer."""
    first = [json.dumps({
        "order_reference": f"{traffic.run}-{country}-I{n:03d}", "seller": f"Shop {n % SHOPS}",
        "buyer": f"First buyer {n}", "description": "Notebook A5", "quantity": 1,
        "value": "4.00", "currency": "USD", "origin": "CN",
        "transport_document": f"HAWB{country}I{n:05d}"}) for n in range(SHOPS * INTRODUCED)]
    response = desk.client.post("/ecommerce/manifests", content="\n".join(first).encode(),
                                headers={"Authorization": f"Bearer {desk.tokens['trader']}",
                                         "content-type": "application/x-ndjson"})
    if response.status_code != 201:
        raise TrafficError(f"{country} manifest → {response.status_code}: {response.text}")
    page = desk.call("GET", f"/ecommerce/manifests/{response.json()['id']}/parcels", "trader",
                     params={"limit": 500})
    for parcel in page["items"]:
        if parcel["status"] in ("held_documents", "held_inspection"):
            decision = "documents_accepted" if parcel["status"] == "held_documents" \
                else "nothing_found"
            desk.call("POST", f"/ecommerce/parcels/{parcel['id']}/decision", "officer",
                      json={"decision": decision, "note": "traffic: documents seen"})


def send_manifest(traffic: Traffic, country: str, size: int) -> None:
    desk: Desk = traffic.desks[country]
    introduce(traffic, desk, country)
    body = "\n".join(lines(traffic.run, country, size)).encode()
    response = desk.client.post("/ecommerce/manifests", content=body, headers={
        "Authorization": f"Bearer {desk.tokens['trader']}",
        "content-type": "application/x-ndjson"})
    if response.status_code != 201:
        raise TrafficError(f"{country} manifest → {response.status_code}: {response.text}")
    manifest: dict[str, Any] = response.json()
    if not manifest["rejected"] or manifest["rejected"][0]["line"] != size + 3:
        raise TrafficError(f"{country} did not reject the malformed line {size + 3}")
    counts = manifest["counts"]
    held = counts.get("held_documents", 0) + counts.get("held_inspection", 0)
    answer = desk.client.get("/ecommerce/parcels", params={
        "order_reference": f"{traffic.run}-{country}-SPLIT-2"}, headers={
        "Authorization": f"Bearer {desk.tokens['trader']}"})
    if answer.status_code != 200:
        raise TrafficError(f"{country} lost the split parcel: {answer.status_code}")
    followed: list[dict[str, Any]] = answer.json()
    split = int(bool(followed[0]["split_with"]))
    with traffic.lock:
        traffic.counts["parcels"] += manifest["parcels"]
        traffic.counts["parcels_released"] += counts.get("released", 0)
        traffic.counts["parcels_held"] += held
        traffic.counts["parcels_rejected"] += counts.get("rejected", 0)
        traffic.counts["parcels_split"] += split
