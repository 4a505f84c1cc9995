"""The learned model's commands on a node's own database: train on its inspection results,
compare, promote (through the promotion gates), roll back, list versions, watch drift,
backfill scores. Each opens the node's database (migrated), calls one service and prints the
result; a refusal is printed as one message, never a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from singlewindow.core.db import Database
from singlewindow.core.errors import SingleWindowError
from singlewindow.risk.learning import services
from singlewindow.risk.learning.promotion import PromotionGates, TrainingEvidence
from singlewindow.risk.learning.registry import Comparison

Country = Annotated[str, typer.Option("--country", "-c", help="The node's country")]


@contextmanager
def _node(country: str) -> Iterator[Database]:
    from singlewindow.core.config import Settings
    from singlewindow.node import open_database

    database = open_database(Settings.from_env(country=country))
    try:
        yield database
    except SingleWindowError as error:
        Console(stderr=True).print(f"[bold red]{error.title}[/]: {error.detail}")
        raise typer.Exit(code=1) from None
    finally:
        database.dispose()


def train(console: Console, country: str, note: str) -> None:
    with _node(country) as database:
        candidate = services.train_candidate(database, note=note)
    training = candidate.metrics["training"]
    calibrated = "calibration" in candidate.metrics
    console.print(
        f"candidate model v{candidate.version}: trained on {training['declarations']:,} "
        f"inspected goods items ({training['frauds']:,} with findings) dated "
        f"{candidate.data_from} to {candidate.data_to}; "
        + (
            "calibrated on the recent flow"
            if calibrated
            else "not calibrated (too few recent selections)"
        )
        + f". Compare it: singlewindow risk compare {candidate.version} --country {country}"
    )
    evidence, gates = TrainingEvidence.from_document(training), PromotionGates()
    if (
        evidence.inspected < gates.minimum_inspected
        or min(evidence.hits, evidence.clean) < gates.minimum_each_outcome
    ):
        console.print(
            f"note: {evidence.inspected:,} inspected declarations ({evidence.hits:,} with "
            f"findings, {evidence.clean:,} clean) are too few to promote it: a model in "
            f"service needs {gates.describe()}"
        )


def compare(
    version: Annotated[int, typer.Argument(help="The candidate's version")],
    country: Country = "VN",
    days: Annotated[int, typer.Option(help="The latest period, in days of results")] = 30,
) -> None:
    """Compare a candidate with the model in service on the latest inspection results."""
    with _node(country) as database:
        report = services.compare_latest(database, version, days=days)
    print_comparison(Console(), report)


def print_comparison(console: Console, report: Comparison) -> None:
    table = Table(
        title=f"results recorded {report.period_from} to {report.period_to}: "
        f"{report.candidate_metrics.n:,} inspected goods items, "
        f"{report.candidate_metrics.frauds:,} with findings"
    )
    table.add_column("")
    table.add_column(f"candidate v{report.candidate}", justify="right")
    current = report.in_service_metrics
    if current is not None:
        table.add_column(f"in service v{report.in_service}", justify="right")
    mine = report.candidate_metrics
    rows = [
        (f"precision at {k} %", mine.precision[k], current.precision[k] if current else None)
        for k in (1, 2, 5, 10)
    ]
    rows += [
        (f"recall at {k} %", mine.recall[k], current.recall[k] if current else None)
        for k in (5, 10)
    ]
    rows.append(("AUC", mine.auc, current.auc if current else None))
    for name, a, b in rows:
        table.add_row(name, f"{a:.3f}", *([f"{b:.3f}"] if current is not None else []))
    console.print(table)
    if report.candidate_trained_on_period:
        console.print("note: the candidate learnt from part of this period; its figures flatter it")
    rate = f"{report.inspection_rate:.1%}"
    theirs = report.in_service_precision_at_rate
    console.print(
        f"precision at the policy's inspection rate ({rate}): candidate "
        f"{report.candidate_precision_at_rate:.3f}"
        + (f", in service {theirs:.3f}" if theirs is not None else "")
        + f"; base hit rate of the period {report.base_hit_rate:.3f}"
    )
    reason = report.verdict()
    if reason is None:
        against = f"model v{report.in_service}" if report.in_service else "the no-skill baseline"
        console.print(
            f"candidate v{report.candidate} wins against {against}: "
            f"singlewindow risk promote {report.candidate} --country COUNTRY --by NAME"
        )
    else:
        console.print(f"candidate v{report.candidate} cannot be promoted: {reason}")


def promote(
    version: Annotated[int, typer.Argument(help="The version to put in service")],
    by: Annotated[str, typer.Option("--by", help="Who promotes it (kept in the registry)")],
    country: Country = "VN",
) -> None:
    """Put a model in service (the one in service retires)."""
    with _node(country) as database:
        promoted = services.promote(database, version, by=by)
    Console().print(f"model v{promoted.version} in service, promoted by {promoted.promoted_by}")


def rollback(
    by: Annotated[str, typer.Option("--by", help="Who withdraws the model (kept in the log)")],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the log)")],
    country: Country = "VN",
) -> None:
    """Withdraw the model in service and put the previous one back (or none: rules only)."""
    with _node(country) as database:
        done = services.rollback(database, by=by, reason=reason)
    back = (
        f"model v{done.reinstated} back in service"
        if done.reinstated is not None
        else "no model in service: selection runs on the rules and the random share"
    )
    Console().print(f"model v{done.withdrawn} withdrawn by {done.by}; {back}")


def models(country: Country = "VN") -> None:
    """List the model versions in the registry."""
    with _node(country) as database:
        versions = services.models(database)
    table = Table(title=f"risk models of {country}")
    for column in (
        "version",
        "status",
        "data period",
        "items",
        "calibrated",
        "promoted by",
        "compared",
    ):
        table.add_column(column)
    for v in versions:
        table.add_row(
            str(v.version),
            v.status.value,
            f"{v.data_from} to {v.data_to}",
            f"{v.declarations:,}",
            "yes" if "calibration" in v.metrics else "no",
            v.promoted_by or "",
            "yes" if "comparison" in v.metrics else "no",
        )
    Console().print(table)


def drift(
    country: Country = "VN",
    weeks: Annotated[int, typer.Option(help="How many weeks back")] = 12,
) -> None:
    """Weekly mean score, share at or above the selection threshold, and hit rate."""
    with _node(country) as database:
        report = services.drift(database, weeks=weeks)
    threshold = "no threshold" if report.threshold is None else f"{report.threshold:.3f}"
    table = Table(title=f"model v{report.version} in service; yellow threshold {threshold}")
    for column in (
        "week",
        "consignments",
        "mean score",
        "share ≥ threshold",
        "inspected",
        "hit rate",
        "PSI",
    ):
        table.add_column(column, justify="right")
    for w in report.weeks:
        table.add_row(
            str(w.week),
            f"{w.declarations:,}",
            f"{w.mean_score:.3f}",
            f"{w.high_share:.1%}",
            f"{w.inspected:,}",
            "" if w.hit_rate is None else f"{w.hit_rate:.1%}",
            f"{w.psi:.3f}",
        )
    Console().print(table)


def score(
    since: Annotated[str, typer.Option("--since", help="First day to rescore (YYYY-MM-DD)")],
    country: Country = "VN",
    until: Annotated[str | None, typer.Option(help="Day to stop before (YYYY-MM-DD)")] = None,
) -> None:
    """Backfill: score stored selections with the model in service and write the scores."""
    with _node(country) as database:
        written = services.backfill(
            database,
            since=date.fromisoformat(since),
            until=date.fromisoformat(until) if until else None,
        )
    Console().print(f"{written:,} selections scored")


def register(app: typer.Typer) -> None:
    app.command("compare")(compare)
    app.command("promote")(promote)
    app.command("rollback")(rollback)
    app.command("models")(models)
    app.command("drift")(drift)
    app.command("score")(score)
