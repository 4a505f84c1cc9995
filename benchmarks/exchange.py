"""Exchange benchmark: two real nodes on loopback, signed messages/s and delivery latency.

    .venv/bin/python benchmarks/exchange.py [--messages 1000] [--rate 200]

For each mode (signed + encrypted, signed only): a burst of `--messages` enqueued at once
gives the throughput (messages with a verified receipt per second); then a steady load of
`--rate` messages/s gives the delivery latency (enqueued → receipt verified) p50/p99.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "exchange"))

from twonodes import ACTION, SERVICE, make_network  # noqa: E402

from singlewindow.core.clock import as_utc  # noqa: E402
from singlewindow.exchange.model import OutboxStatus  # noqa: E402
from singlewindow.exchange.repository import OutboxRow  # noqa: E402

PAYLOAD = b"<ACDD>" + b"<GoodsItem hs='85171300' qty='10' value='1200.00'/>" * 20 + b"</ACDD>"


def wait_delivered(enqueuer, ids: list[str], timeout: float = 300) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with enqueuer.database.unit_of_work() as session:
            done = session.scalar(
                select(func.count()).where(
                    OutboxRow.message_id.in_(ids), OutboxRow.status == OutboxStatus.DELIVERED
                )
            )
        if done == len(ids):
            return
        time.sleep(0.05)
    raise SystemExit(f"only {done} of {len(ids)} delivered in {timeout} s")


def timings(enqueuer, ids: list[str]) -> list[tuple[float, float]]:  # type: ignore[no-untyped-def]
    with enqueuer.database.unit_of_work() as session:
        rows = session.execute(
            select(OutboxRow.created_at, OutboxRow.delivered_at).where(OutboxRow.message_id.in_(ids))  # noqa: E501
        ).all()
    return [(as_utc(c).timestamp(), as_utc(d).timestamp()) for c, d in rows]


def enqueue(enqueuer, count: int, to_party: str) -> list[str]:  # type: ignore[no-untyped-def]
    with enqueuer.database.unit_of_work() as session:
        return [enqueuer.send(session, to_party, SERVICE, ACTION, PAYLOAD) for _ in range(count)]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run(encrypt: bool, messages: int, rate: int, root: Path) -> dict[str, float]:
    kh, vn, enqueuer = make_network(root, encrypt=encrypt)
    kh.start()
    vn.start()
    try:
        wait_delivered(enqueuer, enqueue(enqueuer, 50, vn.party_id))  # warm-up

        ids: list[str] = []
        for _ in range(messages // 100):
            ids += enqueue(enqueuer, 100, vn.party_id)
        wait_delivered(enqueuer, ids)
        spans = timings(enqueuer, ids)
        throughput = len(spans) / (max(d for _, d in spans) - min(c for c, _ in spans))

        steady: list[str] = []
        tick = 0.01
        per_tick = max(1, round(rate * tick))
        start = time.monotonic()
        for step in range(int(messages / per_tick)):
            steady += enqueue(enqueuer, per_tick, vn.party_id)
            delay = start + (step + 1) * tick - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        offered = len(steady) / (time.monotonic() - start)
        wait_delivered(enqueuer, steady)
        latencies = [(d - c) * 1000 for c, d in timings(enqueuer, steady)]
        return {
            "throughput": throughput,
            "offered": offered,
            "p50": percentile(latencies, 0.50),
            "p99": percentile(latencies, 0.99),
            "mean": statistics.fmean(latencies),
        }
    finally:
        kh.stop()
        vn.stop()
        enqueuer.database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--rate", type=int, default=200)
    args = parser.parse_args()
    print(f"{args.messages} messages of {len(PAYLOAD)} bytes, KH → VN, two uvicorn processes, "
          "SQLite WAL")
    print(f"{'mode':<22}{'msg/s (burst)':>15}{'steady load':>14}{'p50 ms':>9}{'p99 ms':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        for encrypt in (True, False):
            mode = "signed + encrypted" if encrypt else "signed only"
            result = run(encrypt, args.messages, args.rate, Path(tmp) / mode.replace(" ", ""))
            print(
                f"{mode:<22}{result['throughput']:>15.0f}{result['offered']:>10.0f} /s"
                f"{result['p50']:>9.1f}{result['p99']:>9.1f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
