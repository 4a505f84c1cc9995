"""Benchmark of the learned risk model on the public CIDD data set.

    .venv/bin/python benchmarks/risk.py [--data-dir ../shared/data/cidd]

Trains on the 2020 file, evaluates on 2021-Q1 (history from the training file only), prints
every metric against the published LightGBM baseline (Jeong et al., 2022) and the floors; then
batch scoring throughput, single-declaration latency, and the time to train on both files.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from singlewindow.risk.learning import cidd
from singlewindow.risk.learning.evaluation import measure
from singlewindow.risk.learning.model import RiskModel

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parent.parent / "shared" / "data" / "cidd"
PUBLISHED = {"precision_at_5": 0.762, "precision_at_10": 0.641}
FLOORS = {"precision_at_5": 0.88, "precision_at_10": 0.80, "auc": 0.85}
THROUGHPUT_FLOOR = 20_000  # declarations per second, batch
LATENCY_FLOOR_MS = 5.0  # p99, one declaration


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--skip-both", action="store_true", help="skip timing training on both")
    args = parser.parse_args()
    train_file = args.data_dir / "df_syn_train_eng.csv"
    valid_file = args.data_dir / "df_syn_valid_eng.csv"
    ok = True

    print(f"training on {train_file.name} ...", flush=True)
    started = time.perf_counter()
    model = RiskModel.train(cidd.read(train_file))
    print(f"  trained in {time.perf_counter() - started:.1f} s")

    unlabelled = cidd.read(valid_file, with_labels=False)
    outcomes = cidd.read(valid_file)
    scores = model.score_batch(unlabelled)
    metrics = measure(scores, [bool(r.fraud) for r in outcomes],
                      [bool(r.critical) for r in outcomes]).as_dict()
    print(f"\nevaluated on {valid_file.name}: {metrics['n']:,} declarations")
    print(f"  {'metric':<24}{'value':>8}{'published':>11}{'ratio':>8}{'floor':>8}")
    for key, value in metrics.items():
        if key == "n":
            continue
        published = PUBLISHED.get(key)
        floor = FLOORS.get(key)
        if floor is not None and value < floor:
            ok = False
        print(f"  {key:<24}{value:>8.3f}"
              f"{f'{published:.3f}' if published else '':>11}"
              f"{f'{value / published:.2f}x' if published else '':>8}"
              f"{f'{floor:.2f}' if floor else '':>8}")

    # Batch scoring (backfills): warm once (the history tables are indexed on first use).
    model.score_batch(unlabelled[:100])
    flow = unlabelled * 3
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        model.score_batch(flow)
        runs.append(time.perf_counter() - started)
    rate = len(flow) / min(runs)
    ok &= rate >= THROUGHPUT_FLOOR
    print(f"\nbatch scoring: {rate:,.0f} declarations/s ({len(flow):,} per batch; "
          f"floor {THROUGHPUT_FLOOR:,})")

    # One declaration at lodgement, with and without its reasons.
    latencies, explained = [], []
    for record in unlabelled[:3000]:
        started = time.perf_counter()
        model.score(record)
        latencies.append(time.perf_counter() - started)
    for record in unlabelled[:1000]:
        started = time.perf_counter()
        model.assess(record)
        explained.append(time.perf_counter() - started)
    p50, p99 = (float(np.percentile(latencies, q)) * 1000 for q in (50, 99))
    e50, e99 = (float(np.percentile(explained, q)) * 1000 for q in (50, 99))
    ok &= p99 < LATENCY_FLOOR_MS
    print(f"single declaration: p50 {p50:.2f} ms, p99 {p99:.2f} ms (floor p99 < "
          f"{LATENCY_FLOOR_MS:g} ms); with reasons: p50 {e50:.2f} ms, p99 {e99:.2f} ms")

    if not args.skip_both:
        started = time.perf_counter()
        both = RiskModel.train(cidd.read_many([train_file, valid_file]))
        seconds = time.perf_counter() - started
        ok &= seconds < 300
        print(f"\ntraining on both files ({both.summary.declarations:,} declarations): "
              f"{seconds:.1f} s (floor 300 s)")
    print("\nall floors met" if ok else "\nSOME FLOORS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
