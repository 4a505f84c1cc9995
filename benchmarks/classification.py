"""Classification benchmark: how often the assistant's suggestions hold the right HS 2022
subheading, how long one description takes and how many a batch does per second.

    .venv/bin/python benchmarks/classification.py [--listings FILE] [--repeat 3]

Accuracy on `tests/classification/listings.jsonl`: product titles written by hand, in the way
e-commerce listings read, each with its true 6-digit code; NOT the set the assistant is judged
on. Its `tuning` part (90 titles) was written with the glossary and the fusion weights, so
its figures flatter; its `held-out` part (40 titles) was written after and never tuned on.
Top-1 and top-5 at six digits, top-1 at two (the chapter). Floors of issue 16, on real
listings: 22 % top-1, 46 % top-5 at six digits, 62 % top-1 at two digits.

Latency: each title alone (`Assistant.rank([title])`: the embedding of one text, three BM25
levels, the fusion), after one warm-up, `--repeat` times over the set: p50, p99 (floor:
about 75 ms). Throughput: the whole set in batches of 32, as `singlewindow classify --file`
does. The first load (packaged embeddings, BM25 indexes) is timed apart.

Doubts (`Classifier.doubt`, the rule of `services.DOUBT_*`): how often the true code of a
listing is flagged as very unlikely (false flags, per part), and how often a code of another
chapter put on the same title (five drawn per title from the other titles' codes, seeded) is
flagged (caught).

The last line is one JSON object of the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

from singlewindow.classification.assistant import Assistant
from singlewindow.classification.services import Classifier
from singlewindow.core.db import Database
from singlewindow.core.migrate import upgrade

LISTINGS = Path(__file__).resolve().parents[1] / "tests" / "classification" / "listings.jsonl"
BATCH = 32


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def accuracy(ranker: Assistant, rows: list[dict[str, str]]) -> tuple[float, float, float]:
    found = ranker.rank([r["text"] for r in rows], 5)
    top1 = sum(f[0].code == r["code"] for f, r in zip(found, rows, strict=True))
    top5 = sum(r["code"] in [s.code for s in f] for f, r in zip(found, rows, strict=True))
    chapter = sum(f[0].code[:2] == r["code"][:2] for f, r in zip(found, rows, strict=True))
    return top1 / len(rows), top5 / len(rows), chapter / len(rows)


def doubts(ranker: Assistant, rows: list[dict[str, str]]) -> dict[str, float]:
    """False flags on the true codes, per part, and the share of other chapters' codes
    caught, on a classifier with no labels (a fresh SQLite database)."""
    home = tempfile.mkdtemp(prefix="sw-doubts-")
    database = Database(f"sqlite:///{home}/doubts.db")
    upgrade(database)
    classifier = Classifier(database, ranker=ranker)
    rng = random.Random(1)
    codes = sorted({r["code"] for r in rows})
    figures: dict[str, float] = {}
    flagged = classifier.doubts([(r["text"], r["code"]) for r in rows])
    for part in ("tuning", "held-out", None):
        chosen = [f for f, r in zip(flagged, rows, strict=True)
                  if part is None or r.get("set") == part]
        false = sum(f is not None for f in chosen)
        name = part or "all"
        print(f"  doubts, true code flagged ({name}): {false} of {len(chosen)} "
              f"({false / len(chosen):.1%})")
        figures[f"false_flags_{name.replace('-', '_')}"] = round(false / len(chosen), 3)
    wrong = [(r["text"], c) for r in rows
             for c in rng.sample([c for c in codes if c[:2] != r["code"][:2]], 5)]
    caught = sum(f is not None for f in classifier.doubts(wrong))
    print(f"  doubts, another chapter's code flagged: {caught} of {len(wrong)} "
          f"({caught / len(wrong):.1%})")
    database.dispose()
    return figures | {"other_chapter_caught": round(caught / len(wrong), 3)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--listings", type=Path, default=LISTINGS)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.listings.read_text(encoding="utf-8").splitlines()
            if line.strip()]
    print(f"classification benchmark, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.2f}, {len(rows)} listings")
    started = time.perf_counter()
    ranker = Assistant()
    ranker.rank(["warm-up"], 5)
    print(f"  first load (embeddings, BM25 indexes, ONNX session): "
          f"{time.perf_counter() - started:.2f} s")

    figures: dict[str, float] = {}
    for part in ("tuning", "held-out", None):
        chosen = [r for r in rows if part is None or r.get("set") == part]
        if not chosen:
            continue
        top1, top5, chapter = accuracy(ranker, chosen)
        name = part or "all"
        print(f"  {name:>8} ({len(chosen):3d}): top-1 {top1:6.1%}, top-5 {top5:6.1%} at six "
              f"digits; top-1 {chapter:6.1%} at two")
        if part is None:
            figures |= {"top1_6": round(top1, 3), "top5_6": round(top5, 3),
                        "top1_2": round(chapter, 3)}
        elif part == "held-out":
            figures |= {"held_out_top1_6": round(top1, 3), "held_out_top5_6": round(top5, 3),
                        "held_out_top1_2": round(chapter, 3)}

    figures |= doubts(ranker, rows)

    texts = [r["text"] for r in rows]
    latencies: list[float] = []
    for _ in range(args.repeat):
        for text in texts:
            began = time.perf_counter()
            ranker.rank([text], 5)
            latencies.append((time.perf_counter() - began) * 1000)
    p50, p99 = statistics.median(latencies), _percentile(latencies, 0.99)
    print(f"  one description: p50 {p50:.1f} ms, p99 {p99:.1f} ms ({len(latencies)} timed)")

    began = time.perf_counter()
    for _ in range(args.repeat):
        for start in range(0, len(texts), BATCH):
            ranker.rank(texts[start : start + BATCH], 5)
    per_second = args.repeat * len(texts) / (time.perf_counter() - began)
    print(f"  batch of {BATCH}: {per_second:.0f} descriptions/s")
    figures |= {"classify_p99_ms": round(p99, 1), "classify_p50_ms": round(p50, 1),
                "classify_per_second": round(per_second, 1)}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
