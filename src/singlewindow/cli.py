"""The `singlewindow` command line: thin commands that call the rooms' services."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from singlewindow.access import services as access
from singlewindow.access.model import Principal, Role
from singlewindow.bootstrap import open_database
from singlewindow.core.config import Settings
from singlewindow.core.errors import SingleWindowError
from singlewindow.declarations.schemas import DeclarationCreate, DeclarationRead

app = typer.Typer(help="Single Window: a national customs node and the network between nodes.",
                  no_args_is_help=True)
users_app = typer.Typer(help="Users and API tokens of a node", no_args_is_help=True)
risk_app = typer.Typer(help="Selectivity and the learned risk model", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(risk_app, name="risk")

console = Console()
errors = Console(stderr=True)

CountryOption = Annotated[str, typer.Option("--country", "-c", help="The node's country")]


def _fail(error: SingleWindowError) -> None:
    errors.print(f"[bold red]{error.title}[/]: {error.detail}")
    for problem in getattr(error, "problems", []):
        errors.print(f"  • {problem.path or '(declaration)'}: {problem.message}")
    raise typer.Exit(code=1)


@app.command()
def serve(
    country: CountryOption = "VN",
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = typer.Option(1, help="Worker processes sharing the node's database"),
    with_sample: bool = typer.Option(False, "--sample", help="Load sample users and rules"),
) -> None:
    """Serve one national node's API."""
    import uvicorn

    os.environ["SINGLEWINDOW_COUNTRY"] = country
    if with_sample:
        os.environ["SINGLEWINDOW_SAMPLE"] = "1"
    settings = Settings.from_env()
    if with_sample:
        from singlewindow import sample

        users = sample.load(open_database(settings), country, settings.home)
        console.print(f"Sample users of {country}; tokens in {settings.home}/tokens-{country}.json")
        console.print_json(json.dumps(users.as_dict()))
    console.print(f"Node {country} on http://{host}:{port} (API docs at /docs)")
    uvicorn.run("singlewindow.api.server:node_app", factory=True, host=host, port=port,
                workers=workers, log_level="warning")


@app.command()
def up(
    countries: str = typer.Option(
        "KH,VN,LA,TH,MY,SG", help="Comma-separated ASEAN member states, one node each"
    ),
    base_port: int = typer.Option(8100, help="The first node listens here, the next above"),
    traffic: int = typer.Option(0, help="Cross-border trades to run through the network"),
    once: bool = typer.Option(False, help="Exit when the traffic is done, printing its counts"),
    root: Path = typer.Option(Path("var/network"), help="Where the nodes keep their data"),
) -> None:
    """Start a local network: one node process per country, wired with a common trust list."""
    from singlewindow.network import run_network

    run_network(
        [c.strip().upper() for c in countries.split(",") if c.strip()],
        base_port,
        traffic=traffic,
        once=once,
        root=root,
    )


@app.command()
def declare(
    file: Path,
    country: CountryOption = "VN",
    party: Annotated[str | None, typer.Option(help="Lodge as this trader (local mode)")] = None,
    node: Annotated[str | None, typer.Option(help="URL of a running node's API")] = None,
    token: Annotated[str | None, typer.Option(help="API token, with --node")] = None,
    with_sample: bool = typer.Option(
        False, "--sample", help="Local mode: load the sample users, profiles and guarantee"
    ),
) -> None:
    """Lodge a declaration from a JSON file, locally or through a node's API."""
    raw = json.loads(file.read_text())
    if node:
        import httpx

        response = httpx.post(f"{node.rstrip('/')}/declarations", json=raw,
                              headers={"Authorization": f"Bearer {token}"}, timeout=30)
        if response.status_code != 201:
            body = response.json()
            errors.print(f"[bold red]{response.status_code}[/]: {body.get('detail')}")
            for problem in body.get("errors", []):
                errors.print(f"  • {problem['path']}: {problem['message']}")
            raise typer.Exit(code=1)
        _show(DeclarationRead.model_validate(response.json()))
        return
    from pydantic import ValidationError

    from singlewindow.node import Node

    try:
        draft = DeclarationCreate.model_validate(raw).to_domain()
    except ValidationError as invalid:
        for error in invalid.errors():
            errors.print(f"  • {'.'.join(map(str, error['loc']))}: {error['msg']}")
        raise typer.Exit(code=1) from None
    node = Node.open(Settings.from_env(country=country), with_sample=with_sample)
    actor = Principal(party or draft.declarant.id, Role.TRADER, party or draft.declarant.id)
    try:
        view = node.clearance.lodge(draft, actor)
    except SingleWindowError as error:
        _fail(error)
    _show(DeclarationRead.of(view))


def _show(read: DeclarationRead) -> None:
    console.print(f"[bold]{read.number}[/] (LRN {read.lrn}) is [bold]{read.status.value}[/], "
                  f"channel [bold]{read.channel.value if read.channel else '-'}[/]")
    for reason in read.reasons:
        console.print(f"  reason: {reason}")
    table = Table("item", "tax", "base", "rate", "amount", "formula")
    for item in read.assessment.get("items", []):
        for duty in item["duties"]:
            table.add_row(str(item["sequence"]), duty["tax"], duty["base"], duty["rate"],
                          duty["amount"], duty["formula"])
    if table.row_count:
        console.print(table)
    s = read.settlement
    console.print(f"Duties and taxes {s.assessed} {s.currency}; outstanding {s.outstanding}")


@users_app.command("create")
def create_user(
    username: str,
    role: Role,
    country: CountryOption = "VN",
    party_id: str | None = None,
    office: str | None = None,
) -> None:
    """Create a user and print its API token (shown once)."""
    database = open_database(Settings.from_env(country=country))
    try:
        token = access.create_user(database, username, role, party_id, office)
    except SingleWindowError as error:
        _fail(error)
    console.print(token)


@app.command("migrate")
def migrate(country: CountryOption = "VN") -> None:
    """Bring the node's database to the latest schema."""
    settings = Settings.from_env(country=country)
    open_database(settings)
    console.print(f"{settings.database_url}: schema up to date")


def _mount_rooms() -> None:
    from singlewindow.exchange.cli import app as pki_app
    from singlewindow.risk.learning.cli import register
    from singlewindow.tariff.cli import app as tariff_app

    app.add_typer(tariff_app, name="tariff")
    app.add_typer(pki_app, name="pki")
    register(risk_app)


_mount_rooms()


def main() -> None:  # pragma: no cover
    sys.exit(app())
