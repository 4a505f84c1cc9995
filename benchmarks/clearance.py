"""Clearance throughput: lodgement to channel decision.

    python benchmarks/clearance.py                 # both modes
    python benchmarks/clearance.py --mode http --clients 8 --seconds 20
    python benchmarks/clearance.py --mode batch --count 20000

HTTP mode starts a real node process on SQLite and lodges declarations through its API from
concurrent clients; it prints throughput and p50/p99 latency (the answer carries the number,
duties and channel). Batch mode lodges in-process through validation, duties, selectivity and
storage. Each mode also measures a baseline in the same run (HTTP: the health endpoint; batch:
validation alone) so the figures can be compared across noisy machines as ratios.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import sys
import tempfile
import threading
import time
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from singlewindow.core.paths import API  # noqa: E402
from singlewindow.declarations.model import GoodsItem  # noqa: E402
from singlewindow.declarations.repository import to_document  # noqa: E402
from tests.builders import import_declaration  # noqa: E402

GOODS = [
    ("09011100", "Green coffee beans", "kg", "2.20"),
    ("85171300", "Smartphones", "u", "180.00"),
    ("61091000", "Cotton T-shirts", "u", "2.40"),
    ("84713000", "Laptops", "u", "650.00"),
    ("40012210", "Technically specified natural rubber TSNR 10", "kg", "1.60"),
    ("94036090", "Wooden furniture", "u", "85.00"),
]
ORIGINS = ["KH", "TH", "CN", "MY", "LA", "ID", "JP", "KR"]


def declaration(n: int, party: str, rng: random.Random):
    items = []
    for sequence in range(1, rng.randint(1, 4) + 1):
        code, description, unit, price = rng.choice(GOODS)
        quantity = Decimal(rng.randint(10, 5000))
        mass = quantity if unit == "kg" else (quantity * Decimal("0.4")).quantize(Decimal(1))
        items.append(GoodsItem(sequence, code, description, rng.choice(ORIGINS), quantity,
                               unit, mass, mass + 10, (quantity * Decimal(price))))
    base = import_declaration(f"BENCH-{os.getpid()}-{n}", items=tuple(items))
    parties = replace(base.importer, id=party)
    return replace(base, declarant=parties, importer=parties)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def hammer(port: int, headers: dict[str, str], bodies: list[str], clients: int,
           seconds: float, path: str) -> tuple[int, list[float], int]:
    """Concurrent keep-alive clients (stdlib http.client, one thread each: a light client
    leaves the CPU to the node), each posting bodies (or GETting `path` when there are none)
    until the time is up. Returns requests/s, latencies and failures."""
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()
    queue = iter(bodies)
    deadline = time.perf_counter() + seconds

    def client() -> None:
        nonlocal failures
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        errors = 0
        while time.perf_counter() < deadline:
            with lock:
                body = next(queue, None)
            start = time.perf_counter()
            if body is None:
                connection.request("GET", path, headers=headers)
            else:
                connection.request("POST", path, body=body,
                                   headers=headers | {"content-type": "application/json"})
            response = connection.getresponse()
            response.read()
            mine.append(time.perf_counter() - start)
            errors += response.status >= 400
        connection.close()
        with lock:
            latencies.extend(mine)
            failures += errors

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return int(len(latencies) / (time.perf_counter() - started)), latencies, failures


def http_mode(args: argparse.Namespace) -> dict[str, float]:
    from singlewindow.devnet.network import NodeProcess

    home = Path(tempfile.mkdtemp(prefix="sw-bench-"))
    node = NodeProcess("VN", args.port, home)
    env = {"SINGLEWINDOW_RANDOM_SHARE": "0.02"}
    node.start(env, workers=args.workers)
    try:
        node.wait_ready()
        tokens = node.tokens()
        headers = {"Authorization": f"Bearer {tokens['trader']}"}
        rng = random.Random(1)
        bodies = [json.dumps(to_document(declaration(n, tokens["trader_party"], rng)))
                  for n in range(int(args.seconds * 3000))]
        # Warm up, then the baseline (health) and the lodgements.
        hammer(args.port, headers, bodies[:200], 4, 1.0, f"{API}/declarations")
        baseline, _, _ = hammer(args.port, headers, [], args.clients, 5, f"{API}/health")
        rate, latencies, failures = hammer(
            args.port, headers, bodies[200:], args.clients, args.seconds, f"{API}/declarations"
        )
    finally:
        node.stop()
    p50 = percentile(latencies, 0.50) * 1000
    p99 = percentile(latencies, 0.99) * 1000
    print(f"HTTP  lodgement → channel: {rate} declarations/s with {args.clients} clients, "
          f"{args.workers} worker(s); p50 {p50:.1f} ms, p99 {p99:.1f} ms; failures {failures}")
    print(f"      baseline GET /health: {baseline} requests/s → lodgement at "
          f"{rate / baseline:.2f}× the cost-free endpoint")
    return {"http_per_second": rate, "http_p50_ms": round(p50, 1), "http_p99_ms": round(p99, 1),
            "http_failures": failures, "health_per_second": baseline}


def batch_mode(args: argparse.Namespace) -> dict[str, float]:
    from singlewindow.access.model import Principal, Role
    from singlewindow.core.config import Settings
    from singlewindow.declarations.model import validate
    from singlewindow.declarations.services import Clearance
    from singlewindow.node import open_database
    from singlewindow.risk import services as selectivity
    from singlewindow.tariff.services import ensure_sample_schedule, tariff_book

    home = Path(tempfile.mkdtemp(prefix="sw-batch-"))
    settings = Settings(country="VN", database_url=f"sqlite:///{home}/VN.db", home=home)
    database = open_database(settings)
    ensure_sample_schedule(database, "VN")
    from singlewindow.devnet import sample

    sample.load(database, "VN", home)
    selectivity.configure(database, 0.02, seed=1)
    clearance = Clearance(database, "VN")
    party = sample.trader_party("VN")
    actor = Principal("trader", Role.TRADER, party)
    rng = random.Random(2)
    drafts = [declaration(n, party, rng) for n in range(args.count)]
    book = tariff_book(database, "VN")
    today = time.gmtime()
    on = __import__("datetime").date(today.tm_year, today.tm_mon, today.tm_mday)

    start = time.perf_counter()
    for draft in drafts:
        validate(draft, "VN", lambda code: book.line(code, on) is not None)
    validation_rate = args.count / (time.perf_counter() - start)

    start = time.perf_counter()
    for first in range(0, args.count, args.batch):
        clearance.lodge_many(drafts[first:first + args.batch], actor)
    rate = args.count / (time.perf_counter() - start)
    print(f"Batch lodgement (validation, duties, selectivity, storage): {rate:,.0f} "
          f"declarations/s over {args.count:,} in batches of {args.batch}")
    print(f"      baseline validation alone: {validation_rate:,.0f}/s → full path at "
          f"{rate / validation_rate:.2f}× validation")
    return {"batch_per_second": round(rate), "validation_per_second": round(validation_rate)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=["http", "batch", "both"], default="both")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--count", type=int, default=20000)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    figures: dict[str, float] = {}
    if args.mode in ("http", "both"):
        figures |= http_mode(args)
    if args.mode in ("batch", "both"):
        figures |= batch_mode(args)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
