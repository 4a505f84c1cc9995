"""The learned model's commands, on files and on a node's own history.

    singlewindow risk train --data FILE [FILE ...] --model OUT
    singlewindow risk evaluate --model OUT --data FILE [--json]

    singlewindow risk train --country VN            (on the node's inspection results)
    singlewindow risk compare VERSION --country VN  (against the model in service)
    singlewindow risk promote VERSION --country VN --by NAME   (through the promotion gates)
    singlewindow risk rollback --country VN --by NAME --reason TEXT
    singlewindow risk models --country VN
    singlewindow risk drift --country VN
    singlewindow risk score --country VN --since DATE   (backfill stored selections)

Files are in the CIDD import format. When evaluating, the file is read without its outcome
columns for scoring (the model's history comes from its training files only); the outcomes are
read apart, only to compute the metrics.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from singlewindow.risk.learning import cidd
from singlewindow.risk.learning.estimator import RiskModel
from singlewindow.risk.learning.evaluation import RATES, Metrics, measure

PUBLISHED = {"precision_at_5": 0.762, "precision_at_10": 0.641}  # LightGBM, Jeong et al. 2022


# `--data a.csv b.csv`: Click options take one value each, so the files after the first arrive
# as extra arguments and are added to `--data` (repeating `--data` works too).
FILES = {"allow_extra_args": True}


def _files(data: list[Path], context: typer.Context) -> list[Path]:
    extra = [Path(a) for a in context.args]
    unknown = [a for a in context.args if a.startswith("-")]
    if unknown:
        raise typer.BadParameter(f"unknown option {unknown[0]}")
    return [*data, *extra]


CountryOption = Annotated[str | None, typer.Option("--country", "-c", help="The node's country")]


def train(
    context: typer.Context,
    data: Annotated[
        list[Path] | None, typer.Option("--data", help="Training files (CIDD CSV).")
    ] = None,
    model: Annotated[
        Path | None, typer.Option("--model", help="Where to write the model file.")
    ] = None,
    country: CountryOption = None,
    note: Annotated[str, typer.Option(help="A note kept with the candidate")] = "",
) -> None:
    """Train the risk model: on files (--data, --model), or on the node's own inspection
    results (--country), registering a candidate."""
    console = Console()
    files = _files(data or [], context)
    if not files:
        if country is None:
            raise typer.BadParameter("give --data files and --model, or the node's --country")
        _node_train(console, country, note)
        return
    if model is None:
        raise typer.BadParameter("--model: where to write the model trained on --data")
    started = time.perf_counter()
    records = cidd.read_many(files)
    trained = RiskModel.train(records)
    trained.save(model)
    summary = trained.summary
    console.print(
        f"trained on {summary.declarations:,} declarations ({summary.frauds:,} frauds) dated "
        f"{summary.data_from} to {summary.data_to} in {time.perf_counter() - started:.1f} s; "
        f"model written to {model}"
    )


def evaluate(
    context: typer.Context,
    model: Annotated[Path, typer.Option("--model", help="A model file from `risk train`.")],
    data: Annotated[list[Path], typer.Option("--data", help="Declarations to score (CIDD CSV).")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
) -> None:
    """Score declarations and report precision and recall at inspection rates, and AUC."""
    metrics = evaluate_files(RiskModel.load(model), _files(data, context))
    if as_json:
        typer.echo(json.dumps(metrics.as_dict()))
        return
    print_metrics(Console(), metrics)


def evaluate_files(model: RiskModel, paths: list[Path]) -> Metrics:
    unlabelled = cidd.read_many(paths, with_labels=False)
    scores = model.score_batch(unlabelled)
    outcomes = cidd.read_many(paths)  # for the metrics only
    return measure(scores, [bool(r.fraud) for r in outcomes], [bool(r.critical) for r in outcomes])


def print_metrics(console: Console, metrics: Metrics) -> None:
    table = Table(
        title=f"{metrics.n:,} declarations, {metrics.frauds:,} frauds "
        f"({metrics.criticals:,} critical)"
    )
    table.add_column("inspection rate", justify="right")
    table.add_column("precision", justify="right")
    table.add_column("recall", justify="right")
    table.add_column("critical recall", justify="right")
    table.add_column("published precision", justify="right")
    for rate in RATES:
        published = PUBLISHED.get(f"precision_at_{rate}")
        table.add_row(
            f"{rate} %",
            f"{metrics.precision[rate]:.3f}",
            f"{metrics.recall[rate]:.3f}",
            f"{metrics.critical_recall[rate]:.3f}",
            f"{published:.3f}" if published else "",
        )
    console.print(table)
    console.print(f"AUC {metrics.auc:.4f}")


def register(app: typer.Typer) -> None:
    """Add the learned model's commands to the `risk` command group."""
    from singlewindow.risk.learning import node_cli

    app.command("train", context_settings=FILES)(train)
    app.command("evaluate", context_settings=FILES)(evaluate)
    node_cli.register(app)


def _node_train(console: Console, country: str, note: str) -> None:
    from singlewindow.risk.learning import node_cli

    node_cli.train(console, country, note)
