"""`singlewindow reference …`: the office register and the exchange-rate table of a node."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from singlewindow.core.clock import today
from singlewindow.core.config import Settings
from singlewindow.core.errors import SingleWindowError
from singlewindow.node import open_database
from singlewindow.reference import services
from singlewindow.reference.model import Procedure
from singlewindow.reference.schemas import SAMPLE_NOTICE

app = typer.Typer(help="Customs reference data: offices and exchange rates", no_args_is_help=True)
rates_app = typer.Typer(help="The published exchange rates", no_args_is_help=True)
app.add_typer(rates_app, name="rates")
console = Console()
errors = Console(stderr=True)

COUNTRY = typer.Option(
    "", "--country", "-c", help="the node's country (default: $SINGLEWINDOW_COUNTRY)"
)


def _settings(country: str) -> Settings:
    return Settings.from_env(country=country.upper()) if country else Settings.from_env()


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text) if text else today()
    except ValueError:
        errors.print(f"[red]{text!r} is not a date (YYYY-MM-DD)[/red]")
        raise typer.Exit(2) from None


def _fail(error: SingleWindowError, what: str) -> None:
    errors.print(f"[red]{what}: {error.detail}[/red]", markup=True, highlight=False)
    for problem in getattr(error, "problems", []):
        errors.print(f"  {problem.path}: {problem.message}", markup=False, highlight=False)
    raise typer.Exit(1)


@app.command()
def offices(
    country: str = COUNTRY,
    on: str = typer.Option("", help="only offices open that day (YYYY-MM-DD)"),
    procedure: Procedure | None = typer.Option(None, help="only offices competent for it"),
) -> None:
    """List the node's register of customs offices."""
    settings = _settings(country)
    database = open_database(settings)
    try:
        found = services.list_offices(
            database, settings.country, on=_day(on) if on else None, procedure=procedure
        )
    finally:
        database.dispose()
    table = Table(title=f"{settings.country} customs offices: {len(found)}")
    for column in ("code", "name", "kind", "procedures", "open", ""):
        table.add_column(column)
    for office in found:
        table.add_row(
            office.code,
            office.name,
            office.kind.value,
            " ".join(sorted(p.value for p in office.procedures)),
            f"{office.valid_from}..{office.valid_to or ''}",
            "SAMPLE" if office.sample else "",
        )
    console.print(table)
    if any(office.sample for office in found):
        console.print(f"[yellow]{SAMPLE_NOTICE}[/yellow]")


@rates_app.command("import")
def import_(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="rate table CSV file"),
    country: str = COUNTRY,
) -> None:
    """Publish a dated rate table (docs/exchange-rates-csv.md), all rates or none."""
    settings = _settings(country)
    database = open_database(settings)
    try:
        report = services.import_rates(database, settings.country, file)
    except SingleWindowError as error:
        _fail(error, str(file))
        return
    finally:
        database.dispose()
    console.print(
        f"[green]{settings.country}[/green]: {report.rates} rate(s) ({report.inserted} new, "
        f"{report.unchanged} already published, {report.samples_replaced} sample rates "
        f"replaced); revision {report.revision}"
    )


@rates_app.command("show")
def show(
    currency: str = typer.Argument(..., help="ISO 4217 code, e.g. USD"),
    country: str = COUNTRY,
    on: str = typer.Option("", help="the day (YYYY-MM-DD); default today"),
) -> None:
    """Show the rate of a currency on a day, and every period published for it."""
    settings = _settings(country)
    day = _day(on)
    currency = currency.upper()
    database = open_database(settings)
    try:
        periods = services.list_rates(database, settings.country, currency=currency)
        rate = services.find_rate(database, settings.country, currency, day)
    except SingleWindowError as error:
        _fail(error, currency)
        return
    finally:
        database.dispose()
    console.print(
        f"{currency} on {day}: [bold]{rate.rate}[/bold] {rate.national_currency} "
        f"per {currency}{' (SAMPLE)' if rate.sample else ''}",
        highlight=False,
    )
    table = Table(title=f"{currency} periods published by {settings.country}")
    for column in ("valid_from", "valid_to", "rate", ""):
        table.add_column(column)
    for period in periods:
        table.add_row(
            str(period.valid_from),
            str(period.valid_to),
            str(period.rate),
            "SAMPLE" if period.sample else "",
        )
    console.print(table)
    if rate.sample or any(period.sample for period in periods):
        console.print(f"[yellow]{SAMPLE_NOTICE}[/yellow]")
