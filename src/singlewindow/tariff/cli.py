"""`singlewindow tariff …`: load a national schedule and its measure file, search it, and ask
what applies to a code for an origin on a date, from the command line."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TypeVar

import typer
from rich.console import Console
from rich.table import Table

from singlewindow.core.clock import today
from singlewindow.core.config import Settings
from singlewindow.core.db import Database
from singlewindow.core.errors import Invalid, NotFound
from singlewindow.node import open_database
from singlewindow.tariff import services

app = typer.Typer(help="National tariff: import, search, measures", no_args_is_help=True)
R = TypeVar("R")
console = Console()
errors = Console(stderr=True)


def _imported(file: Path, country: str, load: Callable[[Database], R]) -> R:
    """What `load` imported into the country's database; every located problem printed and
    exit 1 when it refused the file (all or nothing: nothing was imported)."""
    database = open_database(Settings.from_env(country=country))
    try:
        return load(database)
    except Invalid as error:
        errors.print(f"[red]{file}: {error.detail}; nothing was imported[/red]")
        for problem in error.problems:
            errors.print(f"  {problem.path}: {problem.message}", markup=False, highlight=False)
        raise typer.Exit(1) from None
    finally:
        database.dispose()


@app.command("import")
def import_(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="schedule CSV file"),
    country: str = typer.Option(..., "--country", "-c", help="ASEAN member state, e.g. VN"),
    replace: bool = typer.Option(False, help="delete the country's stored schedule first"),
) -> None:
    """Load a national schedule (docs/tariff-csv.md), all lines or none."""
    country = country.upper()
    report = _imported(
        file, country, lambda db: services.import_schedule(db, country, file, replace=replace)
    )
    console.print(
        f"[green]{country}[/green]: {report.lines} lines in {report.chapters} chapters "
        f"({report.inserted} new, {report.updated} updated, {report.deleted} removed); "
        f"schedule revision {report.revision}"
    )


@app.command()
def search(
    query: str = typer.Argument(..., help="words (all must match) or a code prefix"),
    country: str = typer.Option(..., "--country", "-c", help="ASEAN member state, e.g. VN"),
    on: str = typer.Option("", help="date the lines must be in force (YYYY-MM-DD); default today"),
    limit: int = typer.Option(20, min=1),
) -> None:
    """Search a national schedule by words or code prefix."""
    country = country.upper()
    day = date.fromisoformat(on) if on else today()
    database = open_database(Settings.from_env(country=country))
    try:
        lines, total = services.search_schedule_page(database, country, query, day, limit=limit)
    except NotFound as error:
        errors.print(f"[red]{error.detail}[/red]")
        raise typer.Exit(1) from None
    finally:
        database.dispose()
    table = Table(title=f"{country} tariff on {day}: {total} line(s) for {query!r}")
    for column in ("code", "description", "unit", "MFN", "ATIGA", "VAT", "excise"):
        table.add_column(column)
    for line in lines:
        table.add_row(
            line.dotted_code,
            line.description,
            line.quantity_unit,
            str(line.mfn),
            "—" if line.atiga is None else str(line.atiga),
            str(line.vat),
            "—" if line.excise is None else str(line.excise),
        )
    console.print(table)


@app.command("import-measures")
def import_measures(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="measure file (JSON)"),
    country: str = typer.Option(..., "--country", "-c", help="ASEAN member state, e.g. VN"),
    replace: bool = typer.Option(False, help="delete the country's stored measure data first"),
) -> None:
    """Load a country's measure file (docs/tariff-measures.md), all entries or none."""
    country = country.upper()
    report = _imported(
        file, country, lambda db: services.import_measures(db, country, file, replace=replace)
    )
    console.print(
        f"[green]{country}[/green]: {report.measures} measures, {report.areas} areas, "
        f"{report.agreements} agreements, {report.additional_codes} additional codes, "
        f"{report.document_types} document types ({report.replaced} replaced, "
        f"{report.deleted} removed); schedule revision {report.revision}"
    )


@app.command()
def measures(
    code: str = typer.Argument(..., help="national code or HS code, e.g. 7208.25.00"),
    country: str = typer.Option(..., "--country", "-c", help="ASEAN member state, e.g. VN"),
    origin: str = typer.Option(..., "--origin", "-o", help="country of origin, e.g. CN"),
    on: str = typer.Option("", help="the day asked (YYYY-MM-DD); default today"),
    additional_code: str = typer.Option(
        "", "--additional-code", help="e.g. an anti-dumping producer code"
    ),
) -> None:
    """Everything that applies to a code for an origin on a day, each measure named."""
    country = country.upper()
    try:
        day = date.fromisoformat(on) if on else today()
    except ValueError:
        errors.print(f"--on: {on!r} is not an ISO date (YYYY-MM-DD)", markup=False)
        raise typer.Exit(1) from None
    database = open_database(Settings.from_env(country=country))
    try:
        answer = services.applicable_measures(
            database, country, code, origin, day, additional_code or None
        )
    except (Invalid, NotFound) as error:
        errors.print(f"[red]{error.detail}[/red]")
        raise typer.Exit(1) from None
    finally:
        database.dispose()
    what = answer.line.description if answer.line is not None else "no national line"
    table = Table(
        title=f"{country} measures on {code} ({what}) from {answer.origin} on {day}: "
        f"{len(answer.measures)}"
    )
    for column in ("measure", "type", "code", "area", "duty", "conditions", "valid"):
        table.add_column(column)
    for found in answer.measures:
        measure = found.measure
        area = measure.area
        if measure.excluded:
            area += f" except {', '.join(sorted(measure.excluded))}"
        if measure.additional_code:
            area += f", additional code {measure.additional_code}"
        conditions = "; ".join(
            " or ".join(t.code for t in accepted) for accepted in found.conditions
        )
        valid = f"{measure.valid_from} – {measure.valid_to or '…'}"
        label = measure.type.label
        table.add_row(
            measure.id,
            f"{measure.agreement} {label}" if measure.agreement else label,
            measure.goods_code,
            area,
            "—" if measure.duty is None else str(measure.duty),
            conditions or "—",
            valid,
        )
    console.print(table)
