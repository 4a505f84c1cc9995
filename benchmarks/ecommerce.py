"""E-commerce benchmark: parcels per second through a manifest, and the classification
assistant's latency per description and throughput in batch.

    .venv/bin/python benchmarks/ecommerce.py
    .venv/bin/python benchmarks/ecommerce.py --parcels 10000 --manifests 3 --repeat 2

Manifests: a real node process (uvicorn, SQLite, the sample users, random checks at 2 %) gets
`--manifests` manifests of `--parcels` parcels each as JSON lines, one request each, from its
sample trader acting as the platform: 200 sellers (half with a clean record at inspection,
given to the node's database before it starts; the others unknown, so held for documents),
2,000 buyers (so split orders occur), values from 5 to 80 USD (the sample de minimis of
1,000,000 VND is crossed), a third with a national code of the sample schedule, couriers.
Measured: each request from the first byte sent to the answer (parse, checks, assessment,
split detection, screening, one bulk insert, the answer); parcels/s = parcels / seconds of the
requests. Baseline of the same run: GET /health per second, so the figure can be compared
across noisy machines. Floor: 5,000 parcels/s. The assistant's doubts about declared codes
(`code_doubts`) are not asked by the node's manifests (off, as the node wires them).

Classification: `Classifier` on the packaged assistant with the sample schedule, over the
descriptions of tests/classification/listings.jsonl: one description at a time (after one
warm-up, `--repeat` times over the set: p50, p99), then in batches of 32 (descriptions/s).

The last line is one JSON object of the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FLOOR = 5000  # parcels per second through the HTTP API
LISTINGS = ROOT / "tests" / "classification" / "listings.jsonl"
BATCH = 32
GOODS = [
    ("Phone case, silicone, black", None),
    ("Wireless Bluetooth earbuds with charging case", None),
    ("Men's cotton crew neck T-shirt", None),
    ("Live ornamental freshwater fish", "03011100"),
    ("Stainless steel water bottle 750 ml", None),
    ("Fresh chilled anchovies", "03024200"),
    ("Kids building blocks set 500 pieces", None),
]
COURIERS = ["Fast Post", "Asia Express", "Blue Parcel", None]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def manifest(run: str, number: int, parcels: int, rng: random.Random) -> bytes:
    lines = []
    for n in range(parcels):
        description, code = rng.choice(GOODS)
        line: dict[str, Any] = {
            "order_reference": f"{run}-{number}-{n}",
            "seller": f"Seller {rng.randrange(200)}",
            "buyer": f"Buyer {rng.randrange(2000)}",
            "description": description,
            "quantity": rng.randint(1, 3),
            "value": f"{rng.uniform(5, 80):.2f}",
            "currency": "USD",
            "origin": rng.choice(["CN", "KR", "JP", "TH"]),
            "transport_document": f"HAWB{number:02d}{n:08d}",
        }
        if code and rng.random() < 0.7:
            line["code"] = code
        courier = rng.choice(COURIERS)
        if courier:
            line["courier"] = courier
        lines.append(json.dumps(line))
    return "\n".join(lines).encode()


def clean_records(database_url: str) -> None:
    """Half the sellers inspected five times with nothing found, as officers would have."""
    from singlewindow.core.db import Database
    from singlewindow.core.migrate import upgrade
    from singlewindow.ecommerce.model import normalised
    from singlewindow.ecommerce.repository import HistoryRow

    database = Database(database_url)
    upgrade(database)
    with database.unit_of_work() as session:
        for n in range(0, 200, 2):
            session.merge(HistoryRow(kind="seller", party=normalised(f"Seller {n}"),
                                     inspected=5, irregular=0))
    database.dispose()


def manifests_over_http(args: argparse.Namespace) -> dict[str, Any]:
    import httpx

    from singlewindow.core.paths import API
    from singlewindow.devnet.network import NodeProcess

    home = Path(tempfile.mkdtemp(prefix="sw-ecommerce-"))
    clean_records(f"sqlite:///{home}/VN.db")
    node = NodeProcess("VN", args.port, home)
    node.start({"SINGLEWINDOW_RANDOM_SHARE": "0.02"})
    rng = random.Random(1)
    run = f"B{os.getpid()}"
    bodies = [manifest(run, n, args.parcels, rng) for n in range(args.manifests + 1)]
    try:
        node.wait_ready()
        token = node.tokens()["trader"]
        headers = {"Authorization": f"Bearer {token}", "content-type": "application/x-ndjson"}
        with httpx.Client(base_url=f"http://127.0.0.1:{args.port}{API}", timeout=300) as client:
            warm = client.post("/ecommerce/manifests", content=bodies[0][:200_000].rsplit(
                b"\n", 1)[0], headers=headers)
            assert warm.status_code == 201, warm.text[:500]
            began, count = time.perf_counter(), 0
            while time.perf_counter() - began < 2:
                client.get("/health")
                count += 1
            health = count / (time.perf_counter() - began)
            seconds: list[float] = []
            counts: dict[str, int] = {}
            due = 0.0
            for body in bodies[1:]:
                began = time.perf_counter()
                answer = client.post("/ecommerce/manifests", content=body, headers=headers)
                seconds.append(time.perf_counter() - began)
                assert answer.status_code == 201, answer.text[:500]
                result = answer.json()
                assert result["parcels"] == args.parcels, result["counts"]
                for status, n in result["counts"].items():
                    counts[status] = counts.get(status, 0) + n
                due += float(result["due"]["total"]) + float(result["due"]["held_duty"]) + \
                    float(result["due"]["held_vat"])
            page = client.get(f"/ecommerce/manifests/{result['id']}/parcels",
                              params={"limit": 500}, headers=headers)
            assert page.status_code == 200 and page.json()["total"] == args.parcels
    finally:
        node.stop()
    total = args.parcels * args.manifests
    rate = total / sum(seconds)
    size = len(bodies[1]) / 1024 / 1024
    print(f"manifests over HTTP: {args.manifests} × {args.parcels:,} parcels ({size:.1f} MiB "
          f"each): {rate:,.0f} parcels/s (floor {FLOOR:,}); per manifest "
          f"{', '.join(f'{s:.2f} s' for s in seconds)}")
    print(f"  verdicts: {counts}; due (released and held) {due:,.0f} VND")
    print(f"  baseline GET /health: {health:,.0f} requests/s → one manifest costs "
          f"{statistics.median(seconds) * health:,.0f} health requests; code doubts: off")
    return {"parcels_per_second": round(rate), "parcels_floor": FLOOR,
            "manifest_seconds": round(statistics.median(seconds), 3),
            "health_per_second": round(health), "manifest_in_health_requests":
            round(statistics.median(seconds) * health), "code_doubts": False,
            "verdicts": counts}


def classification(args: argparse.Namespace) -> dict[str, Any]:
    from singlewindow.classification.services import Classifier
    from singlewindow.core.db import Database
    from singlewindow.core.migrate import upgrade
    from singlewindow.tariff.services import ensure_sample_schedule, tariff_books

    rows = [json.loads(line) for line in LISTINGS.read_text(encoding="utf-8").splitlines()
            if line.strip()]
    texts = [r["text"] for r in rows]
    with tempfile.TemporaryDirectory(prefix="sw-classify-") as scratch:
        database = Database(f"sqlite:///{scratch}/VN.db")
        upgrade(database)
        ensure_sample_schedule(database, "VN")
        classifier = Classifier(database, "VN", tariff_books(database))
        began = time.perf_counter()
        classifier.suggest("warm-up phone case", 5)
        load = time.perf_counter() - began
        latencies: list[float] = []
        for _ in range(args.repeat):
            for text in texts:
                began = time.perf_counter()
                classifier.suggest(text, 5)
                latencies.append((time.perf_counter() - began) * 1000)
        began = time.perf_counter()
        for _ in range(args.repeat):
            for start in range(0, len(texts), BATCH):
                classifier.suggest_many(texts[start:start + BATCH], 5)
        per_second = args.repeat * len(texts) / (time.perf_counter() - began)
        database.dispose()
    p50, p99 = statistics.median(latencies), percentile(latencies, 0.99)
    print(f"classification (Classifier, {len(texts)} listings × {args.repeat}): first load "
          f"{load:.2f} s; one description p50 {p50:.1f} ms, p99 {p99:.1f} ms; batches of "
          f"{BATCH}: {per_second:,.0f} descriptions/s")
    return {"classify_p50_ms": round(p50, 1), "classify_p99_ms": round(p99, 1),
            "classify_per_second": round(per_second, 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--parcels", type=int, default=10_000)
    parser.add_argument("--manifests", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--port", type=int, default=8791)
    args = parser.parse_args()
    print(f"e-commerce benchmark, {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.2f}")
    figures = manifests_over_http(args)
    figures |= classification(args)
    figures["below_floor"] = figures["parcels_per_second"] < FLOOR
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
